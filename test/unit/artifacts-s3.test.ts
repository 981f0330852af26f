/**
 * S3ArtifactStore against a real S3-compatible HTTP server (s3rver, test/support/s3-server.ts):
 * uploads small and multipart, listings paged by continuation tokens, downloads with progress,
 * cancellation and no partial files, fetchToLocal's cache, credentials (refused, from the
 * default chain, changed at run time), missing buckets and keys.
 *
 * s3rver checks the access key id (an unknown one gets S3's 403 InvalidAccessKeyId, tested
 * here) but not SigV4 signatures, so it accepts a wrong secret key (asserted below, so a newer
 * s3rver that checks would show up). SignatureDoesNotMatch, keys that escape the destination
 * (`../../evil`), stalled bodies and unanswered requests are tested against S3Stub, a tiny
 * server answering S3's XML (test/support/s3-stub.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ArtifactError,
  CACHE_META_DIR,
  LocalArtifactStore,
  MIN_PART_SIZE,
  S3ArtifactStore,
  artifactStoreFor,
  collectEntries,
  fetcherFor,
  parseS3Uri,
  type ArtifactErrorKind,
  type S3Credentials,
  type S3StoreOptions,
  type TransferProgress,
} from '../../src/core/artifacts';
import { S3Server, TEST_KEY } from '../support/s3-server';
import { S3Stub, errorAnswer, listXml } from '../support/s3-stub';

const BUCKET = 'slipway-bkt';
let server: S3Server;
let url: string;
let dir: string;
const stores: { dispose(): void }[] = [];

before(async () => {
  server = new S3Server();
  url = await server.start([BUCKET, 'other-bucket']);
  dir = mkdtempSync(join(tmpdir(), 'slipway-artifacts-s3-'));
});

after(async () => {
  for (const s of stores) s.dispose();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function storeFor(o: Partial<S3StoreOptions> = {}): S3ArtifactStore {
  const s = new S3ArtifactStore({ bucket: BUCKET, prefix: 'proj', endpoint: url, region: 'us-east-1', credentials: () => TEST_KEY, ...o });
  stores.push(s);
  return s;
}

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

function localFile(name: string, content: Buffer | string): string {
  const f = join(dir, 'src', name);
  mkdirSync(join(f, '..'), { recursive: true });
  writeFileSync(f, content);
  return f;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** a body that is not all one byte, so a misplaced part would show */
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + (i >> 12)) & 0xff));

// ---------------------------------------------------------------- round trips

test('a small file: upload, stat, read, list, download with progress', async () => {
  const s = storeFor();
  assert.equal(s.description, `s3://${BUCKET}/proj at ${url}`);
  const up = await s.upload(localFile('params.json', '{"lr":0.1}'), 'runs/r1/params.json', { contentType: 'application/json' });
  assert.deepEqual({ ...up, etag: undefined }, { path: 'runs/r1/params.json', bytes: 10, etag: undefined });
  assert.match(up.etag ?? '', /^[0-9a-f]{32}$/);
  const st = await s.stat('runs/r1/params.json');
  assert.equal(st?.size, 10);
  assert.equal(st?.isDir, false);
  assert.equal(st?.etag, up.etag);
  assert.deepEqual(await s.stat('runs/r1'), { path: 'runs/r1', size: 0, isDir: true });
  assert.equal(await s.stat('runs/nothing'), undefined);
  assert.equal((await s.read('runs/r1/params.json')).toString(), '{"lr":0.1}');
  await failure(s.read('runs/r1/params.json', { maxBytes: 5 }), 'too-large', /larger than 5 bytes/);
  // one level: the folder, not its files (s3rver misses a folder holding only folders: list runs/)
  assert.deepEqual((await collectEntries(s.list('runs'))).map((e) => [e.path, e.isDir]), [['runs/r1', true]]);
  assert.deepEqual((await collectEntries(s.list('runs/r1'))).map((e) => e.path), ['runs/r1/params.json']);
  const progress: TransferProgress[] = [];
  const dest = join(dir, 'small');
  const got = await s.download('runs/r1/params.json', dest, { onProgress: (p) => progress.push(p) });
  assert.deepEqual(got, { path: 'runs/r1/params.json', localPath: join(dest, 'runs/r1/params.json'), bytes: 10 });
  assert.equal(readFileSync(got.localPath, 'utf8'), '{"lr":0.1}');
  assert.deepEqual(progress.at(-1), { path: 'runs/r1/params.json', bytes: 10, total: 10 });
  await failure(s.download('runs/r1/missing.json', dest), 'not-found', /s3:\/\/slipway-bkt\/proj\/runs\/r1\/missing\.json does not exist/);
  assert.deepEqual(readdirSync(join(dest, 'runs/r1')), ['params.json'], 'no partial file left by the failed download');
});

test('a 12 MiB file goes up in 3 parts of 5 MiB and comes back identical', async () => {
  const s = storeFor();
  const big = pattern(12 * 1024 * 1024);
  const file = localFile('big.bin', big);
  const n = await server.count();
  const progress: number[] = [];
  const up = await s.upload(file, 'models/big.bin', { onProgress: (p) => progress.push(p.bytes) });
  assert.equal(up.bytes, big.length);
  const sent = await server.since(n);
  assert.equal(sent.filter((r) => r.method === 'POST' && /[?&]uploads\b/.test(r.url)).length, 1, 'CreateMultipartUpload');
  assert.equal(sent.filter((r) => r.method === 'PUT' && /[?&]partNumber=/.test(r.url)).length, 3, 'UploadPart × 3');
  assert.equal(sent.filter((r) => r.method === 'POST' && /[?&]uploadId=/.test(r.url)).length, 1, 'CompleteMultipartUpload');
  assert.equal(progress.at(-1), big.length);
  assert.ok(progress.length >= 3);
  const seen: TransferProgress[] = [];
  const got = await s.download('models/big.bin', join(dir, 'big'), { onProgress: (p) => seen.push(p) });
  assert.equal(sha(readFileSync(got.localPath)), sha(big));
  assert.ok(seen.length > 10, 'progress while streaming');
  assert.ok(seen.every((p) => p.total === big.length));
  assert.ok(seen.every((p, i) => i === 0 || p.bytes >= seen[i - 1]!.bytes));
  // a smaller part size is raised to S3's minimum
  const m = await server.count();
  await s.upload(file, 'models/big2.bin', { partSize: 1024 });
  assert.equal((await server.since(m)).filter((r) => /[?&]partNumber=/.test(r.url)).length, Math.ceil(big.length / MIN_PART_SIZE));
});

test('listing 120 keys 50 at a time follows continuation tokens, lazily', async () => {
  const s = storeFor({ prefix: 'listing' });
  const one = localFile('one.txt', 'x');
  const keys = Array.from({ length: 120 }, (_, i) => `many/k${String(i).padStart(3, '0')}.txt`);
  for (let i = 0; i < keys.length; i += 20) await Promise.all(keys.slice(i, i + 20).map((k) => s.upload(one, k)));
  await s.upload(one, 'many/sub/deep.txt');
  await s.upload(one, 'manydata.txt'); // shares the prefix "many", not the folder
  const n = await server.count();
  const pages: string[][] = [];
  for await (const page of s.list('many', { recursive: true, pageSize: 50 })) pages.push(page.map((e) => e.path));
  assert.deepEqual(pages.map((p) => p.length), [50, 50, 21]);
  assert.deepEqual(pages.flat(), [...keys, 'many/sub/deep.txt']);
  const lists = (await server.since(n)).filter((r) => r.method === 'GET' && /list-type=2/.test(r.url));
  assert.equal(lists.length, 3);
  assert.equal(lists.filter((r) => /continuation-token=/.test(r.url)).length, 2);
  // lazy: stopping after the first page asks for no more
  const m = await server.count();
  for await (const page of s.list('many', { recursive: true, pageSize: 50 })) {
    assert.equal(page.length, 50);
    break;
  }
  assert.equal((await server.since(m)).length, 1);
  // one level: files and the sub folder; a folder that does not exist lists nothing
  const level = await collectEntries(s.list('many', { pageSize: 50 }));
  assert.equal(level.length, 121);
  assert.deepEqual(level.filter((e) => e.isDir).map((e) => e.path), ['many/sub']);
  assert.deepEqual(await collectEntries(s.list('nowhere')), []);
  // a tree download takes every file, a few at a time, with one progress for the tree
  const progress: TransferProgress[] = [];
  const got = await s.downloadTree('many', join(dir, 'tree'), { onProgress: (p) => progress.push(p) });
  assert.equal(got.length, 121);
  assert.equal(readFileSync(join(dir, 'tree/many/sub/deep.txt'), 'utf8'), 'x');
  assert.deepEqual({ ...progress.at(-1), path: '' }, { path: '', bytes: 121, total: 121, filesDone: 121, filesTotal: 121 });
  // a tree named by a file is that file
  assert.deepEqual((await s.downloadTree('manydata.txt', join(dir, 'tree1'))).map((r) => r.path), ['manydata.txt']);
  await failure(s.downloadTree('none', join(dir, 'tree2')), 'not-found');
});

// ---------------------------------------------------------------- cancellation, timeouts

test('cancelling a download mid-stream leaves no partial file; a cancelled upload leaves no object', async () => {
  const s = storeFor();
  const dest = join(dir, 'cancel');
  const ac = new AbortController();
  await failure(
    s.download('models/big.bin', dest, { signal: ac.signal, onProgress: (p) => p.bytes > 0 && ac.abort() }),
    'cancelled',
  );
  assert.deepEqual(readdirSync(join(dest, 'models')), [], 'the .partial file is removed');
  // cancelled before it starts: nothing is created
  await failure(s.download('models/big.bin', join(dir, 'cancel2'), { signal: AbortSignal.abort() }), 'cancelled');
  assert.equal(existsSync(join(dir, 'cancel2')), false);
  // a tree: every file stops
  const ac2 = new AbortController();
  await failure(s.downloadTree('models', join(dir, 'cancel3'), { signal: ac2.signal, onProgress: (p) => p.bytes > 1024 * 1024 && ac2.abort() }), 'cancelled');
  const left = readdirSync(join(dir, 'cancel3'), { recursive: true }).map(String);
  assert.ok(!left.some((f) => f.endsWith('.partial')), left.join());
  // an upload aborted after its first part
  const ac3 = new AbortController();
  const file = localFile('big-cancel.bin', pattern(11 * 1024 * 1024));
  await failure(s.upload(file, 'models/cancelled.bin', { signal: ac3.signal, onProgress: (p) => p.bytes > 0 && ac3.abort() }), 'cancelled');
  assert.equal(await s.stat('models/cancelled.bin'), undefined);
});

test('a body that stalls, or a request nobody answers, times out; no partial file is left', async () => {
  const stub = new S3Stub((r) => (r.method === 'GET' && r.path.endsWith('/slow.bin') ? { stall: { total: 100_000, send: 1000 } } : { hang: true }));
  const endpoint = await stub.start();
  try {
    const s = storeFor({ endpoint, timeoutMs: 300, maxAttempts: 1 });
    const dest = join(dir, 'stalled');
    const t0 = Date.now();
    await failure(s.download('slow.bin', dest), 'timeout', /nothing came back within 300 ms/);
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(readdirSync(dest), []);
    await failure(s.read('slow.bin'), 'timeout');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await failure(s.read('slow.bin', { signal: ac.signal, timeoutMs: 10_000 }), 'cancelled');
    await failure(s.stat('anything'), 'timeout');
    await failure(collectEntries(s.list('')), 'timeout');
  } finally {
    await stub.stop();
  }
});

// ---------------------------------------------------------------- errors

test('wrong credentials: an unknown access key (s3rver) and a wrong signature (stub) say what to do', async () => {
  const secret = 'a-secret-that-must-not-leak';
  const wrongKey = storeFor({ credentials: () => ({ accessKeyId: 'NOBODY', secretAccessKey: secret }) });
  for (const call of [() => wrongKey.read('runs/r1/params.json'), () => collectEntries(wrongKey.list('')), () => wrongKey.download('runs/r1/params.json', join(dir, 'denied'))]) {
    const e = await failure(call(), 'auth', /^S3 at http:\/\/127\.0\.0\.1:\d+ refused the credentials \(InvalidAccessKeyId\): set them with Slipway: Set Artifact Store Credentials or AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY$/);
    assert.equal(e.code, 'InvalidAccessKeyId');
    assert.equal(e.status, 403);
    assert.ok(!inspect(e, { depth: 10 }).includes(secret), 'the secret is nowhere in the error');
  }
  // HEAD answers have no body: still an auth error
  await failure(wrongKey.stat('runs/r1/params.json'), 'auth', /refused access .* \(403/);
  // s3rver does not check SigV4 signatures: a wrong secret for a known key is accepted
  const wrongSecret = storeFor({ credentials: () => ({ accessKeyId: TEST_KEY.accessKeyId, secretAccessKey: 'wrong' }) });
  assert.equal((await wrongSecret.read('runs/r1/params.json')).toString(), '{"lr":0.1}');
  // ...so SignatureDoesNotMatch comes from the stub, as S3 and MinIO answer it
  const stub = new S3Stub(() => errorAnswer(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'));
  const endpoint = await stub.start();
  try {
    const s = storeFor({ endpoint, credentials: () => ({ accessKeyId: 'AKIA', secretAccessKey: secret }) });
    const e = await failure(s.read('x'), 'auth', /refused the credentials \(SignatureDoesNotMatch\): set them with Slipway: Set Artifact Store Credentials/);
    assert.ok(!inspect(e, { depth: 10 }).includes(secret));
    await failure(s.upload(localFile('tiny.txt', 'x'), 'x'), 'auth', /SignatureDoesNotMatch/);
  } finally {
    await stub.stop();
  }
});

test('credentials changed at run time apply to the next request', async () => {
  let current: S3Credentials = { accessKeyId: 'NOBODY', secretAccessKey: 'x' };
  const s = storeFor({ credentials: () => current });
  await failure(s.read('runs/r1/params.json'), 'auth');
  current = TEST_KEY;
  assert.equal((await s.read('runs/r1/params.json')).toString(), '{"lr":0.1}');
});

test('no credentials from the provider: the AWS SDK default chain (environment), or a plain message', async () => {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI'];
  const saved = Object.fromEntries(names.map((k) => [k, process.env[k]]));
  try {
    for (const k of names) delete process.env[k];
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_ACCESS_KEY_ID = TEST_KEY.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_KEY.secretAccessKey;
    const viaProvider = storeFor({ credentials: () => undefined });
    assert.equal((await viaProvider.read('runs/r1/params.json')).toString(), '{"lr":0.1}');
    const noProvider = storeFor({ credentials: undefined });
    assert.equal((await noProvider.read('runs/r1/params.json')).toString(), '{"lr":0.1}');
    // and the factory, as the CLI uses it: slipway.yaml's artifacts, credentials from the environment
    const fromYaml = artifactStoreFor({ uri: `s3://${BUCKET}/proj`, endpoint: url, region: 'us-east-1' }, { baseDir: dir });
    stores.push(fromYaml);
    assert.ok(fromYaml instanceof S3ArtifactStore);
    assert.equal((await fromYaml.read('runs/r1/params.json')).toString(), '{"lr":0.1}');
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const none = storeFor({ credentials: () => undefined });
    await failure(none.read('runs/r1/params.json'), 'auth', /no S3 credentials for S3 at .*: set them with Slipway: Set Artifact Store Credentials or AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/);
  } finally {
    for (const k of names) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
});

test('a missing bucket, a missing key, and a server that is not there', async () => {
  const noBucket = storeFor({ bucket: 'no-such-bucket' });
  for (const call of [() => collectEntries(noBucket.list('')), () => noBucket.read('x'), () => noBucket.stat('x'), () => noBucket.download('x', join(dir, 'nb'))]) {
    await failure(call(), 'not-found', /^the bucket 'no-such-bucket' does not exist at S3 at http:\/\/127\.0\.0\.1:\d+ \(NoSuchBucket\): create it, or fix artifacts\.uri in slipway\.yaml$/);
  }
  await failure(storeFor().read('nope.txt'), 'not-found', /s3:\/\/slipway-bkt\/proj\/nope\.txt does not exist/);
  // a port nobody listens on
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const gone = storeFor({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
  await failure(gone.read('x'), 'unreachable', /cannot reach S3 at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): check artifacts\.endpoint/);
});

// ---------------------------------------------------------------- paths

test('paths that would leave the destination are refused before anything is asked or written', async () => {
  const s = storeFor();
  const n = await server.count();
  for (const bad of ['../x', '/abs/x', 'a/../../b', 'C:\\x', 'a\0b', '..']) {
    await failure(s.download(bad, join(dir, 'safe')), 'unsafe-path', /refused/);
    await failure(s.upload(localFile('p.txt', 'p'), bad), 'unsafe-path');
  }
  await failure(s.upload(localFile('p.txt', 'p'), ''), 'unsafe-path', /names no object/);
  assert.equal((await server.since(n)).length, 0, 'nothing was sent');
  assert.equal(existsSync(join(dir, 'safe')), false);
  // a folder in the destination that is a symbolic link out of it
  const trap = join(dir, 'trap');
  const outside = join(dir, 'outside');
  mkdirSync(trap, { recursive: true });
  mkdirSync(outside, { recursive: true });
  symlinkSync(outside, join(trap, 'runs'));
  await failure(s.download('runs/r1/params.json', trap), 'unsafe-path', /leads out of .* \(a symbolic link/);
  await failure(s.downloadTree('runs', trap), 'unsafe-path', /symbolic link/);
  assert.deepEqual(readdirSync(outside), []);
});

test('keys in a listing that escape the destination refuse the whole download (stub listing)', async () => {
  for (const evil of ['../../evil', '/etc/evil', 'a/../../evil', 'C:\\evil']) {
    const stub = new S3Stub((r) => (r.query.get('list-type') === '2' ? listXml('stub-bucket', '', [{ key: 'ok.txt', size: 1 }, { key: evil, size: 1 }]) : { status: 200, body: 'x' }));
    const endpoint = await stub.start();
    try {
      const s = storeFor({ bucket: 'stub-bucket', prefix: '', endpoint });
      const dest = join(dir, 'evil', String(stub.requests.length));
      await failure(s.downloadTree('', dest), 'unsafe-path', /refused the path the store listed/);
      await failure(collectEntries(s.list('', { recursive: true })), 'unsafe-path');
      assert.equal(existsSync(dest), false, 'nothing written, not even ok.txt');
      assert.equal(stub.requests.filter((r) => r.method === 'GET' && !r.url.includes('list-type')).length, 0, 'no object was fetched');
      assert.equal(existsSync(join(dir, 'evil')), false);
    } finally {
      await stub.stop();
    }
  }
});

test('parseS3Uri and the factory', () => {
  assert.deepEqual(parseS3Uri('s3://ml-artifacts/churn/'), { bucket: 'ml-artifacts', key: 'churn' });
  assert.deepEqual(parseS3Uri('s3://ml-artifacts'), { bucket: 'ml-artifacts', key: '' });
  assert.deepEqual(parseS3Uri('S3://ml-artifacts/a/./b//c/'), { bucket: 'ml-artifacts', key: 'a/b/c' });
  // `s3://bucket//a` names the key `/a`: absolute, refused like any other
  assert.throws(() => parseS3Uri('s3://ml-artifacts//a'), (e: ArtifactError) => e.kind === 'unsafe-path');
  assert.throws(() => parseS3Uri('s3://Bad_Bucket/x'), (e: ArtifactError) => e.kind === 'invalid');
  assert.throws(() => parseS3Uri('gs://b/x'), (e: ArtifactError) => e.kind === 'invalid');
  assert.throws(() => parseS3Uri('s3://bucket/../x'), (e: ArtifactError) => e.kind === 'unsafe-path');
  const s3 = artifactStoreFor({ uri: 's3://ml-artifacts/churn', region: 'eu-west-1' }, { baseDir: dir });
  stores.push(s3);
  assert.equal(s3.description, 's3://ml-artifacts/churn');
  const local = artifactStoreFor({ uri: './artifacts', region: 'us-east-1' }, { baseDir: dir });
  assert.ok(local instanceof LocalArtifactStore);
  assert.equal(local.description, join(dir, 'artifacts'));
  assert.throws(() => artifactStoreFor({ uri: 'gs://b/x', region: 'us-east-1' }, { baseDir: dir }), (e: ArtifactError) => e.kind === 'invalid');
});

// ---------------------------------------------------------------- fetchToLocal

test('fetchToLocal: an object, a prefix and a glob, downloaded once and again only when changed', async () => {
  const s = storeFor();
  const cache = join(dir, 'cache');
  const gets = async (from: number) => (await server.since(from)).filter((r) => r.method === 'GET' && !r.url.includes('list-type'));
  await s.upload(localFile('a.csv', 'x,y\n1,2\n'), 'events/2026/a.csv');
  await s.upload(localFile('b.csv', 'x,y\n3,4\n'), 'events/2026/b.csv');
  await s.upload(localFile('c.json', '{}'), 'events/2026/c.json');
  await s.upload(localFile('d.csv', 'x,y\n5,6\n'), 'events/2027/d.csv');

  // one object: a file, fetched once
  let n = await server.count();
  const one = await s.fetchToLocal(`s3://${BUCKET}/proj/events/2026/a.csv`, cache);
  assert.equal(one, join(cache, BUCKET, 'proj/events/2026/a.csv'));
  assert.equal(readFileSync(one, 'utf8'), 'x,y\n1,2\n');
  assert.equal((await gets(n)).length, 1);
  n = await server.count();
  assert.equal(await s.fetchToLocal(`s3://${BUCKET}/proj/events/2026/a.csv`, cache), one);
  assert.equal((await gets(n)).length, 0, 'second call: no download');
  assert.deepEqual((await server.since(n)).map((r) => r.method), ['HEAD']);
  // changed in the store: downloaded again
  await s.upload(localFile('a2.csv', 'x,y\n9,9\n'), 'events/2026/a.csv');
  n = await server.count();
  await s.fetchToLocal(`s3://${BUCKET}/proj/events/2026/a.csv`, cache);
  assert.equal((await gets(n)).length, 1);
  assert.equal(readFileSync(one, 'utf8'), 'x,y\n9,9\n');

  // a glob: the same glob under the cache, matching only what matches in the store
  n = await server.count();
  const glob = await s.fetchToLocal(`s3://${BUCKET}/proj/events/*/*.csv`, cache);
  assert.equal(glob, join(cache, BUCKET, 'proj/events/*/*.csv'));
  assert.equal((await gets(n)).length, 2, 'a.csv is cached already; b.csv and d.csv are new');
  assert.equal(existsSync(join(cache, BUCKET, 'proj/events/2026/c.json')), false);
  n = await server.count();
  await s.fetchToLocal(`s3://${BUCKET}/proj/events/*/*.csv`, cache);
  assert.equal((await gets(n)).length, 0, 'second call: listing only');
  // deleted in the store: gone from the cache
  const sdk = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: TEST_KEY });
  await sdk.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'proj/events/2027/d.csv' }));
  sdk.destroy();
  await s.fetchToLocal(`s3://${BUCKET}/proj/events/*/*.csv`, cache);
  assert.equal(existsSync(join(cache, BUCKET, 'proj/events/2027/d.csv')), false);
  assert.ok(existsSync(join(cache, BUCKET, 'proj/events/2026/b.csv')));

  // a prefix: a folder holding everything under it; notes are kept outside the mirror
  n = await server.count();
  const folder = await s.fetchToLocal(`s3://${BUCKET}/proj/events/2026/`, cache);
  assert.equal(folder, join(cache, BUCKET, 'proj/events/2026'));
  assert.deepEqual(readdirSync(folder).sort(), ['a.csv', 'b.csv', 'c.json']);
  assert.equal((await gets(n)).length, 1, 'only c.json was not cached');
  assert.ok(existsSync(join(cache, CACHE_META_DIR, BUCKET, 'proj/events/2026/a.csv.json')));

  // another bucket through the same connection; local paths pass through
  await s.forBucket('other-bucket').upload(localFile('o.txt', 'other'), 'o.txt');
  assert.equal(readFileSync(await s.fetchToLocal('s3://other-bucket/o.txt', cache), 'utf8'), 'other');
  assert.equal(await s.fetchToLocal('data/train.parquet', cache), 'data/train.parquet');
  await failure(s.fetchToLocal(`s3://${BUCKET}/proj/events/nothing.csv`, cache), 'not-found', /does not exist/);
  await failure(s.fetchToLocal(`s3://${BUCKET}/proj/events/*.parquet`, cache), 'not-found', /no object matches/);

  // the drift engine's signature, from a local store whose s3:// sources use slipway.yaml's endpoint
  const local = artifactStoreFor({ uri: './artifacts', endpoint: url, region: 'us-east-1' }, { baseDir: dir, credentials: () => TEST_KEY });
  stores.push(local);
  const fetch = fetcherFor(local, join(dir, 'cache2'));
  assert.equal(readFileSync(await fetch(`s3://${BUCKET}/proj/events/2026/b.csv`), 'utf8'), 'x,y\n3,4\n');
  await failure(fetch(`s3://${BUCKET}/proj/events/2026/b.csv`, AbortSignal.abort()), 'cancelled');
});
