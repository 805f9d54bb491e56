#!/usr/bin/env bash
# Builds the binary that every channel ships (npm, the wheel, the image, the
# action, the release archive): `cargo build --profile dist` (LTO, one codegen
# unit, stripped; see Cargo.toml), statically linked on Linux, then packed as
# dist/out/mimeo-VERSION-TARGET.tar.gz (.zip on Windows) with its SHA-256.
#
#   bash dist/build.sh                      # x86_64-unknown-linux-gnu, static
#   TARGET=aarch64-apple-darwin bash dist/build.sh
#
# Only x86_64-unknown-linux-gnu is built and tested here; the other targets are
# the same command on a machine of that kind (see README, "Building the
# release binary").
set -euo pipefail
cd "$(dirname "$0")/.."

target=${TARGET:-x86_64-unknown-linux-gnu}
out=${OUT:-dist/out}
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)

# The flags go in the per-target variable and the build names its --target, so
# they reach only the shipped binary: build scripts and proc macros run on the
# host and must stay dynamic, and ordinary `cargo build` is left alone.
var="CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_RUSTFLAGS"
case "$target" in
  *-linux-gnu)
    # glibc linked in: runs on any distribution, on musl ones and FROM scratch.
    # relocation-model=static: a plain static executable rather than static-pie
    # (smaller, and `ldd` says "not a dynamic executable"; the cost is no
    # address randomization of mimeo's own code, acceptable for a test mock).
    # getrandom through the syscall: a static binary cannot look up glibc's
    # getrandom() with dlsym, and the crate's fallback, /dev/urandom, is
    # missing in a bare chroot or a FROM scratch root without /dev.
    export "$var=${!var:-} -C target-feature=+crt-static -C relocation-model=static --cfg getrandom_backend=\"linux_getrandom\"" ;;
  *-windows-msvc)
    # The MSVC runtime linked in: no Visual C++ redistributable needed.
    export "$var=${!var:-} -C target-feature=+crt-static" ;;
  *-apple-darwin)
    # macOS has no static libc; libSystem is on every Mac, nothing else is linked.
    ;;
esac

cargo build --locked --profile dist --target "$target" --bin mimeo

exe=mimeo
case "$target" in *-windows-*) exe=mimeo.exe ;; esac
bin="target/$target/dist/$exe"
mkdir -p "$out"
name="mimeo-$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$bin" "$stage/$exe"
cp README.md "$stage/"
case "$target" in
  *-windows-*)
    (cd "$stage" && rm -f "$OLDPWD/$out/$name.zip" && zip -q "$OLDPWD/$out/$name.zip" "$exe" README.md)
    archive="$out/$name.zip" ;;
  *)
    # Fixed owner and order, so the same binary gives the same archive.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
      -C "$stage" -czf "$out/$name.tar.gz" "$exe" README.md
    archive="$out/$name.tar.gz" ;;
esac
(cd "$(dirname "$archive")" && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")
echo "dist: $bin ($(stat -c %s "$bin") bytes)"
echo "dist: $archive"
