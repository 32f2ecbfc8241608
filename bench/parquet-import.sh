#!/usr/bin/env bash
# Import speed of the same events from CSV and from Parquet (docs/benchmarks.md, "Parquet and CSV import").
# Usage: bench/parquet-import.sh [EVENTS] [WORK_DIR]   (default 10000000 events; WORK_DIR default: a new temp folder;
# a WORK_DIR that already holds events.csv is reused as it is)
# Steps: generate EVENTS events (seed 42) as JSON Lines, convert them to CSV, import the CSV into a fresh data folder,
# export that folder as Parquet (so both files hold the same events), import the Parquet file into another fresh
# folder; then both imports again in the other order. Each import is the whole command: ingestion through the API's
# validation into the fsync'd log (EveryBatch) and the catalog catching up.
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-10000000}
work=${2:-$(mktemp -d -t cascade-parquet-bench.XXXXXX)}
mkdir -p "$work"
nice -n 19 dotnet build src/Cascade.Cli -c Release -m:1 -v q -nologo >/dev/null
dll=artifacts/bin/Cascade.Cli/release/cascade.dll
cascade() { dotnet "$dll" "$@"; }
echo "cascade: $(cascade --version); events: $events; $(date -u '+%Y-%m-%d %H:%M UTC')"

if [ ! -f "$work/events.csv" ]; then # a second run in the same WORK_DIR reuses the data
cascade generate --users 100000 --items 100000 --events "$events" --seed 42 --out "$work/gen" >/dev/null
python3 - "$work/gen/events.jsonl" "$work/events.csv" <<'PY'
import csv, json, sys
cols = ["userId", "itemId", "type", "timestamp", "value", "eventId", "requestId", "position"]
with open(sys.argv[1]) as f, open(sys.argv[2], "w", newline="") as o:
    w = csv.writer(o, lineterminator="\n")
    w.writerow(cols)
    for line in f:
        d = json.loads(line)
        w.writerow(["" if d.get(c) is None else d[c] for c in cols])
PY
fi

timed() { # NAME ARGS...: runs one import, prints seconds, events/s, max RSS and the load average
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/$name.rss" dotnet "$dll" "$@" >"$work/$name.log" 2>&1
  end=$(date +%s.%N)
  awk -v n="$name" -v s="$start" -v e="$end" -v ev="$events" -v rss="$(cat "$work/$name.rss")" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" \
    'BEGIN { printf "%-14s %8.1f s %10.0f events/s  max RSS %5.0f MB  load %s\n", n, e - s, ev / (e - s), rss / 1024, load }'
  tail -n 1 "$work/$name.log"
}
rm -rf "$work/csv-1" "$work/parquet-1" "$work/csv-2" "$work/parquet-2" "$work/export"
timed csv-1 --data-dir "$work/csv-1" import csv "$work/events.csv"
cascade --data-dir "$work/csv-1" export parquet "$work/export" | grep "^Wrote"
ls -l "$work/events.csv" "$work/export/events.parquet" | awk '{ printf "%s %d MB\n", $NF, $5 / 1048576 }'
timed parquet-1 --data-dir "$work/parquet-1" import parquet "$work/export/events.parquet"
timed parquet-2 --data-dir "$work/parquet-2" import parquet "$work/export/events.parquet"
timed csv-2 --data-dir "$work/csv-2" import csv "$work/events.csv"
