/** The stand-in's own knobs, which integration tests and benchmarks rely on. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MlflowStandin, RUN, recordedSeed } from '../support/mlflow-standin';

let server: MlflowStandin;
let url: string;

before(async () => {
  server = new MlflowStandin().seed(recordedSeed());
  url = await server.start();
});
after(() => server.stop());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

test('start() is idempotent and gives the URL; stop() frees the port', async () => {
  assert.equal(await server.start(), url);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const other = new MlflowStandin();
  const u = await other.start();
  await other.stop();
  await assert.rejects(fetch(`${u}/health`));
});

test('faults apply to matching requests, as many times as asked, then stop', async () => {
  const undo = server.inject({ fault: { kind: 'reply', status: 503, contentType: 'text/plain', body: 'busy' }, match: /^GET .*experiments\/get$/, times: 2 });
  const get = () => fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=1`);
  assert.equal((await get()).status, 503);
  assert.equal((await fetch(`${url}/api/2.0/mlflow/runs/get?run_id=${RUN.parent}`)).status, 200, 'other paths untouched');
  assert.equal((await get()).status, 503);
  assert.equal((await get()).status, 200);
  undo();
  const remove = server.inject({ kind: 'html500' });
  assert.equal((await get()).status, 500);
  assert.match(await (await get()).text(), /Internal Server Error/);
  remove();
  assert.equal((await get()).status, 200);
  server.inject({ fault: { kind: 'delay', ms: 120 }, match: (r) => r.path.endsWith('/experiments/get'), times: 1 });
  const t0 = Date.now();
  assert.equal((await get()).status, 200);
  assert.ok(Date.now() - t0 >= 100);
  server.clearFaults();
});

test('the request log keeps method, URL, headers and body', async () => {
  const n = server.requests.length;
  await post('/api/2.0/mlflow/runs/search', { experiment_ids: ['1'], max_results: 1 }, { authorization: 'Bearer x' });
  const seen = server.requests.slice(n);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.method, 'POST');
  assert.equal(seen[0]!.url, '/api/2.0/mlflow/runs/search');
  assert.equal(seen[0]!.headers.authorization, 'Bearer x');
  assert.deepEqual(JSON.parse(seen[0]!.body), { experiment_ids: ['1'], max_results: 1 });
});

test('graphql: run searches and artifact listings too', async () => {
  const r = await (await post('/graphql', { query: 'query { mlflowSearchRuns(input: {experimentIds: ["2"], maxResults: 1}) { runs { info { runName } } nextPageToken } }' })).json();
  assert.deepEqual(r, { data: { mlflowSearchRuns: { nextPageToken: 'eyJvZmZzZXQiOiAxfQ==', runs: [{ info: { runName: 'run-7-failed' } }] } }, errors: null });
  const a = await (await post('/graphql', { query: `query { mlflowListArtifacts(input: {runId: "${RUN.parent}", path: "notes"}) { files { path fileSize isDir } } }` })).json();
  assert.deepEqual(a, { data: { mlflowListArtifacts: { files: [{ fileSize: '24', isDir: false, path: 'notes/readme.txt' }] } }, errors: null });
  const bad = await (await post('/graphql', { query: 'query { nope { x } }' })).json();
  assert.equal(bad.data, null);
  assert.match(bad.errors[0].message, /Cannot query field 'nope'/);
});

test('Host and Origin checks; allowedHosts opens them', async () => {
  const open = new MlflowStandin({ allowedHosts: '*' }).seed(recordedSeed());
  const u = new URL(await open.start());
  try {
    const { request } = await import('node:http');
    const status = (port: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/2.0/mlflow/experiments/get?experiment_id=1', headers: { host: 'mlflow.example.com' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal(await status(new URL(url).port), 403);
    assert.equal(await status(u.port), 200);
  } finally {
    await open.stop();
  }
  const cors = await post('/api/2.0/mlflow/runs/search', { experiment_ids: ['1'] }, { origin: 'https://evil.example.com' });
  assert.equal(cors.status, 403);
  assert.equal(await cors.text(), 'Cross-origin request blocked');
  assert.equal((await post('/api/2.0/mlflow/runs/search', { experiment_ids: ['1'] }, { origin: 'http://localhost:3000' })).status, 200);
});

test('experiments and runs change state: delete, restore, rename by tag', async () => {
  const exp = (await (await post('/api/2.0/mlflow/experiments/create', { name: 'standin-state' })).json()) as { experiment_id: string };
  assert.equal((await post('/api/2.0/mlflow/experiments/delete', { experiment_id: exp.experiment_id })).status, 200);
  const search = async (view: string) => ((await (await post('/api/2.0/mlflow/experiments/search', { view_type: view })).json()) as { experiments?: { name: string }[] }).experiments?.map((e) => e.name) ?? [];
  assert.ok((await search('DELETED_ONLY')).includes('standin-state'));
  assert.ok(!(await search('ACTIVE_ONLY')).includes('standin-state'));
  const created = await post('/api/2.0/mlflow/runs/create', { experiment_id: exp.experiment_id });
  assert.equal(created.status, 400, 'no runs in a deleted experiment');
  assert.equal((await post('/api/2.0/mlflow/experiments/restore', { experiment_id: exp.experiment_id })).status, 200);
  const run = ((await (await post('/api/2.0/mlflow/runs/create', { experiment_id: exp.experiment_id, start_time: 1 })).json()) as { run: { info: { run_id: string; run_name: string } } }).run.info;
  assert.match(run.run_name, /^run-[0-9a-f]{6}$/);
  await post('/api/2.0/mlflow/runs/set-tag', { run_id: run.run_id, key: 'mlflow.runName', value: 'renamed' });
  const got = (await (await fetch(`${url}/api/2.0/mlflow/runs/get?run_id=${run.run_id}`)).json()) as { run: { info: { run_name: string } } };
  assert.equal(got.run.info.run_name, 'renamed');
  await post('/api/2.0/mlflow/runs/delete', { run_id: run.run_id });
  const write = await post('/api/2.0/mlflow/runs/log-metric', { run_id: run.run_id, key: 'm', value: 1, timestamp: 1 });
  assert.equal(write.status, 400);
  assert.match(((await write.json()) as { message: string }).message, /must be in the 'active' state/);
});
