#!/usr/bin/env bash
# Restart time at 10M events (issue 14): how long `cascade serve` takes, on the data set of bench/load.sh (1M items,
# 100k users, 10M events), from the process start to
#   ready    — GET /health/ready answers 200;
#   bundle   — a pipeline bundle serves (the popularity-only pipeline of bench/load/popularity.json, so the time is
#              the log work, not model fitting);
#   features — the online feature store has applied the whole log (POST /v1/rank reports featuresAsOfSequence equal
#              to the log's last sequence).
# Two starts on one copy of the data folder: the first as imported, the second after the first stopped cleanly (so
# whatever the first one checkpointed is there). The LAST line is the summary.
#
#   bench/restart.sh                    # builds the CLI (Release) into $RESTART_ARTIFACTS, uses bench/load.sh's cache
#   RESTART_CLI=/path/cascade.dll bench/restart.sh   # another build (e.g. an older commit, for before/after)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LOAD_CACHE:-/tmp/cascade-load}
DATA=${RESTART_DATA:-$CACHE/data-1000000i-100000u-10000000e-s42}
ARTIFACTS=${RESTART_ARTIFACTS:-/tmp/art-load}
CLI=${RESTART_CLI:-$ARTIFACTS/bin/Cascade.Cli/release/cascade.dll}
CONFIG=${RESTART_CONFIG:-$ROOT/bench/load/popularity.json}
LIMIT=${RESTART_LIMIT_SECONDS:-1800}

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
[ -f "$DATA/.complete" ] || { echo "no imported data set at $DATA: run bench/load.sh once (it generates and imports it)" >&2; exit 1; }
if [ -z "${RESTART_CLI:-}" ] && [ "${RESTART_SKIP_BUILD:-0}" != 1 ]; then
  log "building the CLI (Release) into $ARTIFACTS"
  dotnet build "$ROOT/src/Cascade.Cli" -c Release --artifacts-path "$ARTIFACTS" -nologo -v q >&2
fi

RUN=$(mktemp -d "$CACHE/restart.XXXXXX")
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$RUN"
}
trap cleanup EXIT
log "copying the data folder"
cp -a "$DATA" "$RUN/data"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$port"

start() {
  local label=$1 t0 now ready="" bundle="" features="" target=""
  t0=$(date +%s.%N)
  dotnet "$CLI" serve --data-dir "$RUN/data" --urls "$BASE" --config "$CONFIG" >"$RUN/server-$label.log" 2>&1 &
  PID=$!
  while :; do
    kill -0 "$PID" 2>/dev/null || { tail -20 "$RUN/server-$label.log" >&2; exit 1; }
    now=$(date +%s.%N)
    if [ -z "$ready" ] && curl -sf "$BASE/health/ready" -o "$RUN/ready.json"; then
      ready=$(python3 -c "print(f'{$now - $t0:.1f}')")
      target=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["logSequence"])' "$RUN/ready.json")
    fi
    if [ -z "$bundle" ] && curl -sf "$BASE/v1/admin/stats" -o "$RUN/stats.json" \
      && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("bundleVersion") else 1)' "$RUN/stats.json"; then
      bundle=$(python3 -c "print(f'{$now - $t0:.1f}')")
    fi
    if [ -n "$target" ] && [ -z "$features" ] \
      && curl -sf -X POST "$BASE/v1/rank" -H 'Content-Type: application/json' -d '{"userId":"u1","candidates":[{"itemId":"i1"}]}' -o "$RUN/rank.json" \
      && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["featuresAsOfSequence"] >= int(sys.argv[2]) else 1)' "$RUN/rank.json" "$target"; then
      features=$(python3 -c "print(f'{$now - $t0:.1f}')")
    fi
    [ -n "$ready" ] && [ -n "$bundle" ] && [ -n "$features" ] && break
    python3 -c "import sys; sys.exit(0 if $now - $t0 < $LIMIT else 1)" || { echo "$label: not done after $LIMIT s" >&2; exit 1; }
    sleep 0.2
  done
  echo "| $label | $ready | $bundle | $features | $(cut -d' ' -f1-3 /proc/loadavg) |"
  eval "${label}_READY=$ready ${label}_BUNDLE=$bundle ${label}_FEATURES=$features"
  kill -TERM "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
}

echo "# bench/restart.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, CLI $CLI, data $(basename "$DATA")"
echo
echo "| start | ready s | bundle s | features s | load average after |"
echo "|---|---:|---:|---:|---|"
start first
start second
echo
echo "restart_first_ready_s=$first_READY restart_first_bundle_s=$first_BUNDLE restart_first_features_s=$first_FEATURES restart_second_ready_s=$second_READY restart_second_bundle_s=$second_BUNDLE restart_second_features_s=$second_FEATURES"
