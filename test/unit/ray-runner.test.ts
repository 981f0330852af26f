/**
 * The Ray runner against the Ray stand-in (test/support/ray-standin.ts, held to the recordings
 * of a real Ray by ray-contract.test.ts): the stand-in really runs the entrypoint, so the
 * example project really trains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RayTarget } from '../../src/core/pipeline/index';
import { JobStore } from '../../src/core/training/jobStore';
import { RayRunner, rayOutcomeMessage, type RayPackageSummary } from '../../src/core/training/ray/RayRunner';
import { newJobId, type JobHandle, type JobRecord, type JobSpec } from '../../src/core/training/types';
import { startRayStandin, type RayStandin } from '../support/ray-standin';

const PYTHON = process.env.SLIPWAY_PYTHON;
const NO_PYTHON = !PYTHON && 'SLIPWAY_PYTHON is not set: it names the Python with the example\'s packages (npm test sets it; or `source scripts/env.sh && slipway_ensure_python`)';
const EXAMPLE = resolve('examples/churn');
const PIP = ['numpy', 'pandas', 'pyarrow', 'scikit-learn', 'onnx', 'onnxruntime'];

interface Setup {
  readonly dir: string;
  readonly store: JobStore;
  readonly standin: RayStandin;
  readonly runner: (extra?: Partial<ConstructorParameters<typeof RayRunner>[0]>) => RayRunner;
  readonly spec: (params?: JobSpec['params'], script?: string) => JobSpec;
  readonly target: RayTarget;
  cleanup(): Promise<void>;
}

async function setup(files: Record<string, string> | 'churn', target: Partial<RayTarget> = {}): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-ray-'));
  if (files === 'churn') await cp(EXAMPLE, dir, { recursive: true });
  else for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  // the CLI's job store lives in the project: it must not be uploaded
  const store = new JobStore(join(dir, '.slipway', 'jobs'));
  // the stand-in never installs pip packages: with a pip list, `python` is SLIPWAY_PYTHON's
  const standin = await startRayStandin({ pendingMs: 200, tailIntervalMs: 250, stopWaitMs: 1000, ...(PYTHON ? { python: PYTHON } : {}) });
  const fullTarget: RayTarget = { address: standin.url, pip: PIP, numCpus: 1, numGpus: 0, ...target };
  return {
    dir,
    store,
    standin,
    target: fullTarget,
    runner: (extra = {}) => new RayRunner({ store, target: fullTarget, pollMs: 200, ...extra }),
    spec: (params = {}, script = 'src/train.py') => ({ projectDir: dir, project: 'churn', script, params, experiment: 'churn-exp' }),
    async cleanup() {
      await standin.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function collect(handle: JobHandle): { text: () => string; changes: JobRecord[] } {
  let text = '';
  const changes: JobRecord[] = [];
  handle.onOutput((t) => (text += t));
  handle.onChange((r) => changes.push(r));
  return { text: () => text, changes };
}

const waitFor = async (what: string, cond: () => boolean, ms = 20_000) => {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('the churn example trains on Ray: packaged without ignored files, linked to MLflow, SUCCEEDED with val_auc', { skip: NO_PYTHON }, async () => {
  const s = await setup('churn');
  try {
    // what the upload must leave out
    await mkdir(join(s.dir, '.git', 'objects'), { recursive: true });
    await writeFile(join(s.dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await mkdir(join(s.dir, 'artifacts', 'model'), { recursive: true });
    await writeFile(join(s.dir, 'artifacts', 'model', 'old.onnx'), 'stale model');
    await writeFile(join(s.dir, 'mlflow.db'), 'sqlite');
    await mkdir(join(s.dir, 'node_modules', 'x'), { recursive: true });
    await writeFile(join(s.dir, 'node_modules', 'x', 'index.js'), '');
    await mkdir(join(s.dir, 'src', '__pycache__'), { recursive: true });
    await writeFile(join(s.dir, 'src', '__pycache__', 'train.cpython-311.pyc'), 'bytecode');
    await writeFile(join(s.dir, 'notebooks', '.gitignore'), '*.tmp\n');
    await writeFile(join(s.dir, 'notebooks', 'scratch.tmp'), 'scratch');
    await writeFile(join(s.dir, 'data', 'raw_dump.bin'), Buffer.alloc(300 * 1024, 7));
    const packaged: RayPackageSummary[] = [];
    const runner = s.runner({ onPackage: (p) => packaged.push(p), package: { maxFileBytes: 200 * 1024 } });
    const id = newJobId();
    const t0 = Date.now();
    const handle = await runner.submit({ ...s.spec({ n_estimators: 30, max_depth: 6, seed: 7 }), trackingUri: 'http://127.0.0.1:5999' }, id);
    const out = collect(handle);
    const final = await handle.done;
    const output = out.text();
    assert.equal(final.status, 'SUCCEEDED', `${final.message}\n${output}`);
    assert.equal(final.exitCode, 0);
    assert.match(output, /val_auc: 0\.\d+/);
    const auc = Number(/val_auc: (0\.\d+)/.exec(output)![1]);
    assert.ok(auc > 0.8, `val_auc ${auc}`);
    assert.ok(final.startedAt && final.endedAt && final.endedAt >= final.startedAt);
    assert.deepEqual(
      out.changes.map((c) => c.status).filter((v, i, a) => a[i - 1] !== v),
      ['RUNNING', 'SUCCEEDED'],
      'one change per status',
    );

    // what was uploaded, and what was left out and why
    assert.equal(packaged.length, 1);
    const excluded = Object.fromEntries(packaged[0]!.excluded.map((e) => [e.path, e.reason]));
    assert.equal(excluded['.git/'], 'git');
    assert.equal(excluded['node_modules/'], 'default');
    assert.equal(excluded['src/__pycache__/'], 'default');
    assert.equal(excluded['artifacts/'], 'gitignore');
    assert.equal(excluded['mlflow.db'], 'gitignore');
    assert.equal(excluded['notebooks/scratch.tmp'], 'gitignore', 'the nested .gitignore counts too');
    assert.equal(excluded['data/raw_dump.bin'], 'too-large');
    assert.ok(excluded['.slipway/'], 'the job store is not uploaded');
    const job = s.standin.jobs.get(`slipway-${id}`)!;
    const uploaded = await readdir(job.cwd!, { recursive: true });
    assert.ok(uploaded.includes('src/train.py') && uploaded.includes('data/train.parquet'));
    for (const gone of ['.git', 'node_modules', 'mlflow.db', 'notebooks/scratch.tmp', 'data/raw_dump.bin', 'src/__pycache__', '.slipway']) assert.ok(!uploaded.includes(gone), `${gone} was not uploaded`);
    assert.ok(existsSync(join(job.cwd!, 'artifacts', 'model', 'model.onnx')), 'the job wrote its model in the working dir');
    assert.ok(!existsSync(join(job.cwd!, 'artifacts', 'model', 'old.onnx')));

    // the Ray job itself
    assert.equal(job.entrypoint, 'python src/train.py --n_estimators 30 --max_depth 6 --seed 7');
    assert.deepEqual(job.metadata, { 'slipway.job': id, 'slipway.project': 'churn' });
    const re = job.runtimeEnv as { working_dir: string; pip: string[]; env_vars: Record<string, string> };
    assert.match(re.working_dir, /^gcs:\/\/_ray_pkg_[0-9a-f]{16}\.zip$/);
    assert.deepEqual(re.pip, PIP);
    assert.deepEqual(s.standin.pipRequests, [{ submissionId: `slipway-${id}`, pip: PIP }]);
    assert.equal(re.env_vars.MLFLOW_TRACKING_URI, 'http://127.0.0.1:5999');
    assert.equal(re.env_vars.MLFLOW_EXPERIMENT_NAME, 'churn-exp');
    assert.equal(re.env_vars.SLIPWAY_JOB_ID, id);
    assert.equal(job.numCpus, 1);

    // the log file: Slipway's notes, then Ray's log, once
    const log = await readFile(s.store.logPath(id), 'utf8');
    assert.match(log, /^# Ray job slipway-\d{14}-[0-9a-z]{5} at http:\/\/127\.0\.0\.1:\d+\n/);
    assert.match(log, /slipway: left out of the upload: .*\.git\/ \(git metadata\).*data\/raw_dump\.bin \(too large: 300\.0 KiB > 200\.0 KiB\)/);
    assert.equal(log.match(/Running entrypoint for job/g)?.length, 1);
    assert.equal(output, log, 'what was shown is what is stored');
    const stored = await s.store.get(id);
    assert.equal(stored?.status, 'SUCCEEDED');
    assert.equal(stored?.external?.submissionId, `slipway-${id}`);

    // the same tree again: same package, not uploaded twice
    const again = await runner.submit(s.spec({ n_estimators: 5 }), newJobId());
    assert.equal((await again.done).status, 'SUCCEEDED');
    assert.equal(packaged[1]!.uri, packaged[0]!.uri);
    assert.equal(packaged[1]!.uploaded, false);
    assert.equal(s.standin.requests.filter((r) => r.startsWith('PUT /api/packages/')).length, 1);
    console.log(`churn on the Ray stand-in: val_auc ${auc}, ${Date.now() - t0} ms for both jobs`);
  } finally {
    await s.cleanup();
  }
});

test('a failing job ends FAILED with the error type, exit code and the end of its log', async () => {
  const s = await setup({ 'train.py': 'import sys\nprint("loading data")\nprint("boom: no such column", file=sys.stderr)\nsys.exit(3)\n' }, { pip: [] });
  try {
    const handle = await s.runner({ python: PYTHON ?? 'python3' }).submit(s.spec({}, 'train.py'), newJobId());
    const out = collect(handle);
    const final = await handle.done;
    assert.equal(final.status, 'FAILED');
    assert.equal(final.exitCode, 3);
    assert.match(final.message ?? '', /^Ray job failed \(JOB_ENTRYPOINT_COMMAND_ERROR, exit code 3\): loading data\nboom: no such column$/);
    assert.match(out.text(), /boom: no such column/);
  } finally {
    await s.cleanup();
  }
});

test('the outcome message keeps the error type, exit code and the last lines of Ray\'s message', () => {
  const failed = JSON.parse(readFileSync('test/fixtures/ray-jobs-api/15_get_failed_job.response.json', 'utf8')) as Parameters<typeof rayOutcomeMessage>[0];
  assert.equal(rayOutcomeMessage(failed), 'Ray job failed (JOB_ENTRYPOINT_COMMAND_ERROR, exit code 3): boom');
  assert.equal(rayOutcomeMessage({ status: 'FAILED', error_type: 'RUNTIME_ENV_SETUP_FAILURE', driver_exit_code: null, message: 'runtime_env setup failed: Failed to set up runtime environment.\nCould not find a version that satisfies scikit-learn==9' }), 'Ray job failed (RUNTIME_ENV_SETUP_FAILURE): runtime_env setup failed: Failed to set up runtime environment.\nCould not find a version that satisfies scikit-learn==9');
  assert.equal(rayOutcomeMessage({ status: 'STOPPED', error_type: null, driver_exit_code: null, message: 'Job was intentionally stopped.' }), 'Job was intentionally stopped.');
  assert.equal(rayOutcomeMessage({ status: 'SUCCEEDED', error_type: null, driver_exit_code: 0, message: 'Job finished successfully.' }), undefined);
});

test('cancel stops the Ray job: STOPPED', async () => {
  const s = await setup({ 'train.py': 'import time\nprint("started", flush=True)\ntime.sleep(300)\n' }, { pip: [] });
  try {
    const handle = await s.runner({ python: PYTHON ?? 'python3' }).submit(s.spec({}, 'train.py'), newJobId());
    const out = collect(handle);
    await waitFor('the job to start', () => out.text().includes('started'));
    const t0 = Date.now();
    await handle.cancel();
    const final = await handle.done;
    assert.equal(final.status, 'STOPPED');
    assert.equal(final.message, 'Job was intentionally stopped.');
    assert.ok(Date.now() - t0 < 5000, 'stopped promptly');
    await handle.cancel(); // a second cancel of an ended job is a no-op
  } finally {
    await s.cleanup();
  }
});

test('after a reload a new runner re-attaches: the whole log once, then the end', async () => {
  const s = await setup({ 'train.py': 'import time\nprint("one", flush=True)\ntime.sleep(1.5)\nprint("two", flush=True)\n' }, { pip: [] });
  try {
    const id = newJobId();
    const first = await s.runner({ python: PYTHON ?? 'python3' }).submit(s.spec({}, 'train.py'), id);
    const seen = collect(first);
    await waitFor('"one"', () => seen.text().includes('one\n'));
    first.detach(); // the window reloads
    const record = (await s.store.get(id))!;
    assert.equal(record.status, 'RUNNING');
    const handle = await s.runner().attach(record);
    const out = collect(handle);
    const final = await handle.done;
    assert.equal(final.status, 'SUCCEEDED');
    assert.equal(out.text().match(/^one$/gm)?.length, 1, 'not repeated');
    assert.match(out.text(), /one\n[\s\S]*two\n/);
    const log = await readFile(s.store.logPath(id), 'utf8');
    assert.equal(log.match(/^# Ray job/gm)?.length, 1, 'the header once');
    assert.equal(log.match(/^slipway: packaged /gm)?.length, 1, 'the packaging notes kept');
    assert.equal(log.match(/Running entrypoint/g)?.length, 1, "Ray's log once");
    // a finished job: attach settles at once, with the stored log
    const ended = await s.runner().attach((await s.store.get(id))!);
    const again = collect(ended);
    assert.equal((await ended.done).status, 'SUCCEEDED');
    await new Promise((r) => setTimeout(r, 10));
    assert.match(again.text(), /two/);
  } finally {
    await s.cleanup();
  }
});

test('a job Ray no longer knows (cluster restarted) ends FAILED with the reason', async () => {
  const s = await setup({ 'train.py': 'print(1)\n' }, { pip: [] });
  try {
    const id = newJobId();
    const record: JobRecord = { id, target: 'ray', status: 'RUNNING', spec: s.spec({}, 'train.py'), submittedAt: new Date().toISOString(), external: { address: s.standin.url, submissionId: `slipway-${id}` } };
    await s.store.save(record);
    const final = await (await s.runner().attach(record)).done;
    assert.equal(final.status, 'FAILED');
    assert.match(final.message ?? '', /no longer knows job slipway-\d{14}-[0-9a-z]{5}: the cluster was restarted or the job was deleted/);
  } finally {
    await s.cleanup();
  }
});

test('no Ray at the address: the job fails with a message that says what to start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-ray-down-'));
  try {
    await writeFile(join(dir, 'train.py'), 'print(1)\n');
    const port = await freePort();
    const store = new JobStore(join(dir, '.slipway', 'jobs'));
    const runner = new RayRunner({ store, target: { address: `http://127.0.0.1:${port}`, pip: [], numCpus: 0, numGpus: 0 }, pollMs: 200 });
    const handle = await runner.submit({ projectDir: dir, project: 'p', script: 'train.py', params: {}, experiment: 'p' }, newJobId());
    const final = await handle.done;
    assert.equal(final.status, 'FAILED');
    assert.match(final.message ?? '', new RegExp(`^Ray at http://127\\.0\\.0\\.1:${port} is not reachable \\(connection refused\\): is a Ray cluster running here\\? Start one with \`ray start --head --dashboard-host 127\\.0\\.0\\.1 --dashboard-port ${port}\``));
    assert.match(await readFile(store.logPath(final.id), 'utf8'), /slipway: Ray at .* is not reachable/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('hostile parameter values reach the script as plain strings: no shell interprets them', async () => {
  const s = await setup({ 'train.py': 'import json, sys\nprint("ARGS " + json.dumps(sys.argv[1:]))\n' }, { pip: [] });
  try {
    const hostile = {
      cmd: '$(touch pwned-subst)',
      tick: '`touch pwned-tick`',
      chain: 'x; touch pwned-chain && echo',
      quotes: `it's "quoted" \\ back'slash`,
      lines: 'one\ntwo',
      glob: '*',
      empty: '',
      'key;touch pwned-key': 'v',
      var: '$HOME ${PATH}',
      dash: '--help',
    };
    const handle = await s.runner({ python: PYTHON ?? 'python3' }).submit(s.spec(hostile, 'train.py'), newJobId());
    const out = collect(handle);
    const final = await handle.done;
    assert.equal(final.status, 'SUCCEEDED', out.text());
    const args = JSON.parse(/^ARGS (.*)$/m.exec(out.text())![1]!) as string[];
    assert.deepEqual(args, Object.entries(hostile).flatMap(([k, v]) => [`--${k}`, v]));
    const job = [...s.standin.jobs.values()][0]!;
    for (const where of [job.cwd!, s.dir]) {
      const names = await readdir(where);
      assert.deepEqual(names.filter((n) => n.startsWith('pwned')), [], `nothing created in ${where}`);
    }
  } finally {
    await s.cleanup();
  }
});

test('when the log WebSocket fails (a proxy without WebSocket support), the log is polled instead', async () => {
  const s = await setup({ 'train.py': 'import time\nfor i in range(4):\n    print("line", i, flush=True)\n    time.sleep(0.3)\n' }, { pip: [] });
  const proxy = await noWebSocketProxy(s.standin.url);
  try {
    const runner = new RayRunner({ store: s.store, target: { ...s.target, address: proxy.url }, pollMs: 200, python: PYTHON ?? 'python3' });
    const handle = await runner.submit(s.spec({}, 'train.py'), newJobId());
    const out = collect(handle);
    const final = await handle.done;
    assert.equal(final.status, 'SUCCEEDED');
    assert.match(out.text(), /slipway: the log WebSocket failed: .*HTTP 502.*following the log by polling instead/);
    assert.deepEqual([...out.text().matchAll(/^line (\d)$/gm)].map((m) => m[1]), ['0', '1', '2', '3'], 'every line once');
  } finally {
    await proxy.close();
    await s.cleanup();
  }
});

test('the script must be in the upload; a bad address is a clear error', async () => {
  const s = await setup({ 'train.py': 'print(1)\n', '.gitignore': 'train.py\n' }, { pip: [] });
  try {
    const final = await (await s.runner().submit(s.spec({}, 'train.py'), newJobId())).done;
    assert.equal(final.status, 'FAILED');
    assert.match(final.message ?? '', /training\.script train\.py is left out of the upload \(train\.py \(\.gitignore\)\)/);
    await assert.rejects(s.runner().submit(s.spec({}, '../outside.py'), newJobId()), /outside the project folder/);
    await assert.rejects(new RayRunner({ store: s.store, target: { ...s.target, address: 'ray://head:10001' } }).submit(s.spec({}, 'train.py'), newJobId()), /Ray Client address.*use http:\/\/head:8265/);
    await assert.rejects(new RayRunner({ store: s.store }).submit(s.spec({}, 'train.py'), newJobId()), /no training\.targets\.ray/);
  } finally {
    await s.cleanup();
  }
});

test('a submission aborted by its signal is recorded STOPPED and rejects', async () => {
  const s = await setup({ 'train.py': 'print(1)\n' }, { pip: [] });
  try {
    const controller = new AbortController();
    const id = newJobId();
    const pending = s.runner().submit(s.spec({}, 'train.py'), id, controller.signal);
    controller.abort();
    await assert.rejects(pending, (e: Error) => /cancel/.test(e.message));
    assert.equal((await s.store.get(id))?.status, 'STOPPED');
    assert.equal(s.standin.jobs.size, 0, 'nothing submitted');
  } finally {
    await s.cleanup();
  }
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** An HTTP proxy in front of the stand-in that answers WebSocket upgrades with 502, as some proxies do. */
async function noWebSocketProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const upstream = await fetch(target + req.url, { method: req.method, headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' }, body: body.length ? body : undefined });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    });
  });
  server.on('upgrade', (_req, socket: Socket) => socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<h1>Bad Gateway</h1>'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
