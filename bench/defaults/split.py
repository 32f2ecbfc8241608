"""Splits a user-item TSV (user, item, value, unix time) per user: of each user's rows, a seeded random 25 %
(at least one, when the user has two or more) go to the second file. Used by bench/defaults.sh for the test split
of generated data and for the validation split carved from every training file.

    python3 split.py IN TRAIN OUT_HELDOUT SEED
"""
import random
import sys
from collections import defaultdict

source, train_path, held_path, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rows = defaultdict(list)
with open(source) as f:
    for line in f:
        if line.strip():
            rows[line.split("\t", 1)[0]].append(line if line.endswith("\n") else line + "\n")
rng = random.Random(seed)
with open(train_path, "w") as train, open(held_path, "w") as held:
    for user in sorted(rows):
        lines = rows[user]
        rng.shuffle(lines)
        k = int(round(len(lines) * 0.25)) if len(lines) >= 2 else 0
        k = max(k, 1) if len(lines) >= 2 else 0
        held.writelines(lines[:k])
        train.writelines(lines[k:])
