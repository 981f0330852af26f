/**
 * The pipeline file's schema: the one source of truth for keys, types, documentation, defaults,
 * enums and value formats. The validator, the language server (completion, hover), the JSON
 * Schema in schemas/slipway.schema.json and the key reference in docs/slipway-yaml.md all come
 * from here (scripts/gen-schema.mjs regenerates the files; a unit test keeps them in sync).
 */

/** Value formats checked beyond the YAML type. */
export type ValueFormat =
  | 'dns-label' // Kubernetes name: [a-z0-9]([-a-z0-9]*[a-z0-9])?, ≤ 63
  | 'identifier' // entity, source, view and feature names
  | 'duration' // <int>(s|m|h|d|w)
  | 'cpu' // Kubernetes CPU quantity
  | 'memory' // Kubernetes memory quantity
  | 'cron' // 5-field cron
  | 'http-url' // http:// or https://
  | 'artifact-uri' // s3://bucket/prefix or a local folder
  | 'image' // container image reference
  | 'mlflow-alias' // a registry alias (not `latest`, not `v<n>`)
  | 'view-feature'; // view:feature or view:*

/** A reference to a declared name, checked against the file's own declarations. */
export type RefKind = 'entity' | 'source' | 'view-feature';

/** A local path checked on disk, relative to the pipeline file's folder; s3:// is never checked. */
export interface FileCheck {
  readonly severity: 'error' | 'warning';
  /** 'file': a file; 'path': a file or folder; 'glob': at least one match; 'program': checked only when it contains a '/' */
  readonly kind: 'file' | 'path' | 'glob' | 'program';
  /** the quick fix can create it */
  readonly template?: 'train-script' | 'notebook';
}

export type SpecType = 'object' | 'map' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'scalar' | 'quantity';

export interface KeySpec {
  readonly type: SpecType;
  /** one or two sentences, shown on hover and in the reference */
  readonly doc: string;
  /** the literal default; absent when the key has none */
  readonly default?: string | number | boolean | Readonly<Record<string, unknown>> | readonly unknown[];
  /** the default in words when it is not a literal ("the project name") */
  readonly defaultDoc?: string;
  readonly required?: boolean;
  readonly enum?: readonly (string | number)[];
  /** documentation of each enum value */
  readonly enumDocs?: Readonly<Record<string, string>>;
  readonly format?: ValueFormat;
  readonly ref?: RefKind;
  readonly file?: FileCheck;
  readonly minimum?: number;
  readonly maximum?: number;
  /** object: its keys */
  readonly properties?: Readonly<Record<string, KeySpec>>;
  /** object: exactly one of these keys must be set */
  readonly exactlyOne?: readonly string[];
  /** object: an empty value (`local:`) means an empty mapping */
  readonly nullable?: boolean;
  /** map (user-chosen names): the spec of each value */
  readonly values?: KeySpec;
  /** map: what the names are, and their format */
  readonly keyDoc?: string;
  readonly keyFormat?: ValueFormat;
  /** array: the spec of each item */
  readonly items?: KeySpec;
  readonly minItems?: number;
  /** an example value, for completion and the reference */
  readonly example?: string;
}

const str = (doc: string, extra: Partial<KeySpec> = {}): KeySpec => ({ type: 'string', doc, ...extra });

const resources = (what: string): KeySpec => ({
  type: 'object',
  doc: `Kubernetes resources requested (and limited) for the ${what}.`,
  properties: {
    cpu: { type: 'quantity', format: 'cpu', doc: 'CPU as a Kubernetes quantity: `500m` (half a core), `2`, `0.5`.', example: '500m' },
    memory: { type: 'quantity', format: 'memory', doc: 'Memory as a Kubernetes quantity: `512Mi`, `4Gi` (binary), `1e9`, `500M` (decimal).', example: '512Mi' },
    gpu: { type: 'integer', minimum: 0, default: 0, doc: 'Number of GPUs (`nvidia.com/gpu`).' },
  },
});

export const PIPELINE_SCHEMA: KeySpec = {
  type: 'object',
  doc: 'A Slipway pipeline file: one ML project from data to production.',
  properties: {
    version: { type: 'integer', required: true, enum: [1], doc: 'Version of the pipeline file format. Only `1` exists.', example: '1' },
    name: {
      type: 'string',
      required: true,
      format: 'dns-label',
      doc: 'Project name: a DNS-1123 label (lower-case letters, digits and `-`, at most 63 characters). Also names the experiment, the registered model and Kubernetes objects by default.',
      example: 'churn',
    },
    tracking: {
      type: 'object',
      doc: 'The MLflow tracking server and model registry.',
      properties: {
        uri: str('URL of the MLflow tracking server.', {
          format: 'http-url',
          defaultDoc: 'a local `mlflow server` on ./mlflow.db, started with the workspace\'s Python',
          example: 'http://127.0.0.1:5000',
        }),
        experiment: str('MLflow experiment that training runs are logged to.', { defaultDoc: 'the project `name`' }),
      },
    },
    artifacts: {
      type: 'object',
      doc: 'Where datasets and models are stored. Credentials never go in this file: they come from the environment or Slipway\'s secret storage.',
      properties: {
        uri: str('`s3://bucket/prefix`, or a local folder relative to this file.', { format: 'artifact-uri', default: './artifacts', example: 's3://ml-artifacts/churn' }),
        endpoint: str('Endpoint of an S3-compatible store (MinIO, Ceph); leave out for AWS S3.', { format: 'http-url', example: 'http://127.0.0.1:9000' }),
        region: str('S3 region of the bucket.', { default: 'us-east-1' }),
      },
    },
    features: {
      type: 'object',
      doc: 'The feature store: entities, raw data sources and feature views.',
      properties: {
        entities: {
          type: 'map',
          doc: 'Entities features are attached to (a customer, a product), by name.',
          keyDoc: 'entity name',
          keyFormat: 'identifier',
          values: {
            type: 'object',
            doc: 'An entity.',
            properties: {
              join_keys: { type: 'array', required: true, minItems: 1, doc: 'Columns that identify the entity in sources and label sets.', items: str('A column name.'), example: '[customer_id]' },
            },
          },
        },
        sources: {
          type: 'map',
          doc: 'Raw data tables, by name.',
          keyDoc: 'source name',
          keyFormat: 'identifier',
          values: {
            type: 'object',
            doc: 'A data source: Parquet, CSV or JSON Lines, local or on S3.',
            properties: {
              path: str('File, folder or glob (`data/events/*.parquet`), relative to this file, or `s3://bucket/key`. A local path must match at least one file.', {
                required: true,
                file: { severity: 'warning', kind: 'glob' },
                example: 'data/activity.parquet',
              }),
              timestamp: str('Event-time column, used for point-in-time correct joins.', { required: true, example: 'event_ts' }),
              format: {
                type: 'string',
                enum: ['parquet', 'csv', 'jsonl'],
                defaultDoc: 'from the path\'s extension (`.parquet`, `.csv`, `.jsonl`/`.json`)',
                doc: 'File format.',
              },
            },
          },
        },
        views: {
          type: 'map',
          doc: 'Feature views: named groups of features computed from one source for one entity.',
          keyDoc: 'view name',
          keyFormat: 'identifier',
          values: {
            type: 'object',
            doc: 'A feature view.',
            properties: {
              entity: str('The entity this view describes; must be declared under `features.entities`.', { required: true, ref: 'entity' }),
              source: str('The source its features are read from; must be declared under `features.sources`.', { required: true, ref: 'source' }),
              ttl: str('How long a feature value stays valid for point-in-time joins: `<integer><unit>`, unit s, m, h, d or w.', {
                format: 'duration',
                defaultDoc: 'no limit',
                example: '30d',
              }),
              features: {
                type: 'map',
                required: true,
                doc: 'The features of this view: column name → type.',
                keyDoc: 'feature name (a column of the source)',
                keyFormat: 'identifier',
                values: {
                  type: 'string',
                  doc: 'Feature type.',
                  enum: ['int64', 'float64', 'string', 'bool', 'timestamp'],
                  enumDocs: { int64: '64-bit integer', float64: '64-bit float', string: 'text', bool: 'boolean', timestamp: 'date and time' },
                },
              },
            },
          },
        },
      },
    },
    training: {
      type: 'object',
      doc: 'How the model is trained.',
      exactlyOne: ['script', 'notebook'],
      properties: {
        script: str('Training script, relative to this file; run with `params` as `--key value` arguments. Set `script` or `notebook`, not both.', {
          file: { severity: 'error', kind: 'file', template: 'train-script' },
          example: 'src/train.py',
        }),
        notebook: str('Training notebook (`.ipynb`), executed top to bottom. Set `script` or `notebook`, not both.', {
          file: { severity: 'error', kind: 'file', template: 'notebook' },
          example: 'notebooks/train.ipynb',
        }),
        python: str('Python interpreter: a path relative to this file, or a command on PATH.', {
          file: { severity: 'warning', kind: 'program' },
          defaultDoc: 'the interpreter selected in the Python extension, else `python3`',
          example: '.venv/bin/python',
        }),
        params: {
          type: 'map',
          doc: 'Hyper-parameters, passed to the script as `--key value` (to a notebook as parameters). Scalars only.',
          keyDoc: 'parameter name',
          values: { type: 'scalar', doc: 'A string, number or boolean.' },
          default: {},
        },
        dataset: {
          type: 'object',
          doc: 'A point-in-time correct training set built from the feature store.',
          properties: {
            labels: str('Label set: entity join keys, an event timestamp and the label column (Parquet, CSV or JSON Lines).', {
              required: true,
              file: { severity: 'warning', kind: 'path' },
              example: 'data/labels.parquet',
            }),
            label: str('The label column.', { required: true, example: 'churned' }),
            timestamp: str('Event-time column of the label set.', { required: true, example: 'event_ts' }),
            features: {
              type: 'array',
              required: true,
              minItems: 1,
              doc: 'Features to join: `view:feature`, or `view:*` for every feature of a view.',
              items: str('`view:feature` or `view:*`.', { format: 'view-feature', ref: 'view-feature' }),
            },
          },
        },
        targets: {
          type: 'object',
          doc: 'Where training can run. `local` is always available.',
          default: { local: {} },
          properties: {
            local: { type: 'object', nullable: true, doc: 'Run as a local process with `python`.', properties: {}, default: {} },
            ray: {
              type: 'object',
              nullable: true,
              doc: 'Submit to a Ray cluster through the Ray Jobs API.',
              properties: {
                address: str('Ray dashboard / Jobs API address.', { format: 'http-url', default: 'http://127.0.0.1:8265' }),
                pip: { type: 'array', doc: 'pip requirements installed in the job\'s runtime environment.', items: str('A pip requirement.'), default: [], example: '[scikit-learn]' },
                num_cpus: { type: 'number', minimum: 0, default: 1, doc: 'CPUs reserved for the entrypoint.' },
                num_gpus: { type: 'number', minimum: 0, default: 0, doc: 'GPUs reserved for the entrypoint.' },
              },
            },
            kubernetes: {
              type: 'object',
              nullable: true,
              doc: 'Run as a Kubernetes Job.',
              properties: {
                context: str('kubeconfig context.', { defaultDoc: 'the current context' }),
                namespace: str('Namespace of the Job.', { format: 'dns-label', default: 'default' }),
                image: str('Container image the Job runs; it must contain the script\'s dependencies.', { required: true, format: 'image', example: 'registry.local/churn-train:1.0' }),
                resources: resources('training Job'),
              },
            },
          },
        },
        schedule: str('Retraining schedule: a 5-field cron expression (minute hour day-of-month month day-of-week), in UTC.', {
          format: 'cron',
          defaultDoc: 'no schedule',
          example: '"0 3 * * 1"',
        }),
      },
    },
    model: {
      type: 'object',
      doc: 'The model in the MLflow registry.',
      properties: {
        name: str('Registered model name.', { defaultDoc: 'the project `name`' }),
        format: {
          type: 'string',
          enum: ['onnx', 'sklearn', 'pyfunc'],
          default: 'onnx',
          doc: 'Format the model is logged and served in.',
          enumDocs: { onnx: 'ONNX, served by Slipway\'s onnxruntime server', sklearn: 'a scikit-learn model', pyfunc: 'an MLflow pyfunc model' },
        },
        gates: {
          type: 'array',
          default: [],
          doc: 'Conditions a model version must pass to be promoted or deployed.',
          items: {
            type: 'object',
            doc: 'A gate: `metric op value`.',
            properties: {
              metric: str('A metric logged by the training run.', { required: true, example: 'val_auc' }),
              op: {
                type: 'string',
                required: true,
                enum: ['>=', '>', '<=', '<', '==', '!='],
                doc: 'Comparison operator (quote it: `">="`).',
              },
              value: { type: 'number', required: true, doc: 'Threshold the metric is compared to.' },
            },
          },
        },
      },
    },
    serving: {
      type: 'object',
      doc: 'The inference server.',
      properties: {
        image: str('Serving image, built by the extension from a generated Dockerfile.', { format: 'image', defaultDoc: '`<name>-serve`', example: 'registry.local/churn-serve' }),
        port: { type: 'integer', minimum: 1, maximum: 65535, default: 8080, doc: 'Port the inference server listens on.' },
        log: str('The inference table: a folder receiving one JSON line per prediction.', { default: 'logs/inference' }),
      },
    },
    deploy: {
      type: 'object',
      doc: 'Deployment to Kubernetes.',
      properties: {
        target: {
          type: 'string',
          enum: ['kubernetes', 'kserve'],
          default: 'kubernetes',
          doc: 'What is deployed.',
          enumDocs: { kubernetes: 'Deployment + Service + HorizontalPodAutoscaler', kserve: 'a KServe InferenceService' },
        },
        context: str('kubeconfig context.', { defaultDoc: 'the current context' }),
        namespace: str('Namespace.', { format: 'dns-label', default: 'default' }),
        alias: str('The registry alias that is deployed.', { format: 'mlflow-alias', default: 'champion' }),
        replicas: { type: 'integer', minimum: 0, default: 1, doc: 'Replicas (the initial count when `autoscale` is set).' },
        resources: resources('inference server'),
        autoscale: {
          type: 'object',
          doc: 'Horizontal autoscaling on CPU.',
          properties: {
            min: { type: 'integer', minimum: 0, default: 1, doc: 'Minimum replicas.' },
            max: { type: 'integer', minimum: 1, required: true, doc: 'Maximum replicas (≥ `min`).' },
            cpu_percent: { type: 'integer', minimum: 1, maximum: 100, default: 80, doc: 'Target average CPU utilization, percent.' },
          },
        },
        canary: { type: 'number', minimum: 0, maximum: 100, defaultDoc: 'no canary: a new version takes all traffic', doc: 'Percent of traffic (0–100) sent to a new version before it is promoted.' },
        gitops: str('Write manifests to this folder instead of applying them.', { example: 'deploy/k8s' }),
      },
    },
    monitoring: {
      type: 'object',
      doc: 'Drift monitoring: production data against training data.',
      properties: {
        reference: str('Reference data (Parquet, CSV, JSON Lines), local or `s3://`.', { file: { severity: 'warning', kind: 'path' }, defaultDoc: 'the training set' }),
        current: str('Current data, local or `s3://`.', { file: { severity: 'warning', kind: 'path' }, defaultDoc: '`serving.log`' }),
        drift: {
          type: 'object',
          doc: 'How drift is measured.',
          properties: {
            method: {
              type: 'string',
              enum: ['auto', 'ks', 'chisquare', 'ztest', 'wasserstein', 'jensenshannon', 'psi'],
              default: 'auto',
              doc: 'Statistic per feature.',
              enumDocs: {
                auto: 'ks for numeric features, chisquare for categorical ones (ztest for binary)',
                ks: 'Kolmogorov–Smirnov test (p-value)',
                chisquare: 'chi-square test (p-value)',
                ztest: 'two-proportion z-test (p-value)',
                wasserstein: 'Wasserstein distance (normed)',
                jensenshannon: 'Jensen–Shannon distance',
                psi: 'population stability index',
              },
            },
            threshold: {
              type: 'number',
              minimum: 0,
              defaultDoc: '0.05 for tests (p-value: drift below it), 0.1 for distances (drift above it)',
              doc: 'Drift threshold per feature. For tests (`ks`, `chisquare`, `ztest`, `auto`) a p-value in 0–1.',
            },
            share: { type: 'number', minimum: 0, maximum: 1, default: 0.5, doc: 'The dataset drifts when at least this share (0–1) of its features drifted.' },
          },
        },
        on_drift: {
          type: 'string',
          enum: ['notify', 'retrain'],
          default: 'notify',
          doc: 'What happens when the dataset drifts.',
          enumDocs: { notify: 'show a notification', retrain: 'start training (needs `training`)' },
        },
      },
    },
  },
};

/** The spec at a key path; array indices and map names may be given as any string or number. */
export function specAt(path: readonly (string | number)[], root: KeySpec = PIPELINE_SCHEMA): KeySpec | undefined {
  let spec: KeySpec | undefined = root;
  for (const part of path) {
    if (!spec) return undefined;
    if (spec.type === 'object') spec = spec.properties?.[String(part)];
    else if (spec.type === 'map') spec = spec.values;
    else if (spec.type === 'array') spec = spec.items;
    else return undefined;
  }
  return spec;
}

/** The default shown to people: the literal, or its description. */
export function defaultText(spec: KeySpec): string | undefined {
  if (spec.default !== undefined) return typeof spec.default === 'object' ? JSON.stringify(spec.default).replace(/"/g, '') : String(spec.default);
  return spec.defaultDoc;
}

/** Short type name for hovers and messages. */
export function typeName(spec: KeySpec): string {
  switch (spec.type) {
    case 'object':
      return 'mapping';
    case 'map':
      return `mapping of ${spec.keyDoc ?? 'name'} → ${typeName(spec.values!)}`;
    case 'array':
      return `list of ${typeName(spec.items!)}`;
    case 'quantity':
      return 'quantity';
    case 'scalar':
      return 'string, number or boolean';
    default:
      if (!spec.enum) return spec.type;
      return spec.type === 'string' ? spec.enum.join(' | ') : `${spec.type}: ${spec.enum.join(' | ')}`;
  }
}
