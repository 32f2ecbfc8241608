#!/usr/bin/env bash
# Kill -9 at scale (issue 15): runs the crash test of the suite (tests/Cascade.Storage.Tests/CrashTests.cs) for many
# cycles. Each cycle starts the crash child (tests/Cascade.CrashChild: 3 concurrent appenders, client event ids,
# EveryBatch durability, 256 KiB segments), kills it with SIGKILL at a seeded-random moment (one in six during start-up
# recovery and catalog catch-up), reopens the data folder as a restart would and checks every acknowledged event is in
# the log exactly once at the sequence it was acknowledged with, and that the catalog agrees. The suite runs 24 cycles;
# this runs 100 by default. The LAST line is the summary: cycles, acknowledged, lost, duplicated.
#
#   bench/crash.sh            # 100 cycles, the suite's seed
#   bench/crash.sh 300 7      # 300 cycles, seed 7
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CYCLES=${1:-100}
SEED=${2:-20261122}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

dotnet build "$ROOT/tests/Cascade.Storage.Tests" -nologo -v q >&2
start=$(date +%s)
status=0
CASCADE_CRASH_CYCLES=$CYCLES CASCADE_CRASH_SEED=$SEED dotnet test "$ROOT/tests/Cascade.Storage.Tests" --no-build \
  --filter "FullyQualifiedName~CrashTests" --logger "console;verbosity=detailed" >"$OUT/test.log" 2>&1 || status=$?
grep -E '^ *run +[0-9]+:' "$OUT/test.log" | sed 's/^ *//' >&2 || true
summary=$(grep -E 'crash summary:' "$OUT/test.log" | sed 's/^ *//' | tail -1)
if [ -z "$summary" ]; then
  tail -40 "$OUT/test.log" >&2
  echo "crash: no summary (the test failed before it finished; exit $status)"
  exit 1
fi
echo "$summary; elapsed $(( $(date +%s) - start )) s; test exit $status"
exit $status
