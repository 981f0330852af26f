// `slipway drift --retrain` and `monitoring.on_drift: retrain`: a drifted data set starts a local
// training job through the CLI's runner (as `slipway train`), which `slipway jobs list` shows.
// Training needs SLIPWAY_PYTHON (the venv with scikit-learn), written as training.python.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';

const CLI = resolve('out/cli.js');
const PYTHON = process.env.SLIPWAY_PYTHON;
const built = existsSync(CLI) ? false : 'build first (npm run build)';
const skip = built || (!PYTHON && 'SLIPWAY_PYTHON is not set: training needs the venv with scikit-learn ("npm test" creates it; or source scripts/env.sh && slipway_ensure_python)');
let dir = '';

const cli = (args: string[], cwd = dir) => {
  // MLflow stays out: the script trains without a tracking server
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

interface JobJson {
  id: string;
  status: string;
  script: string;
  message: string | null;
}
const jobs = (): JobJson[] => {
  const r = cli(['jobs', 'list', '--format', 'json']);
  assert.equal(r.code, 0, `slipway jobs list: ${r.err}`);
  return JSON.parse(r.out) as JobJson[];
};

/**
 * Waits for a job through `slipway jobs logs ID --follow` (a detached job's record is brought up to
 * date by whoever attaches to it), then reads it back from `slipway jobs list`.
 */
function finished(id: string): JobJson {
  const follow = cli(['jobs', 'logs', id, '--follow']);
  assert.match(follow.err, new RegExp(`job ${id} (SUCCEEDED|FAILED|CANCELLED)`), follow.err);
  const job = jobs().find((j) => j.id === id);
  assert.ok(job, `job ${id} is listed`);
  return job;
}

function setYaml(edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const file = join(dir, 'slipway.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, doc.toString());
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-drift-trigger-'));
  cpSync('examples/churn', dir, { recursive: true, filter: (s) => !/(^|\/)(artifacts|\.slipway|__pycache__|mlruns|logs)(\/|$)/.test(s) });
  setYaml((doc) => {
    if (PYTHON) doc.setIn(['training', 'python'], PYTHON);
    doc.setIn(['training', 'params', 'n_estimators'], 15); // a quick model: the job's outcome is what is tested
  });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('drift --retrain on the drifted example starts a local training job that succeeds', { skip }, () => {
  const r = cli(['drift', '--retrain', '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { dataset_drift: boolean; retrain?: { job_id: string; target: string; script: string } };
  assert.equal(report.dataset_drift, true);
  assert.ok(report.retrain, 'the JSON says which job started');
  assert.equal(report.retrain.target, 'local');
  assert.equal(report.retrain.script, 'src/train.py');
  assert.match(r.err, new RegExp(`retraining: job ${report.retrain.job_id} started`));
  const job = finished(report.retrain.job_id);
  assert.equal(job.status, 'SUCCEEDED', job.message ?? '');
  assert.ok(existsSync(join(dir, 'artifacts/model/model.onnx')), 'the job trained a model');
});

test('with --fail-on-drift the exit code stays 1, and the job still starts', { skip }, () => {
  const before = jobs().length;
  const r = cli(['drift', '--retrain', '--fail-on-drift']);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /DATA SET DRIFT/);
  const id = /retraining: job (\S+) started/.exec(r.err)?.[1];
  assert.ok(id, r.err);
  assert.equal(jobs().length, before + 1);
  assert.equal((finished(id)).status, 'SUCCEEDED');
});

test('monitoring.on_drift: retrain starts training without the flag; notify does not', { skip }, () => {
  const before = jobs().length;
  setYaml((doc) => doc.setIn(['monitoring', 'on_drift'], 'retrain'));
  try {
    const r = cli(['drift']);
    assert.equal(r.code, 0, r.err);
    const id = /retraining: job (\S+) started/.exec(r.err)?.[1];
    assert.ok(id, r.err);
    assert.equal((finished(id)).status, 'SUCCEEDED');
  } finally {
    setYaml((doc) => doc.setIn(['monitoring', 'on_drift'], 'notify'));
  }
  const r = cli(['drift', '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  assert.equal((JSON.parse(r.out) as { retrain?: unknown }).retrain, undefined);
  assert.doesNotMatch(r.err, /retraining/);
  assert.equal(jobs().length, before + 1);
});

test('no drift, no job: --retrain only acts when the data set drifts', { skip: built }, () => {
  const before = existsSync(join(dir, '.slipway/jobs')) ? jobs().length : 0;
  const r = cli(['drift', '--retrain', '--current', 'data/train.parquet', '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { dataset_drift: boolean; retrain?: unknown };
  assert.equal(report.dataset_drift, false);
  assert.equal(report.retrain, undefined);
  assert.equal(existsSync(join(dir, '.slipway/jobs')) ? jobs().length : 0, before);
});

test('--retrain needs a project with a training script: usage error (exit 2) before any work', { skip: built }, () => {
  const empty = mkdtempSync(join(tmpdir(), 'slipway-drift-trigger-empty-'));
  try {
    const r = cli(['drift', '--retrain', '--reference', join(dir, 'data/train.parquet'), '--current', join(dir, 'data/current.parquet')], empty);
    assert.equal(r.code, 2);
    assert.match(r.err, /no slipway\.yaml/);
    writeFileSync(join(empty, 'slipway.yaml'), 'version: 1\nname: bare\nmonitoring:\n  reference: a.parquet\n  current: b.parquet\n');
    const bare = cli(['drift', '--retrain', '--reference', join(dir, 'data/train.parquet'), '--current', join(dir, 'data/current.parquet')], empty);
    assert.equal(bare.code, 2);
    assert.match(bare.err, /--retrain: .*no training section/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
