// The serving runtime's pure parts: v2 request checks (every 400 with its message), the
// named-feature form, tensors, micro-batching, the Prometheus text, the inference records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServingError, checkInferRequest, featureNames, isBatchable, parseJsonBody, v2ModelMetadata, v2Outputs, type ModelSignature } from '../../src/core/serving/protocol';
import { MicroBatcher } from '../../src/core/serving/batcher';
import { ServingMetrics } from '../../src/core/serving/metrics';
import { recordLines } from '../../src/core/serving/inferenceLog';
import { concatRows, sliceRows, type TensorInfo } from '../../src/core/serving/tensors';
import { parsePrometheus, sampleValue } from '../support/serving-prom';

const FEATURES = ['a', 'b', 'c'];
const features: TensorInfo = { name: 'features', type: 'float32', datatype: 'FP32', shape: ['N', 3] };
const outputs: TensorInfo[] = [
  { name: 'label', type: 'int64', datatype: 'INT64', shape: ['N'] },
  { name: 'probabilities', type: 'float32', datatype: 'FP32', shape: ['N', 2] },
];
const MODEL: ModelSignature = { inputs: [features], outputs, features: FEATURES, batchable: true };
const TWO: ModelSignature = {
  inputs: [features, { name: 'ids', type: 'int64', datatype: 'INT64', shape: [-1] }],
  outputs,
  batchable: true,
};
const tensor = (data: unknown, shape: unknown = [1, 3], datatype = 'FP32', name = 'features') => ({ name, shape, datatype, data });
const req = (...inputs: unknown[]) => ({ inputs });

function rejects400(body: unknown, message: RegExp, model = MODEL, options = {}) {
  assert.throws(
    () => checkInferRequest(body, model, options),
    (e: unknown) => {
      assert.ok(e instanceof ServingError, `not a ServingError: ${e}`);
      assert.equal(e.status, 400);
      assert.match(e.message, message);
      return true;
    },
  );
}

test('a valid request becomes typed tensors, flat or nested, with id, outputs and parameters', () => {
  const r = checkInferRequest({ id: 'r1', parameters: { x: 1 }, inputs: [tensor([1, 2.5, null])], outputs: [{ name: 'label' }] }, MODEL);
  assert.equal(r.id, 'r1');
  assert.equal(r.rows, 1);
  assert.deepEqual(r.outputs, ['label']);
  assert.deepEqual(r.parameters, { x: 1 });
  const t = r.inputs.features!;
  assert.deepEqual(t.dims, [1, 3]);
  assert.ok(t.data instanceof Float32Array);
  assert.deepEqual([...t.data.slice(0, 2)], [1, 2.5]);
  assert.ok(Number.isNaN((t.data as Float32Array)[2]), 'null is a missing value (NaN)');
  const nested = checkInferRequest(req(tensor([[1, 2, 3], [4, 5, 'NaN']], [2, 3])), MODEL);
  assert.equal(nested.rows, 2);
  assert.deepEqual([...(nested.inputs.features!.data as Float32Array)].slice(0, 5), [1, 2, 3, 4, 5]);
  const ints = checkInferRequest(req(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([7, -(2 ** 53 - 1)], [2], 'INT64', 'ids')), TWO);
  assert.deepEqual([...(ints.inputs.ids!.data as BigInt64Array)], [7n, -(2n ** 53n - 1n)]);
});

test('the named-feature form: one row of scalars, or columns of values', () => {
  const one = checkInferRequest({ inputs: { b: 2, a: 1, c: null } }, MODEL);
  assert.deepEqual(one.inputs.features!.dims, [1, 3]);
  assert.deepEqual([...(one.inputs.features!.data as Float32Array)].slice(0, 2), [1, 2]);
  const cols = checkInferRequest({ inputs: { a: [1, 4], b: [2, 5], c: [3, 6] } }, MODEL);
  assert.deepEqual([...(cols.inputs.features!.data as Float32Array)], [1, 2, 3, 4, 5, 6]);
  rejects400({ inputs: { a: 1, b: 2 } }, /missing feature 'c'/);
  rejects400({ inputs: { a: 1, b: 2, c: 3, d: 4 } }, /unknown feature 'd' \(features: a, b, c\)/);
  rejects400({ inputs: { a: [1, 2], b: [1], c: [1, 2] } }, /feature 'b' has 1 value\(s\), 'a' has 2/);
  rejects400({ inputs: { a: 1, b: 'x', c: 3 } }, /feature 'b': "x" is not a number/);
  rejects400({ inputs: { a: 1 } }, /model\.json/, { ...MODEL, features: undefined } as ModelSignature);
});

test('every malformed request is a 400 with a precise message', () => {
  assert.throws(() => parseJsonBody('{"inputs": ['), (e: ServingError) => e.status === 400 && /^malformed JSON: /.test(e.message));
  assert.throws(() => parseJsonBody('{"inputs": [NaN]}'), /send null for a missing value/);
  rejects400([], /must be a JSON object with an "inputs" array/);
  rejects400('x', /must be a JSON object/);
  rejects400({}, /has no "inputs" array/);
  rejects400({ inputs: 'x' }, /"inputs" must be an array/);
  rejects400({ id: 5, inputs: [] }, /"id" must be a string, not 5/);
  rejects400({ parameters: [], inputs: [] }, /"parameters" must be an object/);
  rejects400(req(), /missing input 'features'/);
  rejects400(req('x'), /inputs\[0\] must be an object/);
  rejects400(req({ shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }), /inputs\[0\] has no "name"/);
  rejects400(req(tensor([1, 2, 3]), tensor([1, 2, 3], [1, 3], 'FP32', 'extra')), /the model has no input "extra" \(inputs: features\)/);
  rejects400(req(tensor([1, 2, 3]), tensor([1, 2, 3])), /input "features" is given twice/);
  rejects400(req(tensor([1, 2, 3])), /missing input 'ids' \(the model's inputs: features, ids\)/, TWO);
  rejects400(req({ name: 'features', shape: [1, 3], data: [1, 2, 3] }), /has no "datatype"/);
  rejects400(req(tensor([1, 2, 3], [1, 3], 'FLOAT')), /"FLOAT" is not a v2 datatype \(BOOL, .*FP32/);
  rejects400(req(tensor([1, 2, 3], [1, 3], 'FP64')), /input 'features' is FP32, the request sent FP64/);
  rejects400(req(tensor([1, 2, 3], [1, -3])), /"shape" must be an array of non-negative integers/);
  rejects400(req({ name: 'features', datatype: 'FP32', data: [1, 2, 3] }), /"shape" must be an array of non-negative integers, not missing/);
  rejects400(req(tensor([1, 2, 3], [3])), /shape \[-1, 3\]; the request's shape \[3\] has 1 dimension\(s\), not 2/);
  rejects400(req(tensor([1, 2, 3, 4], [1, 4])), /dimension 1 must be 3, the request's shape is \[1, 4\]/);
  rejects400(req(tensor([1, 2], [1, 3])), /shape \[1, 3\] holds 3 value\(s\), "data" has 2/);
  rejects400(req(tensor([1, 2, 3, 4], [1, 3])), /holds 3 value\(s\), "data" has 4/);
  rejects400(req(tensor({ a: 1 })), /"data" must be an array/);
  rejects400(req(tensor([[1, 2], [3, 4]], [2, 3])), /data\[0\] has 2 element\(s\), the shape says 3 at dimension 1/);
  rejects400(req(tensor([[1, 2, 3], 4], [2, 3])), /data\[1\] should be an array/);
  rejects400(req(tensor([[[1], 2, 3]], [1, 3])), /data\[0\]\[0\] is nested deeper than the shape/);
  rejects400(req(tensor([1, 'two', 3])), /input 'features': data\[1\]: "two" is not a number/);
  rejects400(req(tensor([1, true, 3])), /data\[1\]: true is not a number/);
  rejects400(req(tensor([1, {}, 3])), /data\[1\]: an object is not a number/);
  rejects400(req(tensor([1, 1e39, 3])), /data\[1\]: 1e\+39 is outside the FP32 range/);
  rejects400(req(tensor([1, null, 3])), /data\[1\]: null \(NaN\) is not allowed/, MODEL, { allowNaN: false });
  rejects400(req(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([1.5, 2], [2], 'INT64', 'ids')), /input 'ids': data\[0\]: 1\.5 is not an integer/, TWO);
  rejects400(req(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([null, 2], [2], 'INT64', 'ids')), /data\[0\]: null is not a number/, TWO);
  rejects400(req(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([2 ** 60, 2], [2], 'INT64', 'ids')), /outside the INT64 range that JSON numbers carry exactly/, TWO);
  rejects400(req(tensor([1, 2, 3, 4, 5, 6], [2, 3]), tensor([1, 2, 3], [3], 'INT64', 'ids')), /disagree on the batch dimension \(dim 0\): features has 2, ids has 3/, TWO);
  rejects400(req(tensor([], [0, 3])), /no rows/);
  rejects400({ inputs: [tensor([1, 2, 3])], outputs: [{ name: 'nope' }] }, /the model has no output "nope" \(outputs: label, probabilities\)/);
  rejects400({ inputs: [tensor([1, 2, 3])], outputs: 'label' }, /"outputs" must be an array/);
});

test('metadata, outputs and the batching and feature-name rules', () => {
  assert.deepEqual(v2ModelMetadata('m', '3', MODEL), {
    name: 'm',
    versions: ['3'],
    platform: 'onnxruntime_onnx',
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 3] }],
    outputs: [
      { name: 'label', datatype: 'INT64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
    ],
  });
  const out = v2Outputs(
    { label: { type: 'int64', dims: [2], data: BigInt64Array.from([0n, 1n]) }, probabilities: { type: 'float32', dims: [2, 2], data: Float32Array.from([0.25, 0.75, NaN, 0.5]) } },
    ['probabilities', 'label'],
  );
  assert.deepEqual(out, [
    { name: 'probabilities', shape: [2, 2], datatype: 'FP32', data: [0.25, 0.75, null, 0.5] },
    { name: 'label', shape: [2], datatype: 'INT64', data: [0, 1] },
  ]);
  assert.equal(isBatchable([features], outputs), true);
  assert.equal(isBatchable([{ ...features, shape: [1, 3] }], outputs), false);
  assert.equal(isBatchable([features], [{ ...outputs[0]!, shape: [] }]), false);
  assert.deepEqual(featureNames([features], { features: FEATURES }), FEATURES);
  assert.equal(featureNames([features], { features: ['a', 'b'] }), undefined, 'width mismatch');
  assert.equal(featureNames([features], { features: FEATURES, input: 'other' }), undefined);
  assert.equal(featureNames(TWO.inputs, { features: FEATURES }), undefined);
});

test('tensors stack along dim 0 and split back', () => {
  const a = { type: 'float32' as const, dims: [1, 2], data: Float32Array.from([1, 2]) };
  const b = { type: 'float32' as const, dims: [2, 2], data: Float32Array.from([3, 4, 5, 6]) };
  const ab = concatRows([a, b]);
  assert.deepEqual(ab.dims, [3, 2]);
  assert.deepEqual([...ab.data], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...sliceRows(ab, 1, 3).data], [3, 4, 5, 6]);
  assert.deepEqual(sliceRows(ab, 1, 3).dims, [2, 2]);
  const s = concatRows([{ type: 'string', dims: [1], data: ['x'] }, { type: 'string', dims: [1], data: ['y'] }]);
  assert.deepEqual(s.data, ['x', 'y']);
});

test('MicroBatcher: concurrent items share a run, each gets its own result, a failing item does not poison the rest', async () => {
  const runs: number[][] = [];
  const b = new MicroBatcher<number, number>(
    async (items) => {
      runs.push([...items]);
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((i) => i * 10);
    },
    () => 1,
    { maxBatch: 4, maxWaitMs: 0 },
  );
  const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map((i) => b.submit(i)));
  assert.deepEqual(results.map((r) => (r as PromiseFulfilledResult<number>).value), [10, 20, 30, 40, 50, 60]);
  assert.deepEqual(runs, [[1, 2, 3, 4], [5, 6]], 'full batches go at once, the rest at the end of the turn');
  runs.length = 0;
  const mixed = await Promise.allSettled([12, 13, 14].map((i) => b.submit(i)));
  assert.deepEqual(mixed.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
  assert.equal((mixed[0] as PromiseFulfilledResult<number>).value, 120);
  assert.deepEqual(runs, [[12, 13, 14], [12], [13], [14]], 'a failed batch is rerun item by item');
});

test('MicroBatcher: maxWaitMs holds a batch open; big items run alone; drain waits for everything', async () => {
  const runs: number[][] = [];
  const b = new MicroBatcher<number, number>(
    async (items) => {
      runs.push([...items]);
      await sleep(5);
      return [...items];
    },
    (i) => i,
    { maxBatch: 10, maxWaitMs: 30 },
  );
  const p1 = b.submit(1);
  await sleep(5);
  const p2 = b.submit(2);
  const big = b.submit(12);
  assert.deepEqual(runs, [[12]], 'an item over maxBatch rows runs at once, alone');
  await Promise.all([p1, p2]);
  assert.deepEqual(runs, [[12], [1, 2]], 'the two waited for each other');
  await big;
  const late = b.submit(3);
  await b.drain();
  assert.deepEqual(runs.at(-1), [3]);
  assert.equal(await late, 3);
  const full = [b.submit(6), b.submit(5)];
  assert.deepEqual(runs.at(-1), [6], 'an item that would overflow the batch sends the queued ones first');
  await b.drain();
  await Promise.all(full);
});

test('metrics: Prometheus text format 0.0.4 that a strict parser accepts', () => {
  const m = new ServingMetrics();
  m.requests.labels('churn', '200').inc(3);
  m.requests.labels('churn', '400').inc();
  m.requests.labels('we"ird\\na\nme', '404').inc();
  for (const v of [0.0001, 0.003, 0.2, 20]) m.duration.labels('churn').observe(v);
  m.batchSize.labels('churn').observe(1);
  m.batchSize.labels('churn').observe(33);
  m.logRecords.labels('churn').inc(34);
  m.logBuffered.track(() => 5, 'churn');
  m.logDropped.track(() => 0, 'churn');
  m.inferenceErrors.labels('churn');
  const text = m.registry.render();
  const f = parsePrometheus(text);
  assert.equal(f.get('slipway_requests_total')?.type, 'counter');
  assert.equal(f.get('slipway_request_duration_seconds')?.type, 'histogram');
  assert.equal(f.get('slipway_batch_size')?.type, 'histogram');
  assert.equal(f.get('slipway_inference_errors_total')?.type, 'counter');
  assert.equal(f.get('slipway_inference_log_records_total')?.type, 'counter');
  for (const fam of f.values()) assert.ok(fam.help && fam.help.length > 10, `${fam.name} has HELP`);
  assert.equal(sampleValue(f, 'slipway_requests_total', 'slipway_requests_total', { model: 'churn', code: '200' }), 3);
  assert.equal(sampleValue(f, 'slipway_requests_total', 'slipway_requests_total', { model: 'we"ird\\na\nme' }), 1);
  assert.equal(sampleValue(f, 'slipway_request_duration_seconds', 'slipway_request_duration_seconds_bucket', { le: '0.005' }), 2);
  assert.equal(sampleValue(f, 'slipway_request_duration_seconds', 'slipway_request_duration_seconds_bucket', { le: '+Inf' }), 4);
  assert.equal(sampleValue(f, 'slipway_request_duration_seconds', 'slipway_request_duration_seconds_count'), 4);
  assert.equal(sampleValue(f, 'slipway_batch_size', 'slipway_batch_size_bucket', { le: '32' }), 1);
  assert.equal(sampleValue(f, 'slipway_batch_size', 'slipway_batch_size_bucket', { le: '64' }), 2);
  assert.equal(sampleValue(f, 'slipway_batch_size', 'slipway_batch_size_sum'), 34);
  assert.equal(sampleValue(f, 'slipway_inference_log_buffered_records', 'slipway_inference_log_buffered_records'), 5);
  assert.equal(sampleValue(f, 'slipway_inference_errors_total', 'slipway_inference_errors_total', { model: 'churn' }), 0);
});

test('inference records: one per row, inputs by feature name, outputs per row', () => {
  const ctx = { requestId: 'r"1', timestamp: '2025-01-02T03:04:05.678Z', modelName: 'churn', modelVersion: '3', features: FEATURES };
  const inputs = { features: { type: 'float32' as const, dims: [2, 3], data: Float32Array.from([1, 2, NaN, 4, 5, 6]) } };
  const outs = {
    label: { type: 'int64' as const, dims: [2], data: BigInt64Array.from([0n, 1n]) },
    probabilities: { type: 'float32' as const, dims: [2, 2], data: Float32Array.from([0.75, 0.25, 0.5, 0.5]) },
  };
  const lines = recordLines(ctx, inputs, outs, 2).map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    { request_id: 'r"1', timestamp: ctx.timestamp, model_name: 'churn', model_version: '3', row: 0, inputs: { a: 1, b: 2, c: null }, outputs: { label: 0, probabilities: [0.75, 0.25] } },
    { request_id: 'r"1', timestamp: ctx.timestamp, model_name: 'churn', model_version: '3', row: 1, inputs: { a: 4, b: 5, c: 6 }, outputs: { label: 1, probabilities: [0.5, 0.5] } },
  ]);
  const byInput = recordLines({ ...ctx, features: undefined }, inputs, outs, 2).map((l) => JSON.parse(l));
  assert.deepEqual(byInput[1].inputs, { features: [4, 5, 6] });
  const whole = recordLines(ctx, inputs, outs, 1, false).map((l) => JSON.parse(l));
  assert.equal(whole.length, 1);
  assert.deepEqual(whole[0].outputs.label, [0, 1]);
});
