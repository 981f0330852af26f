"""A small but real training for the Kubernetes tests, standard library only: logistic
regression by gradient descent on generated data, then validation AUC. Same interface as a
Slipway training script: params arrive as --key value, MLflow settings in the environment."""
import argparse
import math
import os
import random
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--n_estimators", type=int, default=50)  # used as epochs here
parser.add_argument("--seed", type=int, default=42)
parser.add_argument("--fail", type=int, default=0, help="exit with this code after training")
parser.add_argument("--sleep", type=float, default=0.0, help="seconds to wait before training (cancel tests)")
args, _unknown = parser.parse_known_args()

print(f"job {os.environ.get('SLIPWAY_JOB_ID')} experiment {os.environ.get('MLFLOW_EXPERIMENT_NAME')}", flush=True)
time.sleep(args.sleep)
rng = random.Random(args.seed)
rows = [(x, 1 if x + rng.gauss(0, 0.8) > 0 else 0) for x in (rng.gauss(0, 1) for _ in range(600))]
train, val = rows[:480], rows[480:]
w = b = 0.0
for epoch in range(args.n_estimators):
    for x, y in train:
        p = 1 / (1 + math.exp(-(w * x + b)))
        w -= 0.05 * (p - y) * x
        b -= 0.05 * (p - y)
    if epoch % 10 == 0:
        print(f"epoch {epoch} w={w:.3f} b={b:.3f}", flush=True)
pos = [w * x + b for x, y in val if y == 1]
neg = [w * x + b for x, y in val if y == 0]
auc = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))
print(f"val_auc: {auc:.4f}", flush=True)
sys.exit(args.fail)
