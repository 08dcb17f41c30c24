#!/usr/bin/env bash
# Herald against the Node.js socket.io reference, side by side in one run (DESIGN 6):
# builds herald and herald-bench, starts each server in turn pinned to core 0, drives it
# from core 1 with herald-bench (connect, targeted, broadcast, burst, churn), and writes
# bench/results/<date>-<host>.md and .json with the machine, the versions, every figure
# of both servers and the ratio Herald / reference.
#
#   bench/run.sh [--connections N] [--quick] [--only herald|reference] [--runs K]
#                [--herald-bin PATH] [--build-dir DIR] [--no-build] [--out-dir DIR]
#
# --quick is for CI: 200 connections, seconds per scenario, one run; no timing assertions.
# Herald scenarios that need POST /api/v1/notifications are recorded as "n/a (API not
# available)" when Herald answers 404 there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONNECTIONS=19000
QUICK=0
ONLY=both
RUNS=""
HERALD_BIN=""
BUILD_DIR="$ROOT/build-bench"
BUILD=1
OUT_DIR="$ROOT/bench/results"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
  --connections) CONNECTIONS=$2; shift 2 ;;
  --connections=*) CONNECTIONS=${1#*=}; shift ;;
  --quick) QUICK=1; shift ;;
  --only) ONLY=$2; shift 2 ;;
  --only=*) ONLY=${1#*=}; shift ;;
  --runs) RUNS=$2; shift 2 ;;
  --herald-bin) HERALD_BIN=$2; shift 2 ;;
  --build-dir) BUILD_DIR=$2; shift 2 ;;
  --no-build) BUILD=0; shift ;;
  --out-dir) OUT_DIR=$2; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  *) echo "run.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$ONLY" in herald | reference | both) ;; *) echo "run.sh: --only herald|reference" >&2; exit 2 ;; esac
# The servers start in other directories: paths given relative to here must still work.
BUILD_DIR=$(realpath -m "$BUILD_DIR")
OUT_DIR=$(realpath -m "$OUT_DIR")
[[ -n $HERALD_BIN ]] && HERALD_BIN=$(realpath -m "$HERALD_BIN")

# Sizes. The idle hold covers one whole heartbeat cycle (pingInterval 25 s on both
# servers), so idle CPU includes the pings.
if [[ $QUICK == 1 ]]; then
  CONNECTIONS=200 HOLD=2 RATE=200 NOTIFY_SECONDS=2 REPEAT=1 BURST=3 DRAIN=5 RUNS=${RUNS:-1} PACED=50 PACED_RATE=500
else
  HOLD=27 RATE=1000 NOTIFY_SECONDS=10 REPEAT=3 BURST=10 DRAIN=20 RUNS=${RUNS:-3}
  # The last quarter of the ramp (at most 5,000) starts at 10,000/s, the handshake budget's rate.
  PACED=$((CONNECTIONS / 4 < 5000 ? CONNECTIONS / 4 : 5000)) PACED_RATE=10000
fi
if ((CONNECTIONS > 19000)); then
  echo "run.sh: at most 19000 connections: each server process may open 20,000 files here" >&2
  exit 2
fi

log() { printf '[run.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# --- build --------------------------------------------------------------------------
BENCH_BIN="$BUILD_DIR/bench/herald-bench"
if [[ $BUILD == 1 ]]; then
  targets=(herald-bench)
  [[ -z $HERALD_BIN && $ONLY != reference ]] && targets+=(herald)
  log "building ${targets[*]} in $BUILD_DIR"
  cmake -S "$ROOT" -B "$BUILD_DIR" -DHERALD_TESTS=OFF >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}" >/dev/null
fi
HERALD_BIN=${HERALD_BIN:-$BUILD_DIR/src/cli/herald}
[[ -x $BENCH_BIN ]] || { echo "run.sh: $BENCH_BIN is missing" >&2; exit 1; }
if [[ $ONLY != reference && ! -x $HERALD_BIN ]]; then
  echo "run.sh: $HERALD_BIN is missing" >&2
  exit 1
fi
if [[ $ONLY != herald && ! -d $ROOT/bench/reference/node_modules/socket.io ]]; then
  log "installing the reference's packages (npm ci)"
  (cd "$ROOT/bench/reference" && npm ci --no-audit --no-fund >/dev/null)
fi

WORK=$(mktemp -d -t herald-bench.XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

SECRET="bench-secret-$RANDOM$RANDOM$RANDOM"

# Waits (at most 30 s) for the server to write its port file; prints the port.
wait_port() {
  local file=$1 pid=$2
  for _ in $(seq 300); do
    if [[ -s $file ]]; then cat "$file"; return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

stop_server() {
  local pid=$SERVER_PID
  SERVER_PID=""
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run_one NAME RUN: starts server NAME, runs every scenario against it, stops it.
run_one() {
  local name=$1 run=$2 dir="$WORK/$1-$2" token port
  mkdir -p "$dir"
  if [[ $name == herald ]]; then
    # One event loop: the server gets one core (taskset -c 0), like the single-threaded
    # reference; more loops on one core would only add switches.
    (cd "$dir" && exec taskset -c 0 "$HERALD_BIN" serve --server.listen=127.0.0.1:0 --port-file "$dir/port" \
      --auth.jwt_secret="$SECRET" --server.threads=1 --log.level=warn >"$dir/server.log" 2>&1) &
    SERVER_PID=$!
    token=$(cd "$dir" && "$HERALD_BIN" token --user bench --role service --ttl 2h --auth.jwt_secret="$SECRET")
  else
    # PER_RECIPIENT=1: each recipient's payload carries its own recipient_id, as SPEC 3 asks
    # and as Herald does, so that both servers do the same job (set 0 to see the cheaper,
    # non-conforming single room emit).
    (cd "$ROOT/bench/reference" && PORT=0 PORT_FILE="$dir/port" JWT_SECRET="$SECRET" \
      PER_RECIPIENT="${PER_RECIPIENT:-1}" exec taskset -c 0 node server.js >"$dir/server.log" 2>&1) &
    SERVER_PID=$!
    token=$(cd "$ROOT/bench/reference" && JWT_SECRET="$SECRET" node -e \
      "process.stdout.write(require('jsonwebtoken').sign({sub:'bench',roles:['service']},process.env.JWT_SECRET,{expiresIn:'2h'}))")
  fi
  if ! port=$(wait_port "$dir/port" "$SERVER_PID"); then
    echo "run.sh: $name did not start:" >&2
    cat "$dir/server.log" >&2
    exit 1
  fi
  sleep 1 # let the runtime settle before the first RSS sample
  log "$name run $run: pid $SERVER_PID port $port, $CONNECTIONS connections"
  local rc=0
  taskset -c 1 "$BENCH_BIN" connect targeted broadcast burst churn --port "$port" --secret "$SECRET" \
    --connections "$CONNECTIONS" --paced "$PACED" --paced-rate "$PACED_RATE" --hold "$HOLD" \
    --server-pid "$SERVER_PID" --producer-token "$token" \
    --notify-rate "$RATE" --notify-seconds "$NOTIFY_SECONDS" --broadcast-repeat "$REPEAT" --burst "$BURST" \
    --drain "$DRAIN" --label "$name" --out "$WORK/$name-$run.json" || rc=$?
  stop_server
  if [[ $rc != 0 ]]; then
    log "$name run $run: herald-bench exited $rc (loss, duplicates or failed connections: see the result file)"
    FAILED=1
    [[ -s $WORK/$name-$run.json ]] || echo '{"ok":false,"error":"herald-bench failed"}' >"$WORK/$name-$run.json"
  fi
}

FAILED=0
servers=()
[[ $ONLY != reference ]] && servers+=(herald)
[[ $ONLY != herald ]] && servers+=(reference)
for run in $(seq "$RUNS"); do
  for s in "${servers[@]}"; do run_one "$s" "$run"; done
done

# --- report -------------------------------------------------------------------------
mkdir -p "$OUT_DIR"
STAMP="$(date +%Y-%m-%d)-$(hostname -s)"
[[ $QUICK == 1 ]] && STAMP="$STAMP-quick"
export WORK OUT_DIR STAMP RUNS CONNECTIONS QUICK RATE NOTIFY_SECONDS HOLD BURST REPEAT PACED PACED_RATE
export M_NPROC="$(nproc)"
export M_CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
export M_KERNEL="$(uname -sr)"
export M_MEM="$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
export V_GXX="$(g++ --version | head -1)"
export V_NODE="$(node --version)"
export V_SIO="$(node -p "require('$ROOT/bench/reference/node_modules/socket.io/package.json').version" 2>/dev/null || echo unknown)"
# BENCH_HERALD_VERSION names a binary given with --herald-bin (built elsewhere) in the report.
export V_HERALD="${BENCH_HERALD_VERSION:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo '+local changes')}"
export SERVERS="${servers[*]}"
node - <<'REPORT'
// Medians over the runs of every figure, the ratio Herald / reference, DESIGN 6 budgets.
const fs = require('node:fs');
const env = process.env;
const servers = env.SERVERS.split(' ').filter(Boolean);
const runs = Number(env.RUNS);
const raw = {};
for (const s of servers) {
  raw[s] = [];
  for (let r = 1; r <= runs; r++) {
    try { raw[s].push(JSON.parse(fs.readFileSync(`${env.WORK}/${s}-${r}.json`, 'utf8'))); }
    catch { raw[s].push({ ok: false, error: 'no result' }); }
  }
}
// [label, path, unit, DESIGN 6 budget for Herald: [op, limit] or null]
const figures = [
  ['connections ready', 'connect.ready', '', null],
  ['handshakes per second (TCP connect to authenticated), 256 in flight', 'connect.handshakes_per_s', '/s', ['>=', 10000]],
  ['handshake latency p50, 256 in flight', 'connect.handshake_latency.p50_ms', 'ms', null],
  ['handshake latency p99, 256 in flight', 'connect.handshake_latency.p99_ms', 'ms', null],
  ['handshakes at a fixed offered rate: achieved per second', 'connect.paced.achieved_per_s', '/s', null],
  ['handshake latency p50 at that rate (from the scheduled start)', 'connect.paced.handshake_latency.p50_ms', 'ms', null],
  ['handshake latency p99 at that rate (from the scheduled start)', 'connect.paced.handshake_latency.p99_ms', 'ms', ['<=', 5]],
  ['server RSS before the ramp', 'connect.server_rss_before', 'B', null],
  ['server RSS after the idle hold', 'connect.server_rss_after_hold', 'B', null],
  ['server memory per idle connection (RSS delta / N)', 'connect.server_bytes_per_connection', 'B', ['<=', 1000]],
  ['server memory per added connection (the paced ones: RSS delta / their number)', 'connect.server_bytes_per_added_connection', 'B', null],
  ['server CPU while idle (one heartbeat cycle)', 'connect.server_cpu_pct_idle', '%', null],
  ['targeted: achieved rate', 'targeted.achieved_rate', '/s', null],
  ['targeted: API call to receipt p50', 'targeted.delivery_latency.p50_ms', 'ms', null],
  ['targeted: API call to receipt p90', 'targeted.delivery_latency.p90_ms', 'ms', null],
  ['targeted: API call to receipt p99', 'targeted.delivery_latency.p99_ms', 'ms', ['<=', 3]],
  ['targeted: API call to receipt p99.9', 'targeted.delivery_latency.p999_ms', 'ms', null],
  ['targeted: API call to receipt max', 'targeted.delivery_latency.max_ms', 'ms', null],
  ['targeted: API answer p99', 'targeted.api_call_latency.p99_ms', 'ms', null],
  ['targeted: lost', 'targeted.verdict.missing', '', ['<=', 0]],
  ['targeted: duplicated', 'targeted.verdict.duplicates', '', ['<=', 0]],
  ['broadcast: delivered messages per second (median of repetitions)', 'broadcast.median_delivered_per_s', '/s', ['>=', 60000]],
  ['broadcast: last recipient after (median)', 'broadcast.median_last_recipient_ms', 'ms', null],
  ['burst: delivered messages per second', 'burst.delivered_per_s', '/s', ['>=', 500000]],
  ['burst: delivery latency p99', 'burst.delivery_latency.p99_ms', 'ms', null],
  ['burst: recipient records stored per second (to the last API answer)', 'burst.records_stored_per_s', '/s', ['>=', 50000]],
  ['burst: lost', 'burst.verdict.missing', '', ['<=', 0]],
  ['churn: time to reconnect everyone', 'churn.recovery_seconds', 's', null],
  ['churn: reconnects per second', 'churn.reconnects_per_s', '/s', null],
  ['churn: broadcast after, lost', 'churn.broadcast_after.verdict.missing', '', ['<=', 0]],
  ['generator CPU, whole run (% of one core)', 'generator.cpu_pct_of_one_core', '%', null],
  ['generator CPU during the ramp (% of one core)', 'connect.generator_cpu_pct_ramp', '%', null],
];
const get = (o, path) => path.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), o);
const scenarioOf = (path) => path.split('.')[0];
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : undefined;
};
const value = (s, path) => {
  const missing = raw[s].every((r) => get(r, `${scenarioOf(path)}.available`) === false);
  if (missing) return { na: 'n/a (API not available)' };
  const m = median(raw[s].map((r) => get(r, path)));
  return m === undefined ? { na: 'n/a' } : { v: m };
};
const fmt = (x, unit) => {
  if (x.na) return x.na;
  const v = x.v;
  if (unit === 'B') return v >= 1048576 ? `${(v / 1048576).toFixed(1)} MiB` : `${Math.round(v)} B`;
  const n = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 1000) / 1000);
  return unit && unit !== '' ? `${n} ${unit}` : n;
};
const summary = {};
const rows = [];
for (const [label, path, unit, budget] of figures) {
  const h = servers.includes('herald') ? value('herald', path) : { na: '-' };
  const r = servers.includes('reference') ? value('reference', path) : { na: '-' };
  const ratio = h.v !== undefined && r.v !== undefined && r.v !== 0 ? h.v / r.v : undefined;
  let verdict = '';
  if (budget && h.v !== undefined) {
    const ok = budget[0] === '>=' ? h.v >= budget[1] : h.v <= budget[1];
    verdict = `${budget[0]} ${budget[1]}${unit === 'B' ? ' B' : unit === 'ms' ? ' ms' : unit === '/s' ? '/s' : ''}: ${ok ? 'met' : 'MISSED'}`;
  } else if (budget) {
    verdict = `${budget[0]} ${budget[1]}: not measured`;
  }
  summary[path] = { label, unit, herald: h.v ?? h.na, reference: r.v ?? r.na, ratio, budget: verdict || null };
  rows.push(`| ${label} | ${fmt(h, unit)} | ${fmt(r, unit)} | ${ratio === undefined ? '' : ratio.toFixed(2)} | ${verdict} |`);
}
const meta = {
  date: new Date().toISOString(),
  machine: { nproc: Number(env.M_NPROC), cpu: env.M_CPU, kernel: env.M_KERNEL, memory: env.M_MEM },
  versions: { gxx: env.V_GXX, node: env.V_NODE, 'socket.io': env.V_SIO, herald: env.V_HERALD },
  config: {
    connections: Number(env.CONNECTIONS), runs, quick: env.QUICK === '1', hold_seconds: Number(env.HOLD),
    targeted_rate: Number(env.RATE), targeted_seconds: Number(env.NOTIFY_SECONDS), burst: Number(env.BURST),
    broadcast_repetitions: Number(env.REPEAT), server_cpu: 'taskset -c 0', generator_cpu: 'taskset -c 1',
    herald_threads: 1,
  },
};
fs.writeFileSync(`${env.OUT_DIR}/${env.STAMP}.json`, JSON.stringify({ ...meta, summary, runs: raw }, null, 2) + '\n');
const failures = servers.flatMap((s) => raw[s].map((r, i) => (r.ok === false ? `${s} run ${i + 1}` : null))).filter(Boolean);
const md = `# Herald vs the Node.js socket.io reference: ${env.STAMP}

Produced by \`bench/run.sh${env.QUICK === '1' ? ' --quick' : ''}\` (${runs} run(s) per server, alternating;
each figure is the median over the runs). Server pinned to core 0, herald-bench to core 1,
both servers on 127.0.0.1, clients from 127.0.0.2 and up (1,000 per address). Herald runs one event loop
(\`--server.threads=1\`) with its SQLite store in a temporary directory; the reference keeps
notifications in memory.

## Machine and versions

| | |
|---|---|
| cores (nproc) | ${meta.machine.nproc} |
| CPU | ${meta.machine.cpu} |
| kernel | ${meta.machine.kernel} |
| memory | ${meta.machine.memory} |
| g++ | ${meta.versions.gxx} |
| node | ${meta.versions.node} |
| socket.io | ${meta.versions['socket.io']} |
| herald | ${meta.versions.herald} |

## Scenarios

${env.CONNECTIONS} connections, each user \`u<N>\` in department \`d<N % 10>\`.
- connect: ramp as fast as 256 handshakes in flight allow (capacity; latency there is queueing,
  256 / rate), then the last ${env.PACED} connections at ${env.PACED_RATE} handshakes/s offered, open loop,
  latency counted from each one's scheduled start (the budget's p99); hold idle ${env.HOLD} s (27 s covers one
  25 s heartbeat cycle); memory per connection = (VmRSS after the hold - VmRSS before the ramp) / N.
- targeted: ${env.RATE} notifications/s for ${env.NOTIFY_SECONDS} s, each to one user, through
  \`POST /api/v1/notifications\` (${Math.max(4, Number(env.BURST))} keep-alive connections, one request in flight on each); latency from the scheduled API call to receipt.
- broadcast: one \`targets: {broadcast: true}\` notification, ${env.REPEAT} repetition(s); messages/s = N / time to the last recipient.
- burst: ${env.BURST} broadcasts posted at once (one API connection each); messages/s = delivered / time to the last receipt; records
  stored/s = recipient records / time to the last API answer (each answer follows its commit), while
  the server delivers. herald-bench acknowledges nothing, so no receipts are stored meanwhile.
- churn: every client drops and reconnects; then one broadcast must reach everyone exactly once.

## Figures

| figure | Herald | reference | Herald / reference | DESIGN 6 budget (Herald) |
|---|---|---|---|---|
${rows.join('\n')}

${failures.length ? `**Runs that reported loss, duplicates or missing connections:** ${failures.join(', ')}.` : 'No run lost or duplicated a notification.'}
Raw per-run results, including every histogram, are in \`${env.STAMP}.json\`.
`;
fs.writeFileSync(`${env.OUT_DIR}/${env.STAMP}.md`, md);
REPORT
log "wrote $OUT_DIR/$STAMP.md and .json"
exit $FAILED
