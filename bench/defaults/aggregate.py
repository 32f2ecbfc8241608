"""Chooses each model family's default from bench/defaults.sh's validation runs and prints the tables.

    python3 aggregate.py candidates.txt choose RUN_DIR DATASET...     # prints "family<TAB>chosen spec" lines
    python3 aggregate.py candidates.txt report RUN_DIR DATASET...     # Markdown tables (validation and test)

RUN_DIR/DATASET/validation.json and RUN_DIR/DATASET/test.json are `cascade evaluate --output` files: a JSON object
keyed by model spec, then metric. A family's default is the spec with the best mean over data sets of nDCG@10
divided by the best nDCG@10 of that family on that data set (so each data set weighs the same, whatever its scale).
"""
import json
import sys
from collections import OrderedDict

METRIC = "ndcg@10"


def candidates(path):
    families = OrderedDict()
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                family, spec = line.split(None, 1)
                families.setdefault(family, []).append(canonical(spec))
    return families


def canonical(spec):
    """The label `cascade evaluate` gives a spec: its parameters sorted by name."""
    family, _, params = spec.partition(":")
    return family + (":" + ",".join(sorted(params.split(","))) if params else "")


def load(run, dataset, name):
    try:
        with open(f"{run}/{dataset}/{name}.json") as f:
            return {canonical(k): v for k, v in json.load(f).items()}
    except FileNotFoundError:
        return {}


def relative(families, run, datasets):
    out = {}
    for family, specs in families.items():
        for spec in specs:
            ratios = []
            for d in datasets:
                v = load(run, d, "validation")
                scores = [v[s][METRIC] for s in specs if s in v]
                if spec in v and scores and max(scores) > 0:
                    ratios.append(v[spec][METRIC] / max(scores))
            out[spec] = sum(ratios) / len(ratios) if len(ratios) == len(datasets) else None
    return out


def chosen(families, run, datasets):
    rel = relative(families, run, datasets)
    result = OrderedDict()
    for family, specs in families.items():
        scored = [(rel[s], s) for s in specs if rel[s] is not None]
        if scored:
            result[family] = max(scored, key=lambda t: t[0])[1]
    return result


def main():
    families, mode, run, datasets = candidates(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
    picks = chosen(families, run, datasets)
    if mode == "choose":
        for family, spec in picks.items():
            print(f"{family}\t{spec}")
        return
    rel = relative(families, run, datasets)
    print(f"Validation {METRIC} (split carved from each training file), and the mean share of the family's best:\n")
    print("| Spec | " + " | ".join(datasets) + " | mean share of best |")
    print("|---|" + "---:|" * (len(datasets) + 1))
    for family, specs in families.items():
        for spec in specs:
            cells = []
            for d in datasets:
                v = load(run, d, "validation")
                cells.append(f"{v[spec][METRIC]:.4f}" if spec in v else "–")
            mark = " **(chosen)**" if picks.get(family) == spec else (" (old default)" if spec == specs[0] else "")
            share = f"{rel[spec]:.3f}" if rel[spec] is not None else "–"
            print(f"| `{spec}`{mark} | " + " | ".join(cells) + f" | {share} |")
    print(f"\nTest {METRIC} (each data set's test split; the old default, the chosen default, fit seconds):\n")
    print("| Family | " + " | ".join(f"{d} old | {d} chosen" for d in datasets) + " |")
    print("|---|" + "---:|---:|" * len(datasets))
    for family, specs in families.items():
        cells = []
        for d in datasets:
            t = load(run, d, "test")
            for spec in (specs[0], picks.get(family)):
                cells.append(f"{t[spec][METRIC]:.4f} ({t[spec]['fit_seconds']:.1f} s)" if spec in t else "–")
        print(f"| {family} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
