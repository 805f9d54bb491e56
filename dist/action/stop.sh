#!/usr/bin/env bash
# The stop action's step: SIGTERM to the mock the start step ran (requests in
# flight finish, the verdict is printed and the reports written), SIGKILL
# after the timeout, then its log and its exit status. A non-zero status fails
# the step: with fail-on-violation that is how a request that broke the
# contract fails the job (mimeo exits 1; a report it cannot write, too).
set -euo pipefail

state="$RUNNER_TEMP/mimeo-serve"
if [[ ! -f $state/pid ]]; then
  echo "::error::mimeo: no mock was started in this job (no $state/pid)"
  exit 1
fi
pid=$(cat "$state/pid")
kill -TERM "$pid" 2> /dev/null || true
timeout=${MIMEO_TIMEOUT:-10}
for ((i = 0; i < timeout * 10; i++)); do
  [[ ! -f $state/status ]] || break
  sleep 0.1
done
if [[ ! -f $state/status ]]; then
  echo "::warning::mimeo: still running ${timeout}s after SIGTERM; killing it"
  kill -KILL "$pid" 2> /dev/null || true
  for _ in $(seq 50); do [[ ! -f $state/status ]] || break; sleep 0.1; done
fi
status=$(cat "$state/status" 2> /dev/null || echo unknown)

echo "::group::mimeo log"
cat "$state/log"
echo "::endgroup::"
echo "exit-status=$status" >> "$GITHUB_OUTPUT"
if [[ $status != 0 ]]; then
  echo "::error::mimeo serve exited with status $status"
  exit 1
fi
echo "mimeo: stopped"
