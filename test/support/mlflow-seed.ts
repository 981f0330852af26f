/**
 * Data for the stand-in MLflow server.
 *
 * recordedSeed(): the data set behind test/fixtures/mlflow-rest (2 experiments + Default,
 * 8 runs, two logged models, probe-model v1/v2 with aliases, probe-model-from-run), with the
 * recorded ids, names, values and timestamps. Points of the loss histories that no recording
 * shows are interpolated.
 *
 * syntheticSeed(): a big experiment for benchmarks and paging tests, cheap to build.
 */
import type { SeedData, SeedMetricPoint, SeedRun } from './mlflow-standin-store';

export const RUN = {
  parent: 'a58cdf43908f4168a67b8c478edd7d93',
  child: '768ec3e6499e480a8dbac83615f811e8',
  run2: '1f0c80fd5f0b4860a51587d70e58b9e7',
  run3: 'f402d04a3dc64c1d967cf9bb34732601',
  deleted: '2338a283468643089cc978d981b24bb2',
  run5: '6f6faea269d4460c8d48b3bbbf6509c1',
  run6: '19d9217edb2846d581972814470ba5da',
  failed: '80c313cf2db74b138b88977c04a67629',
} as const;

export const MODEL = { parent: 'm-4ea5a7f1696a4f0aa9c39d186ed9d38a', run2: 'm-2ba62e71d513491fa71bcbb1dca6995d' } as const;

/** A history of `n` steps through the known points (step → [value, timestamp]); others interpolated. */
function history(n: number, known: Readonly<Record<number, readonly [number, number]>>): SeedMetricPoint[] {
  const steps = Object.keys(known).map(Number).sort((a, b) => a - b);
  const out: SeedMetricPoint[] = [];
  for (let step = 0; step < n; step++) {
    const k = known[step];
    if (k) {
      out.push({ step, value: k[0], timestamp: k[1] });
      continue;
    }
    const lo = steps.filter((s) => s < step).pop()!;
    const hi = steps.find((s) => s > step)!;
    const f = (step - lo) / (hi - lo);
    const [v0, t0] = known[lo]!;
    const [v1, t1] = known[hi]!;
    out.push({ step, value: Math.round((v0 + (v1 - v0) * f) * 1e6) / 1e6, timestamp: Math.round(t0 + (t1 - t0) * f) });
  }
  return out;
}

const PARENT_LOSS: Record<number, readonly [number, number]> = {
  0: [1.0, 1795344199804], 1: [0.914837, 1795344199864], 2: [0.838731, 1795344199920], 3: [0.740818, 1795344199972], 4: [0.68032, 1795344200024],
  5: [0.626531, 1795344200076], 6: [0.548812, 1795344200132], 7: [0.506585, 1795344200188], 8: [0.469329, 1795344200244], 9: [0.40657, 1795344200300],
  10: [0.377879, 1795344200356], 11: [0.352871, 1795344200412], 12: [0.301194, 1795344200464], 13: [0.282532, 1795344200520], 14: [0.266597, 1795344200576],
  15: [0.22313, 1795344200628], 16: [0.211897, 1795344200684], 17: [0.202684, 1795344200740], 18: [0.165299, 1795344200796], 19: [0.159569, 1795344200852],
  20: [0.155335, 1795344200908], 21: [0.122456, 1795344200964], 22: [0.120803, 1795344201020], 23: [0.120259, 1795344201076], 24: [0.090718, 1795344201134],
  25: [0.092085, 1795344201192], 26: [0.094274, 1795344201244], 27: [0.067206, 1795344201300], 28: [0.07081, 1795344201356], 29: [0.075023, 1795344201416],
  30: [0.049787, 1795344201472], 31: [0.055049, 1795344201532], 32: [0.060762, 1795344201588], 33: [0.036883, 1795344201644], 34: [0.043373, 1795344201696],
  35: [0.050197, 1795344201752], 36: [0.027324, 1795344201804], 37: [0.034724, 1795344201864], 38: [0.042371, 1795344201920], 39: [0.020242, 1795344201972],
  40: [0.028316, 1795344202028], 45: [0.011109, 1795344202308], 49: [0.017447, 1795344202532],
};

const RUN2_LOSS: Record<number, readonly [number, number]> = {
  0: [1.0, 1795344209704], 5: [0.387879, 1795344209976], 10: [0.145335, 1795344210248], 15: [0.049787, 1795344210512], 20: [0.038316, 1795344210796],
  25: [0.016738, 1795344211076], 30: [0.002479, 1795344211356], 35: [0.020912, 1795344211644], 40: [0.010335, 1795344211916], 45: [0.000123, 1795344212188],
  49: [0.010055, 1795344212408],
};

/** json.dumps(..., indent=2), as the recording script wrote params.json */
function paramsJson(run: string, lr: number): string {
  return `{\n  "run": "${run}",\n  "lr": ${lr}\n}`;
}

function runArtifacts(name: string, lr: number): Record<string, string> {
  return { 'config/params.json': paramsJson(name, lr), 'notes/readme.txt': `hello from ${name}\n` };
}

function probeTags(name: string, parent?: string): [string, string][] {
  return [
    ['mlflow.user', 'root'],
    ['mlflow.source.name', 'log_runs.py'],
    ['mlflow.source.type', 'LOCAL'],
    ...(parent ? ([['mlflow.parentRunId', parent]] as [string, string][]) : []),
    ['mlflow.runName', name],
    ['stage', 'probe'],
    ['owner', 'prober'],
    ['mlflow.note.content', `${name} notes`],
  ];
}

interface ProbeRun {
  id: string;
  exp: string;
  name: string;
  start: number;
  end: number;
  lr: string;
  epochs: string;
  loss: SeedMetricPoint[];
  acc: number;
  f1: number;
  scoreTs: number;
  parent?: string;
  deleted?: boolean;
  artifacts?: Record<string, string>;
  model?: string;
}

function probeRun(r: ProbeRun): SeedRun {
  return {
    id: r.id,
    experimentId: r.exp,
    name: r.name,
    userId: 'root',
    status: 'FINISHED',
    startTime: r.start,
    endTime: r.end,
    ...(r.deleted ? { lifecycleStage: 'deleted' as const } : {}),
    params: [['lr', r.lr], ['optimizer', 'sgd'], ['epochs', r.epochs]],
    tags: probeTags(r.name, r.parent),
    metrics: { loss: r.loss, accuracy: [{ value: r.acc, step: 0, timestamp: r.scoreTs }], f1: [{ value: r.f1, step: 0, timestamp: r.scoreTs }] },
    ...(r.artifacts ? { artifacts: r.artifacts } : {}),
    ...(r.model ? { modelOutputs: [r.model] } : {}),
  };
}

/** A loss history of n steps from 1.0 to `last` (value, timestamp). */
function simpleLoss(n: number, start: number, last: number, lastTs: number): SeedMetricPoint[] {
  return history(n, { 0: [1.0, start + 150], [n - 1]: [last, lastTs] });
}

/** MLmodel as MLflow 3.11 writes it for the probe's sklearn models (950 bytes). */
export function mlmodelText(modelId: string, runId: string, created: string): string {
  return (
    `artifact_path: mlflow-artifacts:/1/models/${modelId}/artifacts\nflavors:\n  python_function:\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n` +
    '    loader_module: mlflow.sklearn\n    model_path: model.pkl\n    predict_fn: predict\n    python_version: 3.11.7\n  sklearn:\n    code: null\n    pickled_model: model.pkl\n' +
    '    serialization_format: cloudpickle\n    sklearn_version: 1.9.1\n    skops_trusted_types: null\nis_signature_from_type_hint: false\nmlflow_version: 3.11.2.dev0\n' +
    `model_id: ${modelId}\nmodel_size_bytes: 720\nmodel_uuid: ${modelId}\nprompts: null\nrun_id: ${runId}\nsignature:\n` +
    `  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]'\n` +
    `  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'\n  params: null\ntype_hint_from_example: false\nutc_time_created: '${created}'\n`
  );
}

/** the recorded model.pkl of m-4ea5... (a pickled LogisticRegression, 720 bytes) */
export const MODEL_PKL_BASE64 =
  'gASVxQIAAAAAAACMHnNrbGVhcm4ubGluZWFyX21vZGVsLl9sb2dpc3RpY5SMEkxvZ2lzdGljUmVncmVzc2lvbpSTlCmBlH2UKIwHcGVuYWx0eZSMCmRlcHJlY2F0ZWSUjAFDlEc/8AAAAAAAAIwIbDFfcmF0aW+URwAAAAAAAAAAjARkdWFslImMA3RvbJRHPxo24uscQy2MDWZpdF9pbnRlcmNlcHSUiIwRaW50ZXJjZXB0X3NjYWxpbmeUSwGMDGNsYXNzX3dlaWdodJROjAxyYW5kb21fc3RhdGWUTowGc29sdmVylIwFbGJmZ3OUjAhtYXhfaXRlcpRLZIwHdmVyYm9zZZRLAIwKd2FybV9zdGFydJSJjAZuX2pvYnOUTowObl9mZWF0dXJlc19pbl+USwKMCGNsYXNzZXNflIwWbnVtcHkuX2NvcmUubXVsdGlhcnJheZSMDF9yZWNvbnN0cnVjdJSTlIwFbnVtcHmUjAduZGFycmF5lJOUSwCFlEMBYpSHlFKUKEsBSwKFlGgajAVkdHlwZZSTlIwCaTiUiYiHlFKUKEsDjAE8lE5OTkr/////Sv////9LAHSUYolDEAAAAAAAAAAAAQAAAAAAAACUdJRijAduX2l0ZXJflGgZaBxLAIWUaB6HlFKUKEsBSwGFlGgjjAJpNJSJiIeUUpQoSwNoJ05OTkr/////Sv////9LAHSUYolDBAYAAACUdJRijAVjb2VmX5RoGWgcSwCFlGgeh5RSlChLAUsBSwKGlGgjjAJmOJSJiIeUUpQoSwNoJ05OTkr/////Sv////9LAHSUYolDELm6M8alu+Y/D5ANW7/05r+UdJRijAppbnRlcmNlcHRflGgZaBxLAIWUaB6HlFKUKEsBSwGFlGg9iUMI4FQDDExRsr+UdJRijBBfc2tsZWFybl92ZXJzaW9ulIwFMS45LjGUdWIu';

/** `text` padded with a trailing comment to exactly `size` bytes (the recorded file sizes) */
function sized(text: string, size: number): string {
  const missing = size - Buffer.byteLength(text);
  if (missing < 2) return text.slice(0, size);
  return `${text}#${'-'.repeat(missing - 2)}\n`;
}

function modelArtifacts(modelId: string, runId: string, created: string): Record<string, string | Uint8Array> {
  return {
    MLmodel: mlmodelText(modelId, runId, created),
    'conda.yaml': sized('channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=24.0\n- pip:\n  - mlflow==3.11.2.dev0\n  - cloudpickle==3.1.1\n  - scikit-learn==1.9.1\nname: mlflow-env\n', 249),
    'model.pkl': Buffer.from(MODEL_PKL_BASE64, 'base64'),
    'python_env.yaml': sized('python: 3.11.7\nbuild_dependencies:\n- pip==24.0\n- setuptools\n- wheel\ndependencies:\n- -r requirements.txt\n', 114),
    'requirements.txt': sized('mlflow==3.11.2.dev0\ncloudpickle==3.1.1\nnumpy==2.3.4\nscikit-learn==1.9.1\nscipy==1.16.3\n', 124),
  };
}

const LOGGED_MODEL_TAGS = (versions: string): [string, string][] => [
  ['mlflow.modelVersions', versions],
  ['mlflow.source.name', 'log_runs.py'],
  ['mlflow.source.type', 'LOCAL'],
  ['mlflow.user', 'root'],
];

/** The data set behind test/fixtures/mlflow-rest. */
export function recordedSeed(): SeedData {
  return {
    experiments: [
      { id: '0', name: 'Default', creationTime: 1795344137238 },
      { id: '1', name: 'probe-exp-a', creationTime: 1795344199462, tags: [['team', 'probe'], ['mlflow.note.content', 'Experiment A description']] },
      { id: '2', name: 'probe-exp-b', creationTime: 1795344199481, tags: [['team', 'probe-b']] },
    ],
    runs: [
      probeRun({
        id: RUN.parent, exp: '1', name: 'run-1-parent', start: 1795344199653, end: 1795344209417, lr: '0.1', epochs: '50',
        loss: history(50, PARENT_LOSS), acc: 0.6, f1: 0.5, scoreTs: 1795344202588, artifacts: runArtifacts('run-1-parent', 0.1), model: MODEL.parent,
      }),
      probeRun({
        id: RUN.child, exp: '1', name: 'run-1-child', start: 1795344208509, end: 1795344209296, lr: '0.05', epochs: '10',
        loss: simpleLoss(10, 1795344208509, 0.637628, 1795344209180), acc: 0.55, f1: 0.45, scoreTs: 1795344209236, parent: RUN.parent,
      }),
      probeRun({
        id: RUN.run2, exp: '1', name: 'run-2', start: 1795344209534, end: 1795344217797, lr: '0.2', epochs: '50',
        loss: history(50, RUN2_LOSS), acc: 0.7, f1: 0.6, scoreTs: 1795344212464, artifacts: runArtifacts('run-2', 0.2), model: MODEL.run2,
      }),
      probeRun({
        id: RUN.run3, exp: '1', name: 'run-3', start: 1795344217910, end: 1795344220836, lr: '0.3', epochs: '50',
        loss: simpleLoss(50, 1795344217910, 0.01, 1795344220732), acc: 0.8, f1: 0.7, scoreTs: 1795344220784,
      }),
      probeRun({
        id: RUN.deleted, exp: '1', name: 'run-4-to-delete', start: 1795344220942, end: 1795344221432, lr: '0.4', epochs: '5',
        loss: simpleLoss(5, 1795344220942, 0.211897, 1795344221324), acc: 0.9, f1: 0.8, scoreTs: 1795344221376, deleted: true,
      }),
      probeRun({
        id: RUN.run5, exp: '2', name: 'run-5', start: 1795344221598, end: 1795344224740, lr: '0.15', epochs: '50',
        loss: simpleLoss(50, 1795344221598, 0.010643, 1795344224480), acc: 0.65, f1: 0.55, scoreTs: 1795344224536, artifacts: runArtifacts('run-5', 0.15),
      }),
      probeRun({
        id: RUN.run6, exp: '2', name: 'run-6', start: 1795344224846, end: 1795344227820, lr: '0.25', epochs: '50',
        loss: simpleLoss(50, 1795344224846, 0.010005, 1795344227712), acc: 0.75, f1: 0.65, scoreTs: 1795344227768,
      }),
      {
        id: RUN.failed, experimentId: '2', name: 'run-7-failed', userId: 'unknown', status: 'FAILED', startTime: 1795344227928, endTime: 1795344228044,
        params: [['lr', '0.9']], tags: [['stage', 'probe'], ['mlflow.runName', 'run-7-failed']],
      },
    ],
    loggedModels: [
      {
        id: MODEL.parent, experimentId: '1', name: 'model', sourceRunId: RUN.parent, creationTime: 1795344202904, lastUpdateTime: 1795344208452,
        tags: LOGGED_MODEL_TAGS('[{"name": "probe-model", "version": 1}, {"name": "probe-model", "version": "1"}]'),
        params: [['epochs', '50'], ['lr', '0.1'], ['optimizer', 'sgd']],
        metrics: [
          { key: 'loss', value: 1.0, timestamp: 1795344199804, step: 0, runId: RUN.parent },
          { key: 'accuracy', value: 0.6, timestamp: 1795344202588, step: 0, runId: RUN.parent },
          { key: 'f1', value: 0.5, timestamp: 1795344202588, step: 0, runId: RUN.parent },
        ],
        artifacts: modelArtifacts(MODEL.parent, RUN.parent, '2026-11-22 10:43:23.308377'),
      },
      {
        id: MODEL.run2, experimentId: '1', name: 'model', sourceRunId: RUN.run2, creationTime: 1795344212757, lastUpdateTime: 1795344217747,
        tags: LOGGED_MODEL_TAGS(
          '[{"name": "probe-model", "version": 2}, {"name": "probe-model", "version": "2"}, {"name": "probe-model-from-run", "version": 1}, {"name": "probe-model-from-run", "version": "1"}]',
        ),
        params: [['epochs', '50'], ['lr', '0.2'], ['optimizer', 'sgd']],
        metrics: [
          { key: 'loss', value: 1.0, timestamp: 1795344209704, step: 0, runId: RUN.run2 },
          { key: 'accuracy', value: 0.7, timestamp: 1795344212464, step: 0, runId: RUN.run2 },
          { key: 'f1', value: 0.6, timestamp: 1795344212464, step: 0, runId: RUN.run2 },
        ],
        artifacts: modelArtifacts(MODEL.run2, RUN.run2, '2026-11-22 10:43:33.136415'),
      },
    ],
    registeredModels: [
      {
        name: 'probe-model', description: 'Probe registered model', creationTime: 1795344228255, lastUpdateTime: 1795344229609,
        tags: { domain: 'probe' }, aliases: { challenger: '1', champion: '2' },
        versions: [
          { version: '1', source: `models:/${MODEL.parent}`, modelId: MODEL.parent, runId: RUN.parent, stage: 'Staging', creationTime: 1795344228445, lastUpdateTime: 1795344229609, tags: { validation_status: 'pending' } },
          {
            version: '2', source: `models:/${MODEL.run2}`, modelId: MODEL.run2, runId: RUN.run2, description: 'Version 2 (champion)', creationTime: 1795344228736, lastUpdateTime: 1795344229495,
            tags: { validation_status: 'approved' },
          },
        ],
      },
      {
        name: 'probe-model-from-run', creationTime: 1795344229666, lastUpdateTime: 1795344229945,
        versions: [{ version: '1', source: `models:/${MODEL.run2}`, modelId: MODEL.run2, runId: RUN.run2, creationTime: 1795344229945, lastUpdateTime: 1795344229945 }],
      },
    ],
  };
}

export interface SyntheticOptions {
  readonly experimentName?: string;
  readonly experimentId?: string;
  readonly runs: number;
  readonly metrics: number;
  readonly params: number;
  /** every n-th run is a child of the run before it (0: none) */
  readonly nestEvery?: number;
  readonly startTime?: number;
}

/** One experiment of `runs` runs with `metrics` metrics and `params` params each; deterministic. */
export function syntheticSeed(o: SyntheticOptions): SeedData {
  const exp = o.experimentId ?? '1';
  const t0 = o.startTime ?? 1_800_000_000_000;
  const metricKeys = Array.from({ length: o.metrics }, (_, i) => (i === 0 ? 'accuracy' : i === 1 ? 'loss' : `metric_${String(i).padStart(2, '0')}`));
  const paramKeys = Array.from({ length: o.params }, (_, i) => (i === 0 ? 'lr' : `param_${String(i).padStart(2, '0')}`));
  const runs: SeedRun[] = [];
  for (let r = 0; r < o.runs; r++) {
    const id = `${r.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
    const metrics: Record<string, number> = {};
    metricKeys.forEach((k, i) => (metrics[k] = ((r * 7919 + i * 104729) % 10007) / 10007));
    const params: [string, string][] = paramKeys.map((k, i) => [k, i === 0 ? String(((r % 9) + 1) / 100) : `v${(r + i) % 13}`]);
    const parent = o.nestEvery && r % o.nestEvery === o.nestEvery - 1 ? runs[r - 1]?.id : undefined;
    runs.push({
      id,
      experimentId: exp,
      name: `run-${r}`,
      userId: 'bench',
      status: r % 50 === 49 ? 'FAILED' : 'FINISHED',
      startTime: t0 + r * 1000,
      endTime: t0 + r * 1000 + 900,
      params,
      tags: [['mlflow.user', 'bench'], ...(parent ? ([['mlflow.parentRunId', parent]] as [string, string][]) : []), ['mlflow.runName', `run-${r}`]],
      metrics,
    });
  }
  return { experiments: [{ id: '0', name: 'Default', creationTime: t0 }, { id: exp, name: o.experimentName ?? 'bench', creationTime: t0 }], runs };
}
