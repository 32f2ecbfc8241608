#!/usr/bin/env bash
# Dashboard page times (issue 19): every page of /dashboard timed with curl against the real `cascade serve` on
# loopback, over the data set of bench/load.sh (1M generated items, 100k users, 10M events; generated and imported
# once, then reused from its cache).
#
#   bench/dashboard.sh                         # the full data set (first run: generate + import, ~15 min)
#   LOAD_ITEMS=10000 LOAD_USERS=1000 LOAD_EVENTS=100000 bench/dashboard.sh    # a small one
#   DASH_REPEATS=20 bench/dashboard.sh
#
# 1. builds the CLI (Release, own artifacts path) and prepares the data set through bench/load.sh (LOAD_PREPARE_ONLY);
# 2. copies the imported data folder, starts the server with an admin key and bench/load/popularity.json (the page
#    times do not depend on the models; a popularity bundle trains in seconds), waits for the bundle and for every
#    projection to apply the whole log (the dashboard's own counts included), sends a few recommend requests so the
#    stage table has rows, and evaluates drift once;
# 3. signs in through the login form (cookie jar, antiforgery token read from the page), then requests each page
#    once (first: the overview's item and user counts are then read from the catalog; they are cached for 30 s) and
#    DASH_REPEATS times more, and prints the first, the median and the slowest `time_total` of curl per page.
#    On loopback that is the server's time to render the page (plus a fraction of a millisecond of transfer).
# The LAST line is the summary.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LOAD_ITEMS=${LOAD_ITEMS:-1000000} LOAD_USERS=${LOAD_USERS:-100000} LOAD_EVENTS=${LOAD_EVENTS:-10000000} LOAD_SEED=${LOAD_SEED:-42}
export LOAD_CACHE=${LOAD_CACHE:-/tmp/cascade-load}
ARTIFACTS=${DASH_ARTIFACTS:-/tmp/art-dashboard}
REPEATS=${DASH_REPEATS:-10}
KEY=dashboard-bench-admin-key-0123456789
CLI="$ARTIFACTS/bin/Cascade.Cli/release/cascade.dll"

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [ "${DASH_SKIP_BUILD:-0}" != 1 ]; then
  log "building the CLI (Release) into $ARTIFACTS"
  dotnet build "$ROOT/src/Cascade.Cli" -c Release --artifacts-path "$ARTIFACTS" -nologo -v q >&2
fi
LOAD_PREPARE_ONLY=1 LOAD_SKIP_BUILD=1 LOAD_ARTIFACTS="$ARTIFACTS" bash "$ROOT/bench/load.sh"
DATA="$LOAD_CACHE/data-${LOAD_ITEMS}i-${LOAD_USERS}u-${LOAD_EVENTS}e-s${LOAD_SEED}"

RUN=$(mktemp -d "$LOAD_CACHE/dashboard.XXXXXX")
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "copying the data folder"
cp -a "$DATA" "$RUN/data"
rm -f "$RUN/data/lock.pid"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$port"
log "starting the server on $BASE"
Cascade__ApiKeys__0__Key=$KEY Cascade__ApiKeys__0__Scopes__0=admin \
  dotnet "$CLI" serve --data-dir "$RUN/data" --urls "$BASE" --config "$ROOT/bench/load/popularity.json" >"$RUN/server.log" 2>&1 &
SERVER_PID=$!
api() { curl -sf -H "X-Api-Key: $KEY" "$@"; }

# Ready, a bundle, and every projection at the log's end (the dashboard's counts are then complete).
started=$SECONDS
until api "$BASE/health/ready" -o "$RUN/ready.json" && python3 - "$RUN/ready.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r.get("bundleVersion") and all(p["lag"] == 0 for p in r["projections"]) else 1)
EOF
do
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$RUN/server.log" >&2; exit 1; }
  [ $((SECONDS - started)) -lt 3600 ] || { echo "not ready after an hour" >&2; exit 1; }
  sleep 2
done
log "ready with a bundle and every projection caught up after $((SECONDS - started)) s"
for u in u1 u2 u3 u4 u5 u6 u7 u8 u9 u10; do api "$BASE/v1/recommend/$u?n=20" -o /dev/null; done
api "$BASE/v1/monitoring/drift?refresh=true" -o /dev/null || log "drift evaluation failed (the monitoring page then shows none)"
# An experiment with exposures, so its report page has a report (computed in the background: it reads the log).
api -H 'Content-Type: application/json' "$BASE/v1/experiments" -o /dev/null \
  -d '{"id":"bench-1","arms":[{"name":"control","share":0.5},{"name":"b","share":0.5}],"preExperimentDays":0}'
api -X POST "$BASE/v1/experiments/bench-1/start" -o /dev/null
for u in u11 u12 u13 u14 u15 u16 u17 u18 u19 u20; do api "$BASE/v1/recommend/$u?n=20" -o /dev/null; done

# Sign in as a browser does: the login page's antiforgery token and cookie, then the form post.
JAR="$RUN/cookies"
token=$(curl -sf -c "$JAR" -b "$JAR" "$BASE/dashboard/login" | sed -n 's/.*name="__RequestVerificationToken" value="\([^"]*\)".*/\1/p' | head -1)
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" --data-urlencode "apiKey=$KEY" --data-urlencode "__RequestVerificationToken=$token" \
  --data-urlencode "_handler=login" "$BASE/dashboard/login")
[ "$status" = 302 ] || { echo "login answered $status" >&2; exit 1; }
report_started=$SECONDS
until curl -sf -b "$JAR" "$BASE/dashboard/experiments/bench-1" | grep -q 'Report computed'; do
  [ $((SECONDS - report_started)) -lt 600 ] || { echo "no experiment report after 600 s" >&2; exit 1; }
  sleep 1
done
log "the experiment's report was computed in the background within $((SECONDS - report_started)) s of the first visit"

PAGES=(/dashboard /dashboard/data "/dashboard/data?user=u1" "/dashboard/data?item=i1" /dashboard/models /dashboard/experiments
  /dashboard/experiments/bench-1 /dashboard/monitoring "/dashboard/debug?user=u1" /dashboard/settings)
printf '| page | first ms | median ms | slowest ms | bytes |\n|---|---:|---:|---:|---:|\n'
worst=0
for page in "${PAGES[@]}"; do
  first=$(curl -sf -b "$JAR" -o /dev/null -w '%{time_total}' "$BASE$page") || { echo "$page failed" >&2; exit 1; }
  times=()
  for _ in $(seq "$REPEATS"); do
    times+=("$(curl -sf -b "$JAR" -o "$RUN/page.html" -w '%{time_total}' "$BASE$page")")
  done
  bytes=$(stat -c %s "$RUN/page.html")
  read -r median slowest < <(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f %.1f\n", 1000 * v[int((NR + 1) / 2)], 1000 * v[NR] }')
  first=$(python3 -c "print(round(1000 * $first, 1))")
  printf '| `%s` | %s | %s | %s | %s |\n' "$page" "$first" "$median" "$slowest" "$bytes"
  worst=$(python3 -c "print(max($worst, $slowest, $first))")
done
echo "summary: $LOAD_ITEMS items, $LOAD_EVENTS events; slowest dashboard page request ${worst} ms over $((REPEATS + 1)) requests per page; load average $(cut -d' ' -f1-3 /proc/loadavg)"
