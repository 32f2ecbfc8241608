#!/usr/bin/env bash
# HTTP fuzzing benchmark (issue 15): the suite's OpenAPI fuzzer (tests/Cascade.Server.Tests/OpenApiFuzzer.cs) for a
# long run. Requests are generated from the server's own OpenAPI document — every operation, valid, boundary and
# hostile values, wrong content types, malformed, huge and deeply nested bodies — against a real server on loopback;
# every answer is checked: no 5xx, no hang, every 4xx a problem document naming its field.
#
#   bench/fuzz.sh                          # >= 100,000 requests (FUZZ_REQUESTS), seed 15
#   FUZZ_REQUESTS=20000 FUZZ_SEED=7 bench/fuzz.sh
#
# The LAST line is the summary: requests, operations, failures, 5xx and the count of each status.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQUESTS=${FUZZ_REQUESTS:-100000}
SEED=${FUZZ_SEED:-15}
OPERATIONS=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len([m for m in v if m not in ("parameters","summary","description")]) for v in d["paths"].values()))' "$ROOT/docs/openapi.json")
PER_OPERATION=$(( (REQUESTS + OPERATIONS - 1) / OPERATIONS ))
REPORT=$(mktemp)
trap 'rm -f "$REPORT"' EXIT
echo "fuzzing $OPERATIONS operations x $PER_OPERATION requests (seed $SEED)" >&2
status=0
CASCADE_FUZZ_PER_OPERATION=$PER_OPERATION CASCADE_FUZZ_SEED=$SEED CASCADE_FUZZ_REPORT=$REPORT \
  dotnet test "$ROOT/tests/Cascade.Server.Tests" --filter "FullyQualifiedName~FuzzTests" -nologo >&2 || status=$?
tail -n +2 "$REPORT" | head -50 >&2
head -1 "$REPORT"
exit $status
