#!/usr/bin/env python3
"""Small formatting helpers for bench/load.sh (standard library only).

  report.py stats FILE            per-stage table (markdown) from a GET /v1/admin/stats response
  report.py bundle FILE           the bundle version of a stats response, or nothing when there is none yet
  report.py field LINE KEY        the value of KEY=… in a LOADRESULT line (errors: the sum of every error kind)
  report.py row LABEL RATE CONNECTIONS LINE LOAD_BEFORE LOAD_AFTER
                                  one markdown row of the results table
  report.py degraded FILE         requests with any degraded stage since start, from a GET /v1/admin/stats response
  report.py usable LINE           exit 0 when a run counts for saturation (no errors, at most 1% degraded)
  report.py sample BASE USERS K   K explained requests of random users, one at a time: candidates per stage
"""
import json
import random
import statistics
import sys
import urllib.request


def stats(path):
    with open(path, encoding="utf-8") as f:
        body = json.load(f)
    print("| stage | requests | mean ms | p50 ms | p95 ms | p99 ms | degraded |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for s in body.get("stages", []):
        print(f"| {s['stage']} | {s['count']:,} | {s['meanMs']:.2f} | {s['p50Ms']:.2f} | {s['p95Ms']:.2f} | {s['p99Ms']:.2f} | {s['degraded']:,} |")
    print(f"impression write failures: {body.get('impressionFailures', 0)}")
    if gc := body.get("gc"):
        print(f"garbage collections since start: gen0 {gc['gen0']}, gen1 {gc['gen1']}, gen2 {gc['gen2']}, "
              f"total pause {gc['totalPauseMs']:,.0f} ms, heap {gc['heapMb']:,.0f} MB")
    if st := body.get("state"):
        recent = "off" if st.get("recentUsers") is None else f"{st['recentUsers']:,} users, {st['recentItems']:,} items after sequence {st['recentFloor']:,}"
        print(f"in-memory state: recent changes {recent}; feature store {st['featureUsers']:,} users, "
              f"{st['featureItems']:,} items, {st['featurePairs']:,} user x item pairs; working set {st['workingSetMb']:,.0f} MB")


def degraded(path):
    with open(path, encoding="utf-8") as f:
        body = json.load(f)
    print(next((s["degraded"] for s in body.get("stages", []) if s["stage"] == "total"), 0))


def bundle(path):
    try:
        with open(path, encoding="utf-8") as f:
            version = json.load(f).get("bundleVersion")
    except (OSError, ValueError):
        return
    if version:
        print(version)


ERRORS = ["errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout"]


def parse(line):
    values = dict(part.split("=", 1) for part in line.split() if "=" in part)
    if "rps" not in values:
        sys.exit(f"not a LOADRESULT line: {line!r}")
    values["errors"] = str(sum(int(values[k]) for k in ERRORS))
    return values


def field(line, key):
    values = parse(line)
    if key not in values:
        sys.exit(f"no {key}= in: {line}")
    print(values[key])


def row(label, rate, connections, line, before, after):
    v = parse(line)
    print(f"| {label} | {rate} | {connections} | {float(v['rps']):,.1f} | {int(v['requests']):,} | {v['p50_ms']} | {v['p95_ms']} | {v['p99_ms']} "
          f"| {v['max_ms']} | {v['errors']} ({v['errors_status']}/{v['errors_timeout']}) | {int(v.get('degraded', 0)):,} | {before} → {after} |")


def usable(line):
    """Exit status 0 when a run counts for saturation: no errors and at most 1% of responses degraded."""
    v = parse(line)
    sys.exit(0 if int(v["errors"]) == 0 and int(v.get("degraded", 0)) <= 0.01 * int(v["requests"]) else 1)


def sample(base, users, k):
    rng = random.Random(7)
    counts = {}
    times = {}
    degraded = 0
    for _ in range(k):
        user = rng.randrange(users)
        with urllib.request.urlopen(f"{base}/v1/recommend/u{user}?n=20&explain=true", timeout=30) as r:
            body = json.load(r)
        degraded += 1 if body.get("degraded") else 0
        for stage in body.get("stages") or []:
            counts.setdefault(stage["stage"], []).append(stage["count"])
            times.setdefault(stage["stage"], []).append(stage["milliseconds"])
    print(f"{k} single requests with explain=true (one at a time, no other load; explain adds the trails' cost), {degraded} degraded:")
    print()
    print("| stage | items out, mean | min | max | median ms |")
    print("|---|---:|---:|---:|---:|")
    for stage, c in counts.items():
        print(f"| {stage} | {statistics.mean(c):.0f} | {min(c)} | {max(c)} | {statistics.median(times[stage]):.2f} |")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "stats" and len(sys.argv) == 3:
        stats(sys.argv[2])
    elif command == "bundle" and len(sys.argv) == 3:
        bundle(sys.argv[2])
    elif command == "field" and len(sys.argv) == 4:
        field(sys.argv[2], sys.argv[3])
    elif command == "degraded" and len(sys.argv) == 3:
        degraded(sys.argv[2])
    elif command == "usable" and len(sys.argv) == 3:
        usable(sys.argv[2])
    elif command == "sample" and len(sys.argv) == 5:
        sample(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif command == "row" and len(sys.argv) == 8:
        row(*sys.argv[2:])
    else:
        sys.exit(__doc__)
