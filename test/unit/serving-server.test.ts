// ServingServer in-process on the churn model: every v2 endpoint's shape, every 4xx over HTTP,
// micro-batching under concurrency (each caller gets its own row, equal to Python onnxruntime),
// /metrics, the enrichment hook, registry URIs, and the inference table after a clean stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { ServingError, ServingServer, readInferenceLog, type InferenceRecord, type ServingEndpoint } from '../../src/core/serving/index';
import { FEATURES, needsPython, pythonReference, tempDir, trainChurn, v2Body, type Reference } from '../support/serving-fixture';
import { parsePrometheus, sampleValue } from '../support/serving-prom';

const skip = needsPython;
const tmp = tempDir('serving-server');
let modelDir = '';
let reference: Reference;
let server: ServingServer;
let ep: ServingEndpoint;
const logDir = () => join(tmp.dir, 'log');
const MAX_BODY = 100_000;

before(async () => {
  if (skip) return;
  modelDir = await trainChurn(tmp.dir);
  reference = await pythonReference(modelDir, 64, tmp.dir);
  server = new ServingServer({ model: modelDir, name: 'churn', port: 0, log: { dir: logDir() }, maxBatch: 64, batchWaitMs: 5, maxBodyBytes: MAX_BODY });
  ep = await server.start();
});
after(async () => {
  await server?.stop();
  tmp.remove();
});

async function http(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${ep.url}${path}`, { method, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json', ...headers } } : { headers }) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, type: res.headers.get('content-type'), text, json, headers: res.headers };
}
const infer = (body: string, headers?: Record<string, string>) => http('POST', '/v2/models/churn/infer', body, headers);
const closeTo = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= 1e-6);

// the successful predictions the tests made, by request id: checked against the inference table at the end
const expected = new Map<string, { rows: (number | null)[][]; label: number[] }>();
let failedRequests = 0;

test('server metadata, health and model metadata: the KServe v2 REST shapes', { skip }, async () => {
  assert.match(ep.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const meta = await http('GET', '/v2');
  assert.equal(meta.status, 200);
  assert.deepEqual(meta.json, { name: 'slipway', version: 'dev', extensions: [] });
  assert.deepEqual((await http('GET', '/v2/health/live')).json, { live: true });
  const ready = await http('GET', '/v2/health/ready');
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.json, { ready: true });
  const version = ep.model.version;
  assert.match(version, /^[0-9a-f]{12}$/, 'a local file is versioned by its content');
  const model = await http('GET', '/v2/models/churn');
  assert.equal(model.type, 'application/json');
  assert.deepEqual(model.json, {
    name: 'churn',
    versions: [version],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 9] }],
    outputs: [
      { name: 'label', datatype: 'INT64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
    ],
  });
  assert.deepEqual((await http('GET', `/v2/models/churn/versions/${version}`)).json, model.json);
  assert.deepEqual((await http('GET', '/v2/models/churn/ready')).json, { name: 'churn', ready: true });
  assert.equal((await http('GET', `/v2/models/churn/versions/${version}/ready`)).status, 200);
  const metrics = await http('GET', '/metrics');
  assert.equal(metrics.type, 'text/plain; version=0.0.4; charset=utf-8');
});

test('not found and wrong methods: 404 / 405 with the v2 error JSON', { skip }, async () => {
  const cases: [string, string, number, RegExp][] = [
    ['GET', '/v2/models/nope', 404, /no model "nope" here \(this server serves "churn"\)/],
    ['POST', '/v2/models/nope/infer', 404, /no model "nope"/],
    ['GET', '/v2/models/churn/versions/999', 404, /has no version "999" here/],
    ['POST', '/v2/models/churn/versions/999/infer', 404, /has no version "999"/],
    ['GET', '/v2/models/churn/explain', 404, /no endpoint GET \/v2\/models\/churn\/explain/],
    ['GET', '/v1/models/churn:predict', 404, /no endpoint GET/],
    ['GET', '/v2/models/churn/infer', 405, /inference takes POST/],
    ['POST', '/v2/health/live', 405, /use GET/],
    ['DELETE', '/v2/models/churn', 405, /use GET/],
  ];
  for (const [method, path, status, message] of cases) {
    const r = await http(method, path, method === 'POST' ? v2Body([reference.features[0]!]) : undefined);
    assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
    assert.equal(r.type, 'application/json');
    assert.deepEqual(Object.keys(r.json), ['error']);
    assert.match(r.json.error, message, `${method} ${path}`);
  }
  failedRequests += 3; // the three infer requests above
});

test('infer: the v2 response, its id, selected outputs, the named-feature form', { skip }, async () => {
  const rows = reference.features.slice(0, 3);
  const r = await infer(v2Body(rows, 'req-1'));
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(Object.keys(r.json), ['model_name', 'model_version', 'id', 'outputs']);
  assert.equal(r.json.model_name, 'churn');
  assert.equal(r.json.model_version, ep.model.version);
  assert.equal(r.json.id, 'req-1');
  assert.deepEqual(r.json.outputs.map((o: any) => [o.name, o.datatype, o.shape]), [['label', 'INT64', [3]], ['probabilities', 'FP32', [3, 2]]]);
  assert.deepEqual(r.json.outputs[0].data, reference.label.slice(0, 3));
  assert.ok(closeTo(r.json.outputs[1].data, reference.probabilities.slice(0, 3).flat()));
  expected.set('req-1', { rows, label: reference.label.slice(0, 3) });

  const nested = await infer(JSON.stringify({ id: 'req-2', inputs: [{ name: 'features', shape: [2, 9], datatype: 'FP32', data: reference.features.slice(3, 5) }], outputs: [{ name: 'probabilities' }] }));
  assert.equal(nested.status, 200, nested.text);
  assert.deepEqual(nested.json.outputs.map((o: any) => o.name), ['probabilities']);
  expected.set('req-2', { rows: reference.features.slice(3, 5), label: reference.label.slice(3, 5) });

  const row = reference.features[5]!;
  const named = await infer(JSON.stringify({ inputs: Object.fromEntries(FEATURES.map((f, i) => [f, row[i]])) }), { 'x-request-id': 'from-header' });
  assert.equal(named.status, 200, named.text);
  assert.equal(named.json.id, 'from-header');
  assert.equal(named.json.outputs[0].data[0], reference.label[5]);
  expected.set('from-header', { rows: [row], label: [reference.label[5]!] });

  const anonymous = await infer(v2Body([row]));
  assert.match(anonymous.json.id, /^[0-9a-f-]{36}$/, 'a generated id when the client gives none');
  expected.set(anonymous.json.id, { rows: [row], label: [reference.label[5]!] });
});

test('every bad request gets a 400 (413 when too large) with {"error": "..."} and no record', { skip }, async () => {
  const t = (data: unknown, extra: object = {}) => JSON.stringify({ inputs: [{ name: 'features', shape: [1, 9], datatype: 'FP32', data, ...extra }] });
  const nine = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const cases: [string, RegExp][] = [
    ['{"inputs": [', /^malformed JSON/],
    ['', /^malformed JSON/],
    ['[]', /must be a JSON object/],
    ['{"inputs": []}', /missing input 'features'/],
    [JSON.stringify({ inputs: [{ name: 'features', shape: [1, 9], datatype: 'FP32', data: nine }, { name: 'extra', shape: [1], datatype: 'FP32', data: [1] }] }), /the model has no input "extra"/],
    [t(nine, { datatype: 'FP64' }), /input 'features' is FP32, the request sent FP64/],
    [t(nine, { datatype: 'FLOAT32' }), /is not a v2 datatype/],
    [t(nine, { shape: [1, 8] }), /dimension 1 must be 9/],
    [t(nine.slice(1)), /shape \[1, 9\] holds 9 value\(s\), "data" has 8/],
    [t([...nine, 10]), /"data" has 10/],
    [t([1, 2, 3, 'x', 5, 6, 7, 8, 9]), /data\[3\]: "x" is not a number/],
    [t([1, 2, 3, [4], 5, 6, 7, 8, 9]), /should be an array|nested deeper|not a number/],
    [t(nine, { shape: [0, 9], data: [] }), /no rows/],
    ['{"inputs": [{"name": "features", "shape": [1, 9], "datatype": "FP32", "data": [NaN, 2, 3, 4, 5, 6, 7, 8, 9]}]}', /malformed JSON.*send null for a missing value/],
    [JSON.stringify({ id: 7, inputs: [] }), /"id" must be a string/],
    [JSON.stringify({ inputs: [{ name: 'features', shape: [1, 9], datatype: 'FP32', data: nine }], outputs: [{ name: 'logits' }] }), /no output "logits"/],
  ];
  for (const [body, message] of cases) {
    const r = await infer(body);
    assert.equal(r.status, 400, `${body}: ${r.text}`);
    assert.equal(r.type, 'application/json');
    assert.deepEqual(Object.keys(r.json), ['error']);
    assert.match(r.json.error, message, body);
  }
  failedRequests += cases.length;

  const big = JSON.stringify({ inputs: [{ name: 'features', shape: [1, 9], datatype: 'FP32', data: nine }], pad: 'x'.repeat(MAX_BODY) });
  const tooLarge = await infer(big);
  assert.equal(tooLarge.status, 413);
  assert.match(tooLarge.json.error, new RegExp(`larger than ${MAX_BODY} bytes`));
  // without a content-length, the cap applies while reading
  const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const u = new URL(`${ep.url}/v2/models/churn/infer`);
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: b }));
    });
    req.on('error', reject);
    for (let i = 0; i < 20; i++) req.write('x'.repeat(10_000));
    req.end();
  });
  assert.equal(chunked.status, 413);
  assert.match(JSON.parse(chunked.body).error, /larger than/);
  failedRequests += 2;

  const strict = new ServingServer({ model: modelDir, name: 'strict', port: 0, log: false, allowNaN: false });
  const s = await strict.start();
  try {
    const r = await fetch(`${s.url}/v2/models/strict/infer`, { method: 'POST', body: t([1, null, 3, 4, 5, 6, 7, 8, 9]) });
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /data\[1\]: null \(NaN\) is not allowed/);
  } finally {
    await strict.stop();
  }
});

test('micro-batching: concurrent batch-1 requests share runs, each caller gets its own row (= Python onnxruntime), bad ones do not poison the batch', { skip }, async () => {
  const before = parsePrometheus((await http('GET', '/metrics')).text);
  const runsBefore = sampleValue(before, 'slipway_batch_size', 'slipway_batch_size_count', { model: 'churn' }) ?? 0;
  const rows = reference.features;
  const bad = new Set([7, 20, 41]);
  const results = await Promise.all(
    rows.map((row, i) => infer(bad.has(i) ? JSON.stringify({ inputs: [{ name: 'features', shape: [1, 9], datatype: 'FP32', data: row.slice(1) }] }) : v2Body([row], `batch-${i}`))),
  );
  results.forEach((r, i) => {
    if (bad.has(i)) {
      assert.equal(r.status, 400, r.text);
      return;
    }
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, `batch-${i}`);
    assert.deepEqual(r.json.outputs[0].data, [reference.label[i]]);
    assert.ok(closeTo(r.json.outputs[1].data, reference.probabilities[i]!), `row ${i}: ${r.json.outputs[1].data} vs ${reference.probabilities[i]}`);
    expected.set(`batch-${i}`, { rows: [rows[i]!], label: [reference.label[i]!] });
  });
  failedRequests += bad.size;
  const after = parsePrometheus((await http('GET', '/metrics')).text);
  const runs = (sampleValue(after, 'slipway_batch_size', 'slipway_batch_size_count', { model: 'churn' }) ?? 0) - runsBefore;
  const singles = (sampleValue(after, 'slipway_batch_size', 'slipway_batch_size_bucket', { model: 'churn', le: '1' }) ?? 0) - (sampleValue(before, 'slipway_batch_size', 'slipway_batch_size_bucket', { model: 'churn', le: '1' }) ?? 0);
  assert.ok(runs < rows.length - bad.size, `${rows.length - bad.size} requests took ${runs} model runs`);
  assert.ok(runs > singles, 'some runs held more than one row');
});

test('/metrics counts requests by code, latency, batch sizes and inference records', { skip }, async () => {
  const f = parsePrometheus((await http('GET', '/metrics')).text);
  const ok = sampleValue(f, 'slipway_requests_total', 'slipway_requests_total', { model: 'churn', code: '200' });
  assert.equal(ok, expected.size);
  const code = (c: string, model = 'churn') => sampleValue(f, 'slipway_requests_total', 'slipway_requests_total', { model, code: c }) ?? 0;
  assert.equal(code('400') + code('413') + code('404') + code('405') + code('404', ''), failedRequests);
  assert.equal(code('404', ''), 1, 'an unknown model is counted under model=""');
  const count = sampleValue(f, 'slipway_request_duration_seconds', 'slipway_request_duration_seconds_count', { model: 'churn' })!;
  assert.equal(count, failedRequests - 1 + expected.size);
  const rowsServed = [...expected.values()].reduce((n, e) => n + e.rows.length, 0);
  assert.equal(sampleValue(f, 'slipway_batch_size', 'slipway_batch_size_sum', { model: 'churn' }), rowsServed);
  assert.equal(sampleValue(f, 'slipway_inference_errors_total', 'slipway_inference_errors_total', { model: 'churn' }) ?? 0, 0);
  const logged = sampleValue(f, 'slipway_inference_log_records_total', 'slipway_inference_log_records_total', { model: 'churn' }) ?? 0;
  const buffered = sampleValue(f, 'slipway_inference_log_buffered_records', 'slipway_inference_log_buffered_records', { model: 'churn' }) ?? 0;
  assert.equal(logged + buffered, rowsServed);
});

test('the enrichment hook rewrites a request before it is checked (a fake feature store)', { skip }, async () => {
  const store: Record<string, (number | null)[]> = { 'c-1': reference.features[10]!, 'c-2': reference.features[11]! };
  const seen: string[] = [];
  const enriched = new ServingServer({
    model: modelDir,
    name: 'enriched',
    port: 0,
    log: { dir: join(tmp.dir, 'log-enriched') },
    enrich: async (request, ctx) => {
      seen.push(ctx.model);
      const ids = (request.parameters as { customer_ids?: string[] } | undefined)?.customer_ids ?? [];
      const rows = ids.map((id) => store[id] ?? (() => { throw new ServingError(400, `unknown customer ${id}`); })());
      return { ...request, inputs: [{ name: 'features', shape: [rows.length, 9], datatype: 'FP32', data: rows.flat() }] };
    },
  });
  const e = await enriched.start();
  try {
    const post = (body: object) => fetch(`${e.url}/v2/models/enriched/infer`, { method: 'POST', body: JSON.stringify(body) });
    const r = await post({ id: 'e1', parameters: { customer_ids: ['c-2', 'c-1'] } });
    assert.equal(r.status, 200);
    const json = (await r.json()) as any;
    assert.deepEqual(json.outputs[0].data, [reference.label[11], reference.label[10]]);
    const unknown = await post({ parameters: { customer_ids: ['c-9'] } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(await unknown.json(), { error: 'unknown customer c-9' });
    assert.deepEqual(seen, ['enriched', 'enriched']);
  } finally {
    await enriched.stop();
  }
  const records = readInferenceLog(join(tmp.dir, 'log-enriched'));
  assert.equal(records.length, 2);
  assert.deepEqual(records.map((r) => [r.request_id, r.row]), [['e1', 0], ['e1', 1]]);
  assert.equal(records[0]!.inputs.sessions_7d, reference.features[11]![0], 'the record holds the enriched inputs');
});

test('models:/ URIs: a clear error without a registry, served through an injected resolver', { skip }, async () => {
  const none = new ServingServer({ model: 'models:/churn@champion', port: 0, log: false });
  await assert.rejects(none.start(), /models:\/ URIs need a tracking server \(tracking\.uri in slipway\.yaml\)/);
  const viaRegistry = new ServingServer({
    model: 'models:/churn@champion',
    port: 0,
    log: false,
    resolver: async () => ({ path: join(modelDir, 'model.onnx'), name: 'churn-classifier', version: '4' }),
  });
  const r = await viaRegistry.start();
  try {
    assert.deepEqual([r.model.name, r.model.version], ['churn-classifier', '4']);
    const meta = (await (await fetch(`${r.url}/v2/models/churn-classifier/versions/4`)).json()) as any;
    assert.deepEqual(meta.versions, ['4']);
  } finally {
    await viaRegistry.stop();
  }
});

test('a clean stop writes every prediction: one record per row, inputs by feature name', { skip }, async () => {
  await server.stop();
  await server.stop(); // idempotent
  await assert.rejects(fetch(`${ep.url}/v2/health/live`), 'the port is closed');
  const records = readInferenceLog(logDir());
  const rowsServed = [...expected.values()].reduce((n, e) => n + e.rows.length, 0);
  assert.equal(records.length, rowsServed);
  const byId = new Map<string, InferenceRecord[]>();
  for (const r of records) byId.set(r.request_id, [...(byId.get(r.request_id) ?? []), r]);
  assert.deepEqual([...byId.keys()].sort(), [...expected.keys()].sort());
  for (const [id, rs] of byId) {
    const e = expected.get(id)!;
    assert.deepEqual(rs.map((r) => r.row), e.rows.map((_, i) => i));
    rs.forEach((r, i) => {
      assert.equal(r.model_name, 'churn');
      assert.equal(r.model_version, ep.model.version);
      assert.match(r.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(Object.keys(r.inputs), FEATURES);
      assert.deepEqual(Object.values(r.inputs), e.rows[i]);
      assert.equal(r.outputs.label, e.label[i]);
      assert.equal((r.outputs.probabilities as number[]).length, 2);
    });
  }
});
