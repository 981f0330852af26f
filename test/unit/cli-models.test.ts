import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowStandin } from '../support/mlflow-standin';
import { RUN, recordedSeed } from '../support/mlflow-seed';
import { cli } from '../support/mlflow-cli';

let server: MlflowStandin;
let url: string;
let root: string;

/** a project folder whose slipway.yaml has this `model` section */
function project(name: string, model: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'slipway.yaml'), `version: 1\nname: probe\ntracking:\n  uri: ${url}\n${model}`);
  return d;
}

const gated = (gates: string, name = 'probe-model') => `model:\n  name: ${name}\n  gates:\n${gates}`;
const aliasOf = (model: string, alias: string) => server.store.models.get(model)!.aliases.get(alias);
const tagOf = (model: string, version: string, key: string) => server.store.models.get(model)!.versions.get(version)!.tags.get(key);

before(async () => {
  server = new MlflowStandin().seed(recordedSeed());
  url = await server.start();
  root = mkdtempSync(join(tmpdir(), 'slipway-cli-models-'));
});

after(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

test('models list: every registered model with its versions, aliases and tags', async () => {
  const d = project('list', '');
  const r = await cli(['models', 'list'], d);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), [
    {
      name: 'probe-model',
      versions: [
        { version: '2', run_id: RUN.run2, status: 'READY', aliases: ['champion'], tags: { validation_status: 'approved' } },
        { version: '1', run_id: RUN.parent, status: 'READY', aliases: ['challenger'], tags: { validation_status: 'pending' } },
      ],
    },
    { name: 'probe-model-from-run', versions: [{ version: '1', run_id: RUN.run2, status: 'READY', aliases: [], tags: {} }] },
  ]);
  const one = await cli(['models', 'list', '--name', 'probe-model-from-run'], d);
  assert.deepEqual((JSON.parse(one.out) as { name: string }[]).map((m) => m.name), ['probe-model-from-run']);
  const text = await cli(['models', 'list', '--name', 'probe-model', '--format', 'text'], d);
  assert.equal(
    text.out,
    `probe-model  — Probe registered model\n  v2    READY  run ${RUN.run2}  @champion  validation_status=approved\n  v1    READY  run ${RUN.parent}  @challenger  validation_status=pending\n`,
  );
  const missing = await cli(['models', 'list', '--name', 'nope'], d);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /Registered Model with name=nope not found/);
  assert.equal((await cli(['models', 'list', '--format', 'yaml'], d)).code, 2);
  assert.equal((await cli(['models'], d)).code, 2);
});

test('models alias: the gates pass, the alias moves', async () => {
  const d = project('pass', gated('    - { metric: accuracy, op: ">=", value: 0.65 }\n    - { metric: loss, op: "<", value: 0.1 }\n'));
  const r = await cli(['models', 'alias', 'probe-model', 'staging', '2'], d);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'probe-model@staging → v2\n');
  assert.match(r.err, /pass {2}accuracy >= 0\.65: accuracy = 0\.7 >= 0\.65/);
  assert.equal(aliasOf('probe-model', 'staging'), '2');
  assert.equal(tagOf('probe-model', '2', 'slipway.gate_override'), undefined);
  const again = await cli(['models', 'alias', 'probe-model', 'staging', 'v2'], d);
  assert.equal(again.out, 'probe-model@staging → v2 (unchanged)\n');
});

test('models alias: a failing gate refuses (exit 1) and names the gate and the values', async () => {
  const d = project('fail', gated('    - { metric: accuracy, op: ">=", value: 0.65 }\n'));
  const r = await cli(['models', 'alias', 'probe-model', 'champion', '1'], d);
  assert.equal(r.code, 1);
  assert.match(r.err, /FAIL {2}accuracy >= 0\.65: accuracy = 0\.6, needs >= 0\.65/);
  assert.match(r.err, /refused: probe-model v1 fails gate accuracy >= 0\.65 \(accuracy = 0\.6, needs >= 0\.65\)\. Pass --force/);
  assert.equal(aliasOf('probe-model', 'champion'), '2', 'alias unchanged');
  const missing = project('missing', gated('    - { metric: val_auc, op: ">=", value: 0.8 }\n'));
  const m = await cli(['models', 'alias', 'probe-model', 'champion', '1'], missing);
  assert.equal(m.code, 1);
  assert.match(m.err, /val_auc was not logged by the run/);
});

test('models alias --force: sets the alias and records the override on the version', async () => {
  const d = project('force', gated('    - { metric: accuracy, op: ">=", value: 0.65 }\n    - { metric: f1, op: ">", value: 0.1 }\n'));
  const r = await cli(['models', 'alias', 'probe-model', 'champion', '1', '--force'], d, { USER: 'carol' });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'probe-model@champion → v1 (was v2); gates overridden (tag slipway.gate_override)\n');
  assert.equal(aliasOf('probe-model', 'champion'), '1');
  const override = JSON.parse(tagOf('probe-model', '1', 'slipway.gate_override')!) as Record<string, unknown>;
  assert.equal(override.user, 'carol');
  assert.equal(override.alias, 'champion');
  assert.ok(!Number.isNaN(Date.parse(String(override.time))));
  assert.deepEqual(override.failed_gates, [{ metric: 'accuracy', op: '>=', value: 0.65, actual: 0.6, reason: 'accuracy = 0.6, needs >= 0.65' }]);
  // put it back for the other tests
  assert.equal((await cli(['models', 'alias', 'probe-model', 'champion', '2'], project('nogates', ''))).code, 0);
});

test('models alias: gates of another model do not apply; malformed gates, a missing version and usage are errors', async () => {
  const other = project('other', gated('    - { metric: accuracy, op: ">=", value: 0.99 }\n', 'churn-classifier'));
  const r = await cli(['models', 'alias', 'probe-model-from-run', 'prod', '1'], other);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /the gates in .*slipway\.yaml are for model churn-classifier; none apply to probe-model-from-run/);
  const bad = project('bad', gated('    - { metric: accuracy, op: "=>", value: 0.5 }\n'));
  const b = await cli(['models', 'alias', 'probe-model', 'x', '1'], bad);
  assert.equal(b.code, 2);
  assert.match(b.err, /model\.gates\[0\]\.op must be one of/);
  const noVersion = await cli(['models', 'alias', 'probe-model', 'x', '9'], project('nv', ''));
  assert.equal(noVersion.code, 1);
  assert.match(noVersion.err, /Model Version \(name=probe-model, version=9\) not found/);
  for (const args of [['models', 'alias', 'probe-model', 'x'], ['models', 'alias', 'probe-model', 'x', 'latest']]) {
    assert.equal((await cli(args, other)).code, 2, args.join(' '));
  }
  const reserved = await cli(['models', 'alias', 'probe-model', 'latest', '1'], project('reserved', ''));
  assert.equal(reserved.code, 1);
  assert.match(reserved.err, /'latest' alias name \(case insensitive\) is reserved/);
});

test('models alias without slipway.yaml: --tracking-uri, no gates', async () => {
  const d = join(root, 'empty');
  mkdirSync(d, { recursive: true });
  const r = await cli(['models', 'alias', 'probe-model', 'qa', '1', '--tracking-uri', url], d);
  assert.equal(r.code, 0, r.err);
  assert.equal(aliasOf('probe-model', 'qa'), '1');
  server.inject({ fault: { kind: 'auth', status: 401 }, times: 1 });
  const denied = await cli(['models', 'list', '--tracking-uri', url], d);
  assert.equal(denied.code, 1);
  assert.match(denied.err, /needs credentials \(HTTP 401\): set MLFLOW_TRACKING_TOKEN/);
});
