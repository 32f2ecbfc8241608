#!/usr/bin/python3
"""Turns the RESULT lines of an ann.sh run into the comparison table and the one-line summary.

QPS at recall@10 = 0.95 is interpolated per engine between the two ef settings that bracket 0.95 (linear in
recall, logarithmic in QPS); an engine that never reaches 0.95 gets no figure.
"""
import math
import sys


def parse(path):
    rows = []
    with open(path) as log:
        for line in log:
            if line.startswith("# machine") or line.startswith("# load"):
                print(line.rstrip())
            if line.startswith("RESULT "):
                fields = dict(part.split("=", 1) for part in line.split()[1:])
                rows.append(fields)
    return rows


def qps_at(points, target=0.95):
    points = sorted(points, key=lambda p: p[0])  # by recall
    for (r0, q0), (r1, q1) in zip(points, points[1:]):
        if r0 < target <= r1:
            t = (target - r0) / (r1 - r0) if r1 > r0 else 1.0
            return math.exp(math.log(q0) + t * (math.log(q1) - math.log(q0)))
    above = [q for r, q in points if r >= target]
    return max(above) if above else None


def main():
    rows = parse(sys.argv[1])
    engines = [e for e in ("cascade", "hnswlib", "faiss") if any(r["engine"] == e for r in rows)]
    threads_key = next((k for r in rows if r.get("kind") == "search" for k in r if k.startswith("qps") and k != "qps1"), "qps2")
    builds = {r["engine"]: r for r in rows if r["kind"] == "build"}
    searches = {e: [r for r in rows if r["engine"] == e and r["kind"] == "search"] for e in engines}

    print()
    print(f"| engine | build s ({threads_key[3:]} threads) | build CPU s | index memory MB (RSS delta) | QPS@recall0.95 1 thread | QPS@recall0.95 {threads_key[3:]} threads |")
    print("|---|---|---|---|---|---|")
    summary = {}
    for e in engines:
        b = builds.get(e, {})
        q1 = qps_at([(float(r["recall"]), float(r["qps1"])) for r in searches[e]])
        qm = qps_at([(float(r["recall_mt"]), float(r[threads_key])) for r in searches[e]])
        summary[e] = (float(b.get("seconds", "nan")), float(b.get("rss_delta_mb", "nan")), q1, qm)
        fmt = lambda v: "n/a" if v is None else f"{v:.0f}"
        print(f"| {e} | {b.get('seconds', 'n/a')} | {b.get('cpu_seconds', 'n/a')} | {b.get('rss_delta_mb', 'n/a')} | {fmt(q1)} | {fmt(qm)} |")

    print()
    header = "| ef | " + " | ".join(f"{e} recall@10 | {e} QPS 1t | {e} QPS {threads_key[3:]}t" for e in engines) + " |"
    print(header)
    print("|" + "---|" * (1 + 3 * len(engines)))
    efs = sorted({int(r["ef"]) for e in engines for r in searches[e]})
    for ef in efs:
        cells = []
        for e in engines:
            r = next((x for x in searches[e] if int(x["ef"]) == ef), None)
            cells += [r["recall"], r["qps1"], r[threads_key]] if r else ["", "", ""]
        print(f"| {ef} | " + " | ".join(cells) + " |")

    for r in rows:
        if r["kind"] in ("filtered", "file", "truth"):
            print("# " + " ".join(f"{k}={v}" for k, v in r.items()))

    print()
    ours, peer = summary.get("cascade"), summary.get("hnswlib")
    ratio = lambda a, b: "n/a" if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b) else f"{a / b:.2f}"
    if ours and peer:
        print(f"qps_ratio_vs_hnswlib_at_recall95={ratio(ours[2], peer[2])} build_ratio={ratio(ours[0], peer[0])} memory_ratio={ratio(ours[1], peer[1])}")
    else:
        print("qps_ratio_vs_hnswlib_at_recall95=n/a build_ratio=n/a memory_ratio=n/a")


if __name__ == "__main__":
    main()
