/**
 * MlflowArtifactStore: a run's artifacts through the tracking client, against the MLflow
 * stand-in (test/support/mlflow-standin.ts): listing, stat, read, downloads with progress and
 * cancellation, path safety, and uploads refused with a clear message.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactError, MlflowArtifactStore, collectEntries, type ArtifactErrorKind, type TransferProgress } from '../../src/core/artifacts';
import { MlflowClient } from '../../src/core/tracking';
import { MlflowStandin } from '../support/mlflow-standin';
import { RUN, recordedSeed } from '../support/mlflow-seed';

let server: MlflowStandin;
let url: string;
let dir: string;
let store: MlflowArtifactStore;

before(async () => {
  server = new MlflowStandin().seed(recordedSeed());
  url = await server.start();
  dir = mkdtempSync(join(tmpdir(), 'slipway-artifacts-mlflow-'));
  store = new MlflowArtifactStore(new MlflowClient({ trackingUri: url }), RUN.parent);
});

after(async () => {
  store.dispose();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>, kind: ArtifactErrorKind, message?: RegExp): Promise<ArtifactError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ArtifactError, `not an ArtifactError: ${(e as Error)?.stack ?? e}`);
    assert.equal(e.kind, kind, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail(`expected ArtifactError ${kind}`);
}

test('a run: list, stat, read', async () => {
  assert.equal(store.description, `MLflow run ${RUN.parent} at ${url}`);
  assert.deepEqual((await collectEntries(store.list(''))).map((e) => [e.path, e.isDir]), [['config', true], ['notes', true]]);
  assert.deepEqual((await collectEntries(store.list('', { recursive: true }))).map((e) => [e.path, e.size]), [['config/params.json', 40], ['notes/readme.txt', 24]]);
  assert.deepEqual(await store.stat('notes/readme.txt'), { path: 'notes/readme.txt', size: 24, isDir: false });
  assert.deepEqual(await store.stat('notes'), { path: 'notes', size: 0, isDir: true });
  assert.equal(await store.stat('notes/none.txt'), undefined);
  assert.deepEqual(JSON.parse((await store.read('config/params.json')).toString()), { run: 'run-1-parent', lr: 0.1 });
  await failure(store.read('config/params.json', { maxBytes: 10 }), 'too-large', /larger than 10 bytes/);
});

test('downloads: a file and a tree with progress; uploads are refused', async () => {
  const dest = join(dir, 'all');
  const one = await store.download('notes/readme.txt', dest);
  assert.deepEqual(one, { path: 'notes/readme.txt', localPath: join(dest, 'notes/readme.txt'), bytes: 24 });
  assert.equal(readFileSync(one.localPath, 'utf8'), 'hello from run-1-parent\n');
  const progress: TransferProgress[] = [];
  const tree = await store.downloadTree('', join(dir, 'tree'), { onProgress: (p) => progress.push(p) });
  assert.deepEqual(tree.map((r) => [r.path, r.bytes]), [['config/params.json', 40], ['notes/readme.txt', 24]]);
  assert.deepEqual({ ...progress.at(-1), path: '' }, { path: '', bytes: 64, total: 64, filesDone: 2, filesTotal: 2 });
  assert.deepEqual((await store.downloadTree('notes/readme.txt', join(dir, 'one'))).map((r) => r.path), ['notes/readme.txt']);
  await failure(store.downloadTree('nothing', join(dir, 'none')), 'not-found');
  await failure(store.upload(join(dir, 'all/notes/readme.txt'), 'notes/new.txt'), 'unsupported', /^MLflow artifacts are written by the training run/);
});

test('a large download streams; cancelling leaves no partial file', async () => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
  server.store.putFile(`1/${RUN.run3}/artifacts/big.bin`, big);
  const run3 = new MlflowArtifactStore(new MlflowClient({ trackingUri: url }), RUN.run3);
  const seen: TransferProgress[] = [];
  const f = await run3.download('big.bin', join(dir, 'big'), { onProgress: (p) => seen.push(p) });
  assert.ok(readFileSync(f.localPath).equals(big));
  assert.ok(seen.length > 3);
  assert.equal(seen.at(-1)?.bytes, big.length);
  const ac = new AbortController();
  server.inject({ fault: { kind: 'stall', afterBytes: 100_000 }, match: '/big.bin', times: 1 });
  await failure(run3.download('big.bin', join(dir, 'cancelled'), { signal: ac.signal, onProgress: (p) => p.bytes > 0 && ac.abort() }), 'cancelled');
  assert.deepEqual(readdirSync(join(dir, 'cancelled')), []);
  server.inject({ fault: { kind: 'stall', afterBytes: 1000 }, match: '/big.bin', times: 1 });
  await failure(run3.download('big.bin', join(dir, 'stalled'), { timeoutMs: 200 }), 'timeout');
  assert.deepEqual(readdirSync(join(dir, 'stalled')), []);
});

test('paths: the caller\'s and the server\'s are checked; symbolic links out of the destination refused', async () => {
  const n = server.requests.length;
  for (const bad of ['../outside.txt', 'notes/../../outside.txt', '/etc/passwd', 'C:\\x', 'a\0b']) {
    await failure(store.download(bad, join(dir, 'safe')), 'unsafe-path', /refused/);
    await failure(store.read(bad), 'unsafe-path');
  }
  assert.equal(server.requests.length - n, 0, 'nothing was asked for');
  assert.equal(existsSync(join(dir, 'safe')), false);
  server.inject({
    fault: { kind: 'reply', status: 200, contentType: 'application/json', body: JSON.stringify({ root_uri: 'mlflow-artifacts:/1/x/artifacts', files: [{ path: '../../../evil', is_dir: false, file_size: 1 }] }) },
    match: '/artifacts/list',
    times: 1,
  });
  await failure(store.downloadTree('', join(dir, 'evil')), 'unsafe-path', /refused the path the store listed "\.\.\/\.\.\/\.\.\/evil"/);
  assert.equal(existsSync(join(dir, 'evil')), false);
  const trap = join(dir, 'trap');
  const outside = join(dir, 'outside');
  mkdirSync(trap, { recursive: true });
  mkdirSync(outside, { recursive: true });
  symlinkSync(outside, join(trap, 'notes'));
  await failure(store.download('notes/readme.txt', trap), 'unsafe-path', /leads out of .* \(a symbolic link/);
  await failure(store.downloadTree('notes', trap), 'unsafe-path', /symbolic link/);
  assert.deepEqual(readdirSync(outside), []);
});

test('a tracking server that is not there, and a run that does not exist', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const gone = new MlflowArtifactStore(new MlflowClient({ trackingUri: `http://127.0.0.1:${port}` }), RUN.parent);
  await failure(collectEntries(gone.list('')), 'unreachable');
  const noRun = new MlflowArtifactStore(new MlflowClient({ trackingUri: url }), '0123456789abcdef0123456789abcdef');
  await failure(noRun.download('x.txt', join(dir, 'norun')), 'not-found');
});
