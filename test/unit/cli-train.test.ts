import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseParamOverrides, targetProblem, jobSpecFromPipeline } from '../../src/core/training/spec';
import { parsePipeline } from '../../src/core/pipeline/index';

const CLI = resolve('out/cli.js');
const PYTHON = process.env.SLIPWAY_PYTHON;
const skip = !PYTHON ? 'SLIPWAY_PYTHON is not set: run "npm test", which creates the venv with scikit-learn' : !existsSync(CLI) ? 'build first' : false;
let dir = '';

const cli = (args: string[], cwd = dir) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-cli-train-'));
  cpSync('examples/churn', dir, { recursive: true, filter: (s) => !/(artifacts|\.slipway|__pycache__)/.test(s) });
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('param overrides parse key=value and refuse the rest', () => {
  assert.deepEqual(parseParamOverrides(['a=1', 'b=x=y', 'c=']), { a: '1', b: 'x=y', c: '' });
  assert.throws(() => parseParamOverrides(['novalue']), /key=value/);
  assert.throws(() => parseParamOverrides(['=1']), /key=value/);
  assert.throws(() => parseParamOverrides(['a b=1']), /not a parameter name/);
});

test('targetProblem says what to add to slipway.yaml', () => {
  const bare = parsePipeline('version: 1\nname: x\n').model;
  assert.match(targetProblem(bare, 'local')!, /no training section/);
  const local = parsePipeline('version: 1\nname: x\ntraining:\n  script: t.py\n').model;
  assert.equal(targetProblem(local, 'local'), undefined);
  assert.match(targetProblem(local, 'ray')!, /training\.targets\.ray/);
  assert.match(targetProblem(local, 'kubernetes')!, /image/);
  const nb = parsePipeline('version: 1\nname: x\ntraining:\n  notebook: n.ipynb\n').model;
  assert.match(targetProblem(nb, 'local')!, /Notebook to Training Script/);
});

test('the job spec carries params with overrides, and the MLflow link', () => {
  const p = parsePipeline('version: 1\nname: x\ntracking:\n  experiment: exp\ntraining:\n  script: t.py\n  params: { a: 1, b: two }\n').model;
  const spec = jobSpecFromPipeline(p, '/proj', { overrides: { a: '5' }, trackingUri: 'http://env:5000' });
  assert.deepEqual(spec.params, { a: '5', b: 'two' });
  assert.equal(spec.experiment, 'exp');
  assert.equal(spec.trackingUri, 'http://env:5000');
  assert.equal(spec.script, 't.py');
});

test('slipway train --follow trains the example and exits 0; jobs list shows it', { skip }, () => {
  const r = cli(['train', '--follow', '--python', PYTHON!, '--param', 'n_estimators=15']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /val_auc/);
  assert.match(r.err, /SUCCEEDED/);
  assert.ok(existsSync(join(dir, 'artifacts/model/model.onnx')));
  const list = JSON.parse(cli(['jobs', 'list', '--format', 'json']).out);
  assert.equal(list.length, 1);
  assert.equal(list[0].status, 'SUCCEEDED');
  assert.equal(list[0].params.n_estimators, '15');
  const logs = cli(['jobs', 'logs', list[0].id]);
  assert.equal(logs.code, 0);
  assert.match(logs.out, /val_auc/);
});

test('a failing training exits 1 with the job\'s outcome', { skip }, () => {
  const r = cli(['train', '--follow', '--python', PYTHON!, '--param', 'n_estimators=not-a-number']);
  assert.equal(r.code, 1);
  assert.match(r.err, /FAILED: exited with code 2/);
});

test('usage errors exit 2 with a message', { skip: !existsSync(CLI) && 'build first' }, () => {
  assert.equal(cli(['train', '--target', 'moon']).code, 2);
  assert.match(cli(['train', '--param', 'oops']).err, /key=value/);
  const empty = mkdtempSync(join(tmpdir(), 'slipway-empty-'));
  try {
    const r = cli(['train'], empty);
    assert.equal(r.code, 2);
    assert.match(r.err, /no slipway\.yaml/);
    mkdirSync(join(empty, 'src'));
    writeFileSync(join(empty, 'slipway.yaml'), 'version: 1\nname: x\ntraining:\n  script: missing.py\n');
    const broken = cli(['train'], empty);
    assert.equal(broken.code, 1);
    assert.match(broken.err, /file-not-found/);
    assert.equal(cli(['jobs', 'logs', '20260101000000-zzzzz'], dir).code, 2);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('slipway schedule renders training.schedule as a CronJob', { skip: !existsSync(CLI) && 'build first' }, () => {
  const r = cli(['schedule', '--format', 'json', '--api-version', 'batch/v1beta1'], resolve('examples/churn'));
  assert.equal(r.code, 0, r.err);
  const m = JSON.parse(r.out);
  assert.equal(m.apiVersion, 'batch/v1beta1');
  assert.equal(m.spec.schedule, '0 3 * * 1');
  assert.equal(m.spec.jobTemplate.spec.template.spec.containers[0].image, 'registry.local/churn-train:1.0');
  const yaml = cli(['schedule'], resolve('examples/churn'));
  assert.match(yaml.out, /^kind: CronJob$/m);
  assert.doesNotMatch(yaml.out, /&a1|\*a1/, 'plain YAML, no anchors');
  assert.equal(cli(['schedule', '--api-version', 'v9'], resolve('examples/churn')).code, 2);
});
