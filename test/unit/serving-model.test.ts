// Trying a model: describeModel (inputs/outputs, symbolic dims, ONNX metadata, model.json),
// runModel against Python onnxruntime on the same inputs, and what `--model` resolves to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeModel, openModel, resolveModel, runModel, ModelError } from '../../src/core/serving/index';
import { readOnnxMetadata } from '../../src/core/serving/onnxProto';
import { FEATURES, needsPython, pythonReference, tempDir, trainChurn, type Reference } from '../support/serving-fixture';

const skip = needsPython;
const tmp = tempDir('serving-model');
let modelDir = '';
let reference: Reference;

before(async () => {
  if (skip) return;
  modelDir = await trainChurn(tmp.dir);
  reference = await pythonReference(modelDir, 300, tmp.dir);
});
after(() => tmp.remove());

test('describeModel: inputs and outputs with element types and symbolic dims, ONNX metadata, model.json', { skip }, async () => {
  const d = await describeModel(join(modelDir, 'model.onnx'));
  assert.deepEqual(d.inputs, [{ name: 'features', type: 'float32', datatype: 'FP32', shape: ['N', 9] }]);
  assert.deepEqual(d.outputs, [
    { name: 'label', type: 'int64', datatype: 'INT64', shape: ['N'] },
    { name: 'probabilities', type: 'float32', datatype: 'FP32', shape: ['N', 2] },
  ]);
  assert.equal(d.metadata.producerName, 'slipway-example-churn');
  assert.equal(d.metadata.irVersion, 8);
  assert.equal(d.metadata.graphName, 'churn_random_forest');
  assert.match(d.metadata.docString!, /Churn classifier/);
  assert.deepEqual([...d.metadata.opsets].sort((a, b) => a.domain.localeCompare(b.domain)), [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }]);
  assert.deepEqual(JSON.parse(d.metadata.properties.features!), FEATURES);
  assert.equal(d.metadata.properties.label, 'churned');
  assert.deepEqual(d.sidecar?.features, FEATURES);
  assert.equal(d.sidecar?.input, 'features');
  assert.match(d.sha256, /^[0-9a-f]{64}$/);
  assert.ok(d.bytes > 1000);
});

test('runModel equals Python onnxruntime on the same inputs: labels exactly, probabilities within 1e-6', { skip }, async () => {
  const model = await openModel(join(modelDir, 'model.onnx'));
  try {
    const rows = reference.features;
    const data = Float32Array.from(rows.flat(), (v) => (v === null ? NaN : v));
    assert.ok(data.some((v) => Number.isNaN(v)), 'the reference rows include missing values');
    const { outputs, latencyMs } = await runModel(model, { features: { type: 'float32', dims: [rows.length, 9], data } });
    assert.ok(latencyMs > 0 && latencyMs < 5000);
    assert.deepEqual(outputs.label!.dims, [rows.length]);
    assert.deepEqual(outputs.probabilities!.dims, [rows.length, 2]);
    assert.deepEqual(Array.from(outputs.label!.data as BigInt64Array, Number), reference.label);
    const proba = outputs.probabilities!.data as Float32Array;
    let maxDiff = 0;
    reference.probabilities.forEach((p, i) => p.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(proba[i * 2 + j]! - v)))));
    assert.ok(maxDiff <= 1e-6, `max |diff| ${maxDiff}`);
    // a requested subset of outputs
    const only = await runModel(model, { features: { type: 'float32', dims: [1, 9], data: data.subarray(0, 9) } }, ['probabilities']);
    assert.deepEqual(Object.keys(only.outputs), ['probabilities']);
  } finally {
    await model.release();
  }
});

test('resolveModel: a .onnx file, a folder with model.onnx + model.json, and clear errors', { skip }, async () => {
  const file = await resolveModel(join(modelDir, 'model.onnx'));
  assert.deepEqual(file, { path: join(modelDir, 'model.onnx'), name: 'model' });
  const folder = await resolveModel('model', { cwd: tmp.dir });
  assert.deepEqual(folder, { path: join(modelDir, 'model.onnx'), name: 'model' });
  const renamed = join(tmp.dir, 'churn v2.onnx');
  copyFileSync(join(modelDir, 'model.onnx'), renamed);
  assert.equal((await resolveModel(renamed)).name, 'churn-v2');

  await assert.rejects(resolveModel(join(tmp.dir, 'nothing.onnx')), /no such file or folder/);
  mkdirSync(join(tmp.dir, 'empty'));
  await assert.rejects(resolveModel(join(tmp.dir, 'empty')), /has no model\.onnx/);
  writeFileSync(join(tmp.dir, 'model.pkl'), 'x');
  await assert.rejects(resolveModel(join(tmp.dir, 'model.pkl')), /not an \.onnx file/);
  await assert.rejects(resolveModel('s3://bucket/model.onnx'), /only local paths and models:\/ URIs/);
  await assert.rejects(resolveModel('models:/churn@champion'), (e: Error) => e instanceof ModelError && /models:\/ URIs need a tracking server \(tracking\.uri/.test(e.message));
  const seen: string[] = [];
  const viaRegistry = await resolveModel('models:/churn@champion', {
    resolver: async (uri) => {
      seen.push(uri);
      return { path: join(modelDir, 'model.onnx'), name: 'churn', version: '7' };
    },
  });
  assert.deepEqual(seen, ['models:/churn@champion']);
  assert.deepEqual(viaRegistry, { path: join(modelDir, 'model.onnx'), name: 'churn', version: '7' });
});

test('a file that is not ONNX is refused with the reason', { skip }, async () => {
  const bad = join(tmp.dir, 'bad.onnx');
  writeFileSync(bad, 'this is not protobuf');
  await assert.rejects(openModel(bad), (e: Error) => e instanceof ModelError && /is not an ONNX model/.test(e.message));
  assert.throws(() => readOnnxMetadata(new Uint8Array([0x0a, 0x05, 0x41])), /runs past the end/);
});
