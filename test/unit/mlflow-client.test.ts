/**
 * MlflowClient and RegistryClient against the stand-in server: timeouts, cancellation, auth,
 * faults, lazy paging, metric history, downloads and path safety, writes, aliases; and the
 * plain functions around them (settings, credentials, gates, values).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MlflowClient,
  MlflowError,
  MlflowHttp,
  collect,
  credentialsFromEnv,
  metricValue,
  parseTrackingUri,
  resolveTrackingUri,
  safeDestination,
  trackingSettingsFromPipelineText,
  wireMetricValue,
  type MlflowErrorKind,
} from '../../src/core/tracking';
import { RegistryClient, evaluateGates, type Gate } from '../../src/core/registry';
import { MlflowStandin } from '../support/mlflow-standin';
import { MODEL, RUN, recordedSeed, syntheticSeed } from '../support/mlflow-seed';

let server: MlflowStandin;
let url: string;
let dir: string;

before(async () => {
  server = new MlflowStandin().seed(recordedSeed());
  url = await server.start();
  dir = mkdtempSync(join(tmpdir(), 'slipway-mlflow-client-'));
});

after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const clientFor = (opts: Partial<ConstructorParameters<typeof MlflowHttp>[0]> = {}) => new MlflowClient({ trackingUri: url, ...opts });

async function failure(p: Promise<unknown>, kind: MlflowErrorKind, message?: RegExp): Promise<MlflowError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MlflowError, `not an MlflowError: ${(e as Error)?.stack ?? e}`);
    assert.equal(e.kind, kind, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected MlflowError ${kind}`);
}

const requestsSince = (n: number) => server.requests.slice(n);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

// ---------------------------------------------------------------- errors a person can act on

test('a server that is not running: unreachable, with how to start one', async () => {
  const port = await freePort();
  const e = await failure(new MlflowClient({ trackingUri: `http://127.0.0.1:${port}` }).getExperiment('1'), 'unreachable');
  assert.equal(e.message, `MLflow at http://127.0.0.1:${port} is not reachable (connection refused): is the server running? (\`mlflow server --host 127.0.0.1 --port ${port}\`)`);
});

test('no answer within the timeout: kind timeout, the message names the limit', async () => {
  const undo = server.inject({ fault: { kind: 'delay', ms: 1000 }, match: '/experiments/get', times: 1 });
  try {
    const t0 = Date.now();
    const e = await failure(clientFor({ timeoutMs: 150 }).getExperiment('1'), 'timeout');
    assert.ok(Date.now() - t0 < 900, 'gave up at the timeout');
    assert.match(e.message, new RegExp(`^MLflow at ${url.replace(/\./g, '\\.')} did not answer within 150 ms: is the server running\\? \\(\`mlflow server --host 127\\.0\\.0\\.1 --port \\d+\`\\)$`));
  } finally {
    undo();
  }
  // the default is 10 s, and per call overrides per client
  assert.equal(clientFor().http.timeoutMs, 10_000);
  server.inject({ fault: { kind: 'delay', ms: 300 }, match: '/experiments/get', times: 1 });
  await failure(clientFor({ timeoutMs: 5000 }).getExperiment('1', { timeoutMs: 100 }), 'timeout', /within 100 ms/);
});

test('the caller cancels: before the call and while waiting', async () => {
  const c = clientFor();
  const n = server.requests.length;
  await failure(c.getExperiment('1', { signal: AbortSignal.abort() }), 'cancelled', /^cancelled: GET \/api\/2\.0\/mlflow\/experiments\/get$/);
  assert.equal(requestsSince(n).length, 0, 'nothing sent once cancelled');
  server.inject({ fault: { kind: 'delay', ms: 2000 }, match: '/runs/get', times: 1 });
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const t0 = Date.now();
  await failure(c.getRun(RUN.parent, { signal: ac.signal }), 'cancelled');
  assert.ok(Date.now() - t0 < 1500);
});

test('a dropped connection, a 500 page, an HTML 404/405: each says what happened', async () => {
  const c = clientFor();
  server.inject({ fault: { kind: 'close' }, match: '/runs/get', times: 1 });
  await failure(c.getRun(RUN.parent), 'unreachable', /is not reachable \((the server closed the connection|connection reset)\)/);
  server.inject({ fault: { kind: 'html500' }, match: '/runs/get', times: 1 });
  const e500 = await failure(c.getRun(RUN.parent), 'server', /failed on GET \/api\/2\.0\/mlflow\/runs\/get with HTTP 500 \(an HTML error page\); see the server's log/);
  assert.equal(e500.status, 500);
  // a tracking URI with the wrong path prefix reaches Werkzeug's 404 page
  await failure(new MlflowClient({ trackingUri: `${url}/mlflow` }).getRun(RUN.parent), 'protocol', /with an HTML page \(HTTP 404\) — is tracking\.uri pointing at MLflow\?/);
  // 200 but not JSON: not MLflow at all
  server.inject({ fault: { kind: 'reply', status: 200, contentType: 'text/html', body: '<html>grafana</html>' }, times: 1 });
  await failure(c.getRun(RUN.parent), 'protocol', /answered GET \/api\/2\.0\/mlflow\/runs\/get with an HTML page \(HTTP 200\) instead of JSON — is tracking\.uri pointing at MLflow\?/);
  // bare NaN tokens (a proxy re-encoding with Python's json) are still read
  server.inject({ fault: { kind: 'reply', status: 200, contentType: 'application/json', body: '{"metrics":[{"key":"m","value":NaN,"timestamp":1,"step":0},{"key":"m","value":-Infinity,"timestamp":2,"step":1}]}' }, times: 1 });
  assert.deepEqual((await c.getMetricHistory(RUN.parent, 'm')).map((m) => m.value), [NaN, -Infinity]);
});

test('not an http URI: refused before any request, with what to do', () => {
  assert.throws(() => new MlflowClient({ trackingUri: 'sqlite:///mlflow.db' }), (e: unknown) => e instanceof MlflowError && e.kind === 'bad-request' && /not an HTTP server.*mlflow server/.test(e.message));
  assert.throws(() => new MlflowClient({ trackingUri: 'not a url' }), /is not a URL/);
  const p = parseTrackingUri('https://alice:s%3Dcret@mlflow.example.com/prefix/');
  assert.equal(p.display, 'https://mlflow.example.com/prefix');
  assert.deepEqual(p.credentials, { kind: 'basic', username: 'alice', password: 's=cret' });
});

// ---------------------------------------------------------------- credentials

test('credentials: bearer and basic from the provider, 401/403 explained, secrets never in messages', async () => {
  server.setAuth({ token: 'tok-123', username: 'alice', password: 'pa:ss' });
  try {
    await failure(clientFor().getExperiment('1'), 'auth', /needs credentials \(HTTP 401\): set credentials with Slipway: Set Tracking Credentials$/);
    const wrong = await failure(clientFor({ credentials: () => ({ kind: 'bearer', token: 'wrong-secret' }) }).getExperiment('1'), 'auth', /refused the credentials \(HTTP 401\)/);
    assert.doesNotMatch(`${wrong.message} ${wrong.serverMessage}`, /wrong-secret/);
    const n = server.requests.length;
    assert.equal((await clientFor({ credentials: async () => ({ kind: 'bearer', token: 'tok-123' }) }).getExperiment('1')).name, 'probe-exp-a');
    assert.equal(requestsSince(n)[0]!.headers.authorization, 'Bearer tok-123');
    assert.equal((await clientFor({ credentials: () => ({ kind: 'basic', username: 'alice', password: 'pa:ss' }) }).getExperiment('1')).name, 'probe-exp-a');
    // user:password in the URI works too, and is never shown
    const inUri = new MlflowClient({ trackingUri: url.replace('http://', 'http://alice:pa%3Ass@') });
    assert.equal(inUri.trackingUri, url);
    assert.equal((await inUri.getExperiment('1')).experimentId, '1');
    await failure(clientFor({ authHint: 'set MLFLOW_TRACKING_TOKEN' }).getExperiment('1'), 'auth', /set MLFLOW_TRACKING_TOKEN$/);
    await failure(clientFor({ credentials: () => Promise.reject(new Error('keychain locked')) }).getExperiment('1'), 'auth', /could not read the credentials .*keychain locked/);
  } finally {
    server.setAuth(undefined);
  }
  server.inject({ fault: { kind: 'auth', status: 403 }, times: 1 });
  await failure(clientFor({ credentials: () => ({ kind: 'bearer', token: 't' }) }).getExperiment('1'), 'auth', /denied access \(HTTP 403\): Permission denied\. Ask an MLflow admin/);
  assert.deepEqual(credentialsFromEnv({ MLFLOW_TRACKING_TOKEN: 't', MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' }), { kind: 'bearer', token: 't' });
  assert.deepEqual(credentialsFromEnv({ MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' }), { kind: 'basic', username: 'u', password: 'p' });
  assert.equal(credentialsFromEnv({ MLFLOW_TRACKING_USERNAME: 'u' }), undefined);
});

test('the log line of a request names method, path, status and time, never headers', async () => {
  const lines: string[] = [];
  await clientFor({ log: (l) => lines.push(l), credentials: () => ({ kind: 'bearer', token: 'sekret' }) }).getExperiment('1');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^GET \/api\/2\.0\/mlflow\/experiments\/get → 200 \(\d+ ms\)$/);
});

// ---------------------------------------------------------------- paging and history

test('pages are fetched only as the caller iterates', async () => {
  const big = new MlflowStandin().seed(syntheticSeed({ runs: 230, metrics: 3, params: 2, nestEvery: 10 }));
  const c = new MlflowClient({ trackingUri: await big.start() });
  try {
    const first: string[] = [];
    for await (const page of c.searchRunsPages({ experimentIds: ['1'], maxResults: 50 })) {
      first.push(...page.items.map((r) => r.info.runName));
      break;
    }
    assert.equal(first.length, 50);
    assert.equal(first[0], 'run-229', 'newest first');
    assert.equal(big.requests.filter((r) => r.url.includes('runs/search')).length, 1);
    const all = await collect(c.searchRunsPages({ experimentIds: ['1'], maxResults: 100 }));
    assert.equal(all.length, 230);
    assert.equal(all.filter((r) => r.parentRunId).length, 23);
    assert.equal((await collect(c.searchRunsPages({ experimentIds: ['1'], maxResults: 100 }), 120)).length, 120);
  } finally {
    await big.stop();
  }
});

test('metric history: every request carries max_results, pages are followed, values converted', async () => {
  const c = clientFor();
  const n = server.requests.length;
  const loss = await c.getMetricHistory(RUN.parent, 'loss', { pageSize: 7 });
  assert.deepEqual(loss.map((m) => m.step), Array.from({ length: 50 }, (_, i) => i));
  assert.equal(loss[0]!.value, 1);
  const sent = requestsSince(n);
  assert.equal(sent.length, 8);
  assert.ok(sent.every((r) => /[?&]max_results=7(&|$)/.test(r.url)), 'max_results on every page');
  assert.equal((await c.getMetricHistory(RUN.parent, 'loss', { limit: 12, pageSize: 5 })).length, 12);
  assert.deepEqual(await c.getMetricHistory(RUN.parent, 'nope'), []);
  // what the server does without max_results is a loop; the client stops it
  server.inject({ fault: { kind: 'reply', status: 200, contentType: 'application/json', body: '{"next_page_token":"eyJvZmZzZXQiOiAwfQ=="}' }, match: '/get-history', times: 3 });
  await failure(c.getMetricHistory(RUN.parent, 'loss'), 'protocol', /no points but another page/);
  server.clearFaults();
  assert.deepEqual([metricValue('NaN'), metricValue(1.7976931348623157e308), metricValue(-1.7976931348623157e308), metricValue('Infinity'), metricValue(0.5)], [NaN, Infinity, -Infinity, Infinity, 0.5]);
  assert.deepEqual([wireMetricValue(NaN), wireMetricValue(Infinity), wireMetricValue(-Infinity), wireMetricValue(2)], ['NaN', 'Infinity', '-Infinity', 2]);
});

test('bulk interval: sampled per run, 100 runs per request', async () => {
  const c = clientFor();
  const points = await c.getMetricHistoryBulkInterval([RUN.parent, RUN.run2, RUN.child], 'loss', { maxResults: 10 });
  assert.deepEqual(points.filter((p) => p.runId === RUN.child).map((p) => p.step), [0, 5, 9]);
  const big = new MlflowStandin().seed(syntheticSeed({ runs: 150, metrics: 2, params: 1 }));
  const bc = new MlflowClient({ trackingUri: await big.start() });
  try {
    const ids = (await collect(bc.searchRunsPages({ experimentIds: ['1'] }))).map((r) => r.info.runId);
    const all = await bc.getMetricHistoryBulkInterval(ids, 'accuracy');
    assert.equal(all.length, 150);
    assert.equal(big.requests.filter((r) => r.url.includes('get-history-bulk-interval')).length, 2);
  } finally {
    await big.stop();
  }
});

// ---------------------------------------------------------------- artifacts

test('downloads: a folder recursively, with progress; files land under their artifact paths', async () => {
  const c = clientFor();
  const dest = join(dir, 'all');
  const progress: string[] = [];
  const files = await c.downloadArtifacts(RUN.parent, '', dest, { onProgress: (p) => progress.push(`${p.path}:${p.bytes}/${p.filesTotal}`) });
  assert.deepEqual(files.map((f) => [f.path, f.bytes]), [['config/params.json', 40], ['notes/readme.txt', 24]]);
  assert.equal(readFileSync(join(dest, 'notes/readme.txt'), 'utf8'), 'hello from run-1-parent\n');
  assert.ok(progress.includes('notes/readme.txt:24/2'));
  const one = await c.downloadArtifacts(RUN.parent, 'notes', join(dir, 'notes-only'));
  assert.deepEqual(one.map((f) => f.path), ['notes/readme.txt']);
  const text = await c.readArtifact(RUN.parent, 'config/params.json');
  assert.deepEqual(JSON.parse(text.toString('utf8')), { run: 'run-1-parent', lr: 0.1 });
  await failure(c.readArtifact(RUN.parent, 'config/params.json', { maxBytes: 10 }), 'bad-request', /larger than 10 bytes/);
});

test('a large download streams; cancelling or stalling leaves no partial file', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  server.store.putFile(`1/${RUN.run3}/artifacts/big.bin`, big);
  const c = clientFor();
  const dest = join(dir, 'big');
  const seen: number[] = [];
  const f = await c.downloadArtifact(RUN.run3, 'big.bin', dest, { onProgress: (p) => seen.push(p.bytes) });
  assert.equal(f.bytes, big.length);
  assert.ok(seen.length > 3, 'progress while streaming');
  assert.ok(readFileSync(f.file).equals(big));
  // cancelled part way: the .part file is removed
  const ac = new AbortController();
  server.inject({ fault: { kind: 'stall', afterBytes: 100_000 }, match: '/big.bin', times: 1 });
  const p = c.downloadArtifact(RUN.run3, 'big.bin', join(dir, 'cancelled'), { signal: ac.signal, onProgress: (x) => x.bytes > 0 && ac.abort() });
  await failure(p, 'cancelled');
  assert.deepEqual(readdirSync(join(dir, 'cancelled')), []);
  // a server that stops sending: the idle timeout fires
  server.inject({ fault: { kind: 'stall', afterBytes: 1000 }, match: '/big.bin', times: 1 });
  await failure(c.downloadArtifact(RUN.run3, 'big.bin', join(dir, 'stalled'), { timeoutMs: 200 }), 'timeout');
  assert.deepEqual(readdirSync(join(dir, 'stalled')), []);
});

test('artifact paths that leave the destination or the root are refused', async () => {
  const c = clientFor();
  const n = server.requests.length;
  for (const bad of ['../outside.txt', 'notes/../../outside.txt', '/etc/passwd', 'C:\\x', 'a\0b']) {
    await failure(c.downloadArtifact(RUN.parent, bad, join(dir, 'safe'), { artifactUri: `mlflow-artifacts:/1/${RUN.parent}/artifacts` }), 'bad-request', /refused/);
  }
  assert.equal(requestsSince(n).length, 0, 'nothing was asked for');
  assert.equal(existsSync(join(dir, 'outside.txt')), false);
  // a listing naming a path outside the folder is the server's fault, and refused too
  server.inject({
    fault: { kind: 'reply', status: 200, contentType: 'application/json', body: JSON.stringify({ root_uri: 'mlflow-artifacts:/1/x/artifacts', files: [{ path: '../../../evil', is_dir: false, file_size: 1 }] }) },
    match: '/artifacts/list',
    times: 1,
  });
  await failure(c.downloadArtifacts(RUN.parent, '', join(dir, 'evil')), 'protocol', /refused the server listed "\.\.\/\.\.\/\.\.\/evil"/);
  // a folder in the destination that is a symlink out of it
  const trap = join(dir, 'trap');
  const outside = join(dir, 'outside');
  mkdirSync(trap, { recursive: true });
  mkdirSync(outside, { recursive: true });
  symlinkSync(outside, join(trap, 'notes'));
  await failure(c.downloadArtifact(RUN.parent, 'notes/readme.txt', trap, { artifactUri: `mlflow-artifacts:/1/${RUN.parent}/artifacts` }), 'bad-request', /leads out of .* \(a symbolic link\)/);
  await failure(c.downloadArtifacts(RUN.parent, 'notes', trap), 'bad-request', /symbolic link/);
  assert.deepEqual(readdirSync(outside), []);
  assert.equal(safeDestination('/tmp/d', 'a/./b/c.txt'), '/tmp/d/a/b/c.txt');
  assert.throws(() => safeDestination('/tmp/d', '.'), /does not name a file/);
});

// ---------------------------------------------------------------- writes and the registry

test('writes: experiment, nested runs, batches split to MLflow limits, NaN and Inf round-trip', async () => {
  const c = clientFor();
  const exp = await c.createExperiment('client-writes', { tags: { team: 'x' } });
  await failure(c.createExperiment('client-writes'), 'bad-request', /already exists/);
  const parent = await c.createRun({ experimentId: exp, runName: 'parent' });
  const child = await c.createRun({ experimentId: exp, runName: 'child', parentRunId: parent.info.runId, tags: { k: 'v' } });
  assert.equal(child.parentRunId, parent.info.runId);
  const n = server.requests.length;
  const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i]));
  const metrics = Array.from({ length: 1500 }, (_, i) => ({ key: 'm', value: i === 3 ? NaN : i === 4 ? Infinity : i, step: i, timestamp: 1 }));
  await c.logBatch(child.info.runId, { params, metrics, tags: { t: '1' } });
  assert.equal(requestsSince(n).length, 3 + 1 + 2, '3 param batches, 1 tag batch, 2 metric batches');
  const h = await c.getMetricHistory(child.info.runId, 'm');
  assert.equal(h.length, 1500);
  assert.ok(Number.isNaN(h[3]!.value));
  assert.equal(h[4]!.value, Infinity);
  await c.logParam(child.info.runId, 'p1', 1);
  await failure(c.logParam(child.info.runId, 'p1', 2), 'bad-request', /Changing param values is not allowed/);
  await c.setTag(child.info.runId, 'mlflow.note.content', 'hi');
  const done = await c.updateRun(child.info.runId, { status: 'FINISHED', endTime: 123 });
  assert.equal(done.status, 'FINISHED');
  await c.deleteRun(child.info.runId);
  const deleted = await collect(c.searchRunsPages({ experimentIds: [exp], viewType: 'DELETED_ONLY' }));
  assert.deepEqual(deleted.map((r) => r.info.runName), ['child']);
  assert.equal((await collect(c.searchRunsPages({ experimentIds: [exp], viewType: 'ALL' }))).length, 2);
  await c.restoreRun(child.info.runId);
  const got = await c.getRun(child.info.runId);
  assert.equal(got.params.p1, '1');
  assert.equal(got.metrics.m!.value, 1499);
  assert.equal(got.tags['mlflow.note.content'], 'hi');
});

test('registry: create models and versions from a run or a logged model, tags, aliases, download', async () => {
  const r = new RegistryClient({ trackingUri: url });
  const m = await r.createRegisteredModel('client-model', { description: 'd', tags: { a: 'b' } });
  assert.deepEqual([m.name, m.description, m.tags], ['client-model', 'd', { a: 'b' }]);
  await failure(r.createRegisteredModel('client-model'), 'bad-request', /already exists/);
  const v1 = await r.createModelVersionFromRun('client-model', RUN.run3, 'model', { tags: { from: 'run' } });
  assert.equal(v1.source, `mlflow-artifacts:/1/${RUN.run3}/artifacts/model`);
  assert.equal(v1.runId, RUN.run3);
  const v2 = await r.createModelVersionFromLoggedModel('client-model', MODEL.parent, { runId: RUN.parent, description: 'from logged model' });
  assert.deepEqual([v1.version, v2.version, v2.source], ['1', '2', `models:/${MODEL.parent}`]);
  await r.setModelVersionTag('client-model', 2, 'validation_status', 'approved');
  await r.setModelVersionTag('client-model', 2, 'tmp', 'x');
  await r.deleteModelVersionTag('client-model', 2, 'tmp');
  assert.deepEqual((await r.getModelVersion('client-model', 2)).tags, { validation_status: 'approved' });
  await r.setAlias('client-model', 'champion', 2);
  await r.setAlias('client-model', 'challenger', '1');
  assert.deepEqual((await r.getModelVersionByAlias('client-model', 'champion')).aliases, ['champion']);
  const versions = await r.versionsOf('client-model');
  assert.deepEqual(versions.map((v) => v.version), ['2', '1']);
  await r.deleteAlias('client-model', 'challenger');
  await failure(r.getModelVersionByAlias('client-model', 'challenger'), 'not-found', /no alias "challenger"/);
  await failure(r.setAlias('client-model', 'latest', 1), 'bad-request', /reserved/);
  await failure(r.getModelVersion('client-model', 9), 'not-found', /version=9/);
  const files = await r.downloadModelVersion('probe-model', 2, join(dir, 'probe-v2'));
  assert.deepEqual(files.map((f) => f.path), ['MLmodel', 'conda.yaml', 'model.pkl', 'python_env.yaml', 'requirements.txt']);
  assert.equal(files.find((f) => f.path === 'model.pkl')!.bytes, 720);
  assert.match(readFileSync(join(dir, 'probe-v2', 'MLmodel'), 'utf8'), new RegExp(`model_id: ${MODEL.run2}`));
  // a version whose files are not behind the proxy: listed through its logged model
  server.store.models.get('client-model')!.versions.get('2')!.source = `models:/${MODEL.parent}`;
  server.store.loggedModels.get(MODEL.parent)!.artifactUri = 's3://bucket/models/m/artifacts';
  try {
    server.store.putFile('s3://bucket/models/m/artifacts/MLmodel', 'flavors: {}\n');
    const viaLogged = await r.downloadModelVersion('client-model', 2, join(dir, 'logged'));
    assert.deepEqual(viaLogged.map((f) => f.path), ['MLmodel']);
  } finally {
    server.store.loggedModels.get(MODEL.parent)!.artifactUri = `mlflow-artifacts:/1/models/${MODEL.parent}/artifacts`;
  }
});

// ---------------------------------------------------------------- plain functions

test('resolveTrackingUri: slipway.yaml, then the setting, then MLFLOW_TRACKING_URI', () => {
  const env = { MLFLOW_TRACKING_URI: 'http://env:5000' };
  assert.equal(resolveTrackingUri({ pipelineUri: 'http://yaml:5000', settingUri: 'http://setting:5000', env }), 'http://yaml:5000');
  assert.equal(resolveTrackingUri({ settingUri: 'http://setting:5000', env }), 'http://setting:5000');
  assert.equal(resolveTrackingUri({ pipelineUri: '  ', settingUri: '', env }), 'http://env:5000');
  assert.equal(resolveTrackingUri({ env: {} }), undefined);
  assert.equal(resolveTrackingUri({}), undefined);
});

test('trackingSettingsFromPipelineText reads tracking, name, model.name and gates; bad gates are problems', () => {
  const s = trackingSettingsFromPipelineText(
    'version: 1\nname: churn\ntracking:\n  uri: http://127.0.0.1:5000\nmodel:\n  name: churn-classifier\n  gates:\n    - { metric: val_auc, op: ">=", value: 0.8 }\n    - { metric: loss, op: "<", value: "0.5" }\n',
  );
  assert.deepEqual(s, {
    uri: 'http://127.0.0.1:5000',
    experiment: 'churn',
    name: 'churn',
    modelName: 'churn-classifier',
    gates: [{ metric: 'val_auc', op: '>=', value: 0.8 }, { metric: 'loss', op: '<', value: 0.5 }],
    problems: [],
  });
  assert.equal(trackingSettingsFromPipelineText('name: a\ntracking: { experiment: exp }\n').experiment, 'exp');
  const bad = trackingSettingsFromPipelineText('model:\n  gates:\n    - { metric: auc, op: "=>", value: x }\n    - 3\n');
  assert.deepEqual(bad.gates, []);
  assert.equal(bad.problems.length, 3);
  assert.match(bad.problems.join('\n'), /model\.gates\[0\]\.op must be one of/);
  assert.match(trackingSettingsFromPipelineText('a: [').problems[0]!, /^slipway\.yaml: /);
  assert.deepEqual(trackingSettingsFromPipelineText(''), { gates: [], problems: [] });
});

test('evaluateGates: every operator, missing metrics and NaN fail with a reason', () => {
  const metrics = { auc: 0.8, loss: 0.2, bad: NaN, __proto__x: 1 };
  const gate = (metric: string, op: Gate['op'], value: number): Gate => ({ metric, op, value });
  const check = (g: Gate) => evaluateGates([g], metrics).results[0]!;
  assert.equal(check(gate('auc', '>=', 0.8)).passed, true);
  assert.equal(check(gate('auc', '>', 0.8)).passed, false);
  assert.equal(check(gate('loss', '<=', 0.2)).passed, true);
  assert.equal(check(gate('loss', '<', 0.2)).passed, false);
  assert.equal(check(gate('auc', '==', 0.8)).passed, true);
  assert.equal(check(gate('auc', '!=', 0.8)).passed, false);
  assert.deepEqual(check(gate('auc', '>', 0.9)), { gate: gate('auc', '>', 0.9), actual: 0.8, passed: false, reason: 'auc = 0.8, needs > 0.9' });
  const missing = check(gate('val_auc', '>=', 0.8));
  assert.equal(missing.passed, false);
  assert.equal(missing.actual, undefined);
  assert.match(missing.reason, /val_auc was not logged by the run/);
  assert.equal(check(gate('toString', '>=', 0)).passed, false, 'prototype keys are not metrics');
  assert.match(check(gate('bad', '>=', 0)).reason, /is NaN/);
  assert.deepEqual(evaluateGates([], {}), { passed: true, results: [] });
  const run = { auc: { value: 0.9 } };
  assert.equal(evaluateGates([gate('auc', '>=', 0.8)], run).passed, true);
  assert.equal(evaluateGates([gate('auc', '>=', 0.8)], new Map([['auc', 0.5]])).passed, false);
  assert.equal(evaluateGates([gate('auc', '>=', 0.8), gate('loss', '<', 0.5)], metrics).passed, true);
});

test('the stand-in seeds and serves 10,000 runs × 20 metrics × 20 params cheaply', async () => {
  const t0 = performance.now();
  const big = new MlflowStandin({ keepRequests: 0 }).seed(syntheticSeed({ runs: 10_000, metrics: 20, params: 20 }));
  const seeded = performance.now() - t0;
  const c = new MlflowClient({ trackingUri: await big.start() });
  try {
    const t1 = performance.now();
    const page = await c.searchRuns({ experimentIds: ['1'], maxResults: 50, filter: 'metrics.accuracy > 0.5', orderBy: ['metrics.loss ASC'] });
    const first = performance.now() - t1;
    assert.equal(page.items.length, 50);
    assert.equal(Object.keys(page.items[0]!.metrics).length, 20);
    assert.equal(Object.keys(page.items[0]!.params).length, 20);
    assert.ok(seeded < 5000, `seeding took ${seeded} ms`);
    assert.ok(first < 2000, `first page took ${first} ms`);
  } finally {
    await big.stop();
  }
});
