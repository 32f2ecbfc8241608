#!/usr/bin/env bash
# Model defaults chosen across data sets (issue 16, deliverable 2): every candidate in bench/defaults/candidates.txt
# is evaluated on each data set's validation split (carved per user from its training file, seed 42); per family the
# spec with the best mean share of the family's best validation nDCG@10 is chosen; then the old default and the
# chosen one are evaluated on each data set's test split. Never one data set's optimum; test rows never choose.
#
#   bash bench/defaults.sh                 # MovieLens 100k (needs $CASCADE_DATA or ../shared/data) + two generated sets
#   DEFAULTS_SETS="gen-small" bash bench/defaults.sh
#
# Data sets: ml100k (the Recommenders split's train.tsv and test.tsv), gen-small (cascade generate: 3,000 users,
# 1,500 items, 700,000 events, seed 7; about 100k interactions), gen-1m (30,000 users, 10,000 items, 7M events,
# seed 42; about 1M interactions, as the model selection section of docs/benchmarks.md). Generated events other than
# impressions and dislikes are interactions, split per user 75/25 (bench/defaults/split.py, seed 42).
# Environment: DEFAULTS_SETS ("ml100k gen-small gen-1m"), DEFAULTS_WORK (/tmp/cascade-defaults; generated data is
# cached there), DEFAULTS_CANDIDATES (bench/defaults/candidates.txt), DEFAULTS_ARTIFACTS (/tmp/art-defaults), DEFAULTS_SKIP_BUILD=1, CASCADE_DATA.
# The tables (Markdown) are the last lines of the output.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SETS=${DEFAULTS_SETS:-"ml100k gen-small gen-1m"}
WORK=${DEFAULTS_WORK:-/tmp/cascade-defaults}
ARTIFACTS=${DEFAULTS_ARTIFACTS:-/tmp/art-defaults}
DATA=${CASCADE_DATA:-$ROOT/../shared/data}
CLI="$ARTIFACTS/bin/Cascade.Cli/release/cascade.dll"
HERE="$ROOT/bench/defaults"
CANDIDATES=${DEFAULTS_CANDIDATES:-$HERE/candidates.txt}
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [ "${DEFAULTS_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$CLI" ]; then
  log "building the CLI (Release)"
  dotnet build "$ROOT/src/Cascade.Cli" -c Release --artifacts-path "$ARTIFACTS" -v q -nologo >/dev/null
fi
mkdir -p "$WORK"
RUN="$WORK/run-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN"

generated() { # name users items events seed
  local dir="$WORK/$1"
  if [ ! -f "$dir/.complete" ]; then
    log "$1: generating $2 users, $3 items, $4 events (seed $5)"
    rm -rf "$dir"; mkdir -p "$dir"
    dotnet "$CLI" generate --users "$2" --items "$3" --events "$4" --seed "$5" --out "$dir/gen" >/dev/null
    python3 - "$dir/gen/events.jsonl" "$dir/interactions.tsv" <<'PY'
import datetime, json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as o:
    for line in f:
        e = json.loads(line)
        if e["type"] in ("impression", "dislike"):
            continue
        t = int(datetime.datetime.fromisoformat(e["timestamp"]).timestamp())
        o.write("%s\t%s\t1\t%d\n" % (e["userId"][1:], e["itemId"][1:], t))
PY
    python3 "$HERE/split.py" "$dir/interactions.tsv" "$dir/train.tsv" "$dir/test.tsv" 42
    rm -rf "$dir/gen"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

DONE=()
for set in $SETS; do
  case "$set" in
    ml100k)
      S="$DATA/ml-100k/recommenders-split-seed42"
      if [ ! -f "$S/train.tsv" ]; then log "ml100k: skipped, $S/train.tsv not found (set CASCADE_DATA)"; continue; fi
      TRAIN="$S/train.tsv"; TEST="$S/test.tsv" ;;
    gen-small) d=$(generated gen-small 3000 1500 700000 7); TRAIN="$d/train.tsv"; TEST="$d/test.tsv" ;;
    gen-1m) d=$(generated gen-1m 30000 10000 7000000 42); TRAIN="$d/train.tsv"; TEST="$d/test.tsv" ;;
    *) echo "unknown data set $set" >&2; exit 2 ;;
  esac
  mkdir -p "$RUN/$set"
  python3 "$HERE/split.py" "$TRAIN" "$RUN/$set/fit.tsv" "$RUN/$set/validation.tsv" 42
  mapfile -t SPECS < <(grep -v '^#' "$CANDIDATES" | awk 'NF { print $2 }')
  log "$set: $(wc -l <"$TRAIN") training rows; validating ${#SPECS[@]} specs"
  dotnet "$CLI" evaluate --train "$RUN/$set/fit.tsv" --test "$RUN/$set/validation.tsv" --k 10 --seed 42 \
    --models "${SPECS[@]}" --output "$RUN/$set/validation.json" --report "$RUN/$set/validation.md" >"$RUN/$set/validation.log" 2>&1
  DONE+=("$set")
done

mapfile -t PICKS < <(python3 "$HERE/aggregate.py" "$CANDIDATES" choose "$RUN" "${DONE[@]}")
TEST_SPECS=()
while IFS= read -r line; do TEST_SPECS+=("$line"); done < <(
  { grep -v '^#' "$CANDIDATES" | awk 'NF && !seen[$1]++ { print $2 }'; printf '%s\n' "${PICKS[@]}" | cut -f2; } | awk '!seen[$0]++')
for set in "${DONE[@]}"; do
  case "$set" in
    ml100k) S="$DATA/ml-100k/recommenders-split-seed42"; TRAIN="$S/train.tsv"; TEST="$S/test.tsv" ;;
    *) TRAIN="$WORK/$set/train.tsv"; TEST="$WORK/$set/test.tsv" ;;
  esac
  log "$set: testing the old and the chosen defaults"
  dotnet "$CLI" evaluate --train "$TRAIN" --test "$TEST" --k 10 --seed 42 --models "${TEST_SPECS[@]}" \
    --output "$RUN/$set/test.json" --report "$RUN/$set/test.md" >"$RUN/$set/test.log" 2>&1
done

echo "# bench/defaults.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), results in $RUN"
printf 'chosen: %s\n' "${PICKS[@]}"
python3 "$HERE/aggregate.py" "$CANDIDATES" report "$RUN" "${DONE[@]}"
