// `slipway features` in-process (runCli), on a copy of the churn example.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIo } from '../../src/cli/io';
import { loadCli } from '../support/mlflow-cli';

let dir: string;
let runCli: (argv: string[], io: CliIo) => Promise<number>;

before(async () => {
  runCli = await loadCli();
  dir = await mkdtemp(join(tmpdir(), 'slipway-features-cli-'));
  const example = resolve('examples/churn');
  await cp(join(example, 'slipway.yaml'), join(dir, 'slipway.yaml'));
  await cp(join(example, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['activity', 'customers', 'labels']) await cp(join(example, `data/${f}.parquet`), join(dir, `data/${f}.parquet`));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function run(args: string[], cwd = dir) {
  let out = '';
  let err = '';
  const io: CliIo = { cwd, env: {}, out: (t) => void (out += t), err: (t) => void (err += t), interactive: false, ask: async () => undefined };
  const code = await runCli(['features', ...args], io);
  return { code, out, err };
}

test('list --format json: views, features, types, freshness against --now', async () => {
  const r = await run(['list', '--format', 'json', '--now', '2026-11-01T00:00:00Z']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.project, 'churn');
  assert.deepEqual(j.problems, []);
  assert.deepEqual(j.views.map((v: any) => [v.name, v.entity, v.join_keys, v.source, v.ttl, v.ttl_seconds]), [
    ['customer_activity', 'customer', ['customer_id'], 'activity', '30d', 2592000],
    ['customer_profile', 'customer', ['customer_id'], 'customers', '1095d', 94608000],
  ]);
  assert.deepEqual(j.views[0].features, [{ name: 'sessions', type: 'int64' }, { name: 'basket_value', type: 'float64' }, { name: 'support_tickets', type: 'int64' }]);
  assert.deepEqual([j.views[0].freshness.rows, j.views[0].freshness.latest, j.views[0].freshness.stale], [8174, '2026-10-31T23:55:22Z', false]);
  const later = JSON.parse((await run(['list', '--format', 'json', '--now', '2027-01-01T00:00:00Z'])).out);
  assert.equal(later.views[0].freshness.stale, true);
  const text = await run(['list', '--now', '2026-11-01T00:00:00Z']);
  assert.equal(text.code, 0);
  assert.match(text.out, /^customer_activity {2}entity customer \(customer_id\) {2}source activity data\/activity\.parquet {2}30d\n {2}8174 rows, latest 2026-10-31T23:55:22Z \(5m old\)\n {2}sessions: int64\n/);
});

test('check: exit 0 on the example, 1 with a type mismatch', async () => {
  assert.deepEqual(await run(['check']), { code: 0, out: 'the data matches the feature definitions\n', err: '' });
  const yaml = await readFile(join(dir, 'slipway.yaml'), 'utf8');
  await writeFile(join(dir, 'bad.yaml'), yaml.replace('sessions: int64', 'sessions: bool'));
  const r = await run(['check', '--file', 'bad.yaml', '--format', 'json']);
  assert.equal(r.code, 1);
  const problems = JSON.parse(r.out);
  assert.deepEqual(problems.map((p: any) => [p.code, p.view, p.feature, p.declared, p.actual]), [['type-mismatch', 'customer_activity', 'sessions', 'bool', 'BIGINT']]);
});

test('build: Parquet + lineage sidecar; --format json prints the lineage', async () => {
  const r = await run(['build', '--out', 'data/training.parquet', '--threads', '2']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^wrote data\/training\.parquet: 500 rows, 8 columns, sha256:[0-9a-f]{64} \(\d+\.\d s\)\nlineage: data\/training\.parquet\.lineage\.json\n$/);
  const lineage = JSON.parse(await readFile(join(dir, 'data/training.parquet.lineage.json'), 'utf8'));
  assert.equal(lineage.name, 'churn-training');
  assert.equal(lineage.path, join(dir, 'data/training.parquet'));
  const j = await run(['build', '--format', 'json', '--name', 'churn-v2']);
  assert.equal(j.code, 0, j.err);
  const again = JSON.parse(j.out);
  assert.deepEqual([again.name, again.rows, again.digest, again.path], ['churn-v2', 500, lineage.digest, lineage.path]);
});

test('materialize, then get: round trip; bad keys, entities and stores are usage errors', async () => {
  const m = await run(['materialize', '--now', '2026-10-01T00:00:00Z', '--format', 'json']);
  assert.equal(m.code, 0, m.err);
  const meta = JSON.parse(m.out);
  assert.equal(meta.path, join(dir, '.slipway/online.duckdb'));
  assert.equal(meta.asOf, '2026-10-01T00:00:00.000Z');
  const g = await run(['get', '--entity', 'customer', '--key', '10001', '--format', 'json']);
  assert.equal(g.code, 0, g.err);
  const got = JSON.parse(g.out);
  assert.deepEqual(Object.keys(got.values), ['sessions', 'basket_value', 'support_tickets', 'plan', 'country', 'monthly_fee']);
  assert.deepEqual([got.entity, got.key, got.found, got.values.plan, got.values.monthly_fee], ['customer', { customer_id: '10001' }, true, 'plus', 15.74]);
  const named = await run(['get', '--entity', 'customer', '--key', 'customer_id=10001']);
  assert.deepEqual(JSON.parse(named.out).values, got.values);
  const text = await run(['get', '--entity', 'customer', '--key', '10001', '--format', 'text']);
  assert.match(text.out, /^sessions: .*\nbasket_value: .*\nsupport_tickets: .*\nplan: plus\ncountry: US\nmonthly_fee: 15\.74\n$/);

  const wrongType = await run(['get', '--entity', 'customer', '--key', 'abc']);
  assert.equal(wrongType.code, 2);
  assert.match(wrongType.err, /customer_id is an integer key \(BIGINT\): "abc" is not an integer/);
  const unknownEntity = await run(['get', '--entity', 'product', '--key', '1']);
  assert.equal(unknownEntity.code, 2);
  assert.match(unknownEntity.err, /no entity 'product' \(entities: customer\)/);
  const missing = await run(['get', '--entity', 'customer', '--key', '1']);
  assert.equal(missing.code, 1);
  assert.equal(JSON.parse(missing.out).found, false);
  assert.match(missing.err, /no online values for customer \{"customer_id":"1"\}/);
  const noKey = await run(['get', '--entity', 'customer']);
  assert.equal(noKey.code, 2);
  assert.match(noKey.err, /--key is required/);
  const noStore = await run(['get', '--entity', 'customer', '--key', '1', '--store', 'nowhere.duckdb']);
  assert.equal(noStore.code, 2);
  assert.match(noStore.err, /no online store; write it with `slipway features materialize`/);
});

test('stats VIEW [FEATURE] --format json; unknown views and features are usage errors', async () => {
  const r = await run(['stats', 'customer_activity', '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.features.map((f: any) => [f.feature, f.rows, f.nulls]), [['sessions', 8174, 0], ['basket_value', 8174, 112], ['support_tickets', 8174, 0]]);
  const one = JSON.parse((await run(['stats', 'customer_profile', 'plan', '--format', 'json'])).out);
  assert.deepEqual(one.features[0].top.map((t: any) => t.value), ['basic', 'plus', 'premium']);
  const text = await run(['stats', 'customer_profile', 'monthly_fee']);
  assert.match(text.out, /^monthly_fee \(float64, column DOUBLE\): 500 rows, 0 null \(0\.00%\), \d+ distinct\n {2}min [\d.]+ {2}max [\d.]+ {2}mean [\d.]+ {2}std [\d.]+\n {2}\[/);
  const unknown = await run(['stats', 'nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown feature view 'nope' \(views: customer_activity, customer_profile\)/);
  const unknownFeature = await run(['stats', 'customer_activity', 'nope']);
  assert.equal(unknownFeature.code, 2);
  assert.match(unknownFeature.err, /view customer_activity has no feature 'nope'/);
  assert.equal((await run(['stats'])).code, 2);
});

test('bad inputs: missing files, unknown subcommands and options exit 2 with a clear message', async () => {
  const yaml = await readFile(join(dir, 'slipway.yaml'), 'utf8');
  await writeFile(join(dir, 'nolabels.yaml'), yaml.replace('labels: data/labels.parquet', 'labels: data/missing.parquet'));
  const r = await run(['build', '--file', 'nolabels.yaml']);
  assert.equal(r.code, 2);
  assert.match(r.err, /training\.dataset\.labels: data\/missing\.parquet: no such file or folder/);
  await writeFile(join(dir, 'nosource.yaml'), yaml.replace('path: data/activity.parquet', 'path: data/gone.parquet'));
  const s = await run(['stats', 'customer_activity', '--file', 'nosource.yaml']);
  assert.equal(s.code, 2);
  assert.match(s.err, /data\/gone\.parquet: no such file or folder/);
  assert.equal((await run(['frobnicate'])).code, 2);
  assert.match((await run(['frobnicate'])).err, /unknown subcommand 'frobnicate'/);
  assert.equal((await run([])).code, 2);
  assert.match((await run(['list', '--out', 'x'])).err, /features list takes no --out/);
  assert.match((await run(['list', '--now', 'yesterday'])).err, /--now must be an ISO 8601 date/);
  assert.match((await run(['build', '--threads', '0'])).err, /--threads must be a positive whole number/);
  const elsewhere = await mkdtemp(join(tmpdir(), 'slipway-features-empty-'));
  try {
    const none = await run(['list'], elsewhere);
    assert.equal(none.code, 2);
    assert.match(none.err, /no slipway\.yaml in/);
  } finally {
    await rm(elsewhere, { recursive: true, force: true });
  }
});

test('preview and snippet', async () => {
  const p = await run(['preview', 'customer_profile', '--limit', '2', '--format', 'json']);
  assert.equal(p.code, 0, p.err);
  assert.deepEqual(JSON.parse(p.out).rows[0], { customer_id: 10001, signup_ts: '2026-03-27T05:38:08Z', plan: 'plus', country: 'US', monthly_fee: 15.74 });
  const t = await run(['preview', 'customer_profile', '--limit', '1']);
  assert.equal(t.out, 'customer_id\tsignup_ts\tplan\tcountry\tmonthly_fee\n10001\t2026-03-27T05:38:08Z\tplus\tUS\t15.74\n');
  const s = await run(['snippet']);
  assert.equal(s.code, 0);
  assert.match(s.out, /train = pd\.read_parquet\("data\/training\.parquet"\)/);
  assert.ok(existsSync(join(dir, 'data/training.parquet')));
});
