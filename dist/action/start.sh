#!/usr/bin/env bash
# The action's start step: runs `mimeo serve` in the background for the rest
# of the job, waits for its --ready-file, and outputs `base-url` and `pid`.
# Inputs arrive as MIMEO_* variables (never pasted into the script). State
# for the stop step (pid, exit status, log) is kept in $RUNNER_TEMP/mimeo-serve.
set -euo pipefail

state="$RUNNER_TEMP/mimeo-serve"
fail() { echo "::error::mimeo: $*"; exit 1; }
if [[ -f $state/pid && ! -f $state/status ]]; then
  fail "a mock started by this action is already running in this job (pid $(cat "$state/pid"))"
fi
rm -rf "$state"
mkdir -p "$state"

args=(serve --port "${MIMEO_PORT:-0}" --host "${MIMEO_HOST:-127.0.0.1}" --ready-file "$state/ready")
[[ -z ${MIMEO_SPEC:-} ]] || args+=(--spec "$MIMEO_SPEC")
case "${MIMEO_STATEFUL:-false}" in
  true) args+=(--stateful) ;;
  false | "") ;;
  *) fail "stateful must be true or false, not '$MIMEO_STATEFUL'" ;;
esac
while IFS= read -r rule; do
  [[ -z ${rule//[[:space:]]/} ]] || args+=(--status "$rule")
done <<< "${MIMEO_RULES:-}"
[[ -z ${MIMEO_CONFIG:-} ]] || args+=(--config "$MIMEO_CONFIG")

# The verdict flags: an older mimeo (`version` or `binary` inputs) may lack
# them, and then the job stops here rather than run without the check.
help=$("$MIMEO" serve --help)
has_flag() { grep -Eq -e "(^|[[:space:]])$1([[:space:]]|=|\$)" <<< "$help"; }
need() { has_flag "$1" || fail "this mimeo ($("$MIMEO" --version)) has no 'serve $1'"; }
if [[ -n ${MIMEO_REPORT:-} ]]; then
  need --report
  args+=(--report "$MIMEO_REPORT")
fi
if [[ -n ${MIMEO_REPORT_JSON:-} ]]; then
  need --report-json
  args+=(--report-json "$MIMEO_REPORT_JSON")
fi
case "${MIMEO_FAIL_ON_VIOLATION:-false}" in
  true)
    need --fail-on-violation
    args+=(--fail-on-violation) ;;
  false | "") ;;
  *) fail "fail-on-violation must be true or false, not '$MIMEO_FAIL_ON_VIOLATION'" ;;
esac
if [[ -n ${MIMEO_ARGS:-} ]]; then
  read -ra extra <<< "$MIMEO_ARGS"
  args+=("${extra[@]}")
fi
echo "mimeo ${args[*]}"

# The stop step cannot `wait` for a process it did not start, so a wrapper
# records the exit status. All output goes to the log file: a background
# process holding the step's stdout would keep the step from ending.
(
  "$MIMEO" "${args[@]}" &
  echo $! > "$state/pid"
  code=0
  wait $! || code=$?
  echo "$code" > "$state/status"
) < /dev/null > "$state/log" 2>&1 &

timeout=${MIMEO_TIMEOUT:-30}
for ((i = 0; i < timeout * 10; i++)); do
  [[ ! -f $state/ready && ! -f $state/status ]] || break
  sleep 0.1
done
if [[ ! -f $state/ready ]]; then
  cat "$state/log"
  if [[ -f $state/status ]]; then
    fail "mimeo serve exited with status $(cat "$state/status") before listening"
  fi
  kill -KILL "$(cat "$state/pid")" 2> /dev/null || true
  fail "mimeo serve was not listening after ${timeout}s"
fi

url=$(cat "$state/ready")
pid=$(cat "$state/pid")
echo "mimeo: listening on $url (pid $pid)"
{
  echo "base-url=$url"
  echo "pid=$pid"
} >> "$GITHUB_OUTPUT"
echo "MIMEO_URL=$url" >> "$GITHUB_ENV"
