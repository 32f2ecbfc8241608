#!/usr/bin/env bash
# Memory of hostile request bodies (issue 15): peak RSS growth of a real `cascade serve` while it refuses 32 MiB
# bodies of millions of tiny JSON elements. The peak is VmHWM, reset to the current RSS before each case
# (`echo 5 > /proc/PID/clear_refs`); growth = VmHWM after the answer − VmRSS before the request.
#
#   bench/hostile-body.sh                  # builds the CLI (Debug, artifacts/), starts a server on a free port
#
# Cases: POST /v1/events with [0,0,…] (16.7M elements); POST /v1/rank with {"candidates":[{},{},…]} (11.2M
# elements), once and three at once; PUT /v1/items/x with an attributes object of 4.2M members; POST /v1/items with
# 10,000 items of 1,000 categories each (within the element limits, over the value limit). The LAST line is the summary.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$RUN"' EXIT
[ "${HOSTILE_SKIP_BUILD:-0}" = 1 ] || dotnet build "$ROOT/src/Cascade.Cli" -v q -nologo >&2
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$port"
Cascade__TrainOnStart=false dotnet "$ROOT/artifacts/bin/Cascade.Cli/debug/cascade.dll" serve --data-dir "$RUN/data" --urls "$BASE" >"$RUN/server.log" 2>&1 &
PID=$!
until curl -sf "$BASE/health/live" >/dev/null; do kill -0 $PID || { cat "$RUN/server.log" >&2; exit 1; }; sleep 0.2; done

python3 - "$RUN" <<'PY'
import sys
run = sys.argv[1]
limit = 32 * 1024 * 1024 - 16
def write(name, head, element, tail):
    n = (limit - len(head) - len(tail)) // len(element)
    with open(f"{run}/{name}", "wb") as f:
        f.write(head + element * n + tail)
write("events.json", b"[", b"0,", b"0]")
write("rank.json", b'{"candidates":[', b"{},", b"{}]}")
write("attributes.json", b'{"title":"t","attributes":{', b'"a":0,', b'"b":0}}')
item = b'{"id":"x","title":"t","categories":[' + b'"a",' * 999 + b'"a"]},'
with open(f"{run}/items.json", "wb") as f:
    f.write(b"[" + item * 7000 + item[:-1] + b"]")
PY

rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"; }
measure() {
  local label=$1 path=$2 method=$3 file=$4 copies=$5 before after codes
  echo 5 > "/proc/$PID/clear_refs"
  before=$(rss VmRSS)
  codes=$(for _ in $(seq "$copies"); do
    curl -s -o /dev/null -w '%{http_code} ' -X "$method" -H 'Content-Type: application/json' --data-binary "@$RUN/$file" "$BASE$path" &
  done; wait)
  after=$(rss VmHWM)
  printf '| %s | %s MiB | %s | %s | %s | %s |\n' "$label" "$(( $(stat -c %s "$RUN/$file") >> 20 ))" "$copies" "$codes" "$((before >> 10))" "$(((after - before) >> 10))"
}
# Warm-up: the code paths are compiled before anything is measured.
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '[{"userId":"u","itemId":"i","type":"click"}]' "$BASE/v1/events"
measure warm-up /v1/events POST events.json 1 >/dev/null
echo "| case | body | at once | answers | RSS before MB | peak growth MB |"
echo "|---|---:|---:|---|---:|---:|"
worst=0
while read -r label path method file copies; do
  line=$(measure "$label" "$path" "$method" "$file" "$copies")
  echo "$line"
  growth=$(echo "$line" | awk -F'|' '{ gsub(/ /, "", $7); print $7 }')
  [ "$growth" -gt "$worst" ] && worst=$growth
done <<'CASES'
events-16.7M-elements /v1/events POST events.json 1
rank-11.2M-candidates /v1/rank POST rank.json 1
rank-three-at-once /v1/rank POST rank.json 3
attributes-4.2M-members /v1/items/x PUT attributes.json 1
items-7M-categories /v1/items POST items.json 1
CASES
echo "peak_growth_mb_worst=$worst rss_after_mb=$(( $(rss VmRSS) >> 10 ))"
