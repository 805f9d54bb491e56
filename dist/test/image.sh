#!/usr/bin/env bash
# The image, tested the way a container runtime would run it (containers
# cannot be started on these machines): build it with buildah, mount its root
# filesystem, check it holds the binary alone, then run its entrypoint as its
# user with chroot, in a fresh network namespace (so port 4010 is free, as in
# a container), and send it a request.
#
#   bash dist/test/image.sh BINARY
set -euo pipefail
cd "$(dirname "$0")/../.."
binary=$1
work=$(mktemp -d)
buildah=(buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs)
tag=localhost/mimeo:ci-test
ctr=
cleanup() {
  if [[ -n $ctr ]]; then
    "${buildah[@]}" umount "$ctr" >/dev/null 2>&1 || true
    "${buildah[@]}" rm "$ctr" >/dev/null 2>&1 || true
  fi
  "${buildah[@]}" rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

BUILDAH="${buildah[*]}" bash dist/image.sh "$binary" "$tag"
ctr=$("${buildah[@]}" from "$tag")
root=$("${buildah[@]}" mount "$ctr")

contents=$(cd "$root" && find . -mindepth 1 | sort | tr '\n' ' ')
[[ $contents == "./mimeo " ]] || { echo "image: expected only /mimeo, found: $contents"; exit 1; }
cmp "$binary" "$root/mimeo"

# The entrypoint and user as the image declares them, one word a line.
"${buildah[@]}" inspect --type image "$tag" > "$work/config.json"
mapfile -t entrypoint < <(python3 -c 'import json,sys; [print(w) for w in json.load(open(sys.argv[1]))["OCIv1"]["config"]["Entrypoint"]]' "$work/config.json")
user=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["OCIv1"]["config"]["User"])' "$work/config.json")
echo "image: entrypoint ${entrypoint[*]}, user $user, $(stat -c %s "$root/mimeo") bytes"
[[ ${entrypoint[*]} == "/mimeo serve --host 0.0.0.0 --port 4010" ]]

export root user work
# shellcheck disable=SC2016 # expanded by the inner shell, in the new namespace
unshare --net bash -euo pipefail -c '
  ip link set lo up
  chroot --userspec="$user" "$root" "$@" --stateful > "$work/out" 2> "$work/err" &
  pid=$!
  for _ in $(seq 200); do grep -q "^mimeo: listening on " "$work/out" && break; sleep 0.1; done
  grep "^mimeo: listening on http://0.0.0.0:4010$" "$work/out" || { cat "$work/err"; exit 1; }
  base=http://127.0.0.1:4010/v1/Stores/mem_store_00000000000000000000000001/Profiles/mem_profile_00000000000000000000000001/Identifiers
  curl -sS --max-time 5 -f -u AC00000000000000000000000000000001:token -X POST "$base" -H "Content-Type: application/json" -d "{\"idType\":\"email\",\"value\":\"Ada@Example.com\"}" > /dev/null
  got=$(curl -sS --max-time 5 -f -u AC00000000000000000000000000000001:token "$base/email")
  echo "image: answered $got"
  [[ $got == "{\"idType\":\"email\",\"values\":[\"ada@example.com\"]}" ]]
  kill -TERM "$pid"
  wait "$pid"
' image-test "${entrypoint[@]}"
echo "image: ok"
