import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseActiveProject, isPipelineFileName, projectNameFromText } from '../../src/core/project/pipelineFiles';
import { findKeyRange } from '../../src/core/pipeline/locate';

test('pipeline file names', () => {
  for (const ok of ['slipway.yaml', 'slipway.yml', 'a/b/slipway.yaml', 'prod.slipway.yaml', 'C:\\x\\slipway.yml']) assert.ok(isPipelineFileName(ok), ok);
  for (const bad of ['.slipway.yaml', 'slipway.yaml.bak', 'my-slipway.yaml', 'slipway.json', '']) assert.ok(!isPipelineFileName(bad), bad);
});

test('chooseActiveProject prefers a live preference, then the shallowest slipway.yaml', () => {
  assert.equal(chooseActiveProject([]), undefined);
  assert.equal(chooseActiveProject(['b/slipway.yaml', 'slipway.yml', 'x.slipway.yaml']), 'slipway.yml');
  assert.equal(chooseActiveProject(['x.slipway.yaml', 'slipway.yaml']), 'slipway.yaml');
  assert.equal(chooseActiveProject(['b/slipway.yaml', 'a/slipway.yaml']), 'a/slipway.yaml');
  assert.equal(chooseActiveProject(['b/slipway.yaml', 'a/slipway.yaml'], './b/slipway.yaml'), 'b/slipway.yaml');
  assert.equal(chooseActiveProject(['a/slipway.yaml'], 'gone/slipway.yaml'), 'a/slipway.yaml');
});

test('projectNameFromText reads name and tolerates broken files', () => {
  assert.equal(projectNameFromText('version: 1\nname: churn\n'), 'churn');
  assert.equal(projectNameFromText('name: [1, 2'), undefined);
  assert.equal(projectNameFromText('- a\n- b'), undefined);
  assert.equal(projectNameFromText(''), undefined);
  assert.equal(projectNameFromText('name: 42'), undefined);
});

test('findKeyRange finds nested keys with zero-based ranges', () => {
  const text = 'version: 1\ntraining:\n  script: src/train.py\n';
  assert.deepEqual(findKeyRange(text, ['training']), { start: { line: 1, character: 0 }, end: { line: 1, character: 8 } });
  assert.deepEqual(findKeyRange(text, ['training', 'script']), { start: { line: 2, character: 2 }, end: { line: 2, character: 8 } });
  assert.equal(findKeyRange(text, ['deploy']), undefined);
  assert.equal(findKeyRange(text, ['version', 'x']), undefined);
  assert.equal(findKeyRange('{{{', ['a']), undefined);
  assert.equal(findKeyRange(text, []), undefined);
});
