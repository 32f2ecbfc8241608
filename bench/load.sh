#!/usr/bin/env bash
# Serving load benchmark (issue 7): wrk against the real `cascade serve` on loopback, 1M generated items, 100k users.
#
#   bench/load.sh                      # everything (first run: generate + import, ~15 min; later runs reuse the cache)
#   LOAD_RATES="100 300" LOAD_SECONDS=20 bench/load.sh
#
# 1. installs wrk if absent, builds the CLI (Release, own artifacts path), generates the data set once into
#    $LOAD_CACHE and imports it once (reused when present);
# 2. copies the imported data folder (the server appends impressions to its log, so every run starts from the same
#    data), starts the server with bench/load/full.json — 500 candidates from three sources (trending popularity,
#    ANN over ALS embeddings, item-to-item through the same HNSW index), a GBDT LambdaMART ranker, MMR re-ranking,
#    impressions logged — and waits for its start-up training;
# 3. warms up, then runs wrk (bench/load/recommend.lua: GET /v1/recommend/u<random of 100k>?n=20) at fixed rates
#    (paced by the Lua delay() hook, achieved rate checked) and unpaced at a few connection counts (saturation);
# 4. the same for the popularity-only pipeline (bench/load/popularity.json): saturation;
# 5. prints the per-stage breakdown (GET /v1/admin/stats), the servers' memory (VmRSS/VmHWM) and training time;
# 6. stops the servers and removes the copies on exit. The LAST line is the summary.
#
# wrk, the server and its impression writer share the machine's cores; `uptime` is printed next to every figure.
#
# LOAD_PREPARE_ONLY=1 stops after step 1 (bench/soak.sh uses it to make the same data set).
# LOAD_SKIP_POPULARITY=1 leaves out step 4 (its summary field then reads "skipped").
# LOAD_STARTUP_BUNDLE=1 trains each pipeline once with `cascade train` (on a copy of the data, cached beside it per
# configuration) and starts every server with it as Cascade:StartupBundle, so a server serves within the bundle's load
# instead of its own start-up training (bench/telemetry-cost.sh starts many servers; "training at start" then reports
# the load).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ITEMS=${LOAD_ITEMS:-1000000}
USERS=${LOAD_USERS:-100000}
EVENTS=${LOAD_EVENTS:-10000000}
SEED=${LOAD_SEED:-42}
CACHE=${LOAD_CACHE:-/tmp/cascade-load}
ARTIFACTS=${LOAD_ARTIFACTS:-/tmp/art-load}
RATES=${LOAD_RATES:-"100 200 300"}
RATE_CONNECTIONS=${LOAD_RATE_CONNECTIONS:-16}
SATURATION_CONNECTIONS=${LOAD_SATURATION_CONNECTIONS:-"4 8 16 32"}
SECONDS_PER_RUN=${LOAD_SECONDS:-30}
WARMUP_SECONDS=${LOAD_WARMUP_SECONDS:-60}
TRAIN_TIMEOUT=${LOAD_TRAIN_TIMEOUT:-5400}
PAGE=20
LUA="$ROOT/bench/load/recommend.lua"
REPORT="python3 $ROOT/bench/load/report.py"
CLI="$ARTIFACTS/bin/Cascade.Cli/release/cascade.dll"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# --- 1. wrk, build, data -----------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  log "installing wrk"
  # A fresh machine's package lists may be empty: update them when the install alone finds nothing.
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi
  $SUDO apt-get install -y wrk >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; }
fi
command -v python3 >/dev/null || { echo "python3 is required (bench/load/report.py formats the tables)" >&2; exit 1; }

if [ "${LOAD_SKIP_BUILD:-0}" != 1 ]; then
  log "building the CLI (Release) into $ARTIFACTS"
  dotnet build "$ROOT/src/Cascade.Cli" -c Release --artifacts-path "$ARTIFACTS" -nologo -v q >&2
fi
cascade() { dotnet "$CLI" "$@"; }

TAG="${ITEMS}i-${USERS}u-${EVENTS}e-s${SEED}"
GEN="$CACHE/gen-$TAG"
DATA="$CACHE/data-$TAG"
mkdir -p "$CACHE"
if [ ! -f "$GEN/.complete" ]; then
  log "generating $ITEMS items, $USERS users, $EVENTS events into $GEN"
  rm -rf "$GEN"
  cascade generate --items "$ITEMS" --users "$USERS" --events "$EVENTS" --seed "$SEED" --out "$GEN" >/dev/null
  touch "$GEN/.complete"
fi
if [ ! -f "$DATA/.complete" ]; then
  rm -rf "$DATA"
  for kind in items users events; do
    log "importing $kind"
    started=$SECONDS
    cascade import jsonl "$GEN/$kind.jsonl" --kind "$kind" --durability Interval --data-dir "$DATA" | tail -1 >&2
    echo "$kind $((SECONDS - started)) s" >>"$DATA/.import-times"
  done
  touch "$DATA/.complete"
fi

# --- server lifecycle ------------------------------------------------------------------------------------------------
if [ "${LOAD_PREPARE_ONLY:-0}" = 1 ]; then
  log "prepared $DATA (LOAD_PREPARE_ONLY=1: no runs)"
  exit 0
fi

RUN=$(mktemp -d "$CACHE/run.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${LOAD_KEEP:-0}" = 1 ]; then log "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# startup_bundle NAME CONFIG: the bundles folder holding NAME trained on the data set with CONFIG (trained once, on a
# copy of the data, and cached beside it: keyed by the configuration's content and the build).
startup_bundle() {
  local name=$1 config=$2 key dir
  key=$(cat "$config" "$CLI" | sha256sum | cut -c1-12)
  dir="$CACHE/bundles-$TAG/$key"
  if [ ! -f "$dir/$name/manifest.json" ]; then
    log "$name: training the start-up bundle once ($config; cached in $dir)"
    rm -rf "$CACHE/bundle-work" "$dir"
    cp -a "$DATA" "$CACHE/bundle-work"
    mkdir -p "$dir"
    cascade train --data-dir "$CACHE/bundle-work" --config "$config" --output "$dir/$name" >&2
    rm -rf "$CACHE/bundle-work"
  fi
  echo "$dir"
}

# start_server NAME CONFIG: copies the data, starts the server, waits for its start-up training (or its start-up
# bundle's load); sets BASE, SERVER_PID, TRAIN_MS.
start_server() {
  local name=$1 config=$2
  local -a bundle_env=()
  if [ "${LOAD_STARTUP_BUNDLE:-0}" = 1 ]; then
    bundle_env=(env "Cascade__BundlesDirectory=$(startup_bundle "$name" "$config")" "Cascade__StartupBundle=$name")
  fi
  log "$name: copying the data folder"
  rm -rf "$RUN/data"
  cp -a "$DATA" "$RUN/data"
  local port
  port=$(free_port)
  BASE="http://127.0.0.1:$port"
  log "$name: starting the server on $BASE ($config)"
  "${bundle_env[@]}" dotnet "$CLI" serve --data-dir "$RUN/data" --urls "$BASE" --config "$config" >"$RUN/server-$name.log" 2>&1 &
  SERVER_PID=$!
  local waited=0
  until curl -sf "$BASE/health/ready" >/dev/null; do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$RUN/server-$name.log" >&2; exit 1; }
    sleep 1
    waited=$((waited + 1))
    # Ready means a bundle can serve, so the start-up training is inside this wait.
    [ "$waited" -lt "$TRAIN_TIMEOUT" ] || { echo "$name: server not ready after $TRAIN_TIMEOUT s" >&2; exit 1; }
  done
  # The server trains its pipeline bundle at start (TrainingIntervalSeconds 0: once); wait for it rather than
  # POST /v1/admin/train, which would wait for the same lock and then train a second time.
  log "$name: waiting for the start-up training (load $(loadavg))"
  local started=$SECONDS
  while [ -z "$(curl -sf "$BASE/v1/admin/stats" -o "$RUN/stats.json" && $REPORT bundle "$RUN/stats.json")" ]; do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$RUN/server-$name.log" >&2; exit 1; }
    if grep -q "Training the pipeline failed" "$RUN/server-$name.log"; then tail -20 "$RUN/server-$name.log" >&2; exit 1; fi
    [ $((SECONDS - started)) -lt "$TRAIN_TIMEOUT" ] || { echo "$name: training not done after $TRAIN_TIMEOUT s" >&2; exit 1; }
    sleep 5
  done
  TRAIN_MS=$(sed -n 's/.*\(Trained pipeline bundle\|Loaded the start-up bundle\) .* in \([0-9]*\) ms.*/\2/p' "$RUN/server-$name.log" | head -1)
  log "$name: ready in ${TRAIN_MS} ms: $(grep -o 'Trained pipeline bundle.*\|Loaded the start-up bundle.*' "$RUN/server-$name.log" | head -1)"
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  rm -rf "$RUN/data"
}

memory_mb() { awk -v k="$1:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

# degraded_so_far: requests with a degraded stage since the server started (GET /v1/admin/stats; counted by the
# server, so wrk does not have to read response bodies, which would cost it CPU it shares with the server).
degraded_so_far() { curl -sf "$BASE/v1/admin/stats" -o "$RUN/stats-now.json" && $REPORT degraded "$RUN/stats-now.json"; }

# wrk_run RATE CONNECTIONS THREADS SECONDS: prints the LOADRESULT line plus degraded=N (RATE 0 = unpaced).
wrk_run() {
  local rate=$1 connections=$2 threads=$3 seconds=$4 degraded_before
  degraded_before=$(degraded_so_far)
  LOAD_RATE=$rate LOAD_THREADS=$threads LOAD_USERS=$USERS LOAD_N=$PAGE \
    LOAD_CONNECTIONS_PER_THREAD=$((connections / threads)) \
    wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s -s "$LUA" "$BASE" >"$RUN/wrk.out" 2>&1 || { cat "$RUN/wrk.out" >&2; exit 1; }
  echo "$(grep '^LOADRESULT' "$RUN/wrk.out") degraded=$(( $(degraded_so_far) - degraded_before ))"
}

row() { $REPORT row "$@"; } # row LABEL RATE CONNECTIONS RESULT LOAD_BEFORE LOAD_AFTER
HEADER='| pipeline | target req/s | connections | achieved req/s | requests | p50 ms | p95 ms | p99 ms | max ms | errors (status/timeout) | degraded responses | load average 1/5/15 min, before → after |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|'

# saturate NAME: unpaced runs at each connection count; prints rows and sets BEST_RPS, the best run without errors
# and with at most 1% degraded responses (a server that answers by dropping sources is not keeping up).
saturate() {
  local name=$1 c result before rps
  BEST_RPS=0
  for c in $SATURATION_CONNECTIONS; do
    before=$(loadavg)
    result=$(wrk_run 0 "$c" 2 "$SECONDS_PER_RUN")
    row "$name" "max" "$c" "$result" "$before" "$(loadavg)" | tee -a "$RUN/table.md"
    rps=$($REPORT field "$result" rps)
    if $REPORT usable "$result" && python3 -c "import sys; sys.exit(0 if $rps > $BEST_RPS else 1)"; then BEST_RPS=$rps; fi
  done
}

echo "# bench/load.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
echo "data: $ITEMS items, $USERS users, $EVENTS generated events (seed $SEED), cache $CACHE"
[ -f "$DATA/.import-times" ] && echo "import times (first run): $(tr '\n' ' ' <"$DATA/.import-times")"

# --- 2./3. the full pipeline -----------------------------------------------------------------------------------------
start_server full "$ROOT/bench/load/full.json"
FULL_TRAIN_MS=$TRAIN_MS
FULL_RSS_TRAINED=$(memory_mb VmRSS)
log "full: warm-up, ${WARMUP_SECONDS} s unpaced at 8 connections"
wrk_run 0 8 2 "$WARMUP_SECONDS" >/dev/null
echo
echo "## Candidates per stage, full pipeline"
echo
$REPORT sample "$BASE" "$USERS" 100
echo
echo "## Latency at fixed request rates and saturation"
echo
echo "$HEADER" | tee "$RUN/table.md"
P99_300=""
P99_RATE=""
for rate in $RATES; do
  before=$(loadavg)
  result=$(wrk_run "$rate" "$RATE_CONNECTIONS" 1 "$SECONDS_PER_RUN")
  row full "$rate" "$RATE_CONNECTIONS" "$result" "$before" "$(loadavg)" | tee -a "$RUN/table.md"
  achieved=$($REPORT field "$result" rps)
  if python3 -c "import sys; sys.exit(0 if $achieved < 0.95 * $rate else 1)"; then
    echo "  (achieved $achieved req/s is under 95% of the target $rate: the server could not keep up at $RATE_CONNECTIONS connections)"
  fi
  P99_RATE=$rate
  P99_300=$($REPORT field "$result" p99_ms)
done
curl -sf "$BASE/v1/admin/stats" -o "$RUN/stats-rates.json"
saturate full
FULL_SAT=$BEST_RPS
curl -sf "$BASE/v1/admin/stats" -o "$RUN/stats-saturation.json"
FULL_RSS=$(memory_mb VmRSS)
FULL_HWM=$(memory_mb VmHWM)
stop_server

# --- 4. popularity only ----------------------------------------------------------------------------------------------
POP_TRAIN_MS=0; POP_SAT=skipped; POP_RSS=–; POP_HWM=–
if [ "${LOAD_SKIP_POPULARITY:-0}" != 1 ]; then
start_server popularity "$ROOT/bench/load/popularity.json"
POP_TRAIN_MS=$TRAIN_MS
log "popularity: warm-up, ${WARMUP_SECONDS} s unpaced at 8 connections"
wrk_run 0 8 2 "$WARMUP_SECONDS" >/dev/null
saturate popularity
POP_SAT=$BEST_RPS
curl -sf "$BASE/v1/admin/stats" -o "$RUN/stats-popularity.json"
POP_RSS=$(memory_mb VmRSS)
POP_HWM=$(memory_mb VmHWM)
stop_server
fi

# --- 5. breakdown, memory, training ----------------------------------------------------------------------------------
echo
echo "## Per-stage latency, full pipeline, the last $(( 8192 )) requests of the fixed-rate runs (GET /v1/admin/stats)"
echo
$REPORT stats "$RUN/stats-rates.json"
echo
echo "## Per-stage latency, full pipeline, the last 8192 requests of the saturation runs"
echo
$REPORT stats "$RUN/stats-saturation.json"
echo
echo "## Per-stage latency, popularity-only pipeline, the last 8192 requests of its saturation runs"
echo
if [ -f "$RUN/stats-popularity.json" ]; then $REPORT stats "$RUN/stats-popularity.json"; else echo "(skipped: LOAD_SKIP_POPULARITY=1)"; fi
echo
echo "## Memory and training"
echo
echo "| pipeline | training at start, s | VmRSS after training, MB | VmRSS after the runs, MB | VmHWM (peak), MB |"
echo "|---|---:|---:|---:|---:|"
echo "| full | $(awk -v ms="$FULL_TRAIN_MS" 'BEGIN { printf "%.1f", ms / 1000 }') | $FULL_RSS_TRAINED | $FULL_RSS | $FULL_HWM |"
echo "| popularity | $(awk -v ms="$POP_TRAIN_MS" 'BEGIN { printf "%.1f", ms / 1000 }') | – | $POP_RSS | $POP_HWM |"
echo
[ "$P99_RATE" = 300 ] || echo "(the p99 of the summary is at $P99_RATE req/s: 300 was not among LOAD_RATES)"
echo "p99_ms_at_${P99_RATE}rps=$P99_300 saturation_rps=$FULL_SAT saturation_rps_popularity=$POP_SAT rss_mb=$FULL_RSS hwm_mb=$FULL_HWM train_s=$(awk -v ms="$FULL_TRAIN_MS" 'BEGIN { printf "%.0f", ms / 1000 }')"
