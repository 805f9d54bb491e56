#!/usr/bin/env bash
# Builds the image from dist/Containerfile with buildah (no Docker daemon
# needed): the static binary alone, FROM scratch.
#
#   bash dist/image.sh [BINARY] [TAG]    # defaults: the dist build, localhost/mimeo:VERSION
#
# BUILDAH can carry options, e.g. BUILDAH="buildah --root DIR --runroot DIR".
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/x86_64-unknown-linux-gnu/dist/mimeo}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
tag=${2:-localhost/mimeo:$version}
read -ra buildah <<< "${BUILDAH:-buildah}"

# The context holds the binary only, so nothing else can slip into the image.
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp "$binary" "$context/mimeo"
chmod 0755 "$context/mimeo"
"${buildah[@]}" build --quiet --file dist/Containerfile --build-arg "VERSION=$version" \
  --tag "$tag" "$context" >/dev/null
echo "image: $tag"
