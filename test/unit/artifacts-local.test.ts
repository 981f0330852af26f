/**
 * LocalArtifactStore (a folder) and the path rules every store shares: round trips, paging,
 * cancellation without partial files, paths and symbolic links that lead out.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ArtifactError,
  LocalArtifactStore,
  cleanPath,
  collectEntries,
  destinationFor,
  globBase,
  globRegExp,
  hasGlob,
  isArtifactError,
  type ArtifactErrorKind,
  type TransferProgress,
} from '../../src/core/artifacts';

let dir: string;
let store: LocalArtifactStore;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-artifacts-local-'));
  store = new LocalArtifactStore(join(dir, 'artifacts'));
});

after(() => {
  store.dispose();
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

function file(name: string, content: Buffer | string): string {
  const f = join(dir, 'src', name);
  mkdirSync(join(f, '..'), { recursive: true });
  writeFileSync(f, content);
  return f;
}

test('a round trip: upload, stat, list, read, download, download a tree', async () => {
  assert.equal(store.description, join(dir, 'artifacts'));
  assert.deepEqual(await collectEntries(store.list('')), [], 'a root that does not exist yet lists nothing');
  const progress: TransferProgress[] = [];
  assert.deepEqual(await store.upload(file('train.csv', 'a,b\n1,2\n'), 'datasets/v1/train.csv', { onProgress: (p) => progress.push(p) }), { path: 'datasets/v1/train.csv', bytes: 8 });
  assert.deepEqual(progress.at(-1), { path: 'datasets/v1/train.csv', bytes: 8, total: 8 });
  await store.upload(file('test.csv', 'a,b\n3,4\n'), 'datasets/v1/test.csv');
  await store.upload(file('model.onnx', Buffer.alloc(100, 1)), 'models/churn/model.onnx');
  assert.equal(readFileSync(join(dir, 'artifacts/datasets/v1/train.csv'), 'utf8'), 'a,b\n1,2\n');

  const st = await store.stat('datasets/v1/train.csv');
  assert.equal(st?.size, 8);
  assert.equal(st?.isDir, false);
  assert.ok(st?.lastModified instanceof Date);
  assert.equal((await store.stat('datasets'))?.isDir, true);
  assert.equal(await store.stat('nothing/here'), undefined);

  assert.deepEqual((await collectEntries(store.list(''))).map((e) => [e.path, e.isDir]), [['datasets', true], ['models', true]]);
  const pages: string[][] = [];
  for await (const page of store.list('', { recursive: true, pageSize: 2 })) pages.push(page.map((e) => e.path));
  assert.deepEqual(pages, [['datasets/v1/test.csv', 'datasets/v1/train.csv'], ['models/churn/model.onnx']]);
  assert.deepEqual(await collectEntries(store.list('datasets/v1/train.csv')), [], 'a file is not a folder');

  assert.equal((await store.read('datasets/v1/test.csv')).toString(), 'a,b\n3,4\n');
  await failure(store.read('models/churn/model.onnx', { maxBytes: 10 }), 'too-large', /larger than 10 bytes/);
  await failure(store.read('nope.txt'), 'not-found', /no such file/);

  const dest = join(dir, 'dl');
  const got = await store.download('models/churn/model.onnx', dest);
  assert.deepEqual(got, { path: 'models/churn/model.onnx', localPath: join(dest, 'models/churn/model.onnx'), bytes: 100 });
  await failure(store.download('models/none.onnx', dest), 'not-found');
  assert.deepEqual(readdirSync(join(dest, 'models')), ['churn'], 'nothing left by the failed download');

  const treeProgress: TransferProgress[] = [];
  const tree = await store.downloadTree('datasets', join(dir, 'tree'), { onProgress: (p) => treeProgress.push(p) });
  assert.deepEqual(tree.map((r) => [r.path, r.bytes]), [['datasets/v1/test.csv', 8], ['datasets/v1/train.csv', 8]]);
  assert.deepEqual({ ...treeProgress.at(-1), path: '' }, { path: '', bytes: 16, total: 16, filesDone: 2, filesTotal: 2 });
  assert.deepEqual((await store.downloadTree('models/churn/model.onnx', join(dir, 'tree1'))).map((r) => r.path), ['models/churn/model.onnx']);
  await failure(store.downloadTree('missing', join(dir, 'tree2')), 'not-found');

  // local paths pass through fetchToLocal untouched
  assert.equal(await store.fetchToLocal('data/train.parquet', join(dir, 'cache')), 'data/train.parquet');
});

test('cancellation: before the start nothing is created; mid-copy the partial file is removed', async () => {
  const big = file('big.bin', Buffer.alloc(8 * 1024 * 1024, 7));
  await failure(store.upload(big, 'big/never.bin', { signal: AbortSignal.abort() }), 'cancelled');
  assert.equal(existsSync(join(dir, 'artifacts/big')), false);
  const ac = new AbortController();
  await failure(store.upload(big, 'big/cancelled.bin', { signal: ac.signal, onProgress: (p) => p.bytes > 0 && ac.abort() }), 'cancelled');
  assert.deepEqual(readdirSync(join(dir, 'artifacts/big')), [], 'no .partial file');
  await store.upload(big, 'big/big.bin');
  const ac2 = new AbortController();
  await failure(store.download('big/big.bin', join(dir, 'dl-cancel'), { signal: ac2.signal, onProgress: (p) => p.bytes > 0 && ac2.abort() }), 'cancelled');
  assert.deepEqual(readdirSync(join(dir, 'dl-cancel/big')), []);
  await failure(collectEntries(store.list('', { signal: AbortSignal.abort() })), 'cancelled');
  await failure(store.read('big/big.bin', { signal: AbortSignal.abort() }), 'cancelled');
});

test('paths that leave the root or the destination are refused, symbolic links included', async () => {
  for (const bad of ['../x', '/etc/passwd', 'a/../../b', 'C:\\x', 'c:/x', 'a\0b', '..']) {
    await failure(store.download(bad, join(dir, 'safe')), 'unsafe-path', /refused/);
    await failure(store.upload(file('p.txt', 'p'), bad), 'unsafe-path', /refused/);
    await failure(store.read(bad), 'unsafe-path');
    await failure(store.stat(bad), 'unsafe-path');
    await failure(collectEntries(store.list(bad)), 'unsafe-path');
  }
  assert.equal(existsSync(join(dir, 'safe')), false);
  assert.equal(existsSync(join(dir, 'x')), false);
  await failure(store.upload(file('p.txt', 'p'), '.'), 'unsafe-path', /names no file/);

  // a folder inside the root that is a link out of it: reading follows it, writing refuses
  const outside = join(dir, 'outside');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'shared.csv'), 'shared');
  symlinkSync(outside, join(dir, 'artifacts/linked'));
  assert.equal((await store.read('linked/shared.csv')).toString(), 'shared');
  await failure(store.upload(file('p.txt', 'p'), 'linked/new.txt'), 'unsafe-path', /leads out of .* \(a symbolic link/);
  assert.deepEqual(readdirSync(outside), ['shared.csv']);
  // a destination folder that links out
  const trap = join(dir, 'trap');
  mkdirSync(trap, { recursive: true });
  symlinkSync(outside, join(trap, 'datasets'));
  await failure(store.download('datasets/v1/train.csv', trap), 'unsafe-path', /symbolic link/);
  await failure(store.downloadTree('datasets', trap), 'unsafe-path', /symbolic link/);
  assert.deepEqual(readdirSync(outside), ['shared.csv']);
  // a link back up does not make a recursive listing endless
  symlinkSync(join(dir, 'artifacts'), join(dir, 'artifacts/models/loop'));
  const all = await collectEntries(store.list('', { recursive: true }));
  assert.ok(all.length < 20, all.map((e) => e.path).join());
  rmSync(join(dir, 'artifacts/models/loop'));
  rmSync(join(dir, 'artifacts/linked'));
});

test('the path rules and globs', () => {
  assert.equal(cleanPath('a/./b//c/'), 'a/b/c');
  assert.equal(cleanPath('a\\b'), 'a/b');
  assert.equal(cleanPath(''), '');
  for (const bad of ['../x', '/abs', 'a/../../b', 'C:\\x', 'a\0b']) {
    assert.throws(() => cleanPath(bad), (e: unknown) => isArtifactError(e, 'unsafe-path'));
  }
  assert.throws(() => cleanPath('../../evil', 'store'), /refused the path the store listed "\.\.\/\.\.\/evil"/);
  assert.equal(destinationFor('/tmp/d', 'a/./b/c.txt'), '/tmp/d/a/b/c.txt');
  assert.throws(() => destinationFor('/tmp/d', '.'), (e: unknown) => isArtifactError(e, 'unsafe-path'));

  assert.equal(hasGlob('data/*.parquet'), true);
  assert.equal(hasGlob('data/x.parquet'), false);
  assert.equal(globBase('data/2024/*/x.parquet'), 'data/2024');
  assert.equal(globBase('*.csv'), '');
  const re = globRegExp('events/*/part-?.{csv,parquet}');
  assert.ok(re.test('events/2026/part-1.csv'));
  assert.ok(re.test('events/2026/part-2.parquet'));
  assert.ok(!re.test('events/2026/deep/part-1.csv'), '* stays in one folder');
  assert.ok(!re.test('events/2026/part-10.csv'));
  assert.ok(globRegExp('events/**/x.csv').test('events/x.csv'));
  assert.ok(globRegExp('events/**/x.csv').test('events/a/b/x.csv'));
  assert.ok(globRegExp('d/[ab].csv').test('d/a.csv'));
  assert.ok(!globRegExp('d/[!ab].csv').test('d/a.csv'));
  assert.ok(globRegExp('d/a+b.csv').test('d/a+b.csv'), 'regex characters are literal');
});
