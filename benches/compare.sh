#!/usr/bin/env bash
# Benchmarks: mimeo against Stoplight Prism and against a bare hyper server (the
# ceiling), interleaved in one run, on spec/memory-v1.yaml and the request mix of
# benches/mix.lua. See the README's "Benchmarks" section.
#
#   bash benches/compare.sh            # full run: 5 rounds, 10 s per load run
#   QUICK=1 bash benches/compare.sh    # one short round, to try the script
#
# Settings (environment): ROUNDS, DURATION (s per load run), WARMUP (s),
# CONNECTIONS (32), COLD_RUNS (launches per server per round), SERVER_CPU (0),
# LOAD_CPU (1), RESULTS (benches/RESULTS.md; QUICK writes benches/.work/RESULTS.md),
# SKIP_PRISM=1, SKIP_BIGDOC=1, SKIP_CALLGRIND=1, CALLGRIND_DURATION (s, 10),
# PRISM_BIGDOC_TIMEOUT (s, 120), CLEAN_SHARE (0.85: see "Clean rounds" in the results),
# QUIET_WAIT (s, 60: how long each load run may wait for other work on the machine to stop).
#
# Installs what it needs when missing: wrk (Debian's package), Prism 5 and
# @octokit/openapi (npm, into benches/.node/, which git ignores).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

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
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
SKIP_PRISM=${SKIP_PRISM:-0}
SKIP_BIGDOC=${SKIP_BIGDOC:-0}
PRISM_BIGDOC_TIMEOUT=${PRISM_BIGDOC_TIMEOUT:-120}
CLEAN_SHARE=${CLEAN_SHARE:-0.85}
QUIET_WAIT=${QUIET_WAIT:-60}
PORT=${PORT:-4790}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET_DIR/release
WORK=$ROOT/benches/.work
NODE_DIR=$ROOT/benches/.node
PRISM_VERSION=5
OCTOKIT_VERSION=23
SPEC=spec/memory-v1.yaml
S=mem_store_00000000000000000000000000
P=mem_profile_00000000000000000000000000
FETCH=/v1/Stores/$S/Profiles/$P/Identifiers/email
AUTH='Authorization: Basic QUMxMjM6c2VjcmV0'

log() { printf '[compare] %s\n' "$*" >&2; }

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

# ---------------------------------------------------------------- build
log "building mimeo and the bare hyper server (release)"
cargo build --release --locked --bin mimeo --example bare_hyper >&2

rm -rf "$WORK"
mkdir -p "$WORK/logs"
TSV=$WORK/results.tsv
: > "$TSV"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$TSV"; }   # round server metric value

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
    *) log "unknown server $name"; return 1 ;;
  esac
}
SERVERS=(prism mimeo mimeo-quiet mimeo-stateful bare-hyper)
[ "$SKIP_PRISM" = 1 ] && SERVERS=(mimeo mimeo-quiet mimeo-stateful bare-hyper)

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
  local port=$1 pid=$2 i
  for i in $(seq 1 1200); do
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

load_run() {
  local round=$1 name=$2 port=$((PORT + 1)) mix=full script=benches/mix.lua
  [ "$name" = bare-hyper ] && mix=bare
  # The stateful mock gets its own mix: adds, reads, changes and removals over
  # 10,000 profiles in 100 sessions (benches/stateful.lua).
  [ "$name" = mimeo-stateful ] && script=benches/stateful.lua
  local logf=$WORK/logs/$name.log
  # shellcheck disable=SC2046
  taskset -c "$SERVER_CPU" $(server_cmd "$name" "$port") > "$logf" 2>&1 &
  local pid=$!
  if ! wait_port "$port" "$pid"; then
    log "$name did not start; see $logf"; tail -5 "$logf" >&2; record "$round" "$name" rps fail
    stop_pid "$pid"; return 0
  fi
  wait_quiet
  MIX=$mix taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s \
    -s "$script" "http://127.0.0.1:$port" > /dev/null
  local out line cpu0 cpu1 rss
  cpu0=$(cpu_ticks "$pid")
  out=$(MIX=$mix taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
    -s "$script" "http://127.0.0.1:$port")
  cpu1=$(cpu_ticks "$pid")
  line=$(grep '^MIX ' <<<"$out" || true)
  rss=$(hwm_kb "$pid")
  stop_pid "$pid"
  if [ -z "$line" ]; then log "$name: no result from wrk"; echo "$out" >&2; return 0; fi
  log "round $round $name: $(cut -c5- <<<"$line" | cut -d' ' -f3-9)"
  record "$round" "$name" rps "$(field "$line" rps)"
  record "$round" "$name" p50_ms "$(awk -v u="$(field "$line" p50_us)" 'BEGIN{printf "%.3f", u/1000}')"
  record "$round" "$name" p99_ms "$(awk -v u="$(field "$line" p99_us)" 'BEGIN{printf "%.3f", u/1000}')"
  record "$round" "$name" unexpected "$(field "$line" unexpected)"
  record "$round" "$name" errors "$(( $(field "$line" socket_errors) + $(field "$line" timeouts) ))"
  record "$round" "$name" rss_mb "$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')"
  record "$round" "$name" cpu_us_per_req "$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v n="$(field "$line" requests)" \
    'BEGIN{printf "%.2f", (n > 0 ? t / hz * 1e6 / n : 0)}')"
  # The share of its core the server used: in this closed loop a server that was
  # not disturbed (nor its load generator) keeps its core busy.
  record "$round" "$name" core_share "$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" \
    -v us="$(field "$line" duration_us)" 'BEGIN{printf "%.3f", (us > 0 ? t / hz / (us / 1e6) : 0)}')"
  record "$round" "$name" statuses "$(field "$line" statuses)"
  rm -f "$logf"
}

# coldstart.py output -> records
cold_run() {
  local round=$1 name=$2 metric=$3 runs=$4 timeout=$5 path=$6; shift 6
  local port=$((PORT + 2)) out l
  # shellcheck disable=SC2046
  out=$(python3 benches/coldstart.py --port "$port" --path "$path" --header "$AUTH" \
    --runs "$runs" --timeout "$timeout" -- taskset -c "$SERVER_CPU" $("$@" "$port"))
  while read -r l; do
    if grep -q failed= <<<"$l"; then
      log "round $round $name $metric: $l"
      record "$round" "$name" "$metric" "fail:$(field "$l" failed)"
    else
      record "$round" "$name" "${metric}_ms" "$(field "$l" ms)"
      record "$round" "$name" "${metric}_rss_mb" "$(awk -v k="$(field "$l" hwm_kb)" 'BEGIN{printf "%.1f", k/1024}')"
    fi
  done <<<"$out"
}
bigdoc_cmd() {
  case $1 in
    prism) echo node "$PRISM_JS" mock -h 127.0.0.1 -p "$2" "$BIGDOC" ;;
    mimeo) echo "$BIN/mimeo" serve --quiet --spec "$BIGDOC" --port "$2" ;;
  esac
}

# ---------------------------------------------------------------- rounds
START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
GIT_DESC="$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
git diff --quiet HEAD -- . ':!benches/RESULTS.md' 2>/dev/null || GIT_DESC="$GIT_DESC with uncommitted changes"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
PRISM_BIGDOC=1
for round in $(seq 1 "$ROUNDS"); do
  log "round $round of $ROUNDS"
  for name in "${SERVERS[@]}"; do load_run "$round" "$name"; done
  for name in "${SERVERS[@]}"; do
    case $name in mimeo-quiet|mimeo-stateful) continue ;; esac   # same start-up as mimeo
    cold_run "$round" "$name" cold "$COLD_RUNS" 60 "$FETCH" server_cmd "$name"
  done
  if [ "$SKIP_BIGDOC" != 1 ]; then
    cold_run "$round" mimeo bigdoc 1 60 / bigdoc_cmd mimeo
    if [ "$SKIP_PRISM" != 1 ] && [ "$PRISM_BIGDOC" = 1 ]; then
      cold_run "$round" prism bigdoc 1 "$PRISM_BIGDOC_TIMEOUT" / bigdoc_cmd prism
      # One failure is enough to know; do not spend the timeout every round.
      grep -qP "^$round\tprism\tbigdoc\tfail" "$TSV" && PRISM_BIGDOC=0
    fi
  fi
done

# ---------------------------------------------------------------- instructions
# Instructions per request under callgrind: counted, not timed, so the same on a
# busy machine (valgrind counts user-space instructions; system calls are not in it).
ir_total() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }
callgrind_run() {
  local name=$1 mix=$2; shift 2
  local port=$((PORT + 3)) out=$WORK/callgrind.$name pid requests=0 line
  for phase in start load; do
    # shellcheck disable=SC2046
    taskset -c "$SERVER_CPU" valgrind --tool=callgrind --callgrind-out-file="$out.$phase" \
      $("$@" "$port") > "$WORK/logs/callgrind.$name.log" 2>&1 &
    pid=$!
    if ! wait_port "$port" "$pid"; then log "$name under callgrind did not start"; stop_pid "$pid"; return 0; fi
    if [ "$phase" = load ]; then
      line=$(MIX=$mix taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${CALLGRIND_DURATION}s" --timeout 30s \
        -s benches/mix.lua "http://127.0.0.1:$port" | grep '^MIX ' || true)
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
  callgrind_run mimeo full server_cmd mimeo
  callgrind_run mimeo-quiet full server_cmd mimeo-quiet
  callgrind_run bare-hyper bare server_cmd bare-hyper
fi

# ---------------------------------------------------------------- replay
REPLAY_NOTE=""
if "$BIN/mimeo" replay --help >/dev/null 2>&1; then
  for round in $(seq 1 "$ROUNDS"); do
    t0=$(date +%s%N)
    set +e
    taskset -c "$SERVER_CPU" "$BIN/mimeo" replay --json "$WORK/replay.json" > "$WORK/logs/replay.log" 2>&1
    rc=$?
    set -e
    t1=$(date +%s%N)
    steps=$(python3 benches/report.py steps "$WORK/replay.json" 2>/dev/null || echo 0)
    ms=$(( (t1 - t0) / 1000000 ))
    log "round $round replay: exit $rc, $steps steps in $ms ms"
    if [ "$steps" -gt 0 ] && [ "$ms" -gt 0 ]; then
      record "$round" mimeo replay_steps_per_s "$(awk -v s="$steps" -v m="$ms" 'BEGIN{printf "%.0f", s*1000/m}')"
      record "$round" mimeo replay_steps "$steps"
    else
      record "$round" mimeo replay_steps_per_s "fail:exit-$rc"
    fi
  done
else
  REPLAY_NOTE="\`mimeo replay\` is not in this build: replay throughput was skipped."
  log "$REPLAY_NOTE"
fi

# ---------------------------------------------------------------- report
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
CMD="bash benches/compare.sh"
[ "$QUICK" = 1 ] && CMD="QUICK=1 $CMD"
CLEAN_SHARE=$CLEAN_SHARE python3 benches/report.py table "$TSV" > "$WORK/table.md"
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
  echo "mimeo $GIT_DESC, $(rustc --version)"
  echo "Prism $PRISM_FOUND (node $(node --version)), @octokit/openapi $OCTOKIT_FOUND, $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
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
  echo "- **Logging**: \`mimeo\` logs one line per request and Prism logs at its default level (info),"
  echo "  both into a file: that is the headline comparison. \`mimeo-quiet\` is \`mimeo serve --quiet\`."
  echo "- **Server CPU per request**: user + system CPU time the server used during the load run, divided"
  echo "  by the requests it answered. Unlike requests per second it hardly moves when other work shares the"
  echo "  machine, so its ratios are the ones to trust on a busy machine."
  echo "- **Instructions per request**: user-space instructions counted by \`valgrind --tool=callgrind\`"
  echo "  over a ${CALLGRIND_DURATION}s run of the same mix (start-up subtracted; once, not per round). A count,"
  echo "  not a time: it does not move with the machine's load, but it leaves out the kernel's share"
  echo "  (socket reads and writes), which is the same for every Rust server here."
  echo "- **Clean rounds**: in this closed loop (wrk waits for each answer) an undisturbed server keeps"
  echo "  its core busy; when other work takes the server's core or the load generator's, the server idles."
  echo "  A round is clean when every server used at least ${CLEAN_SHARE} of its core during its load run;"
  echo "  the load rows (throughput, latency, CPU per request, RSS) are medians over clean rounds when"
  echo "  there are any, else over all rounds."
  echo "- **Peak RSS under load**: VmHWM of the server process (and children) after warm-up and load."
  echo "- **Cold start**: launch to first 2xx of GET FetchProfileIdentifier (\`benches/coldstart.py\`,"
  echo "  polling every 0.5 ms); mimeo uses its embedded contract, which is \`$SPEC\`."
  echo "- **Large document**: \`@octokit/openapi\` \`api.github.com.json\` (GitHub's REST API,"
  echo "  $(du -m "$BIGDOC" | cut -f1) MB): launch to first 2xx of \`GET /\`, and VmHWM at that point."
  echo "- **Replay**: \`mimeo replay --json FILE\` (shipped suite, in-process mock), steps / wall-clock time."
  [ -n "$REPLAY_NOTE" ] && { echo; echo "$REPLAY_NOTE"; }
  # The hostile-input measurements (benches/hostile.sh) are not rerun here: the
  # section already in the file is kept as it is.
  if [ -f "$RESULTS" ] && grep -q '^## Hostile input' "$RESULTS"; then
    echo
    sed -n '/^## Hostile input/,$p' "$RESULTS"
  fi
} > "$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS"
cat "$WORK/table.md"
log "results: $RESULTS (raw samples: $TSV)"
