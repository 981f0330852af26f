"""Train the churn classifier and export it to ONNX.

    python src/train.py                                   # data/train.parquet -> artifacts/model
    python src/train.py --n_estimators 300 --max_depth 10 --out /tmp/model

Slipway runs this script with the params of slipway.yaml as --key value arguments, locally,
on Ray or as a Kubernetes Job, and sets MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME and
SLIPWAY_JOB_ID. MLflow is optional: without it the metrics are printed, not logged.

The model is a scikit-learn RandomForestClassifier on the numeric columns of the training
table (in table order, without the label, customer_id and event_ts). Missing values are
replaced by the training medians. It is written as:
  model.onnx  input  `features`       float32 [N, F], the columns of model.json "features"
              output `label`          int64   [N], 0 or 1
              output `probabilities`  float32 [N, 2], P(not churned), P(churned)
  model.json  feature order, label, classes, imputation values, params, metrics, versions

`train()` has no side effects beyond writing out_dir, so it can run in a `ray.remote` task.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT = Path(__file__).resolve().parents[1]
DEFAULTS = {
    "label": "churned",
    "exclude": "customer_id,event_ts",  # identifiers and timestamps are never features
    "n_estimators": 100,
    "max_depth": 8,                     # 0: unlimited
    "min_samples_leaf": 3,
    "test_size": 0.2,
    "seed": 42,
}
ONNX_OPSETS = {"": 17, "ai.onnx.ml": 3}  # TreeEnsembleClassifier exists up to ai.onnx.ml 4
ONNX_IR_VERSION = 8                      # readable by onnxruntime >= 1.10 (Python and Node)


def load_table(path: str | Path) -> pd.DataFrame:
    """A Parquet or CSV table; a relative path is tried from the working folder, then the project."""
    path = Path(path)
    if not path.is_absolute() and not path.exists() and (PROJECT / path).exists():
        path = PROJECT / path
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def feature_columns(frame: pd.DataFrame, label: str, exclude: str) -> list[str]:
    """Numeric and bool columns in table order, minus the label and the excluded ones."""
    skip = {label, *filter(None, (c.strip() for c in exclude.split(",")))}
    return [c for c in frame.columns
            if c not in skip and (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]


def impute(X: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(X), values, X).astype(np.float32)


def train(params: dict, data_path: str | Path, out_dir: str | Path | None = None) -> dict:
    """Fit, evaluate on a stratified validation split and, when out_dir is given, write
    model.onnx and model.json there. Returns plain data: params, metrics, features, paths."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score, roc_auc_score
    from sklearn.model_selection import train_test_split

    p = {**DEFAULTS, **{k: v for k, v in params.items() if v is not None}}
    frame = load_table(data_path)
    label = p["label"]
    if label not in frame.columns:
        raise ValueError(f"label column {label!r} is not in {data_path} (columns: {', '.join(frame.columns)})")
    features = feature_columns(frame, label, p["exclude"])
    if not features:
        raise ValueError(f"{data_path} has no numeric feature columns")
    X = frame[features].to_numpy(dtype=np.float32)  # trees compare float32 values, as ONNX does
    y = frame[label].astype(np.int64).to_numpy()
    X_tr, X_val, y_tr, y_val = train_test_split(X, y, test_size=p["test_size"], stratify=y, random_state=p["seed"])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column: imputed with 0
        medians = np.nan_to_num(np.nanmedian(X_tr, axis=0))
    model = RandomForestClassifier(
        n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"]) or None,
        min_samples_leaf=int(p["min_samples_leaf"]), random_state=int(p["seed"]), n_jobs=1,
    ).fit(impute(X_tr, medians), y_tr)
    proba_val = model.predict_proba(impute(X_val, medians))
    pred_val = model.classes_[proba_val.argmax(axis=1)]
    metrics = {
        "val_auc": roc_auc_score(y_val, proba_val[:, 1]),
        "val_accuracy": accuracy_score(y_val, pred_val),
        "val_logloss": log_loss(y_val, proba_val, labels=model.classes_),
        "val_precision": precision_score(y_val, pred_val, zero_division=0),
        "val_recall": recall_score(y_val, pred_val, zero_division=0),
        "val_f1": f1_score(y_val, pred_val, zero_division=0),
        "train_auc": roc_auc_score(y_tr, model.predict_proba(impute(X_tr, medians))[:, 1]),
    }
    metrics = {k: round(float(v), 6) for k, v in metrics.items()}
    result = {"params": p, "metrics": metrics, "features": features, "label": label,
              "rows": {"train": len(y_tr), "validation": len(y_val)}, "data": str(data_path)}
    if out_dir is not None:
        result.update(export(model, medians, features, result, Path(out_dir), X_val, proba_val))
    return result


def export(model, medians, features, result, out: Path, X_val, proba_val) -> dict:
    """Write model.onnx and model.json, checking the ONNX model against scikit-learn."""
    import onnx
    import sklearn

    out.mkdir(parents=True, exist_ok=True)
    onnx_model = to_onnx(model, medians, features, result["label"])
    onnx.checker.check_model(onnx_model, full_check=True)
    onnx_path = out / "model.onnx"
    onnx_path.write_bytes(onnx_model.SerializeToString())
    check = verify_onnx(onnx_model, X_val, proba_val)

    meta = {
        "format": "onnx",
        "file": "model.onnx",
        "input": {"name": "features", "dtype": "float32", "shape": [None, len(features)]},
        "features": features,
        "outputs": {
            "label": {"dtype": "int64", "shape": [None]},
            "probabilities": {"dtype": "float32", "shape": [None, 2], "columns": [f"p_{c}" for c in model.classes_]},
        },
        "label": result["label"],
        "classes": [int(c) for c in model.classes_],
        "positive_class": 1,
        "imputation": {"strategy": "median", "values": dict(zip(features, map(float, medians)))},
        "estimator": "sklearn.ensemble.RandomForestClassifier",
        "params": result["params"],
        "metrics": result["metrics"],
        "rows": result["rows"],
        "data": result["data"],
        "sklearn_version": sklearn.__version__,
        "onnx_opsets": ONNX_OPSETS,
        "onnx_check": check,
    }
    meta_path = out / "model.json"
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return {"model_dir": str(out), "onnx": str(onnx_path), "metadata": str(meta_path), "onnx_check": check}


def to_onnx(model, medians, features: list[str], label: str):
    """The forest as an ai.onnx.ml Imputer + TreeEnsembleClassifier graph, built by hand.

    scikit-learn sends x to the left child when x <= threshold: mode BRANCH_LEQ, left = true.
    A forest averages its trees' leaf class proportions, so each leaf carries its proportion
    divided by the number of trees and the ensemble sums them (post_transform NONE).
    """
    from onnx import TensorProto, helper

    n_trees = len(model.estimators_)
    # Two classes: the binary convention of the ONNX reference runtime and onnxruntime. The
    # leaves carry only P(class 1), under class id 0; the op then outputs [1 - p, p] and
    # label = classlabels[p > 0.5]. (With weights for both classes onnxruntime labels every
    # row whose p is above 0 as positive.)
    binary = len(model.classes_) == 2
    classes = [1] if binary else list(range(len(model.classes_)))
    nodes = {k: [] for k in ("treeids", "nodeids", "featureids", "values", "modes", "truenodeids", "falsenodeids")}
    leaves = {k: [] for k in ("treeids", "nodeids", "ids", "weights")}
    for t, estimator in enumerate(model.estimators_):
        tree = estimator.tree_
        for i in range(tree.node_count):
            is_leaf = tree.children_left[i] == -1
            nodes["treeids"].append(t)
            nodes["nodeids"].append(i)
            nodes["featureids"].append(0 if is_leaf else int(tree.feature[i]))
            nodes["values"].append(0.0 if is_leaf else float32_threshold(tree.threshold[i]))
            nodes["modes"].append("LEAF" if is_leaf else "BRANCH_LEQ")
            nodes["truenodeids"].append(0 if is_leaf else int(tree.children_left[i]))
            nodes["falsenodeids"].append(0 if is_leaf else int(tree.children_right[i]))
            if is_leaf:
                proportions = tree.value[i, 0] / tree.value[i, 0].sum()
                for c in classes:
                    leaves["treeids"].append(t)
                    leaves["nodeids"].append(i)
                    leaves["ids"].append(0 if binary else c)
                    leaves["weights"].append(float(proportions[c]) / n_trees)

    imputer = helper.make_node(
        "Imputer", ["features"], ["imputed"], domain="ai.onnx.ml", name="impute_median",
        imputed_value_floats=[float(v) for v in medians], replaced_value_float=float("nan"))
    forest = helper.make_node(
        "TreeEnsembleClassifier", ["imputed"], ["label", "probabilities"], domain="ai.onnx.ml", name="forest",
        classlabels_int64s=[int(c) for c in model.classes_], post_transform="NONE",
        **{f"nodes_{k}": v for k, v in nodes.items()}, **{f"class_{k}": v for k, v in leaves.items()})
    graph = helper.make_graph(
        [imputer, forest], "churn_random_forest",
        inputs=[helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", len(features)])],
        outputs=[helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
                 helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(model.classes_)])])
    onnx_model = helper.make_model(
        graph, producer_name="slipway-example-churn", ir_version=ONNX_IR_VERSION,
        opset_imports=[helper.make_opsetid(domain, v) for domain, v in ONNX_OPSETS.items()],
        doc_string=f"Churn classifier; input columns: {', '.join(features)}")
    helper.set_model_props(onnx_model, {"features": json.dumps(features), "label": label, "positive_class": "1"})
    return onnx_model


def float32_threshold(threshold: float) -> float:
    """The largest float32 <= threshold: for a float32 x, x <= t exactly when x <= that value.
    (Rounding to the nearest float32 instead could flip comparisons for x next to t.)"""
    t32 = np.float32(threshold)
    if float(t32) > threshold:
        t32 = np.nextafter(t32, np.float32(-np.inf))
    return float(t32)


def verify_onnx(onnx_model, X_val, proba_val) -> dict:
    """onnxruntime must reproduce scikit-learn's probabilities (skipped when not installed)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return {"checked": False, "reason": "onnxruntime is not installed"}
    session = ort.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, proba = session.run(["label", "probabilities"], {"features": X_val})
    diff = float(np.abs(proba - proba_val).max()) if len(X_val) else 0.0
    assert proba.shape == proba_val.shape and diff <= 1e-5, f"ONNX probabilities differ from scikit-learn by {diff}"
    clear = np.abs(proba_val[:, 1] - 0.5) > 1e-5  # away from ties, the labels must agree too
    assert (labels[clear] == proba_val[clear].argmax(axis=1)).all(), "ONNX labels differ from scikit-learn"
    return {"checked": True, "onnxruntime_version": ort.__version__, "rows": len(X_val), "max_abs_diff": diff}


def log_to_mlflow(result: dict) -> bool:
    """Log params, metrics and the model files to MLflow when it is installed."""
    try:
        import mlflow
    except ImportError:
        print("mlflow: not installed, params and metrics were not logged (pip install mlflow to track runs)")
        return False
    if os.environ.get("MLFLOW_TRACKING_URI"):
        mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    if os.environ.get("MLFLOW_EXPERIMENT_NAME"):
        mlflow.set_experiment(os.environ["MLFLOW_EXPERIMENT_NAME"])
    tags = {"slipway.job": os.environ["SLIPWAY_JOB_ID"]} if os.environ.get("SLIPWAY_JOB_ID") else {}
    with mlflow.start_run(tags=tags) as run:  # joins the run in MLFLOW_RUN_ID when Slipway set one
        mlflow.log_params({**result["params"], "data": result["data"], "features": ",".join(result["features"])})
        mlflow.log_metrics(result["metrics"])
        for key in ("onnx", "metadata"):
            if key in result:
                mlflow.log_artifact(result[key], artifact_path="model")
        print(f"mlflow: logged run {run.info.run_id} to {mlflow.get_tracking_uri()}")
    return True


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train the churn classifier and export it to ONNX.")
    parser.add_argument("--data", default="data/train.parquet", help="training table, Parquet or CSV")
    parser.add_argument("--label", default=DEFAULTS["label"], help="label column (0/1)")
    parser.add_argument("--exclude", default=DEFAULTS["exclude"], help="comma-separated columns that are not features")
    parser.add_argument("--n_estimators", type=int, default=DEFAULTS["n_estimators"])
    parser.add_argument("--max_depth", type=int, default=DEFAULTS["max_depth"], help="0 for unlimited")
    parser.add_argument("--min_samples_leaf", type=int, default=DEFAULTS["min_samples_leaf"])
    parser.add_argument("--test_size", type=float, default=DEFAULTS["test_size"], help="validation share")
    parser.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    parser.add_argument("--out", default="artifacts/model", help="folder for model.onnx and model.json")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = vars(parse_args(argv))
    data, out = args.pop("data"), args.pop("out")
    result = train(args, data, out)
    print(f"data: {result['data']} ({result['rows']['train']} train / {result['rows']['validation']} validation rows)")
    print(f"features ({len(result['features'])}): {', '.join(result['features'])}")
    print("params: " + " ".join(f"{k}={v}" for k, v in result["params"].items()))
    for name, value in result["metrics"].items():
        print(f"{name}: {value:.4f}")
    check = result["onnx_check"]
    verdict = (f"onnxruntime {check['onnxruntime_version']} matches scikit-learn (max |diff| {check['max_abs_diff']:.1e})"
               if check["checked"] else f"not checked: {check['reason']}")
    print(f"model: {result['onnx']} + model.json ({verdict})")
    log_to_mlflow(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
