import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { JobStore } from '../../src/core/training/jobStore';
import { LocalRunner, resolvePython } from '../../src/core/training/local';
import { newJobId, paramsToArgs, type JobSpec } from '../../src/core/training/types';

const SUPERVISOR = resolve('out/job-supervisor.js');
const PYTHON = process.env.SLIPWAY_PYTHON || 'python3';

async function project(script: string) {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-local-'));
  await writeFile(join(dir, 'train.py'), script);
  const store = new JobStore(join(dir, '.jobs'));
  const runner = new LocalRunner({ store, python: PYTHON, supervisor: { node: process.execPath, script: SUPERVISOR } });
  const spec = (params: JobSpec['params'] = {}): JobSpec => ({ projectDir: dir, project: 'demo', script: 'train.py', params, experiment: 'demo-exp', trackingUri: 'http://127.0.0.1:5999' });
  return { dir, store, runner, spec, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

test('params become --key value arguments, in order, as strings', () => {
  assert.deepEqual(paramsToArgs({ n_estimators: 200, lr: 0.1, use_gpu: false, name: 'a b' }), ['--n_estimators', '200', '--lr', '0.1', '--use_gpu', 'false', '--name', 'a b']);
  assert.deepEqual(paramsToArgs({}), []);
});

test('resolvePython: selected interpreter, then training.python, then python3', () => {
  assert.equal(resolvePython({ selected: '/usr/bin/python3.11', configured: '.venv/bin/python', projectDir: '/p' }), '/usr/bin/python3.11');
  assert.equal(resolvePython({ configured: '.venv/bin/python', projectDir: '/p' }), '/p/.venv/bin/python');
  assert.equal(resolvePython({ configured: 'python3.12', projectDir: '/p' }), 'python3.12');
  assert.equal(resolvePython({ projectDir: '/p' }), 'python3');
});

test('job ids sort by time and are safe file names', () => {
  const a = newJobId(new Date('2026-01-02T03:04:05Z'), () => 0.5);
  assert.match(a, /^20260102030405-[0-9a-z]{5}$/);
  assert.ok(newJobId(new Date('2026-01-02T03:04:06Z')) > a);
});

test('a local job runs the script without a shell, with MLflow env, and succeeds', { skip: !existsSync(SUPERVISOR) && 'build first' }, async () => {
  const p = await project(`import os, sys
print("args", sys.argv[1:])
print("env", os.environ["MLFLOW_TRACKING_URI"], os.environ["MLFLOW_EXPERIMENT_NAME"], os.environ["SLIPWAY_JOB_ID"])
`);
  try {
    const id = newJobId();
    const handle = await p.runner.submit(p.spec({ n: 3, evil: '$(touch pwned); echo x' }), id);
    let output = '';
    handle.onOutput((t) => (output += t));
    const final = await handle.done;
    assert.equal(final.status, 'SUCCEEDED', output);
    assert.equal(final.exitCode, 0);
    assert.match(output, /args \['--n', '3', '--evil', '\$\(touch pwned\); echo x'\]/);
    assert.match(output, new RegExp(`env http://127.0.0.1:5999 demo-exp ${id}`));
    assert.ok(!existsSync(join(p.dir, 'pwned')), 'no shell interpreted the arguments');
    const stored = await p.store.get(id);
    assert.equal(stored?.status, 'SUCCEEDED');
    assert.ok(stored?.startedAt && stored.endedAt);
    assert.match(await readFile(p.store.logPath(id), 'utf8'), /^\$ .*train\.py --n 3 --evil/);
  } finally {
    await p.cleanup();
  }
});

test('a failing script ends FAILED with its exit code', { skip: !existsSync(SUPERVISOR) && 'build first' }, async () => {
  const p = await project('import sys\nprint("boom", file=sys.stderr)\nsys.exit(3)\n');
  try {
    const handle = await p.runner.submit(p.spec(), newJobId());
    let output = '';
    handle.onOutput((t) => (output += t));
    const final = await handle.done;
    assert.equal(final.status, 'FAILED');
    assert.equal(final.exitCode, 3);
    assert.match(final.message ?? '', /exited with code 3/);
    assert.match(output, /boom/);
  } finally {
    await p.cleanup();
  }
});

test('cancel stops the whole process group and records STOPPED', { skip: !existsSync(SUPERVISOR) && 'build first' }, async () => {
  const p = await project(`import subprocess, time, os
child = subprocess.Popen(["sleep", "300"])
open("child.pid", "w").write(str(child.pid))
print("started", flush=True)
time.sleep(300)
`);
  try {
    const handle = await p.runner.submit(p.spec(), newJobId());
    await new Promise<void>((r) => handle.onOutput((t) => t.includes('started') && r()));
    const childPid = Number(await readFile(join(p.dir, 'child.pid'), 'utf8'));
    await handle.cancel();
    const final = await handle.done;
    assert.equal(final.status, 'STOPPED');
    // gone, or a zombie waiting for a reaper: either way no longer running
    const running = async () => {
      try {
        return !/^State:\s+Z/m.test(await readFile(`/proc/${childPid}/status`, 'utf8'));
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && (await running()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await running(), false, "the script's own child was killed too");
  } finally {
    await p.cleanup();
  }
});

test('a job survives its follower: a new runner re-attaches and sees it end', { skip: !existsSync(SUPERVISOR) && 'build first' }, async () => {
  const p = await project('import time\nprint("one", flush=True)\ntime.sleep(1.5)\nprint("two")\n');
  try {
    const id = newJobId();
    const first = await p.runner.submit(p.spec(), id);
    first.detach(); // the window reloads
    const again = new LocalRunner({ store: p.store, python: PYTHON, supervisor: { node: process.execPath, script: SUPERVISOR } });
    const record = (await p.store.get(id))!;
    assert.equal(record.status, 'RUNNING');
    const handle = await again.attach(record);
    let output = '';
    handle.onOutput((t) => (output += t));
    const final = await handle.done;
    assert.equal(final.status, 'SUCCEEDED');
    assert.match(output, /one[\s\S]*two/);
  } finally {
    await p.cleanup();
  }
});

test('a Python that does not exist fails the job with a clear message', { skip: !existsSync(SUPERVISOR) && 'build first' }, async () => {
  const p = await project('print(1)\n');
  try {
    const runner = new LocalRunner({ store: p.store, python: '/nonexistent/python', supervisor: { node: process.execPath, script: SUPERVISOR } });
    const final = await (await runner.submit(p.spec(), newJobId())).done;
    assert.equal(final.status, 'FAILED');
    assert.match(final.message ?? '', /could not start \/nonexistent\/python/);
  } finally {
    await p.cleanup();
  }
});

test('the job store lists newest first, skips broken records and refuses bad ids', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-store-'));
  try {
    const store = new JobStore(dir);
    const spec: JobSpec = { projectDir: dir, project: 'p', script: 's.py', params: {}, experiment: 'p' };
    await store.save({ id: '20260101000000-aaaaa', target: 'local', status: 'SUCCEEDED', spec, submittedAt: '2026-01-01T00:00:00Z' });
    await store.save({ id: '20260102000000-bbbbb', target: 'ray', status: 'RUNNING', spec, submittedAt: '2026-01-02T00:00:00Z' });
    await writeFile(join(dir, '20260103000000-ccccc.json'), '{not json');
    assert.deepEqual((await store.list()).map((r) => r.id), ['20260102000000-bbbbb', '20260101000000-aaaaa']);
    await assert.rejects(store.get('../../etc/passwd'), /not a job id/);
    assert.throws(() => store.logPath('x/../y'), /not a job id/);
    await store.remove('20260101000000-aaaaa');
    assert.equal((await store.list()).length, 1);
    assert.deepEqual(await new JobStore(join(dir, 'missing')).list(), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
