#!/usr/bin/env bash
# The cost of one drift pass of the server (issue 18): the same data and calls against one or more builds of the
# CLI, one after the other. Usage: bash bench/drift-pass.sh CASCADE_DLL [CASCADE_DLL…]
# (e.g. a Release build: dotnet build src/Cascade.Cli -c Release --artifacts-path /tmp/art, then
# /tmp/art/bin/Cascade.Cli/release/cascade.dll). ITEMS, REFERENCE, WINDOW and STEP size the data (bench/drift/pass.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ITEMS=${ITEMS:-10000} REFERENCE=${REFERENCE:-200000} WINDOW=${WINDOW:-1000000} STEP=${STEP:-100000} PORT=${PORT:-5097}
for dll in "$@"; do
  data=$(mktemp -d)
  Cascade__Drift__Enabled=false Cascade__TrainOnStart=false Cascade__TrainingIntervalSeconds=0 \
  Cascade__Pipeline__Sources__0__Name=pop Cascade__Pipeline__Sources__0__Kind=popular Cascade__Pipeline__Sources__0__Quota=50 \
    dotnet "$dll" serve --data-dir "$data" --urls "http://127.0.0.1:$PORT" >"$data.log" 2>&1 &
  server=$!
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$PORT/health/live" >/dev/null && break; sleep 1; done
  echo "== $dll (items=$ITEMS reference=$REFERENCE window=$WINDOW step=$STEP)"
  python3 bench/drift/pass.py "http://127.0.0.1:$PORT" "$server" "$ITEMS" "$REFERENCE" "$WINDOW" "$STEP" || true
  kill "$server"; wait "$server" 2>/dev/null || true
  rm -rf "$data" "$data.log"
done
