#!/usr/bin/env bash
# Cascade gradient-boosted trees beside LightGBM (its C API, from the LightGBM NuGet package), ML.NET's LightGbm and
# FastTree trainers (bench/Cascade.Peers.Bench) and XGBoost (tree_method=hist), in one run, with matched settings:
# the same rounds, depth 6 (ours: max_depth=6, max_leaves=64), learning rate 0.1, lambda 1, min_child_weight 1,
# 256 bins, base score = training click rate, 2 threads.
#   (a) Frappe (BARS x1: train_approx_seed2021.csv → valid.csv); XGBoost gets our encoded codes, once as categorical
#       (enable_categorical, max_cat_to_onehot=4, max_cat_threshold=32, like ours) and once as plain numbers.
#       LightGBM gets the codes as categorical (its own categorical splits, the same cat_smooth/cat_l2/min_data_per_group
#       as ours); ML.NET's trainers get them as numbers.
#   (b) the deterministic 1M × GBDT_FEATURES (default 20) synthetic set (Cascade.Trees.Bench synthetic; every side reads
#       the same .f32 file; parsing is not timed).
#   Inference: 100 trees of depth 6 on 50 numeric features, 1 thread, rows/s per core of CPU time.
# Train time is wall-clock around Fit / xgb.train (binning and quantile sketches included, data loading not), with CPU
# seconds beside it since the machine is shared. Usage: bash bench/peers/gbdt.sh
#   (env: CASCADE_DATA, GBDT_ROUNDS, GBDT_FEATURES, GBDT_WORK)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DATA=${CASCADE_DATA:-$ROOT/../shared/data}
WORK=${GBDT_WORK:-/tmp/cascade-gbdt}
ROUNDS=${GBDT_ROUNDS:-100}
FEATURES=${GBDT_FEATURES:-20}
SYNTH="$WORK/synth-$FEATURES"
ART=${GBDT_ARTIFACTS:-/tmp/art-gbdt-peers}
PY=/usr/bin/python3

if ! $PY -c "import xgboost" 2>/dev/null; then
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo
  $SUDO apt-get install -y python3-xgboost
fi
dotnet build "$ROOT/bench/Cascade.Trees.Bench" -c Release --artifacts-path "$ART" -v q -nologo >/dev/null
dotnet build "$ROOT/bench/Cascade.Peers.Bench" -c Release --artifacts-path "$ART" -v q -nologo >/dev/null
BENCH="$ART/bin/Cascade.Trees.Bench/release/Cascade.Trees.Bench"
PEERS="$ART/bin/Cascade.Peers.Bench/release/Cascade.Peers.Bench"
mkdir -p "$WORK" "$SYNTH"
if [ ! -f "$SYNTH/synth_meta.json" ]; then
  "$BENCH" synthetic --out "$SYNTH" --features "$FEATURES" --csv false >"$SYNTH/synthetic.json"
fi

echo "load before: $(uptime)"
COMMON="--trees $ROUNDS --lr 0.1 --max-depth 6 --max-leaves 64 --min-child-weight 1 --min-data-in-leaf 1 --lambda 1 --max-bin 255 --threads 2"
"$BENCH" train --data frappe --dir "$DATA/frappe/x1" --export "$WORK" $COMMON >"$WORK/ours_frappe.json"
# The same without our categorical regularisation (cat_smooth, cat_l2, min_data_per_group), which XGBoost does not have.
"$BENCH" train --data frappe --dir "$DATA/frappe/x1" $COMMON --cat-smooth 0 --cat-l2 0 --min-data-per-group 1 >"$WORK/ours_frappe_plain.json"
"$BENCH" train --data synthetic --dir "$SYNTH" $COMMON >"$WORK/ours_synthetic.json"
"$BENCH" infer --export "$WORK" >"$WORK/ours_infer.json"
# The .NET peers: LightGBM's C API, ML.NET LightGbm, ML.NET FastTree (one JSON line each).
"$PEERS" gbdt --data frappe --dir "$WORK" --trees "$ROUNDS" --threads 2 >"$WORK/peers_frappe.jsonl"
"$PEERS" gbdt --data synthetic --dir "$SYNTH" --trees "$ROUNDS" --threads 2 >"$WORK/peers_synthetic.jsonl"

WORK="$WORK" SYNTH="$SYNTH" ROUNDS="$ROUNDS" $PY - <<'PYEOF'
import json, os, time
import numpy as np
import xgboost as xgb

work, synth, rounds = os.environ["WORK"], os.environ["SYNTH"], int(os.environ["ROUNDS"])

def auc(y, s):
    order = np.argsort(s, kind="mergesort"); s_sorted = s[order]
    ranks = np.empty(len(s)); i = 0; n = len(s)
    # average ranks over ties
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]]); ends = np.r_[starts[1:], n]
    avg = (starts + ends - 1) / 2.0 + 1
    ranks[order] = np.repeat(avg, ends - starts)
    pos = y > 0.5; npos = pos.sum(); nneg = n - npos
    return float((ranks[pos].sum() - npos * (npos + 1) / 2) / (npos * nneg))

def logloss(y, p):
    p = np.clip(p.astype(np.float64), 1e-15, 1 - 1e-15)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

def load(name, cols, folder=None):
    m = np.fromfile(os.path.join(folder or work, name), dtype="<f4").reshape(-1, cols)
    return m[:, 1:], m[:, 0]

def train(xtr, ytr, xva, yva, extra=None, feature_types=None):
    kw = dict(feature_types=feature_types, enable_categorical=True) if feature_types else {}
    dtr = xgb.DMatrix(xtr, label=ytr, nthread=2, **kw)
    dva = xgb.DMatrix(xva, label=yva, nthread=2, **kw)
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6, "eta": 0.1, "lambda": 1,
              "min_child_weight": 1, "max_bin": 256, "nthread": 2, "base_score": float(ytr.mean())}
    params.update(extra or {})
    w0, c0 = time.perf_counter(), time.process_time()
    booster = xgb.train(params, dtr, rounds)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    p = booster.predict(dva)
    return {"train_seconds": round(wall, 3), "train_cpu_seconds": round(cpu, 3), "trees": rounds,
            "valid_auc": round(auc(yva, p), 5), "valid_logloss": round(logloss(yva, p), 5)}, booster

ours = {k: json.load(open(os.path.join(work, f"ours_{k}.json"))) for k in ("frappe", "frappe_plain", "synthetic", "infer")}
peers = {k: [json.loads(line) for line in open(os.path.join(work, f"peers_{k}.jsonl")) if line.strip()] for k in ("frappe", "synthetic")}
def peer(data, prefix):
    return next(p for p in peers[data] if p["implementation"].startswith(prefix))
meta = json.load(open(os.path.join(work, "frappe_meta.json")))
fields = len(meta["fields"])
ftr, ytr = load("frappe_train.f32", fields + 1)
fva, yva = load("frappe_valid.f32", fields + 1)
xgb_frappe_cat, _ = train(ftr, ytr, fva, yva, {"max_cat_to_onehot": 4, "max_cat_threshold": 32}, ["c"] * fields)
xgb_frappe_num, _ = train(ftr, ytr, fva, yva)
features = json.load(open(os.path.join(synth, "synth_meta.json")))["features"]
str_, sytr = load("synth_train.f32", features + 1, synth)
sva, syva = load("synth_valid.f32", features + 1, synth)
xgb_synth, _ = train(str_, sytr, sva, syva)

# Inference: the same shape as ours (100 trees, depth 6, 50 features), 1 thread, CPU time of predict.
infer_features = ours["infer"]["features"]
itr, iytr = load("infer_train.f32", infer_features + 1)
irows, _ = load("infer_rows.f32", infer_features + 1)
_, booster = train(itr, iytr, itr[:1000], iytr[:1000])
booster.set_param({"nthread": 1})
booster.inplace_predict(irows)  # warm-up; inplace_predict has no prediction cache
times = []
for _ in range(3):
    c0 = time.process_time()
    booster.inplace_predict(irows)
    times.append(time.process_time() - c0)
best = min(times)
xgb_infer = round(len(irows) / best)

rows = [("frappe", "cascade (native categorical, defaults cat_smooth=10 cat_l2=10 min_data_per_group=10)", ours["frappe"]),
        ("frappe", "cascade (native categorical, that regularisation off)", ours["frappe_plain"]),
        ("frappe", "xgboost hist (enable_categorical)", xgb_frappe_cat),
        ("frappe", "xgboost hist (codes as numbers)", xgb_frappe_num)]
rows += [("frappe", p["implementation"], p) for p in peers["frappe"]]
synth_name = f"synthetic 1M x {features}"
rows += [(synth_name, "cascade", ours["synthetic"]), (synth_name, "xgboost hist", xgb_synth)]
rows += [(synth_name, p["implementation"], p) for p in peers["synthetic"]]
print(f"rounds={rounds} depth=6 (cascade and lightgbm max_leaves=64) eta=0.1 lambda=1 min_child_weight=1 bins=256 threads=2")
print("| data | implementation | train s (wall) | train s (CPU) | trees | valid AUC | valid logloss |")
print("|---|---|---:|---:|---:|---:|---:|")
for data, name, r in rows:
    print(f"| {data} | {name} | {r['train_seconds']:.2f} | {r['train_cpu_seconds']:.2f} | {r['trees']} | {r['valid_auc']:.4f} | {r['valid_logloss']:.4f} |")
print(f"| inference 100 trees depth 6, 50 features, 1 thread | cascade | rows/s per core: {ours['infer']['rows_per_s_per_core']:.0f} (wall {ours['infer']['rows_per_s_wall']:.0f}) | | | | |")
print(f"| inference 100 trees depth 6, 50 features, 1 thread | xgboost | rows/s per core: {xgb_infer} | | | | |")
print("load after: " + open("/proc/loadavg").read().strip())
ratio = ours["synthetic"]["train_seconds"] / xgb_synth["train_seconds"]
cpu_ratio = ours["synthetic"]["train_cpu_seconds"] / xgb_synth["train_cpu_seconds"]
frappe_ratio = ours["frappe"]["train_seconds"] / xgb_frappe_cat["train_seconds"]
lgb, lgb_frappe = peer("synthetic", "lightgbm"), peer("frappe", "lightgbm")
lgb_ratio = ours["synthetic"]["train_seconds"] / lgb["train_seconds"]
lgb_cpu_ratio = ours["synthetic"]["train_cpu_seconds"] / lgb["train_cpu_seconds"]
lgb_frappe_ratio = ours["frappe"]["train_seconds"] / lgb_frappe["train_seconds"]
print(f"train_time_ratio_vs_lightgbm={lgb_ratio:.2f} cpu_time_ratio_vs_lightgbm={lgb_cpu_ratio:.2f} auc_lightgbm={lgb['valid_auc']:.4f} "
      f"frappe_train_time_ratio_vs_lightgbm={lgb_frappe_ratio:.2f} frappe_auc_lightgbm={lgb_frappe['valid_auc']:.4f} "
      f"train_time_ratio_vs_xgboost={ratio:.2f} cpu_time_ratio={cpu_ratio:.2f} auc_ours={ours['synthetic']['valid_auc']:.4f} "
      f"auc_xgboost={xgb_synth['valid_auc']:.4f} frappe_train_time_ratio={frappe_ratio:.2f} frappe_auc_ours={ours['frappe']['valid_auc']:.4f} "
      f"frappe_auc_xgboost={xgb_frappe_cat['valid_auc']:.4f} infer_rows_per_s_per_core={ours['infer']['rows_per_s_per_core']:.0f} "
      f"xgboost_infer_rows_per_s_per_core={xgb_infer}")
PYEOF
