#!/usr/bin/env bash
# Regenerates docs/openapi.json from the running server, so the checked-in document matches the code.
# A test (The_openapi_document_is_served_and_matches_the_checked_in_copy) fails when they differ.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
dotnet build src/Cascade.Cli -v q -nologo >/dev/null
dotnet artifacts/bin/Cascade.Cli/debug/cascade.dll serve --data-dir "$dir/data" --urls "http://127.0.0.1:$port" >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/openapi/v1.json" -o "$dir/openapi.json"; then break; fi
  sleep 0.2
done
python3 -m json.tool --indent 2 "$dir/openapi.json" > docs/openapi.json
echo "wrote docs/openapi.json ($(wc -c < docs/openapi.json) bytes)"
