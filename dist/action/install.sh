#!/usr/bin/env bash
# The action's install step: the mimeo executable to run, as output `binary`.
# The `binary` input is used as given; otherwise npm installs mimeo (the
# action's own version unless `version` says otherwise) into the runner's
# temporary directory, and the package says where its platform binary is.
set -euo pipefail

if [[ -n ${MIMEO_BINARY_INPUT:-} ]]; then
  if [[ ! -x $MIMEO_BINARY_INPUT ]]; then
    echo "::error::mimeo: the binary input '$MIMEO_BINARY_INPUT' is not an executable file"
    exit 1
  fi
  binary=$MIMEO_BINARY_INPUT
else
  if [[ -n ${MIMEO_NPM_PACKAGES:-} ]]; then
    read -ra packages <<< "$MIMEO_NPM_PACKAGES"
  else
    version=${MIMEO_VERSION:-$(sed -n 's/^version = "\(.*\)"$/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -n 1)}
    packages=("mimeo@$version")
  fi
  prefix="$RUNNER_TEMP/mimeo-npm"
  mkdir -p "$prefix"
  # A package.json of its own, so npm installs here, not into the job's project.
  [[ -f $prefix/package.json ]] || echo '{"private": true}' > "$prefix/package.json"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "${packages[@]}"
  binary=$(cd "$prefix" && node -e 'process.stdout.write(require("mimeo").binaryPath())')
fi
"$binary" --version
echo "binary=$binary" >> "$GITHUB_OUTPUT"
