// The serving runtime enriched from the online store (src/core/features/enrich.ts): a temp
// project whose Parquet feature data holds rows of the churn example under customer ids,
// materialized, then served two ways — the churn model (one [n, 9] input named in model.json)
// in-process, and a small model with named inputs (test/python/enrich_model.py) through
// `slipway serve --features`. An enriched request must give what the same features sent by hand
// give; bad requests get a 400 that says what to send.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadProject } from '../../src/core/project/loadProject';
import { DEFAULT_ONLINE_STORE, FeatureDb, OnlineStore, materialize, onlineEnricher } from '../../src/core/features/index';
import { ServingServer, readInferenceLog, type ModelSignature, type ServingEndpoint, type V2InferRequest } from '../../src/core/serving/index';
import { CLI, FEATURES, PYTHON, needsCli, pythonReference, startCli, tempDir, trainChurn, v2Body, type CliServer, type Reference } from '../support/serving-fixture';

const exec = promisify(execFile);
const skip = needsCli;
const tmp = tempDir('serving-enrich');
const proj = join(tmp.dir, 'project');
const ROWS = 12;
/** customer id of reference row i */
const cid = (i: number) => 100 + i;
const ACTIVITY = FEATURES.slice(0, 5); // sessions_7d … days_since_last_event
const PROFILE = FEATURES.slice(5); // tenure_days, monthly_fee, plan_plus, plan_premium
const TYPES: Record<string, string> = { tickets_30d: 'int64', plan_plus: 'bool' }; // the rest float64

const pipeline = (profile: readonly string[]) => `version: 1
name: enrich-test
features:
  entities:
    customer: { join_keys: [customer_id] }
    item: { join_keys: [store_id, product_id] }
  sources:
    activity: { path: data/activity.parquet, timestamp: ts }
    profile: { path: data/profile.parquet, timestamp: ts }
    prices: { path: data/prices.parquet, timestamp: ts }
  views:
    customer_activity:
      entity: customer
      source: activity
      features: { ${ACTIVITY.map((f) => `${f}: ${TYPES[f] ?? 'float64'}`).join(', ')} }
    customer_profile:
      entity: customer
      source: profile
      features: { ${profile.map((f) => `${f}: ${TYPES[f] ?? 'float64'}`).join(', ')} }
    pricing:
      entity: item
      source: prices
      features: { price: float64 }
training:
  script: train.py
`;

let reference: Reference;
let modelDir = '';
let store: OnlineStore;
let server: ServingServer;
let ep: ServingEndpoint;
const logDir = join(tmp.dir, 'log');

async function writeData(): Promise<void> {
  const db = await FeatureDb.open();
  try {
    await mkdir(join(proj, 'data'), { recursive: true });
    const num = (v: number | null, type = 'float64') =>
      v === null ? 'NULL' : type === 'bool' ? String(v === 1) : type === 'int64' ? String(v) : `'${v}'::DOUBLE`;
    const table = async (file: string, columns: readonly string[]) => {
      const values = reference.features.map((row, i) => `(${cid(i)}, ${columns.map((c) => num(row[FEATURES.indexOf(c)]!, TYPES[c])).join(', ')})`);
      const cast = columns.map((c) => `${c}::${TYPES[c] === 'int64' ? 'BIGINT' : TYPES[c] === 'bool' ? 'BOOLEAN' : 'DOUBLE'} AS ${c}`);
      await db.run(
        `COPY (SELECT customer_id::BIGINT AS customer_id, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS ts, ${cast.join(', ')} ` +
          `FROM (VALUES ${values.join(', ')}) t(customer_id, ${columns.join(', ')})) TO '${join(proj, 'data', file)}' (FORMAT parquet)`,
      );
    };
    await table('activity.parquet', ACTIVITY);
    await table('profile.parquet', PROFILE);
    await db.run(
      `COPY (SELECT store_id, product_id::BIGINT AS product_id, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS ts, price::DOUBLE AS price ` +
        `FROM (VALUES ('s1', 7, 2.5), ('s2', 7, 3.25)) t(store_id, product_id, price)) TO '${join(proj, 'data', 'prices.parquet')}' (FORMAT parquet)`,
    );
  } finally {
    db.close();
  }
}

before(async () => {
  if (skip) return;
  modelDir = await trainChurn(tmp.dir);
  reference = await pythonReference(modelDir, ROWS, tmp.dir);
  // the fixture's data has what the types need: whole tickets, 0/1 plans
  for (const row of reference.features) {
    assert.ok(row[3] === null || Number.isInteger(row[3]));
    assert.ok(row[7] === null || row[7] === 0 || row[7] === 1);
  }
  await writeData();
  await writeFile(join(proj, 'slipway.yaml'), pipeline(PROFILE));
  // the same data without monthly_fee: a store that cannot fill the churn model's columns
  await writeFile(join(proj, 'partial.yaml'), pipeline(PROFILE.filter((f) => f !== 'monthly_fee')));
  const now = new Date('2026-01-02T00:00:00Z');
  await materialize(await loadProject(join(proj, 'slipway.yaml')), { now });
  await materialize(await loadProject(join(proj, 'partial.yaml')), { now, store: '.slipway/partial.duckdb' });
  store = await OnlineStore.open(join(proj, DEFAULT_ONLINE_STORE));
  server = new ServingServer({ model: modelDir, name: 'churn', port: 0, log: { dir: logDir }, enrich: onlineEnricher(store) });
  ep = await server.start();
});

after(async () => {
  await server?.stop();
  store?.close();
  tmp.remove();
});

async function post(url: string, body: unknown) {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
}
const infer = (body: unknown) => post(`${ep.url}/v2/models/churn/infer`, body);
const closeTo = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= 1e-6);

test('a batch of 3 keys gives what their feature rows sent by hand give (and Python onnxruntime)', { skip }, async () => {
  const rows = [4, 0, 9];
  const enriched = await infer({ id: 'enriched-3', parameters: { entity: 'customer', keys: rows.map(cid) } });
  assert.equal(enriched.status, 200, JSON.stringify(enriched.json));
  const byHand = await infer(v2Body(rows.map((r) => reference.features[r]!)));
  assert.equal(byHand.status, 200);
  assert.deepEqual(enriched.json.outputs, byHand.json.outputs);
  assert.deepEqual(enriched.json.outputs[0].data, rows.map((r) => reference.label[r]));
  assert.ok(closeTo(enriched.json.outputs[1].data, rows.flatMap((r) => reference.probabilities[r]!)));
  // a key as a string, one row
  const one = await infer({ parameters: { entity: 'customer', keys: [String(cid(2))] } });
  assert.deepEqual(one.json.outputs[0].data, [reference.label[2]]);
  // the key as a tensor named like the join key, shape [n, 1]
  const tensor = await infer({ id: 'by-tensor', inputs: [{ name: 'customer_id', shape: [2, 1], datatype: 'INT64', data: [[cid(4)], [cid(0)]] }] });
  assert.equal(tensor.status, 200, JSON.stringify(tensor.json));
  assert.deepEqual(tensor.json.outputs[0].data, [reference.label[4], reference.label[0]]);
});

test('an unknown key: every feature is missing, which FP32 takes as NaN, as if sent as nulls', { skip }, async () => {
  const r = await infer({ parameters: { entity: 'customer', keys: [999, cid(1)] } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const byHand = await infer(v2Body([FEATURES.map(() => null), reference.features[1]!]));
  assert.deepEqual(r.json.outputs, byHand.json.outputs);
});

test('a request that carries the features input is left alone: its rows, not the store\'s', { skip }, async () => {
  const r = await infer({ ...JSON.parse(v2Body([reference.features[7]!])), parameters: { entity: 'customer', keys: [cid(3)] } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.outputs[0].data, [reference.label[7]]);
  assert.ok(closeTo(r.json.outputs[1].data, reference.probabilities[7]!));
  // the named-feature form carries it too; keys next to it are a mistake, said so
  const named = Object.fromEntries(FEATURES.map((f, j) => [f, reference.features[7]![j]]));
  assert.equal((await infer({ inputs: named })).status, 200);
  const mixed = await infer({ inputs: named, parameters: { entity: 'customer', keys: [cid(3)] } });
  assert.equal(mixed.status, 400);
  assert.match(mixed.json.error, /"inputs" as an object of named features carries every feature itself: send parameters\.keys with "inputs" as an array/);
});

test('ambiguous or malformed key requests get a 400 saying what to send', { skip }, async () => {
  const cases: [unknown, RegExp][] = [
    [{ parameters: { keys: [cid(1)] } }, /the online store holds several entities \(customer, item\): name one with parameters\.entity/],
    [{ parameters: { entity: 'shop', keys: [1] } }, /the online store has no entity 'shop' \(entities: customer, item\)/],
    [{ parameters: { entity: 'customer', keys: [] } }, /parameters\.keys must be a non-empty array with one key of entity customer per row, e\.g\. \[42, 43\]/],
    [{ parameters: { entity: 'customer', keys: [null] } }, /parameters\.keys\[0\] must be a key of entity customer \(a string or number\), not null/],
    [{ parameters: { entity: 'customer', keys: ['x1'] } }, /customer_id is an integer key \(BIGINT\): "x1" is not an integer/],
    [{ parameters: { entity: 'customer' } }, /parameters\.entity names 'customer' but the request has no keys: send "parameters": \{"entity": "customer", "keys": \[\.\.\.\]\} or a tensor for each join key \(customer_id\)/],
    [
      { parameters: { entity: 'customer', keys: [cid(1)] }, inputs: [{ name: 'customer_id', shape: [1], datatype: 'INT64', data: [cid(1)] }] },
      /the request names its rows twice, with parameters\.keys and with the join key tensor\(s\) 'customer_id': send one of them/,
    ],
    [{ inputs: [{ name: 'customer_id', shape: [2], datatype: 'INT64', data: [cid(1)] }] }, /the join key tensor 'customer_id' has shape \[2\]: "data" must hold 2 key\(s\), not 1/],
    [{ inputs: [{ name: 'customer_id', shape: [1, 2], datatype: 'INT64', data: [[1, 2]] }] }, /the join key tensor 'customer_id' must have shape \[n\] or \[n, 1\]/],
    [{ inputs: [{ name: 'store_id', shape: [1], datatype: 'BYTES', data: ['s1'] }] }, /the join key tensor\(s\) 'store_id' do not make a whole key: item needs product_id/],
  ];
  for (const [body, message] of cases) {
    const r = await infer(body);
    assert.equal(r.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(r.json)}`);
    assert.match(r.json.error, message);
  }
});

test('a store without one of model.json\'s columns: 400 naming the missing column', { skip }, async () => {
  const partial = await OnlineStore.open(join(proj, '.slipway/partial.duckdb'));
  const s = new ServingServer({ model: modelDir, name: 'churn', port: 0, log: false, enrich: onlineEnricher(partial, { entity: 'customer' }) });
  const e = await s.start();
  try {
    const r = await post(`${e.url}/v2/models/churn/infer`, { parameters: { keys: [cid(1)] } });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /^input 'features' is not in the request, and entity customer in the online store lacks its column 'monthly_fee' \(model\.json's features; the store has sessions_7d, .*\): send 'features' by hand, or add the features and materialize again$/);
    // sent by hand, it is served
    assert.equal((await post(`${e.url}/v2/models/churn/infer`, v2Body([reference.features[1]!]))).status, 200);
  } finally {
    await s.stop();
    partial.close();
  }
});

test('composite keys (objects by join key), conversions and the key tensor\'s removal, on the enricher itself', { skip }, async () => {
  const enrich = onlineEnricher(store);
  const signature: ModelSignature = {
    inputs: [
      { name: 'price', type: 'float64', datatype: 'FP64', shape: ['n'] },
      { name: 'qty', type: 'int32', datatype: 'INT32', shape: ['n', 1] },
    ],
    outputs: [],
    batchable: true,
  };
  const ctx = { model: 'm', version: '1', signature };
  const qty = { name: 'qty', shape: [3, 1], datatype: 'INT32', data: [1, 2, 3] };
  const keys = [{ store_id: 's2', product_id: 7 }, { product_id: '7', store_id: 's1' }, { store_id: 's9', product_id: 1 }];
  const out = await enrich({ id: 'x', parameters: { entity: 'item', keys }, inputs: [qty] }, ctx);
  assert.deepEqual(out, { id: 'x', parameters: { entity: 'item', keys }, inputs: [qty, { name: 'price', shape: [3], datatype: 'FP64', data: [3.25, 2.5, null] }] });
  // by tensors: both join keys, removed after the lookup
  const byTensor = await enrich(
    { inputs: [{ name: 'store_id', shape: [1], datatype: 'BYTES', data: ['s1'] }, { name: 'product_id', shape: [1], datatype: 'INT64', data: [7] }, { ...qty, shape: [1, 1], data: [5] }] },
    ctx,
  );
  assert.deepEqual(byTensor.inputs, [{ ...qty, shape: [1, 1], data: [5] }, { name: 'price', shape: [1], datatype: 'FP64', data: [2.5] }]);
  await assert.rejects(enrich({ parameters: { entity: 'item', keys: ['s1'] } }, ctx), /parameters\.keys\[0\]: entity item has the composite key \(store_id, product_id\): give each key as an object/);
  await assert.rejects(enrich({ parameters: { entity: 'item', keys: [{ store_id: 's1', sku: 7 }] } }, ctx), /parameters\.keys\[0\]: entity item's key is store_id, product_id; unknown sku; missing product_id/);
  // nothing to fill: no lookup, only the key tensor goes
  const full = { inputs: [{ name: 'price', shape: [1], datatype: 'FP64', data: [1] }, { ...qty, shape: [1, 1], data: [5] }] };
  assert.deepEqual(await enrich({ parameters: { entity: 'item', keys: [{ store_id: 's1', product_id: 7 }] }, ...full }, ctx), { parameters: { entity: 'item', keys: [{ store_id: 's1', product_id: 7 }] }, ...full });
  // no keys at all: untouched, the very same object
  const plain = { inputs: [] };
  assert.equal(await enrich(plain as V2InferRequest, ctx), plain);
  // a string feature cannot feed a number; a bool feeds 0/1
  const typed = onlineEnricher(store, { entity: 'customer' });
  const sig = (name: string, type: 'float32' | 'int64' | 'bool', datatype: 'FP32' | 'INT64' | 'BOOL'): ModelSignature => ({ inputs: [{ name, type, datatype, shape: ['n'] }], outputs: [], batchable: true });
  const plan = reference.features.findIndex((r) => r[7] === 1);
  const asFloat = await typed({ parameters: { keys: [cid(plan)] } }, { ...ctx, signature: sig('plan_plus', 'float32', 'FP32') });
  assert.deepEqual((asFloat.inputs as any[])[0].data, [1]);
  const asBool = await typed({ parameters: { keys: [cid(plan)] } }, { ...ctx, signature: sig('plan_plus', 'bool', 'BOOL') });
  assert.deepEqual((asBool.inputs as any[])[0].data, [true]);
  // a fractional value cannot feed an integer input (avg_basket_30d: money)
  const fractional = reference.features.findIndex((r) => r[2] !== null && !Number.isInteger(r[2]));
  assert.ok(fractional >= 0, 'the fixture has a fractional avg_basket_30d');
  await assert.rejects(typed({ parameters: { keys: [cid(fractional)] } }, { ...ctx, signature: sig('avg_basket_30d', 'int64', 'INT64') }), (e: Error & { status?: number }) => {
    assert.equal(e.status, 400);
    assert.match(e.message, new RegExp(`^key ${cid(fractional)} of entity customer: feature 'avg_basket_30d' \\(float64\\) = [-\\d.e]+ cannot be INT64 input 'avg_basket_30d': not an integer$`));
    return true;
  });
});

test('OnlineStore.lookupMany: one result per key in order, duplicates and unknown keys included, equal to lookup; an aborted signal refuses', { skip }, async () => {
  const keys = [cid(3), '101', 999, cid(3), cid(0)];
  const many = await store.lookupMany('customer', keys);
  const one = await Promise.all(keys.map((k) => store.lookup('customer', k)));
  assert.deepEqual(many, one);
  assert.deepEqual(many.map((l) => l.found), [true, true, false, true, true]);
  assert.equal(many[0]!.values.sessions_7d, reference.features[3]![0]);
  const items = [{ store_id: 's2', product_id: 7 }, ['s1', '7'], ['s1', 8]] as const;
  const itemMany = await store.lookupMany('item', items);
  assert.deepEqual(itemMany.map((l) => l.values.price), [3.25, 2.5, null]);
  assert.deepEqual(itemMany, await Promise.all(items.map((k) => store.lookup('item', k))));
  assert.deepEqual(await store.lookupMany('customer', []), []);
  await assert.rejects(store.lookupMany('customer', ['99999999999999999999']), /a key does not fit the join key type \(customer_id BIGINT\)/);
  const aborted = new AbortController();
  aborted.abort(new Error('the client went away'));
  await assert.rejects(store.lookupMany('customer', [cid(1)], { signal: aborted.signal }), /the client went away/);
  assert.equal((await store.lookupMany('customer', [cid(1)]))[0]!.found, true, 'the store still answers');
});

test('the inference table records the enriched inputs, by feature name', { skip }, async () => {
  await server.stop();
  const records = readInferenceLog(logDir);
  const mine = records.filter((r) => r.request_id === 'enriched-3');
  assert.deepEqual(mine.map((r) => r.row), [0, 1, 2]);
  [4, 0, 9].forEach((row, i) => {
    const expected = Object.fromEntries(FEATURES.map((f, j) => [f, reference.features[row]![j]]));
    assert.deepEqual(mine[i]!.inputs, expected);
    assert.equal(mine[i]!.outputs.label, reference.label[row]);
  });
  const byTensor = records.filter((r) => r.request_id === 'by-tensor');
  assert.deepEqual(byTensor.map((r) => r.inputs.sessions_7d), [reference.features[4]![0], reference.features[0]![0]]);
});

test('slipway serve --features: named inputs filled from the store, key tensors removed, 400s for what it cannot fill', { skip }, async () => {
  const model = join(tmp.dir, 'named.onnx');
  await exec(PYTHON!, [resolve('test/python/enrich_model.py'), model]);
  // without a store: a clear error, exit 2
  const bare = join(tmp.dir, 'bare');
  await mkdir(bare, { recursive: true });
  await writeFile(join(bare, 'slipway.yaml'), pipeline(PROFILE));
  const missing = await exec(process.execPath, [CLI, 'serve', '--model', model, '--port', '0', '--features'], { cwd: bare }).then(() => assert.fail('served without a store'), (e) => e);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--features: there is no online store at .*bare\/\.slipway\/online\.duckdb: run `slipway features materialize` first/);

  const rows = reference.features.map((_, i) => i).filter((i) => [0, 3, 6].every((j) => reference.features[i]![j] !== null)).slice(0, 3);
  assert.equal(rows.length, 3, 'the fixture has rows without missing values');
  const f = (r: number, j: number) => reference.features[r]![j]!;
  const cli: CliServer = await startCli(['--model', model, '--port', '0', '--log', join(tmp.dir, 'log-named'), '--features'], proj);
  try {
    assert.match(cli.stdout(), /features: \.slipway\/online\.duckdb \(customer, item; as of 2026-01-02T00:00:00\.000Z\)/);
    const name = /serving (\S+) version/.exec(cli.stdout())![1]!;
    const url = `${cli.url}/v2/models/${name}/infer`;
    const bonus = { name: 'bonus', shape: [3], datatype: 'FP32', data: [1, 2, 3] };
    const enriched = await post(url, { id: 'named-1', inputs: [{ name: 'customer_id', shape: [3], datatype: 'INT64', data: rows.map(cid) }, bonus] });
    assert.equal(enriched.status, 200, JSON.stringify(enriched.json));
    const byHand = await post(url, {
      inputs: [
        { name: 'sessions_7d', shape: [3], datatype: 'FP32', data: rows.map((r) => f(r, 0)) },
        { name: 'tickets_30d', shape: [3, 1], datatype: 'INT64', data: rows.map((r) => f(r, 3)) },
        { name: 'customer_profile__monthly_fee', shape: [3], datatype: 'FP64', data: rows.map((r) => f(r, 6)) },
        bonus,
      ],
    });
    assert.equal(byHand.status, 200, JSON.stringify(byHand.json));
    assert.deepEqual(enriched.json.outputs, byHand.json.outputs);
    assert.deepEqual(enriched.json.outputs[1].data, rows.map((r) => f(r, 3)));
    const score = rows.map((r, i) => Math.fround(Math.fround(Math.fround(f(r, 0) + Math.fround(10 * f(r, 3))) + Math.fround(f(r, 6))) + i + 1));
    assert.ok(closeTo(enriched.json.outputs[0].data, score), `${enriched.json.outputs[0].data} vs ${score}`);

    // an unknown key cannot fill the INT64 input: 400 naming the key
    const unknown = await post(url, { parameters: { entity: 'customer', keys: [cid(rows[0]!), 4242] }, inputs: [{ ...bonus, shape: [2], data: [0, 0] }] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json.error, "key 4242 of entity customer is not in the online store, and input 'tickets_30d' (INT64) cannot hold a missing value");
    // an input that is not a feature must come with the request
    const noBonus = await post(url, { parameters: { entity: 'customer', keys: [cid(rows[0]!)] } });
    assert.equal(noBonus.status, 400);
    assert.match(noBonus.json.error, /^missing input 'bonus': not in the request and not a feature of entity customer in the online store \(its features: sessions_7d, /);
  } finally {
    assert.equal(await cli.stop(), 0, cli.stderr());
  }
  const records = readInferenceLog(join(tmp.dir, 'log-named')).filter((r) => r.request_id === 'named-1');
  assert.deepEqual(records.map((r) => r.row), [0, 1, 2]);
  assert.deepEqual(Object.keys(records[0]!.inputs).sort(), ['bonus', 'customer_profile__monthly_fee', 'sessions_7d', 'tickets_30d'], 'the key tensor is not a model input: not recorded');
  assert.deepEqual(records.map((r) => r.inputs.sessions_7d), rows.map((r) => f(r, 0)));
  assert.deepEqual(records.map((r) => r.inputs.customer_profile__monthly_fee), rows.map((r) => f(r, 6)));
});
