/** DNS-1123 label: what Kubernetes accepts as a name, and what `name:` must be. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` cannot name a project, or undefined when it can. */
export function projectNameProblem(name: string): string | undefined {
  if (!name) return 'Enter a project name.';
  if (name.length > 63) return `A project name has at most 63 characters (this one has ${name.length}).`;
  if (!DNS1123_LABEL.test(name)) {
    const suggestion = suggestProjectName(name);
    return `Use lower-case letters, digits and '-', starting and ending with a letter or digit${suggestion ? ` (e.g. "${suggestion}")` : ''}.`;
  }
  return undefined;
}

/** A DNS-1123 label made from any text (a folder name, say), or '' when nothing usable remains. */
export function suggestProjectName(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
}

/**
 * The scaffold's slipway.yaml: every section, each explained. Sections that need data or
 * infrastructure the new project does not have yet are written commented out, so the file
 * validates cleanly from the first minute and shows what can be added.
 */
export function pipelineTemplate(name: string): string {
  return `# Slipway pipeline file: one file describes this ML project from data to production.
# Reference: https://github.com/slipway-ml/slipway/blob/main/docs/slipway-yaml.md
version: 1
name: ${name}                       # DNS-1123 label; also the default experiment name

# MLflow tracking server and model registry.
tracking:
  uri: http://127.0.0.1:5000        # leave out to start a local \`mlflow server\` on ./mlflow.db
  experiment: ${name}

# Where datasets and models are stored: a local folder or s3://bucket/prefix.
artifacts:
  uri: ./artifacts
  # endpoint: http://127.0.0.1:9000 # S3-compatible endpoint (MinIO); credentials come from
  # region: us-east-1               # the environment or Slipway's secret storage, never this file

# The feature store. Uncomment once your raw data is in place.
# features:
#   entities:
#     customer: { join_keys: [customer_id] }
#   sources:
#     activity: { path: data/activity.parquet, timestamp: event_ts }   # parquet | csv | jsonl
#   views:
#     customer_activity:
#       entity: customer
#       source: activity
#       ttl: 30d                    # <int>(s|m|h|d|w)
#       features:                   # name: int64 | float64 | string | bool | timestamp
#         sessions_7d: int64
#         avg_basket: float64

training:
  script: src/train.py              # run by the CodeLens above the script and by \`slipway train\`
  # python: .venv/bin/python        # default: the interpreter selected in VS Code, else python3
  params:                           # passed to the script as --key value
    n_estimators: 100
  # dataset:                        # a point-in-time correct training set from the feature store
  #   labels: data/labels.parquet
  #   label: churned
  #   timestamp: event_ts
  #   features: [customer_activity:sessions_7d]
  targets:
    local: {}
    # ray:
    #   address: http://127.0.0.1:8265
    #   pip: [scikit-learn]
    # kubernetes:
    #   namespace: default
    #   image: registry.local/${name}-train:0.1
    #   resources: { cpu: "1", memory: 2Gi }
  # schedule: "0 3 * * 1"           # 5-field cron: retrain every Monday at 03:00

model:
  name: ${name}                     # the registered model in the MLflow registry
  format: onnx                      # onnx | sklearn | pyfunc
  gates:                            # a version must pass these to be promoted or deployed
    - { metric: val_auc, op: ">=", value: 0.75 }

serving:
  port: 8080
  log: logs/inference               # the inference table: one JSON line per prediction
  # image: registry.local/${name}-serve

deploy:
  target: kubernetes                # kubernetes (Deployment + Service + HPA) | kserve
  namespace: default
  alias: champion                   # the registry alias that is deployed
  replicas: 1
  resources: { cpu: 500m, memory: 512Mi }
  # autoscale: { min: 1, max: 5, cpu_percent: 70 }
  # canary: 10                      # percent of traffic for a new version (kserve)
  # gitops: deploy/k8s              # write manifests here instead of applying them

# Drift monitoring: production data (the inference table) against the training data.
# monitoring:
#   reference: data/train.parquet
#   current: logs/inference
#   drift: { method: auto, share: 0.5 }
#   on_drift: notify                # notify | retrain
`;
}

/** The scaffold's training script: runs as it is, with or without MLflow installed. */
export function trainScriptTemplate(name: string): string {
  return `"""Training script for ${name}.

Slipway runs it with the params of slipway.yaml as --key value arguments, locally,
on Ray or as a Kubernetes Job, and sets MLFLOW_TRACKING_URI / MLFLOW_EXPERIMENT_NAME.
"""
import argparse
import os


def parse_args():
    parser = argparse.ArgumentParser(description="Train ${name}")
    parser.add_argument("--data", default=None, help="training data (CSV or Parquet); synthetic data when absent")
    parser.add_argument("--label", default="label", help="name of the label column")
    parser.add_argument("--n_estimators", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def load(args):
    if args.data is None:
        from sklearn.datasets import make_classification

        return make_classification(n_samples=2000, n_features=8, random_state=args.seed)
    import pandas as pd

    frame = pd.read_parquet(args.data) if args.data.endswith(".parquet") else pd.read_csv(args.data)
    return frame.drop(columns=[args.label]).to_numpy(), frame[args.label].to_numpy()


def main():
    args = parse_args()
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    X, y = load(args)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.2, random_state=args.seed, stratify=y)
    model = RandomForestClassifier(n_estimators=args.n_estimators, random_state=args.seed)
    model.fit(X_train, y_train)
    val_auc = roc_auc_score(y_val, model.predict_proba(X_val)[:, 1])
    print(f"val_auc={val_auc:.4f}")

    try:
        import mlflow
    except ImportError:
        print("mlflow is not installed: metrics were printed, not logged")
        return
    mlflow.set_experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME", "${name}"))
    with mlflow.start_run():
        mlflow.log_params(vars(args))
        mlflow.log_metric("val_auc", val_auc)


if __name__ == "__main__":
    main()
`;
}

/** Lines the scaffold makes sure are in .gitignore. */
export const GITIGNORE_ENTRIES = ['.venv/', '__pycache__/', 'mlflow.db', 'mlruns/', 'artifacts/', 'logs/', '.slipway/'] as const;

/**
 * .gitignore with the scaffold's entries appended where missing; the user's lines are kept
 * as they are. `added` is empty when nothing had to change.
 */
export function mergeGitignore(existing: string | undefined): { text: string; added: string[] } {
  const base = existing ?? '';
  const present = new Set(base.split(/\r?\n/).map((l) => l.trim().replace(/^\//, '')));
  const added = GITIGNORE_ENTRIES.filter((e) => !present.has(e) && !present.has(e.replace(/\/$/, '')));
  if (added.length === 0) return { text: base, added: [] };
  const sep = base === '' || base.endsWith('\n') ? '' : '\n';
  const header = base === '' ? '' : '\n';
  return { text: `${base}${sep}${header}# Slipway\n${added.join('\n')}\n`, added: [...added] };
}
