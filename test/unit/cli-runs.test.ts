import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowStandin } from '../support/mlflow-standin';
import { RUN, recordedSeed, syntheticSeed } from '../support/mlflow-seed';
import { cli } from '../support/mlflow-cli';

let server: MlflowStandin;
let url: string;
let root: string;
const dirs: Record<string, string> = {};

function project(name: string, yaml?: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  if (yaml !== undefined) writeFileSync(join(d, 'slipway.yaml'), yaml);
  return d;
}

before(async () => {
  server = new MlflowStandin().seed(recordedSeed());
  url = await server.start();
  root = mkdtempSync(join(tmpdir(), 'slipway-cli-runs-'));
  dirs.a = project('a', `version: 1\nname: probe\ntracking:\n  uri: ${url}\n  experiment: probe-exp-a\n`);
  dirs.b = project('b', `version: 1\nname: probe-exp-b\ntracking:\n  uri: ${url}\n`);
  dirs.bogus = project('bogus', `version: 1\nname: probe-exp-a\ntracking:\n  uri: http://127.0.0.1:${await freePort()}\n`);
  dirs.none = project('none');
  dirs.broken = project('broken', 'tracking: [\n');
});

after(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

const names = (out: string) => (JSON.parse(out) as { name: string }[]).map((r) => r.name);

test('runs list: the experiment of slipway.yaml, one JSON object per run', async () => {
  const r = await cli(['runs', 'list'], dirs.a!);
  assert.equal(r.err, '');
  assert.equal(r.code, 0);
  const runs = JSON.parse(r.out) as Record<string, unknown>[];
  assert.deepEqual(runs.map((x) => x.name), ['run-3', 'run-2', 'run-1-child', 'run-1-parent']);
  const child = runs.find((x) => x.name === 'run-1-child')!;
  assert.deepEqual(Object.keys(child), ['run_id', 'name', 'status', 'start_time', 'end_time', 'parent_run_id', 'lifecycle_stage', 'metrics', 'params', 'tags']);
  assert.equal(child.run_id, RUN.child);
  assert.equal(child.parent_run_id, RUN.parent);
  assert.equal(child.status, 'FINISHED');
  assert.equal(child.start_time, new Date(1795344208509).toISOString());
  assert.deepEqual(child.metrics, { loss: 0.637628, accuracy: 0.55, f1: 0.45 });
  assert.deepEqual(child.params, { lr: '0.05', optimizer: 'sgd', epochs: '10' });
  assert.equal((child.tags as Record<string, string>).owner, 'prober');
  assert.equal(runs.find((x) => x.name === 'run-1-parent')!.parent_run_id, null);
});

test('runs list: --all, --filter, --order-by, --max, --experiment, and the project name as experiment', async () => {
  assert.deepEqual(names((await cli(['runs', 'list', '--all'], dirs.a!)).out), ['run-4-to-delete', 'run-3', 'run-2', 'run-1-child', 'run-1-parent']);
  const deleted = JSON.parse((await cli(['runs', 'list', '--all', '--max', '1'], dirs.a!)).out) as { lifecycle_stage: string }[];
  assert.deepEqual(deleted.map((x) => x.lifecycle_stage), ['deleted']);
  const top = await cli(['runs', 'list', '--filter', 'metrics.accuracy > 0.55', '--order-by', 'metrics.accuracy DESC', '--max', '2'], dirs.a!);
  assert.deepEqual(names(top.out), ['run-3', 'run-2']);
  const multi = await cli(['runs', 'list', '--order-by', 'params.optimizer', '--order-by', 'attributes.start_time ASC'], dirs.a!);
  assert.deepEqual(names(multi.out), ['run-1-parent', 'run-1-child', 'run-2', 'run-3']);
  assert.deepEqual(names((await cli(['runs', 'list'], dirs.b!)).out), ['run-7-failed', 'run-6', 'run-5']);
  assert.deepEqual(names((await cli(['runs', 'list', '--experiment', 'probe-exp-b', '--max', '1'], dirs.a!)).out), ['run-7-failed']);
  const empty = await cli(['runs', 'list', '--filter', "params.lr = 'none'"], dirs.a!);
  assert.deepEqual([empty.code, empty.out], [0, '[]\n']);
});

test('runs list: tracking URI from --tracking-uri, then slipway.yaml, then MLFLOW_TRACKING_URI; none is exit 2', async () => {
  assert.equal((await cli(['runs', 'list', '--tracking-uri', url], dirs.bogus!)).code, 0, '--tracking-uri wins over slipway.yaml');
  const env = await cli(['runs', 'list', '--experiment', 'probe-exp-a'], dirs.none!, { MLFLOW_TRACKING_URI: url });
  assert.equal(env.code, 0);
  assert.equal(names(env.out).length, 4);
  const none = await cli(['runs', 'list', '--experiment', 'x'], dirs.none!);
  assert.equal(none.code, 2);
  assert.match(none.err, /no MLflow tracking server: pass --tracking-uri URL, set tracking\.uri in slipway\.yaml, or set MLFLOW_TRACKING_URI/);
  const noExp = await cli(['runs', 'list'], dirs.none!, { MLFLOW_TRACKING_URI: url });
  assert.equal(noExp.code, 2);
  assert.match(noExp.err, /no experiment: pass --experiment NAME/);
  const broken = await cli(['runs', 'list'], dirs.broken!);
  assert.equal(broken.code, 2);
  assert.match(broken.err, /cannot read .*slipway\.yaml/);
});

test('runs list --format text: a header and a line per run, children indented', async () => {
  const r = await cli(['runs', 'list', '--format', 'text'], dirs.a!);
  assert.equal(r.code, 0);
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^RUN ID\s+NAME\s+STATUS\s+START \(UTC\)\s+METRICS$/);
  assert.equal(lines.length, 5);
  assert.match(lines.find((l) => l.includes('run-1-child'))!, new RegExp(`^${RUN.child} {4}run-1-child\\s+FINISHED .* loss=0\\.637628 accuracy=0\\.55 f1=0\\.45$`));
});

test('runs list: usage errors are exit 2', async () => {
  for (const args of [['runs'], ['runs', 'show'], ['runs', 'list', '--max', '0'], ['runs', 'list', '--max', 'x'], ['runs', 'list', '--format', 'xml'], ['runs', 'list', 'extra'], ['runs', 'list', '--nope']]) {
    const r = await cli(args, dirs.a!);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /usage: slipway runs list/);
  }
});

test('runs list: server down, HTML pages, unknown experiment: exit 1 with what to do', async () => {
  const down = await cli(['runs', 'list'], dirs.bogus!);
  assert.equal(down.code, 1);
  assert.match(down.err, /^slipway runs: MLflow at http:\/\/127\.0\.0\.1:(\d+) is not reachable \(connection refused\): is the server running\? \(`mlflow server --host 127\.0\.0\.1 --port \1`\)\n$/);
  const blocked = await cli(['runs', 'list', '--tracking-uri', 'http://127.0.0.1:6000'], dirs.a!);
  assert.equal(blocked.code, 1);
  assert.match(blocked.err, /port 6000 is one that fetch refuses .* run the server on another port/);
  server.inject({ fault: { kind: 'html500' }, match: '/runs/search', times: 1 });
  const e500 = await cli(['runs', 'list'], dirs.a!);
  assert.equal(e500.code, 1);
  assert.match(e500.err, /failed on POST \/api\/2\.0\/mlflow\/runs\/search with HTTP 500 \(an HTML error page\); see the server's log/);
  const html = await cli(['runs', 'list', '--tracking-uri', `${url}/not-mlflow`], dirs.a!);
  assert.equal(html.code, 1);
  assert.match(html.err, /answered GET \/not-mlflow\/api\/2\.0\/mlflow\/experiments\/get-by-name with an HTML page \(HTTP 404\) — is tracking\.uri pointing at MLflow\?|answered GET \/api\/2\.0\/mlflow\/experiments\/get-by-name with an HTML page \(HTTP 404\) — is tracking\.uri pointing at MLflow\?/);
  const missing = await cli(['runs', 'list', '--experiment', 'nope'], dirs.a!);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /Could not find experiment with name 'nope'/);
  server.inject({ fault: { kind: 'delay', ms: 800 }, match: '/runs/search', times: 1 });
  const slow = await cli(['runs', 'list'], dirs.a!, { MLFLOW_HTTP_REQUEST_TIMEOUT: '0.2' });
  assert.equal(slow.code, 1);
  assert.match(slow.err, /did not answer within 200 ms: is the server running\?/);
});

test('runs list: credentials from MLFLOW_TRACKING_TOKEN / USERNAME+PASSWORD; a bad one says how to fix it', async () => {
  server.setAuth({ token: 'good-token', username: 'bob', password: 'pw' });
  try {
    const none = await cli(['runs', 'list'], dirs.a!);
    assert.equal(none.code, 1);
    assert.match(none.err, /needs credentials \(HTTP 401\): set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/);
    const bad = await cli(['runs', 'list'], dirs.a!, { MLFLOW_TRACKING_TOKEN: 'bad-token-value' });
    assert.equal(bad.code, 1);
    assert.match(bad.err, /refused the credentials \(HTTP 401\): set MLFLOW_TRACKING_TOKEN/);
    assert.doesNotMatch(bad.err + bad.out, /bad-token-value/);
    assert.equal((await cli(['runs', 'list'], dirs.a!, { MLFLOW_TRACKING_TOKEN: 'good-token' })).code, 0);
    assert.equal((await cli(['runs', 'list'], dirs.a!, { MLFLOW_TRACKING_USERNAME: 'bob', MLFLOW_TRACKING_PASSWORD: 'pw' })).code, 0);
  } finally {
    server.setAuth(undefined);
  }
});

test('runs list streams: one request and one write per page; NaN and Infinity as strings', async () => {
  const big = new MlflowStandin().seed(syntheticSeed({ runs: 2500, metrics: 3, params: 2, experimentName: 'big' }));
  const bigUrl = await big.start();
  big.store.runs.get(`${(2499).toString(16).padStart(8, '0')}${'0'.repeat(24)}`)!.latest.get('loss')!.value = NaN;
  try {
    const r = await cli(['runs', 'list', '--experiment', 'big', '--max', '2100', '--tracking-uri', bigUrl], dirs.none!);
    // 2100 runs at 250 a page: 9 requests, the last one cut short
    assert.equal(r.code, 0, r.err);
    const runs = JSON.parse(r.out) as { name: string; metrics: Record<string, unknown> }[];
    assert.equal(runs.length, 2100);
    assert.equal(runs[0]!.name, 'run-2499');
    assert.equal(runs[0]!.metrics.loss, 'NaN');
    const searches = big.requests.filter((x) => x.url.includes('runs/search'));
    assert.equal(searches.length, 9);
    assert.ok(searches.every((x) => (JSON.parse(x.body) as { max_results: number }).max_results === 250));
    assert.equal(r.writes, 9 + 2, 'opening bracket, nine pages, closing bracket');
  } finally {
    await big.stop();
  }
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

test('runs list: a port nobody listens on', async () => {
  const port = await freePort();
  const r = await cli(['runs', 'list', '--tracking-uri', `http://127.0.0.1:${port}`, '--experiment', 'x'], dirs.none!);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`mlflow server --host 127\\.0\\.0\\.1 --port ${port}`));
});
