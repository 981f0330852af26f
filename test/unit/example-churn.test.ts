// The churn example (examples/churn): its data generator, training script, ONNX model,
// notebook and slipway.yaml. The Python parts run with $SLIPWAY_PYTHON (set by `npm test`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const EXAMPLE = resolve('examples/churn'); // the unit tests run from the repository root
const PYTHON = process.env.SLIPWAY_PYTHON;
const needsPython = PYTHON ? false : 'SLIPWAY_PYTHON is not set: run `npm test`, which creates the Python venv and sets it';
const TABLES = ['customers', 'activity', 'labels', 'train', 'current'];
const FEATURES = ['sessions_7d', 'sessions_30d', 'avg_basket_30d', 'tickets_30d', 'days_since_last_event', 'tenure_days', 'monthly_fee', 'plan_plus', 'plan_premium'];
const DAY = 86_400;
const exec = promisify(execFile);

let tmpRoot: Promise<string> | undefined;
const tmp = async (name: string) => {
  const dir = join(await (tmpRoot ??= mkdtemp(join(tmpdir(), 'slipway-churn-'))), name);
  await mkdir(dir, { recursive: true });
  return dir;
};
after(async () => {
  if (tmpRoot) await rm(await tmpRoot, { recursive: true, force: true });
});

/** Runs $SLIPWAY_PYTHON; a failure carries its stdout and stderr. */
async function py(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  try {
    return await exec(PYTHON!, args, { cwd: options.cwd ?? EXAMPLE, env: options.env ?? cleanEnv(), maxBuffer: 32 << 20 });
  } catch (e) {
    const err = e as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${err.message}\nstdout:\n${err.stdout ?? ''}\nstderr:\n${err.stderr ?? ''}`);
  }
}

/** The environment without tracking settings, so no real MLflow server is touched. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_NAME', 'MLFLOW_RUN_ID', 'SLIPWAY_JOB_ID', 'PYTHONPATH']) delete env[k];
  return { ...env, ...extra };
}

// A small CSV data set, generated twice (once per determinism check), shared by the tests below.
let generated: Promise<{ a: string; b: string }> | undefined;
function generateSmall() {
  return (generated ??= (async () => {
    const [a, b] = [await tmp('gen-a'), await tmp('gen-b')];
    const args = ['data/generate.py', '--rows', '200', '--format', 'csv', '--out'];
    await Promise.all([py([...args, a]), py([...args, b])]);
    return { a, b };
  })());
}

let trained: Promise<{ out: string; stdout: string }> | undefined;
function trainSmall() {
  return (trained ??= (async () => {
    const { a } = await generateSmall();
    const out = join(await tmp('model'), 'm');
    const { stdout } = await py(['src/train.py', '--data', join(a, 'train.csv'), '--out', out, '--n_estimators', '40']);
    return { out, stdout };
  })());
}

type Row = Record<string, string>;
function readCsv(text: string): Row[] {
  const [header, ...lines] = text.trimEnd().split('\n');
  const names = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    assert.equal(cells.length, names.length, `CSV row with ${cells.length} cells: ${line}`);
    return Object.fromEntries(names.map((n, i) => [n, cells[i]!]));
  });
}
const seconds = (iso: string) => {
  assert.match(iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  return Date.parse(iso) / 1000;
};

test('the generator is deterministic: the same arguments give byte-identical CSV files', { skip: needsPython }, async () => {
  const { a, b } = await generateSmall();
  assert.deepEqual((await readdir(a)).sort(), TABLES.map((t) => `${t}.csv`).sort());
  for (const table of TABLES) {
    const [x, y] = [await readFile(join(a, `${table}.csv`)), await readFile(join(b, `${table}.csv`))];
    assert.ok(x.length > 100, `${table}.csv is empty`);
    assert.ok(x.equals(y), `${table}.csv differs between two runs`);
  }
  const other = await tmp('gen-seed');
  await py(['data/generate.py', '--rows', '200', '--format', 'csv', '--seed', '99', '--out', other]);
  assert.ok(!(await readFile(join(other, 'activity.csv'))).equals(await readFile(join(a, 'activity.csv'))), '--seed changes nothing');
});

test('the train table is point-in-time correct: features use only events at or before the label time', { skip: needsPython }, async () => {
  const { a } = await generateSmall();
  const load = async (t: string) => readCsv(await readFile(join(a, `${t}.csv`), 'utf8'));
  const [customers, activity, labels, train] = await Promise.all(['customers', 'activity', 'labels', 'train'].map(load));
  assert.equal(customers!.length, 200);
  assert.equal(train!.length, labels!.length);

  // the raw data has the flaws the feature store must cope with
  const times = activity!.map((r) => seconds(r.event_ts!));
  assert.ok(times.some((t, i) => i > 0 && t < times[i - 1]!), 'activity should contain out-of-order rows');
  assert.ok(activity!.some((r) => r.basket_value === ''), 'activity should contain null basket values');
  assert.ok(times.every((t) => t >= Date.parse('2026-07-04T00:00:00Z') / 1000 && t < Date.parse('2026-11-01T00:00:00Z') / 1000));
  const churnRate = labels!.filter((r) => r.churned === '1').length / labels!.length;
  assert.ok(churnRate > 0.15 && churnRate < 0.35, `churn rate ${churnRate}`);

  const events = new Map<string, { ts: number; sessions: number; basket: number | null; tickets: number }[]>();
  for (const r of activity!) {
    const list = events.get(r.customer_id!) ?? [];
    list.push({ ts: seconds(r.event_ts!), sessions: Number(r.sessions), basket: r.basket_value === '' ? null : Number(r.basket_value), tickets: Number(r.support_tickets) });
    events.set(r.customer_id!, list);
  }
  const profile = new Map(customers!.map((c) => [c.customer_id!, c]));

  /** The features at time t; leaky = also use the events after t (the bug this test guards against). */
  function features(customerId: string, t: number, leaky = false) {
    const c = profile.get(customerId)!;
    const seen = (events.get(customerId) ?? []).filter((e) => leaky || e.ts <= t);
    const within = (days: number) => seen.filter((e) => t - e.ts < days * DAY);
    const baskets = within(30).flatMap((e) => (e.basket === null ? [] : [e.basket]));
    const last = seen.length ? Math.max(...seen.map((e) => e.ts)) : seconds(c.signup_ts!);
    return {
      sessions_7d: within(7).reduce((s, e) => s + e.sessions, 0),
      sessions_30d: within(30).reduce((s, e) => s + e.sessions, 0),
      avg_basket_30d: baskets.length ? baskets.reduce((s, v) => s + v, 0) / baskets.length : 0,
      tickets_30d: within(30).reduce((s, e) => s + e.tickets, 0),
      days_since_last_event: (t - last) / DAY,
      tenure_days: (t - seconds(c.signup_ts!)) / DAY,
      monthly_fee: Number(c.monthly_fee),
      plan_plus: c.plan === 'plus' ? 1 : 0,
      plan_premium: c.plan === 'premium' ? 1 : 0,
    } as Record<string, number>;
  }
  const tolerance: Record<string, number> = { avg_basket_30d: 0.005 + 1e-9, days_since_last_event: 0.0005 + 1e-9, tenure_days: 0.0005 + 1e-9 };
  const close = (f: string, x: number, y: number) => Math.abs(x - y) <= (tolerance[f] ?? 0);

  let withFuture = 0, onEvent = 0, leakyDiffers = 0;
  labels!.forEach((label, i) => {
    const row = train![i]!;
    const t = seconds(label.event_ts!);
    assert.deepEqual([row.customer_id, row.event_ts, row.churned], [label.customer_id, label.event_ts, label.churned], `train row ${i}`);
    const expected = features(label.customer_id!, t);
    for (const f of FEATURES) assert.ok(close(f, Number(row[f]), expected[f]!), `row ${i} (customer ${label.customer_id}) ${f}: train has ${row[f]}, events say ${expected[f]}`);
    const own = events.get(label.customer_id!) ?? [];
    if (own.some((e) => e.ts > t)) withFuture++;
    if (own.some((e) => e.ts === t)) onEvent++;
    const leaky = features(label.customer_id!, t, true);
    if (FEATURES.some((f) => !close(f, Number(row[f]), leaky[f]!))) leakyDiffers++;
  });
  // the check has teeth: most customers have events after their label time, and using them changes the features
  assert.ok(withFuture > labels!.length / 2, `only ${withFuture} labels have later events`);
  assert.ok(leakyDiffers > labels!.length / 3, `only ${leakyDiffers} rows change when the future leaks in`);
  assert.ok(onEvent > 0, 'some label times should fall exactly on an event (the inclusive bound)');
});

test('train.py trains, prints the metrics and writes model.onnx + model.json', { skip: needsPython }, async () => {
  const { out, stdout } = await trainSmall();
  assert.match(stdout, /^val_auc: 0\.\d{4}$/m);
  assert.match(stdout, /^val_accuracy: [01]\.\d{4}$/m);
  assert.match(stdout, /^val_logloss: \d+\.\d{4}$/m);
  assert.match(stdout, /onnxruntime [\d.]+ matches scikit-learn/);
  assert.match(stdout, /^mlflow: (not installed, params and metrics were not logged|logged run)/m);
  assert.ok((await stat(join(out, 'model.onnx'))).size > 1000);
  const meta = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'));
  assert.deepEqual(meta.features, FEATURES);
  assert.deepEqual(meta.input, { name: 'features', dtype: 'float32', shape: [null, FEATURES.length] });
  assert.equal(meta.label, 'churned');
  assert.deepEqual(meta.classes, [0, 1]);
  assert.equal(meta.params.n_estimators, 40);
  assert.ok(meta.metrics.val_auc > 0.6 && meta.metrics.val_auc <= 1, `val_auc ${meta.metrics.val_auc}`);
  assert.ok(meta.onnx_check.checked && meta.onnx_check.max_abs_diff <= 1e-5, JSON.stringify(meta.onnx_check));
});

test('the ONNX model gives valid probabilities in onnxruntime, also for missing values', { skip: needsPython }, async () => {
  const { out } = await trainSmall();
  const { a } = await generateSmall();
  const script = `
import json, sys
import numpy as np, pandas as pd, onnxruntime as ort
model_dir, data = sys.argv[1], sys.argv[2]
meta = json.load(open(f"{model_dir}/model.json"))
session = ort.InferenceSession(f"{model_dir}/model.onnx", providers=["CPUExecutionProvider"])
X = pd.read_csv(data)[meta["features"]].to_numpy(np.float32)
X = np.vstack([X, np.full((1, X.shape[1]), np.nan, np.float32)])  # a request with every value missing
label, proba = session.run(["label", "probabilities"], {"features": X})
print(json.dumps({
    "inputs": [[i.name, i.type, len(i.shape), i.shape[1]] for i in session.get_inputs()],
    "outputs": [[o.name, o.type] for o in session.get_outputs()],
    "rows": len(X), "label_shape": list(label.shape), "proba_shape": list(proba.shape),
    "finite": bool(np.isfinite(proba).all()), "min": float(proba.min()), "max": float(proba.max()),
    "sum_error": float(np.abs(proba.sum(axis=1) - 1).max()),
    "labels": sorted(set(label.tolist())), "label_is_argmax": bool((label == (proba[:, 1] > 0.5)).all()),
    "distinct": int(len(np.unique(proba[:, 1].round(4)))),
}))`;
  const r = JSON.parse((await py(['-c', script, out, join(a, 'train.csv')])).stdout);
  assert.deepEqual(r.inputs, [['features', 'tensor(float)', 2, FEATURES.length]]);
  assert.deepEqual(r.outputs, [['label', 'tensor(int64)'], ['probabilities', 'tensor(float)']]);
  assert.deepEqual(r.label_shape, [r.rows]);
  assert.deepEqual(r.proba_shape, [r.rows, 2]);
  assert.ok(r.finite && r.min >= 0 && r.max <= 1, `probabilities out of [0, 1]: ${r.min}..${r.max}`);
  assert.ok(r.sum_error <= 1e-5, `rows do not sum to 1 (error ${r.sum_error})`);
  assert.deepEqual(r.labels, [0, 1]);
  assert.ok(r.label_is_argmax, 'label is not the most probable class');
  assert.ok(r.distinct > 10, `only ${r.distinct} distinct probabilities`);
});

test('train() is importable without side effects and returns plain data', { skip: needsPython }, async () => {
  const { a } = await generateSmall();
  const cwd = await tmp('import');
  const script = `
import json, os, sys
sys.path.insert(0, sys.argv[1])
import train
assert os.listdir(".") == [], "importing train wrote files"
result = train.train({"n_estimators": 10, "seed": 3}, sys.argv[2])
assert os.listdir(".") == [], "train() without out_dir wrote files"
print(json.dumps(result))`;
  const result = JSON.parse((await py(['-c', script, join(EXAMPLE, 'src'), join(a, 'train.csv')], { cwd })).stdout);
  assert.deepEqual(result.features, FEATURES);
  assert.equal(result.params.n_estimators, 10);
  assert.equal(typeof result.metrics.val_auc, 'number');
  assert.equal(result.onnx, undefined);
});

test('train.py logs params, metrics, the job tag and the model to MLflow when mlflow is importable', { skip: needsPython }, async () => {
  // mlflow cannot be installed here: a recording stand-in with the same calls checks the wiring
  const { a } = await generateSmall();
  const fake = await tmp('fake-mlflow');
  await mkdir(join(fake, 'mlflow'), { recursive: true });
  const calls = join(fake, 'calls.jsonl');
  await writeFile(join(fake, 'mlflow', '__init__.py'), `
import contextlib, json, os
def _record(*args):
    with open(os.environ["FAKE_MLFLOW_CALLS"], "a") as f:
        f.write(json.dumps(args) + "\\n")
def set_tracking_uri(uri): _record("set_tracking_uri", uri)
def get_tracking_uri(): return "http://fake"
def set_experiment(name): _record("set_experiment", name)
def log_params(params): _record("log_params", {k: str(v) for k, v in params.items()})
def log_metrics(metrics): _record("log_metrics", metrics)
def log_artifact(path, artifact_path=None): _record("log_artifact", os.path.basename(path), artifact_path, os.path.isfile(path))
class _Run:
    class info:
        run_id = "run-1"
@contextlib.contextmanager
def start_run(**kwargs):
    _record("start_run", kwargs)
    yield _Run()
    _record("end_run")
`);
  const env = cleanEnv({ PYTHONPATH: fake, FAKE_MLFLOW_CALLS: calls, MLFLOW_TRACKING_URI: 'http://127.0.0.1:5999', MLFLOW_EXPERIMENT_NAME: 'churn-test', SLIPWAY_JOB_ID: 'job-42' });
  const { stdout } = await py(['src/train.py', '--data', join(a, 'train.csv'), '--out', join(fake, 'model'), '--n_estimators', '10'], { env });
  assert.match(stdout, /mlflow: logged run run-1 to http:\/\/fake/);
  const log = (await readFile(calls, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as unknown[]);
  const byName = (n: string) => log.filter((c) => c[0] === n);
  assert.deepEqual(byName('set_tracking_uri'), [['set_tracking_uri', 'http://127.0.0.1:5999']]);
  assert.deepEqual(byName('set_experiment'), [['set_experiment', 'churn-test']]);
  assert.deepEqual(byName('start_run'), [['start_run', { tags: { 'slipway.job': 'job-42' } }]]);
  const params = byName('log_params')[0]![1] as Record<string, string>;
  assert.equal(params.n_estimators, '10');
  const metrics = byName('log_metrics')[0]![1] as Record<string, number>;
  for (const m of ['val_auc', 'val_accuracy', 'val_logloss']) assert.equal(typeof metrics[m], 'number', m);
  assert.deepEqual(byName('log_artifact'), [['log_artifact', 'model.onnx', 'model', true], ['log_artifact', 'model.json', 'model', true]]);
  assert.deepEqual(log.at(-1), ['end_run']);
});

test('the committed data files exist, are Parquet, stay small and are what the generator writes', async (t) => {
  let total = 0;
  for (const table of TABLES) {
    const bytes = await readFile(join(EXAMPLE, 'data', `${table}.parquet`));
    total += bytes.length;
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PAR1', `${table}.parquet header`);
    assert.equal(bytes.subarray(-4).toString('latin1'), 'PAR1', `${table}.parquet footer`);
  }
  assert.ok(total < 1_000_000, `committed data is ${total} bytes`);
  if (!PYTHON) return t.skip(needsPython as string);

  const regenerated = await tmp('default');
  await py(['data/generate.py', '--out', regenerated]);
  const script = `
import json, sys
import pyarrow.parquet as pq
out = {}
for name in ${JSON.stringify(TABLES)}:
    committed = pq.read_table(f"data/{name}.parquet")
    out[name] = {"rows": committed.num_rows, "columns": [[f.name, str(f.type)] for f in committed.schema],
                 "same_as_generator": committed.equals(pq.read_table(f"{sys.argv[1]}/{name}.parquet"))}
print(json.dumps(out))`;
  const tables = JSON.parse((await py(['-c', script, regenerated])).stdout);
  const ts = 'timestamp[us, tz=UTC]';
  const feature = (f: string) => [f, ['avg_basket_30d', 'days_since_last_event', 'tenure_days', 'monthly_fee'].includes(f) ? 'double' : 'int64'];
  const expected: Record<string, string[][]> = {
    customers: [['customer_id', 'int64'], ['signup_ts', ts], ['plan', 'string'], ['country', 'string'], ['monthly_fee', 'double']],
    activity: [['customer_id', 'int64'], ['event_ts', ts], ['sessions', 'int64'], ['basket_value', 'double'], ['support_tickets', 'int64']],
    labels: [['customer_id', 'int64'], ['event_ts', ts], ['churned', 'int64']],
    train: [['customer_id', 'int64'], ['event_ts', ts], ...FEATURES.map(feature), ['churned', 'int64']],
    current: FEATURES.map(feature),
  };
  for (const table of TABLES) {
    assert.deepEqual(tables[table].columns, expected[table], `${table} schema`);
    assert.ok(tables[table].same_as_generator, `data/${table}.parquet is not what data/generate.py writes: regenerate it`);
  }
  assert.equal(tables.customers.rows, 500);
  assert.ok(tables.activity.rows > 2000 && tables.activity.rows < 20_000, `${tables.activity.rows} activity rows`);
});

test('slipway.yaml uses every section, and its files, references and params resolve', async (t) => {
  const doc = parse(await readFile(join(EXAMPLE, 'slipway.yaml'), 'utf8'));
  assert.equal(doc.version, 1);
  assert.equal(doc.name, 'churn');
  for (const section of ['tracking', 'artifacts', 'features', 'training', 'model', 'serving', 'deploy', 'monitoring']) assert.ok(doc[section], section);
  const file = (p: string) => assert.ok(existsSync(join(EXAMPLE, p)), `${p} does not exist`);
  file(doc.training.script);
  file(doc.training.dataset.labels);
  file(doc.monitoring.reference);
  file(doc.monitoring.current);
  const { entities, sources, views } = doc.features;
  for (const s of Object.values<{ path: string }>(sources)) file(s.path);
  for (const [name, v] of Object.entries<{ entity: string; source: string; ttl: string; features: Record<string, string> }>(views)) {
    assert.ok(entities[v.entity], `${name}: entity ${v.entity}`);
    assert.ok(sources[v.source], `${name}: source ${v.source}`);
    assert.match(v.ttl, /^\d+[smhdw]$/);
  }
  for (const ref of doc.training.dataset.features as string[]) {
    const [view, feature] = ref.split(':');
    assert.ok(views[view!]?.features[feature!], `${ref} does not resolve`);
  }
  assert.ok(Object.keys(doc.training.targets).every((k) => ['local', 'ray', 'kubernetes'].includes(k)));
  assert.deepEqual(doc.model.gates.map((g: { metric: string }) => g.metric), ['val_auc', 'val_logloss']);
  if (!PYTHON) return t.skip(needsPython as string);

  // the columns behind the views, the labels and the params, read from the real files
  const script = `
import json, sys
import pyarrow.parquet as pq
print(json.dumps({p: {f.name: str(f.type) for f in pq.read_schema(p)} for p in sys.argv[1:]}))`;
  const paths = [...Object.values<{ path: string }>(sources).map((s) => s.path), doc.training.dataset.labels];
  const schemas = JSON.parse((await py(['-c', script, ...paths])).stdout);
  const arrow: Record<string, string> = { int64: 'int64', float64: 'double', string: 'string', bool: 'bool', timestamp: 'timestamp[us, tz=UTC]' };
  for (const [name, s] of Object.entries<{ path: string; timestamp: string }>(sources)) {
    assert.equal(schemas[s.path][s.timestamp], arrow.timestamp, `${name}.timestamp`);
    for (const key of Object.values<{ join_keys: string[] }>(entities).flatMap((e) => e.join_keys)) assert.equal(schemas[s.path][key], 'int64', `${name}: ${key}`);
  }
  for (const [name, v] of Object.entries<{ source: string; features: Record<string, string> }>(views)) {
    for (const [f, type] of Object.entries(v.features)) assert.equal(schemas[sources[v.source].path][f], arrow[type], `${name}.${f}`);
  }
  const labels = schemas[doc.training.dataset.labels];
  assert.ok(labels[doc.training.dataset.label] && labels[doc.training.dataset.timestamp] === arrow.timestamp);
  const help = (await py([doc.training.script, '--help'])).stdout;
  for (const key of Object.keys(doc.training.params)) assert.match(help, new RegExp(`--${key}\\b`), `train.py does not accept --${key}`);
});

test('the notebook is nbformat 4 with a parameters cell, a magic and a shell escape, and its code runs', async (t) => {
  const nb = JSON.parse(await readFile(join(EXAMPLE, 'notebooks', 'explore.ipynb'), 'utf8'));
  assert.equal(nb.nbformat, 4);
  assert.ok(nb.nbformat_minor >= 5 && nb.metadata.kernelspec.language === 'python');
  const ids = nb.cells.map((c: { id: string }) => c.id);
  assert.equal(new Set(ids).size, ids.length, 'cell ids must be unique');
  for (const c of nb.cells) {
    assert.ok(['markdown', 'code'].includes(c.cell_type) && Array.isArray(c.source) && typeof c.metadata === 'object');
    if (c.cell_type === 'code') assert.ok(c.execution_count === null && Array.isArray(c.outputs) && c.outputs.length === 0);
  }
  const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
  assert.equal(code.filter((c: { metadata: { tags?: string[] } }) => c.metadata.tags?.includes('parameters')).length, 1);
  const lines: string[] = code.flatMap((c: { source: string[] }) => c.source.join('').split('\n'));
  assert.ok(lines.some((l) => l.startsWith('%matplotlib')), 'a line magic');
  assert.ok(lines.some((l) => l.startsWith('!pip list')), 'a shell escape');
  if (!PYTHON) return t.skip(needsPython as string);

  // run the code cells (without magics and shell escapes) on the committed data; plots go nowhere
  const plots = await tmp('plot-backend');
  await writeFile(join(plots, 'noplot.py'), 'def plot(data, kind, **kwargs):\n    return None\n');
  const script = `
import json, sys
import pandas as pd
pd.set_option("plotting.backend", "noplot")
scope = {}
for cell in json.load(open("explore.ipynb"))["cells"]:
    if cell["cell_type"] == "code":
        source = "".join(l for l in cell["source"] if not l.lstrip().startswith(("%", "!")))
        exec(compile(source, cell["id"], "exec"), scope)
print(json.dumps(scope["features"]))`;
  const { stdout } = await py(['-c', script], { cwd: join(EXAMPLE, 'notebooks'), env: cleanEnv({ PYTHONPATH: plots }) });
  assert.match(stdout, /val_auc: 0\.\d{3}/);
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), FEATURES);
});
