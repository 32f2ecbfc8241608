#!/usr/bin/env bash
# Soak: one server under a paced mix of reads and writes for an hour (issue 15), on the load benchmark's data set
# (1M items, 100k users, 10M generated events; bench/load.sh makes and caches it). Reports the server's RSS every
# minute, the p99 and errors of every 5-minute segment, and the slope of RSS over the last 30 minutes (memory must be
# flat: a store that grows without bound shows as a slope).
#
#   bash bench/soak.sh                       # 60 minutes at 300 req/s, 20 % writes, bench/soak/soak.json
#   SOAK_MINUTES=10 bash bench/soak.sh       # a shorter run
#
# Environment: SOAK_MINUTES (60), SOAK_RATE (300), SOAK_WRITES (0.2), SOAK_CONNECTIONS (16), SOAK_CONFIG
# (bench/soak/soak.json: the load benchmark's full pipeline trained once at start, so the hour measures what serving
# and ingestion hold — a leak shows as a slope — and a feature store bounded at 6M user x item pairs, below the ~8M
# the load data leaves, so the bound holds from the start; bench/soak/retraining.json is the same pipeline retrained
# 15 minutes after each training ends, as a production server might be: its RSS rises by the training's working set
# and returns to the floor after each swap, so compare the floors it prints rather than the slope), SOAK_SKIP_BUILD=1
# (reuse the Release build), and bench/load.sh's LOAD_* variables for the data set.
# The last line is the summary: minutes, requests, errors, worst p99, RSS at 10 and at the end, slope, and the RSS
# floors (least RSS) of the two halves after minute 10.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MINUTES=${SOAK_MINUTES:-60}
RATE=${SOAK_RATE:-300}
WRITES=${SOAK_WRITES:-0.2}
CONNECTIONS=${SOAK_CONNECTIONS:-16}
CONFIG=${SOAK_CONFIG:-$ROOT/bench/soak/soak.json}
SEGMENT_MINUTES=5
ITEMS=${LOAD_ITEMS:-1000000}
USERS=${LOAD_USERS:-100000}
EVENTS=${LOAD_EVENTS:-10000000}
SEED=${LOAD_SEED:-42}
CACHE=${LOAD_CACHE:-/tmp/cascade-load}
ARTIFACTS=${LOAD_ARTIFACTS:-/tmp/art-load}
CLI="$ARTIFACTS/bin/Cascade.Cli/release/cascade.dll"
DATA="$CACHE/data-${ITEMS}i-${USERS}u-${EVENTS}e-s${SEED}"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [ ! -f "$DATA/.complete" ] || [ "${SOAK_SKIP_BUILD:-0}" != 1 ]; then
  log "preparing the build and the data set (bench/load.sh, LOAD_PREPARE_ONLY=1)"
  LOAD_PREPARE_ONLY=1 LOAD_SKIP_BUILD=${SOAK_SKIP_BUILD:-0} bash "$ROOT/bench/load.sh" >/dev/null
fi
command -v wrk >/dev/null || { echo "wrk is required (bench/load.sh installs it)" >&2; exit 1; }

RUN=$(mktemp -d "$CACHE/soak.XXXXXX")
SERVER_PID=""; SAMPLER_PID=""
cleanup() {
  [ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ "${SOAK_KEEP:-0}" = 1 ]; then log "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "copying the data folder"
cp -a "$DATA" "$RUN/data"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
log "starting the server on $BASE ($CONFIG)"
dotnet "$CLI" serve --data-dir "$RUN/data" --urls "$BASE" --config "$CONFIG" >"$RUN/server.log" 2>&1 &
SERVER_PID=$!
started=$SECONDS
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health/ready")" = 200 ]; do
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$RUN/server.log" >&2; exit 1; }
  [ $((SECONDS - started)) -lt 5400 ] || { echo "not ready after 5400 s" >&2; exit 1; }
  sleep 5
done
log "ready after $((SECONDS - started)) s (start-up training included)"

rss_mb() { awk '$1 == "VmRSS:" { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
# The managed heap and the feature store's pairs beside RSS, so a growth can be told apart (managed or native).
heap_pairs() {
  curl -s --max-time 5 "$BASE/v1/admin/stats" | python3 -c 'import json, sys
try:
    d = json.load(sys.stdin); print(round(d["gc"]["heapMb"]), d["state"]["featurePairs"], round(d["gc"]["committedMb"]))
except Exception:
    print("? ? ?")'
}
# RSS split into anonymous memory (heaps: the GC's and native) and file-backed pages (mapped files, shared libraries).
rss_parts() { awk '$1 == "RssAnon:" { a = $2 } $1 == "RssFile:" { f = $2 } END { printf "%.0f %.0f", a / 1024, f / 1024 }' "/proc/$SERVER_PID/status"; }
( minute=0; while kill -0 "$SERVER_PID" 2>/dev/null; do
    echo "$minute $(rss_mb)" >>"$RUN/rss.txt"; echo "$minute $(heap_pairs) $(rss_parts)" >>"$RUN/heap.txt"
    sleep 60; minute=$((minute + 1)); done ) &
SAMPLER_PID=$!

echo "# bench/soak.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
echo "$MINUTES minutes at $RATE req/s ($WRITES writes), $CONNECTIONS connections, config $(basename "$CONFIG"), data $ITEMS items / $USERS users / $EVENTS events"
echo
echo "| minutes | achieved req/s | requests | p50 ms | p99 ms | max ms | errors (status/timeout/other) | RSS MB at end |"
echo "|---|---:|---:|---:|---:|---:|---|---:|"
segments=$(( (MINUTES + SEGMENT_MINUTES - 1) / SEGMENT_MINUTES ))
for s in $(seq 1 "$segments"); do
  LOAD_RATE=$RATE LOAD_THREADS=2 LOAD_USERS=$USERS LOAD_ITEMS=$ITEMS SOAK_WRITES=$WRITES \
    wrk -t2 -c"$CONNECTIONS" -d"$((SEGMENT_MINUTES * 60))s" --timeout 10s -s "$ROOT/bench/soak/mixed.lua" "$BASE" >"$RUN/wrk.out" 2>&1 \
    || { cat "$RUN/wrk.out" >&2; exit 1; }
  line=$(grep '^SOAKRESULT' "$RUN/wrk.out")
  echo "$line" >>"$RUN/results.txt"
  python3 - "$line" "$(( (s - 1) * SEGMENT_MINUTES ))–$(( s * SEGMENT_MINUTES ))" "$(rss_mb)" <<'PY'
import sys
f = dict(kv.split("=") for kv in sys.argv[1].split()[1:])
other = int(f["errors_connect"]) + int(f["errors_read"]) + int(f["errors_write"])
print(f"| {sys.argv[2]} | {float(f['rps']):.1f} | {int(f['requests']):,} | {float(f['p50_ms']):.1f} | {float(f['p99_ms']):.1f} | "
      f"{float(f['max_ms']):.0f} | {f['errors_status']}/{f['errors_timeout']}/{other} | {sys.argv[3]} |")
PY
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server stopped" >&2; tail -20 "$RUN/server.log" >&2; exit 1; }
done
echo "$(( segments * SEGMENT_MINUTES )) $(rss_mb)" >>"$RUN/rss.txt"
echo
echo "RSS by minute (MB): $(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }' "$RUN/rss.txt")"
echo "Managed heap by minute (MB): $(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $2 }' "$RUN/heap.txt")"
echo "Feature store pairs by minute: $(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $3 }' "$RUN/heap.txt")"
echo "GC committed by minute (MB): $(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $4 }' "$RUN/heap.txt")"
echo "RSS anonymous / file-backed by minute (MB): $(awk '{ printf "%s%s/%s", (NR > 1 ? " " : ""), $5, $6 }' "$RUN/heap.txt")"
# Each retraining's working set is garbage once its bundle serves; the compaction after the swap (Cascade:CompactAfterTraining)
# returns it, so the floor after each swap — not a slope over a window that may end inside a training — shows a leak.
echo "After each bundle swap (server log): $(grep -o 'working set [0-9]* MB -> [0-9]* MB, managed heap [0-9]* MB, pause [0-9]* ms' "$RUN/server.log" | paste -sd ';' - || true)"
python3 - "$RUN/rss.txt" "$RUN/results.txt" "$MINUTES" <<'PY'
import sys
rss = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
results = [dict(kv.split("=") for kv in l.split()[1:]) for l in open(sys.argv[2]) if l.strip()]
minutes = float(sys.argv[3])
last = [(m, r) for m, r in rss if m >= minutes - 30]
n = len(last)
mx = sum(m for m, _ in last) / n; my = sum(r for _, r in last) / n
den = sum((m - mx) ** 2 for m, _ in last)
slope = 0.0 if den == 0 else sum((m - mx) * (r - my) for m, r in last) / den * 60
at10 = next((r for m, r in rss if m >= 10), rss[0][1])
requests = sum(int(r["requests"]) for r in results)
errors = sum(int(r[k]) for r in results for k in ("errors_status", "errors_timeout", "errors_connect", "errors_read", "errors_write"))
worst = max(float(r["p99_ms"]) for r in results)
# The floors: the least RSS from minute 10 to the middle and from the middle to the end. A training's working set
# is a hump that the slope above sees when the window ends inside one; a leak raises the floor.
half = minutes / 2
floor1 = min((r for m, r in rss if 10 <= m < half), default=float("nan"))
floor2 = min((r for m, r in rss if m >= half), default=float("nan"))
print(f"soak: minutes={minutes:.0f} requests={requests} errors={errors} p99_ms_worst={worst:.1f} "
      f"rss_mb_10min={at10:.0f} rss_mb_end={rss[-1][1]:.0f} rss_slope_last30_mb_per_hour={slope:.1f} "
      f"rss_floor_mb_first_half={floor1:.0f} rss_floor_mb_second_half={floor2:.0f}")
PY
