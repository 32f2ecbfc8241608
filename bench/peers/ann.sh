#!/usr/bin/env bash
# Side-by-side ANN benchmark: Cascade HNSW vs hnswlib vs faiss IndexHNSWFlat on the same vectors, queries and machine.
# Prints the comparison table; the last line is the summary, e.g.
#   qps_ratio_vs_hnswlib_at_recall95=1.07 build_ratio=1.10 memory_ratio=0.98
#
# Settings (environment variables, defaults in brackets):
#   ANN_N [1000000] ANN_QUERIES [10000] ANN_DIM [64] ANN_CLUSTERS [1000] ANN_SEED [42]   synthetic Gaussian mixture
#   ANN_M [16] ANN_EFC [200] ANN_EFS [10,16,24,32,48,64,96,128,256] ANN_THREADS [2]     index parameters, same for all
#   ANN_PEERS ["hnswlib faiss"]   which peers to run (the summary line needs hnswlib)
#   ANN_REPEATS [3]   timed search passes per ef and thread count; the fastest counts (the machine may be shared)
#   ANN_SCRATCH [/tmp/cascade-ann-bench]   data, build output and logs (never committed)
#   ANN_DATA   a directory holding base.fvecs and query.fvecs to use instead of synthetic data, e.g. a trained
#              model's exported item embeddings (the hook for real data); truth.ivecs is computed if missing.
set -euo pipefail

N=${ANN_N:-1000000}
QUERIES=${ANN_QUERIES:-10000}
DIM=${ANN_DIM:-64}
CLUSTERS=${ANN_CLUSTERS:-1000}
SEED=${ANN_SEED:-42}
M=${ANN_M:-16}
EFC=${ANN_EFC:-200}
EFS=${ANN_EFS:-10,16,24,32,48,64,96,128,256}
THREADS=${ANN_THREADS:-2}
export ANN_REPEATS=${ANN_REPEATS:-3}
PEERS=${ANN_PEERS:-hnswlib faiss}
SCRATCH=${ANN_SCRATCH:-/tmp/cascade-ann-bench}
DATA=${ANN_DATA:-$SCRATCH/data-n$N-q$QUERIES-d$DIM-c$CLUSTERS-s$SEED}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3   # Debian's python sees python3-hnswlib and python3-faiss; a pyenv/venv python does not

mkdir -p "$SCRATCH" "$DATA"

# 1. Peers, installed from Debian when missing.
if ! $PY -c 'import hnswlib, faiss, numpy' 2>/dev/null; then
  echo "installing peers: python3-hnswlib python3-faiss" >&2
  apt-get install -y python3-hnswlib python3-faiss python3-numpy >&2 || { apt-get update >&2 && apt-get install -y python3-hnswlib python3-faiss python3-numpy >&2; }
fi

# 2. Our harness, built in Release into the scratch directory (never into the shared artifacts/).
dotnet build -c Release "$REPO/bench/Cascade.Ann.Bench" --artifacts-path "$SCRATCH/artifacts" -nologo -v q >&2
BENCH=(dotnet "$SCRATCH/artifacts/bin/Cascade.Ann.Bench/release/Cascade.Ann.Bench.dll")

# 3. Data once (deterministic seed), then exact ground truth with Cascade's FlatIndex.
if [ ! -f "$DATA/base.fvecs" ]; then
  "${BENCH[@]}" gen --dir "$DATA" --n "$N" --queries "$QUERIES" --dim "$DIM" --clusters "$CLUSTERS" --seed "$SEED" >&2
fi
if [ ! -f "$DATA/truth.ivecs" ]; then
  "${BENCH[@]}" truth --dir "$DATA" --k 10 >&2
fi

# 4. Each engine in its own process, one after another, on the same files.
LOG="$SCRATCH/results-$(date -u +%Y%m%dT%H%M%SZ).log"
{
  echo "# machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; dotnet $(dotnet --version); hnswlib $(dpkg-query -W -f='${Version}' python3-hnswlib); faiss $(dpkg-query -W -f='${Version}' python3-faiss)"
  echo "# data: $DATA"
  # The load average before and after each engine shows whether other work shared the cores during its run.
  echo "# load before cascade: $(cut -d' ' -f1-3 /proc/loadavg)"
  "${BENCH[@]}" run --dir "$DATA" --m "$M" --efc "$EFC" --efs "$EFS" --threads "$THREADS" --repeats "$ANN_REPEATS"
  for peer in $PEERS; do
    echo "# load before $peer: $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY "$HERE/ann_peers.py" "$peer" "$DATA" "$M" "$EFC" "$EFS" "$THREADS"
  done
  echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$LOG"
echo "# log: $LOG"
$PY "$HERE/ann_table.py" "$LOG"
