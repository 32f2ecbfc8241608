#!/usr/bin/env bash
# The cost of metrics and traces under load (issue 18), measured against the machine's own run-to-run spread:
# bench/load.sh's full pipeline, started ROUNDS times with telemetry off and ROUNDS times with it on, interleaved
# (off, on, on, off, off, on, ... so a slow drift of the machine falls on both sides alike). Every server serves the
# same bundle (LOAD_STARTUP_BUNDLE=1: trained once, loaded at start), so a round takes minutes, not a training.
# Each run measures the p99 at 300 req/s and the saturation at 8 connections; the summary compares the two settings by
# their medians and by the mean of the paired differences (on − off, round by round) with a t interval.
#
#   bash bench/telemetry-cost.sh                     # 4 rounds (8 servers), about 30 minutes after the first training
#   TELEMETRY_ROUNDS=6 bash bench/telemetry-cost.sh
#
# Environment: TELEMETRY_ROUNDS (4); TELEMETRY_OFF and TELEMETRY_ON, the environment of each setting (defaults below:
# off = metrics, traces and drift off; on = the server's defaults with traces on, sampled at the default 0.1);
# bench/load.sh's LOAD_* variables (LOAD_SKIP_BUILD=1 reuses the Release build). The last line is the summary.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${TELEMETRY_ROUNDS:-4}
OFF=${TELEMETRY_OFF:-"Cascade__Telemetry__Metrics=false Cascade__Telemetry__Traces=false Cascade__Drift__Enabled=false"}
ON=${TELEMETRY_ON:-"Cascade__Telemetry__Metrics=true Cascade__Telemetry__Traces=true Cascade__Drift__Enabled=true"}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/telemetry-cost.XXXXXX")
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

echo "# bench/telemetry-cost.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?'), $ROUNDS rounds"
echo "off: $OFF"
echo "on:  $ON"
echo
echo "| round | setting | p99 ms at 300 req/s | saturation req/s (8 connections) | load average before |"
echo "|---:|---|---:|---:|---|"
build_skip=${LOAD_SKIP_BUILD:-0}
for round in $(seq 1 "$ROUNDS"); do
  # ABBA: odd rounds off first, even rounds on first.
  if [ $((round % 2)) = 1 ]; then order="off on"; else order="on off"; fi
  for setting in $order; do
    if [ "$setting" = off ]; then vars=$OFF; else vars=$ON; fi
    before=$(cut -d' ' -f1-3 /proc/loadavg)
    log "round $round, $setting"
    # shellcheck disable=SC2086 # vars is a list of NAME=VALUE words
    env $vars LOAD_SKIP_BUILD="$build_skip" LOAD_STARTUP_BUNDLE=1 LOAD_SKIP_POPULARITY=1 LOAD_RATES=300 \
      LOAD_SATURATION_CONNECTIONS=8 bash "$ROOT/bench/load.sh" >"$OUT/$round-$setting.md"
    build_skip=1
    summary=$(tail -1 "$OUT/$round-$setting.md")
    p99=$(sed -n 's/.*p99_ms_at_300rps=\([0-9.]*\).*/\1/p' <<<"$summary")
    sat=$(sed -n 's/.*saturation_rps=\([0-9.]*\) .*/\1/p' <<<"$summary")
    echo "$round $setting $p99 $sat" >>"$OUT/results.txt"
    echo "| $round | $setting | $p99 | $sat | $before |"
  done
done
echo
python3 - "$OUT/results.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
data = {(int(r), s): (float(p), float(t)) for r, s, p, t in rows}
rounds = sorted({r for r, _ in data})
t975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
def summary(index, name):
    off = [data[(r, "off")][index] for r in rounds]
    on = [data[(r, "on")][index] for r in rounds]
    diffs = [b / a - 1 for a, b in zip(off, on)]
    mean = statistics.mean(diffs)
    half = t975.get(len(diffs) - 1, 2.0) * statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else float("nan")
    spread = max(off) / min(off) - 1
    print(f"{name}: off median {statistics.median(off):.1f}, on median {statistics.median(on):.1f}, "
          f"on/off {statistics.median(on) / statistics.median(off):.3f} (medians); paired change {mean * 100:+.1f} % "
          f"[{(mean - half) * 100:+.1f} %, {(mean + half) * 100:+.1f} %] (95 % t interval); spread of the off runs {spread * 100:.0f} %")
    return statistics.median(on) / statistics.median(off), mean
p99_ratio, p99_change = summary(0, "p99 at 300 req/s, ms")
sat_ratio, sat_change = summary(1, "saturation at 8 connections, req/s")
print(f"telemetry: rounds={len(rounds)} p99_ratio_on_off={p99_ratio:.3f} saturation_ratio_on_off={sat_ratio:.3f} "
      f"p99_paired_change_pct={p99_change * 100:+.1f} saturation_paired_change_pct={sat_change * 100:+.1f}")
PY
rm -rf "$OUT"
