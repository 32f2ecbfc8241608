#!/usr/bin/python3
"""Runs a peer ANN engine (hnswlib or faiss IndexHNSWFlat) on the files made by Cascade.Ann.Bench and prints
RESULT lines in the same format as the C# harness. Run with Debian's /usr/bin/python3, which sees the
python3-hnswlib and python3-faiss packages.

usage: ann_peers.py ENGINE DIR M EF_CONSTRUCTION EF_LIST THREADS
"""
import os
import sys
import time

import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    width = int(raw[0])
    rows = raw.reshape(-1, width + 1)
    if not (rows[:, 0] == width).all():
        raise SystemExit(f"{path}: inconsistent row widths")
    return np.ascontiguousarray(rows[:, 1:]).view(dtype)


def rss_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return -1


def recall(found, truth, k):
    hits = 0
    for row, expected in zip(found, truth[:, :k]):
        hits += len(set(row[:k].tolist()) & set(expected.tolist()))
    return hits / (len(found) * k)


def main():
    engine, data_dir, m, efc, ef_list, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
    k = 10
    base = read_vecs(os.path.join(data_dir, "base.fvecs"), np.float32)
    queries = read_vecs(os.path.join(data_dir, "query.fvecs"), np.float32)
    truth = read_vecs(os.path.join(data_dir, "truth.ivecs"), np.int32)
    n, dim = base.shape
    print(f"# {engine}: n={n} dim={dim} queries={len(queries)} M={m} efConstruction={efc} build threads={threads}", flush=True)

    if engine == "hnswlib":
        import hnswlib

        rss_before = rss_bytes()
        cpu_before = time.process_time()
        start = time.perf_counter()
        index = hnswlib.Index(space="l2", dim=dim)
        index.init_index(max_elements=n, M=m, ef_construction=efc, random_seed=42)
        index.add_items(base, np.arange(n), num_threads=threads)
        build = time.perf_counter() - start
        cpu = time.process_time() - cpu_before
        rss_after = rss_bytes()

        def search(ef, nthreads):
            index.set_ef(ef)
            labels, _ = index.knn_query(queries, k=k, num_threads=nthreads)
            return labels
    elif engine == "faiss":
        import faiss

        faiss.omp_set_num_threads(threads)
        rss_before = rss_bytes()
        cpu_before = time.process_time()
        start = time.perf_counter()
        index = faiss.IndexHNSWFlat(dim, m)
        index.hnsw.efConstruction = efc
        index.add(base)
        build = time.perf_counter() - start
        cpu = time.process_time() - cpu_before
        rss_after = rss_bytes()

        def search(ef, nthreads):
            faiss.omp_set_num_threads(nthreads)
            index.hnsw.efSearch = ef
            _, labels = index.search(queries, k)
            return labels
    else:
        raise SystemExit(f"unknown engine {engine}")

    print(f"RESULT engine={engine} kind=build seconds={build:.2f} cpu_seconds={cpu:.1f} rss_delta_mb={(rss_after - rss_before) / 1048576:.1f}", flush=True)
    repeats = int(os.environ.get("ANN_REPEATS", "3"))
    for ef in [int(e) for e in ef_list.split(",")]:
        search(ef, 1)  # warm-up
        # Best of `repeats` passes, as for Cascade: on a shared machine a slow pass measures the neighbours.
        single = multi = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            labels = search(ef, 1)
            single = min(single, time.perf_counter() - start)
        r1 = recall(labels, truth, k)
        for _ in range(repeats):
            start = time.perf_counter()
            labels = search(ef, threads)
            multi = min(multi, time.perf_counter() - start)
        rm = recall(labels, truth, k)
        q = len(queries)
        print(f"RESULT engine={engine} kind=search ef={ef} recall={r1:.4f} qps1={q / single:.1f} qps{threads}={q / multi:.1f} recall_mt={rm:.4f}", flush=True)


if __name__ == "__main__":
    main()
