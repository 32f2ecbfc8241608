#!/usr/bin/env python3
"""Resolves a `perf record -g` profile of a .NET process whose JIT code perf shows as /memfd:doublemapper.

.NET maps JIT code twice (W^X), so perf attributes samples to the memfd mapping by file offset and cannot use the
/tmp/perf-PID.map that DOTNET_PerfMapEnabled=1 writes. This maps each offset back to an address through the
recorded mmap events and looks the address up in the perf map, then prints the top methods by self samples and by
inclusive samples (a method counted once per sample however often it is on the stack).

  DOTNET_PerfMapEnabled=1 dotnet cascade.dll serve …           # start the server
  perf record -F 299 -g -p PID -o perf.data -- sleep 20          # while load runs
  python3 bench/load/perfsym.py perf.data PID [TOP]
"""
import bisect
import collections
import re
import subprocess
import sys


def main(data, pid, top=40):
    symbols = []
    with open(f"/tmp/perf-{pid}.map", encoding="utf-8", errors="replace") as f:
        for line in f:
            start, size, name = line.rstrip("\n").split(" ", 2)
            symbols.append((int(start, 16), int(size, 16), name))
    symbols.sort()
    starts = [s[0] for s in symbols]

    def lookup(address):
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < symbols[i][0] + symbols[i][1]:
            return symbols[i][2]
        return None

    out = subprocess.run(["perf", "script", "-i", data, "--show-mmap-events", "-F", "comm,tid,ip,sym,dso"],
                         capture_output=True, text=True, check=True).stdout
    mmap = re.compile(r"\[0x([0-9a-f]+)\(0x([0-9a-f]+)\) @ (0x[0-9a-f]+|0) .*doublemapper")
    regions = []  # (file offset, length, address)
    frame = re.compile(r"^\s+([0-9a-f]+) (.*?) \((.*)\)$")
    self_counts = collections.Counter()
    inclusive = collections.Counter()
    samples = 0
    stack = []

    def flush():
        nonlocal samples
        if not stack:
            return
        samples += 1
        self_counts[stack[0]] += 1
        for name in set(stack):
            inclusive[name] += 1
        stack.clear()

    for line in out.splitlines():
        if "PERF_RECORD_MMAP" in line:
            m = mmap.search(line)
            if m:
                regions.append((int(m.group(3), 16), int(m.group(2), 16), int(m.group(1), 16)))
            continue
        m = frame.match(line)
        if not m:
            flush()
            continue
        ip, sym, dso = int(m.group(1), 16), m.group(2), m.group(3)
        name = None
        if "doublemapper" in dso:
            for offset, length, address in regions:
                if offset <= ip < offset + length:
                    name = lookup(address + ip - offset)
                    break
        elif sym and sym != "[unknown]":
            name = f"{sym} [{dso.rsplit('/', 1)[-1]}]"
        if name is None:
            name = lookup(ip) or f"? [{dso.rsplit('/', 1)[-1]}]"
        stack.append(name)
    flush()

    print(f"{samples} samples")
    print("\nself:")
    for name, n in self_counts.most_common(top):
        print(f"{100 * n / samples:6.2f}%  {name[:160]}")
    print("\ninclusive:")
    for name, n in inclusive.most_common(top):
        print(f"{100 * n / samples:6.2f}%  {name[:160]}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 40)
