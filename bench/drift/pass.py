#!/usr/bin/env python3
"""Times drift passes of a running Cascade server (bench/drift-pass.sh starts it).

Posts ITEMS items in 20 categories and REFERENCE events, trains the bundle, posts WINDOW events after the
snapshot, then asks GET /v1/monitoring/drift?refresh=true: once (the first pass after the bundle), twice more
with nothing new, and once after STEP more events. Prints one line per pass with the server's elapsedMs and
the events in the window, then the server's resident memory.
"""
import json, random, sys, time, urllib.request

base, pid = sys.argv[1], int(sys.argv[2])
items, reference, window, step = (int(x) for x in sys.argv[3:7])
rnd = random.Random(7)


def send(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read() or b"null")


def events(n):
    """n impressions served as lists of 10 (positions 0-9, Pareto-popular items, served scores in [0, 1]) and a click
    on one item of one list in ten."""
    for start in range(0, n, 5000):
        batch = []
        for _ in range(min(5000, n - start) // 10):
            request, user = "r%d" % rnd.randrange(1 << 40), "u%d" % rnd.randrange(100_000)
            shown = ["i%d" % min(int(rnd.paretovariate(1.2)), items - 1) for _ in range(10)]
            batch += [{"userId": user, "itemId": item, "type": "impression", "requestId": request, "position": k, "value": rnd.random()}
                      for k, item in enumerate(shown)]
            if rnd.random() < 0.1:
                batch.append({"userId": user, "itemId": rnd.choice(shown), "type": "click", "requestId": request})
        send("POST", "/v1/events", batch)


def rss_mb():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


for start in range(0, items, 5000):
    send("POST", "/v1/items", [{"id": "i%d" % i, "title": "Item %d" % i, "categories": ["c%d" % (i % 20)]} for i in range(start, min(items, start + 5000))])
events(reference)
send("POST", "/v1/admin/train")
events(window)
for label in ("first pass after the bundle", "again, nothing new", "again, nothing new"):
    d = send("GET", "/v1/monitoring/drift?refresh=true")
    print("%-34s elapsed_ms=%9.1f window_events=%d" % (label, d["elapsedMs"], d["windowEvents"]), flush=True)
events(step)
d = send("GET", "/v1/monitoring/drift?refresh=true")
print("%-34s elapsed_ms=%9.1f window_events=%d" % ("after %d more events" % step, d["elapsedMs"], d["windowEvents"]), flush=True)
print("server_rss_mb=%d" % rss_mb())
