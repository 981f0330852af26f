import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeGitignore, projectNameProblem, suggestProjectName, pipelineTemplate } from '../../src/core/scaffold/templates';
import { writeScaffold, ScaffoldError } from '../../src/core/scaffold/scaffold';

test('project names follow DNS-1123 labels', () => {
  for (const ok of ['churn', 'a', 'churn-2', '0ab', 'a'.repeat(63)]) assert.equal(projectNameProblem(ok), undefined, ok);
  for (const bad of ['', 'Churn', '-a', 'a-', 'a_b', 'a.b', 'a b', 'a'.repeat(64), 'é']) assert.ok(projectNameProblem(bad), bad);
  assert.match(projectNameProblem('My Project')!, /my-project/);
});

test('suggestProjectName turns folder names into valid names', () => {
  assert.equal(suggestProjectName('My Churn_Model'), 'my-churn-model');
  assert.equal(suggestProjectName('--x--'), 'x');
  assert.equal(suggestProjectName('___'), '');
  assert.equal(projectNameProblem(suggestProjectName('A'.repeat(80) + '-b')), undefined);
});

test('mergeGitignore appends only missing entries and keeps user lines', () => {
  assert.deepEqual(mergeGitignore(undefined).added.length > 0, true);
  const existing = 'node_modules\n/mlflow.db\n.venv\n';
  const merged = mergeGitignore(existing);
  assert.ok(merged.text.startsWith(existing));
  assert.ok(!merged.added.includes('mlflow.db'));
  assert.ok(!merged.added.includes('.venv/'));
  assert.ok(merged.added.includes('mlruns/'));
  assert.deepEqual(mergeGitignore(merged.text).added, []);
  assert.ok(mergeGitignore('x').text.startsWith('x\n'));
});

test('the template names the project and every section', () => {
  const t = pipelineTemplate('demo');
  assert.match(t, /^name: demo\b/m);
  for (const section of ['tracking', 'artifacts', 'features', 'training', 'model', 'serving', 'deploy', 'monitoring']) {
    assert.match(t, new RegExp(`^(# )?${section}:`, 'm'), section);
  }
});

test('writeScaffold creates the files, and never overwrites without asking', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-scaffold-'));
  try {
    const asked: string[] = [];
    const first = await writeScaffold(dir, 'demo', async (p) => (asked.push(p), false));
    assert.deepEqual(first.files.map((f) => f.outcome), ['created', 'created', 'created']);
    assert.equal(asked.length, 0);
    assert.match(await readFile(join(dir, 'src/train.py'), 'utf8'), /def main/);

    await writeFile(join(dir, 'slipway.yaml'), 'version: 1\nname: mine\n');
    const second = await writeScaffold(dir, 'demo', async (p) => (asked.push(p), false));
    assert.deepEqual(asked, ['slipway.yaml']);
    assert.equal(await readFile(join(dir, 'slipway.yaml'), 'utf8'), 'version: 1\nname: mine\n');
    assert.deepEqual(second.files.map((f) => f.outcome), ['kept', 'unchanged', 'unchanged']);

    const cancelled = await writeScaffold(dir, 'other', async () => 'cancel');
    assert.equal(cancelled.cancelled, true);
    assert.deepEqual(cancelled.files, []);
    assert.equal(await readFile(join(dir, 'slipway.yaml'), 'utf8'), 'version: 1\nname: mine\n');

    const third = await writeScaffold(dir, 'demo', async () => true);
    assert.equal(third.files[0]!.outcome, 'overwritten');
    assert.match(await readFile(join(dir, 'slipway.yaml'), 'utf8'), /name: demo/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeScaffold rejects a bad name before touching the disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-scaffold-'));
  try {
    await assert.rejects(writeScaffold(join(dir, 'p'), 'Bad Name', async () => true), ScaffoldError);
    await assert.rejects(readFile(join(dir, 'p', 'slipway.yaml')));
    await mkdir(join(dir, 'q'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
