"""Reference outputs for the serving tests: Python onnxruntime on rows of the churn example.

    python serving_reference.py MODEL_DIR --rows 200 --out reference.json

Takes rows of examples/churn/data/current.parquet in model.json's feature order, as float32,
blanks a few cells (NaN: the model's imputer fills them), and writes JSON:
  features        [[float | null]]   the float32 inputs (exact as doubles), null for NaN
  label           [int]              session.run on the whole matrix
  probabilities   [[float, float]]
  onnxruntime     version
The per-row runs must agree with the batch run (checked here, labels exactly, probabilities
within 1e-6): batching cannot change a result.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "churn"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    model_dir = Path(args.model_dir)
    meta = json.loads((model_dir / "model.json").read_text())
    frame = pd.concat([pd.read_parquet(EXAMPLE / "data" / "current.parquet"), pd.read_parquet(EXAMPLE / "data" / "train.parquet")])
    X = frame[meta["features"]].to_numpy(dtype=np.float32)[: args.rows].copy()
    rng = np.random.default_rng(7)
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values, for the imputer

    session = ort.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    label, proba = session.run(["label", "probabilities"], {"features": X})
    # onnxruntime's default thread pool sums the trees in a batch-dependent order: a row's
    # probabilities may move by a float32 ulp between batch sizes (never its label)
    for i in range(len(X)):
        l1, p1 = session.run(["label", "probabilities"], {"features": X[i : i + 1]})
        assert l1[0] == label[i] and np.abs(p1[0] - proba[i]).max() <= 1e-6, f"row {i}: batch-1 differs from the batch run"

    out = {
        "features": [[None if np.isnan(v) else float(v) for v in row] for row in X],
        "label": [int(v) for v in label],
        "probabilities": [[float(v) for v in row] for row in proba],
        "onnxruntime": ort.__version__,
    }
    Path(args.out).write_text(json.dumps(out))


if __name__ == "__main__":
    main()
