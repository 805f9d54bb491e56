#!/usr/bin/env bash
# Memory and time under hostile input (issue 13): what one mimeo binary holds and
# takes against an endless answer, concurrent large answers, schema-breaking
# answers, a schema asking for gigabytes of fresh data, and large documents.
# Prints a Markdown table; see benches/RESULTS.md ("Hostile input").
#
#   bash benches/hostile.sh [BIN]     # BIN: built here with the dist profile by default
#
# Needs python3 (and PyYAML for the YAML copy of GitHub's description), and
# @octokit/openapi in benches/.node (benches/compare.sh installs it). Every run
# is bounded: a process past KILL_MB of memory is killed and reported so.
set -euo pipefail
cd "$(dirname "$0")/.."
# By default the binary users run (the dist profile, as benches/compare.sh
# builds it), built now so that a stale one is never measured.
if [ $# -ge 1 ]; then
  BIN=$1
else
  cargo build --locked --profile dist --bin mimeo >&2
  BIN=${CARGO_TARGET_DIR:-target}/dist/mimeo
fi
if [ ! -x "$BIN" ]; then
  echo "hostile.sh: no mimeo binary at $BIN; pass one (bash benches/hostile.sh PATH) or run without an argument to build it" >&2
  exit 2
fi
KILL_MB=${KILL_MB:-3000}
H=benches/hostile
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=${PORT:-14200}
DOCS=benches/.node/node_modules/@octokit/openapi/generated
S=mem_store_00000000000000000000000000
P=mem_profile_00000000000000000000000000

# peak KILL CMD...: runs CMD; its peak RSS (MB), wall time (ms), and whether it was killed.
peak() {
  "$@" > "$WORK/out" 2> "$WORK/err" &
  local pid=$! max=0 kb start end note=""
  start=$(date +%s%N)
  while kill -0 $pid 2>/dev/null; do
    kb=$(awk '/VmHWM/{print $2}' /proc/$pid/status 2>/dev/null || echo 0)
    [ -n "$kb" ] && [ "$kb" -gt "$max" ] && max=$kb
    if [ $((max / 1024)) -gt "$KILL_MB" ]; then kill -9 $pid; note=" (killed past $KILL_MB MB)"; break; fi
    sleep 0.05
  done
  wait $pid 2>/dev/null || true
  end=$(date +%s%N)
  echo "$((max / 1024)) MB, $(( (end - start) / 1000000 )) ms$note"
}

# proxied N QUERY [flags]: N concurrent answers through a proxy; its peak RSS.
proxied() {
  local n=$1 query=$2; shift 2
  "$BIN" proxy --target "http://127.0.0.1:$PORT" --port $((PORT + 1)) "$@" > "$WORK/proxy.out" 2> "$WORK/proxy.err" &
  local pid=$! max=0 kb note=""
  for _ in $(seq 1 100); do grep -q listening "$WORK/proxy.out" && break; sleep 0.1; done
  python3 $H/clients.py "http://127.0.0.1:$((PORT + 1))/v1/Stores/$S/Profiles/$P/Identifiers/email?$query" "$n" > "$WORK/clients" &
  local clients=$!
  while kill -0 $clients 2>/dev/null; do
    kb=$(awk '/VmHWM/{print $2}' /proc/$pid/status 2>/dev/null || echo 0)
    [ -n "$kb" ] && [ "$kb" -gt "$max" ] && max=$kb
    if [ $((max / 1024)) -gt "$KILL_MB" ]; then kill -9 $pid; note=" (killed past $KILL_MB MB)"; break; fi
    sleep 0.05
  done
  wait $clients 2>/dev/null || true
  # What an idle proxy still holds a second after the burst (the allocator
  # hands freed memory back on its own schedule: see src/main.rs).
  sleep 1
  local idle
  idle=$(awk '/VmRSS/{print int($2 / 1024)}' /proc/$pid/status 2>/dev/null || echo "?")
  kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  local line
  line=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$WORK/proxy.err")
  echo "$((max / 1024)) MB$note, $idle MB idle 1 s later; $(cat "$WORK/clients"); longest log line $line bytes"
}

# steady N: 16 connections asking for answers of N values for 5 s through the
# proxy (wrk): its rate, page faults a request, peak and idle RSS. Answers of
# tens to hundreds of KB are where an allocator that hands memory back at
# once pays a fault for every page of every body it checks.
steady() {
  local n=$1 url pid f0 f1 out
  command -v wrk > /dev/null || { echo "not measured (no wrk)"; return 0; }
  "$BIN" proxy --target "http://127.0.0.1:$PORT" --port $((PORT + 1)) --quiet > "$WORK/proxy.out" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do grep -q listening "$WORK/proxy.out" && break; sleep 0.1; done
  url="http://127.0.0.1:$((PORT + 1))/v1/Stores/$S/Profiles/$P/Identifiers/email?n=$n&kind=good"
  wrk -t1 -c16 -d1s "$url" > /dev/null 2>&1 || true
  f0=$(awk '{print $10}' /proc/$pid/stat 2>/dev/null || echo 0)
  out=$(wrk -t1 -c16 -d5s "$url" 2>&1 || true)
  f1=$(awk '{print $10}' /proc/$pid/stat 2>/dev/null || echo 0)
  local requests rate peak idle
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  rate=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  peak=$(awk '/VmHWM/{print int($2 / 1024)}' /proc/$pid/status 2>/dev/null || echo "?")
  sleep 1
  idle=$(awk '/VmRSS/{print int($2 / 1024)}' /proc/$pid/status 2>/dev/null || echo "?")
  kill -INT $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
  echo "${rate:-?} req/s, $(awk -v a="$f0" -v b="$f1" -v n="${requests:-0}" 'BEGIN{printf (n > 0 ? "%.1f" : "?"), (b - a) / (n > 0 ? n : 1)}') page faults a request; peak $peak MB, $idle MB idle 1 s later"
}

python3 $H/target.py $PORT &
sleep 1
cat > "$WORK/endless.yaml" <<YAML
name: endless
steps:
  - request: {method: GET, path: /endless}
    outside_contract: true
YAML
cat > "$WORK/wrong.yaml" <<YAML
name: wrong
steps:
  - request:
      method: GET
      path: /v1/Stores/$S/Profiles/$P/Identifiers/email
      query: {n: "7000000", kind: wrong}
    expect: {status: 200}
YAML
cat > "$WORK/big.yaml" <<'YAML'
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /big:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: array
                minItems: 1000
                items: {type: array, minItems: 1000, items: {type: string, minLength: 4000}}
YAML

echo "| measure | $("$BIN" --version) |"
echo "|---|---|"
echo "| replay, one endless chunked answer (peak RSS, wall time) | $(peak "$BIN" replay "$WORK/endless.yaml" --target "http://127.0.0.1:$PORT" --snapshots "$WORK/s") |"
echo "| replay, one 14 MB answer with 7M schema violations | $(peak "$BIN" replay "$WORK/wrong.yaml" --target "http://127.0.0.1:$PORT" --snapshots "$WORK/s") |"
echo "| proxy, 96 concurrent 17 MB answers | $(proxied 96 'n=8500000&kind=wrong' --quiet) |"
echo "| proxy, 96 concurrent 8 MB schema-breaking answers | $(proxied 96 'n=4000000&kind=wrong' --quiet) |"
echo "| proxy, one 2 MB answer with 1M schema violations (logging) | $(proxied 1 'n=1000000&kind=wrong') |"
echo "| proxy, 48 concurrent 9 MB answers | $(proxied 48 'n=1000000&kind=good' --quiet) |"
for n in 5000 22000; do
  echo "| proxy, 16 connections asking for $((n * 9 / 1000)) KB answers for 5 s | $(steady $n) |"
done
"$BIN" serve --port $((PORT + 2)) --quiet --spec "$WORK/big.yaml" > "$WORK/serve.out" 2>&1 &
SERVE=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/serve.out" && break; sleep 0.1; done
DYN=$(python3 - "$((PORT + 2))" "$SERVE" <<'PY'
import sys, time, urllib.request
port, pid = sys.argv[1], sys.argv[2]
def cpu():
    f = open(f"/proc/{pid}/stat").read().split(); return (int(f[13]) + int(f[14])) / 100
c0, t = cpu(), time.monotonic()
body = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/big", headers={"Prefer": "dynamic=true"}), timeout=300).read()
hwm = [l for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0].split()[1]
print(f"{len(body)} bytes in {time.monotonic() - t:.2f} s, {cpu() - c0:.2f} s CPU, peak RSS {int(hwm) // 1024} MB")
PY
)
kill $SERVE 2>/dev/null || true
echo "| serve, one \`Prefer: dynamic=true\` answer of a schema asking for 4 GB | $DYN |"
if [ -d "$DOCS" ]; then
  for doc in api.github.com.json api.github.com.deref.json; do
    size=$(du -m "$DOCS/$doc" | cut -f1)
    echo "| serve, start-up on $doc ($size MB) | $(python3 $H/startmem.py 300 "$BIN" serve --quiet --port 0 --spec "$DOCS/$doc") |"
  done
  if python3 -c 'import yaml' 2>/dev/null; then
    python3 - "$DOCS/api.github.com.json" "$WORK/github.yaml" <<'PY'
import json, sys, yaml
class D(yaml.SafeDumper):
    def ignore_aliases(self, data): return True
open(sys.argv[2], "w").write(yaml.dump(json.load(open(sys.argv[1])), Dumper=D, sort_keys=False, allow_unicode=True, width=1000))
PY
    echo "| serve, start-up on the same as YAML ($(du -m "$WORK/github.yaml" | cut -f1) MB) | $(python3 $H/startmem.py 300 "$BIN" serve --quiet --port 0 --spec "$WORK/github.yaml") |"
  fi
fi
