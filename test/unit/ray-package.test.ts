/**
 * The pieces of the Ray runner that need no cluster: the working_dir package, the shell quoting
 * of the entrypoint, and how RayJobsClient fails (timeouts, cancellation, wrong servers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { rayEntrypoint, scriptInPackage, shellQuote } from '../../src/core/training/ray/entrypoint';
import { pythonErrorLine, RayError } from '../../src/core/training/ray/errors';
import { describeExclusions, PackageError, packageProject } from '../../src/core/training/ray/package';
import { packageUriParts, parseRayAddress, RayJobsClient, uploadTimeoutMs } from '../../src/core/training/ray/RayJobsClient';

async function tree(files: Record<string, string | Buffer>): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-pkg-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

test('the package is content-addressed and deterministic: same tree, same bytes and name', async () => {
  const a = await tree({ 'src/train.py': 'print(1)\n', 'data/x.csv': 'a,b\n1,2\n', 'README.md': '# p\n' });
  const b = await tree({ 'README.md': '# p\n', 'data/x.csv': 'a,b\n1,2\n', 'src/train.py': 'print(1)\n' });
  try {
    const p1 = await packageProject(a.dir);
    await utimes(join(a.dir, 'src/train.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const p2 = await packageProject(a.dir);
    const p3 = await packageProject(b.dir);
    assert.match(p1.name, /^_ray_pkg_[0-9a-f]{16}\.zip$/);
    assert.equal(p1.uri, `gcs://${p1.name}`);
    assert.deepEqual(Buffer.from(p2.bytes), Buffer.from(p1.bytes), 'mtimes do not matter');
    assert.equal(p3.name, p1.name, 'another folder with the same files: the same package');
    assert.deepEqual(p1.files.map((f) => f.path), ['README.md', 'data/x.csv', 'src/train.py'], 'sorted');
    await writeFile(join(a.dir, 'src/train.py'), 'print(2)\n');
    assert.notEqual((await packageProject(a.dir)).name, p1.name, 'a changed file: a new package');
    await chmod(join(a.dir, 'src/train.py'), 0o755);
    const exec = await packageProject(a.dir);
    const entries = unzipSync(exec.bytes);
    assert.deepEqual(Object.keys(entries), ['README.md', 'data/x.csv', 'src/train.py']);
    assert.equal(new TextDecoder().decode(entries['src/train.py']), 'print(2)\n');
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

test('left out: .git, node_modules, .venv, __pycache__, .gitignore (root and nested, with !negation), .rayignore, large files, linked folders', async () => {
  const t = await tree({
    '.gitignore': 'artifacts/\n*.log\n!keep.log\n/mlflow.db\n',
    '.git/HEAD': 'ref: x\n',
    '.venv/bin/python': '',
    'node_modules/a/index.js': '',
    'src/__pycache__/m.pyc': '',
    'src/train.py': 'print(1)\n',
    'src/debug.log': 'x',
    'src/keep.log': 'kept',
    'artifacts/model.onnx': 'm',
    'mlflow.db': 'db',
    'sub/mlflow.db': 'not anchored: kept',
    'data/.gitignore': '*.parquet\n!small.parquet\n',
    'data/big.parquet': 'p',
    'data/small.parquet': 's',
    'data/huge.csv': Buffer.alloc(2048, 1),
    '.rayignore': 'notebooks/\n',
    'notebooks/a.ipynb': '{}',
  });
  try {
    await mkdir(join(t.dir, 'outside'));
    await symlink(join(t.dir, 'outside'), join(t.dir, 'linked'));
    await symlink(join(t.dir, 'src', 'train.py'), join(t.dir, 'train_link.py'));
    const pkg = await packageProject(t.dir, { maxFileBytes: 1024, exclude: ['/outside/'] });
    assert.deepEqual(pkg.files.map((f) => f.path), ['.gitignore', '.rayignore', 'data/.gitignore', 'data/small.parquet', 'src/keep.log', 'src/train.py', 'sub/mlflow.db', 'train_link.py']);
    assert.deepEqual(
      pkg.excluded.map((e) => [e.path, e.reason, e.detail]),
      [
        ['.git/', 'git', undefined],
        ['.venv/', 'default', undefined],
        ['artifacts/', 'gitignore', '.gitignore: artifacts/'],
        ['data/big.parquet', 'gitignore', 'data/.gitignore: *.parquet'],
        ['data/huge.csv', 'too-large', '2.0 KiB > 1.0 KiB'],
        ['linked/', 'symlink', 'a symbolic link to a folder'],
        ['mlflow.db', 'gitignore', '.gitignore: /mlflow.db'],
        ['node_modules/', 'default', undefined],
        ['notebooks/', 'rayignore', '.rayignore: notebooks/'],
        ['outside/', 'pattern', 'excluded by Slipway: /outside/'],
        ['src/__pycache__/', 'default', undefined],
        ['src/debug.log', 'gitignore', '.gitignore: *.log'],
      ],
    );
    assert.match(describeExclusions(pkg.excluded, 3), /^\.git\/ \(git metadata\), \.venv\/ \(never uploaded\), artifacts\/ \(\.gitignore\), and 9 more$/);
  } finally {
    await t.cleanup();
  }
});

test('a package over the total cap, or with nothing in it, is refused with what to do', async () => {
  const t = await tree({ 'a.bin': randomBytes(4096), 'train.py': 'print(1)\n' }); // random: does not compress
  try {
    await assert.rejects(packageProject(t.dir, { maxPackageBytes: 1000 }), (e: unknown) => e instanceof PackageError && e.kind === 'too-large' && /zips to more than 1000 B.*Largest files: a\.bin \(4\.0 KiB\).*\.gitignore or \.rayignore/.test(e.message));
    await writeFile(join(t.dir, '.gitignore'), '*\n');
    await assert.rejects(packageProject(t.dir), (e: unknown) => e instanceof PackageError && e.kind === 'empty');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(packageProject(t.dir, { signal: controller.signal }), (e: unknown) => e instanceof PackageError && e.kind === 'cancelled');
  } finally {
    await t.cleanup();
  }
});

test("Python's zipfile (what Ray unpacks with) reads the package, modes included", { skip: !process.env.SLIPWAY_PYTHON && 'SLIPWAY_PYTHON is not set' }, async () => {
  const t = await tree({ 'run.sh': '#!/bin/sh\necho hi\n', 'src/ünïcode name.py': 'print("ü")\n' });
  try {
    await chmod(join(t.dir, 'run.sh'), 0o755);
    const pkg = await packageProject(t.dir);
    await writeFile(join(t.dir, '..', `${pkg.name}`), pkg.bytes);
    const out = execFileSync(process.env.SLIPWAY_PYTHON!, ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): print(i.filename, oct(i.external_attr >> 16), i.date_time)', join(t.dir, '..', pkg.name)], { encoding: 'utf8' });
    assert.equal(out, "run.sh 0o100755 (1980, 1, 1, 0, 0, 0)\nsrc/ünïcode name.py 0o100644 (1980, 1, 1, 0, 0, 0)\n");
    await rm(join(t.dir, '..', pkg.name));
  } finally {
    await t.cleanup();
  }
});

test('shellQuote makes any argument inert for /bin/sh -c, as Ray runs the entrypoint', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-quote-'));
  try {
    const hostile = ['plain', '', ' ', "it's", '"double"', '$(touch pwned)', '`touch pwned`', 'a;touch pwned', 'a&&touch pwned', 'a|tee pwned', '>pwned', '*', '~', '$HOME', '${PATH}', 'line\nbreak', '\\', "'\\''", '--x=1', 'VAR=1', '#comment', 'ünïcode ✓', '\t\r'];
    const command = ['printf', '%s\\0', ...hostile].map(shellQuote).join(' ');
    const out = spawnSync('/bin/sh', ['-c', command], { cwd: dir, encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(out.stdout.split('\0').slice(0, -1), hostile);
    assert.deepEqual(execFileSync('ls', ['-A', dir], { encoding: 'utf8' }), '', 'no file was created');
    assert.equal(shellQuote('src/train.py'), 'src/train.py');
    assert.equal(shellQuote('VAR=1'), "'VAR=1'", 'never read as an assignment');
    assert.throws(() => shellQuote('a\0b'), /NUL/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the entrypoint: python, the script inside the package, --key value; scripts outside the project are refused', () => {
  assert.equal(rayEntrypoint('python', 'src/train.py', { n_estimators: 100, name: 'a b', flag: true }), "python src/train.py --n_estimators 100 --name 'a b' --flag true");
  assert.equal(rayEntrypoint('/opt/py env/bin/python', './train.py', {}), "'/opt/py env/bin/python' train.py");
  assert.equal(scriptInPackage('src\\train.py'), 'src/train.py');
  assert.throws(() => scriptInPackage('../train.py'), /outside the project folder/);
  assert.throws(() => scriptInPackage('/abs/train.py'), /outside the project folder/);
});

test('Ray addresses and package URIs', () => {
  assert.equal(parseRayAddress('127.0.0.1:8265').display, 'http://127.0.0.1:8265');
  assert.equal(parseRayAddress(' https://ray.example.com/proxy/ ').display, 'https://ray.example.com/proxy');
  assert.throws(() => parseRayAddress('ray://head:10001'), /Ray Client address.*http:\/\/head:8265/);
  assert.throws(() => parseRayAddress('ftp://x'), /not an http\(s\) URL/);
  assert.equal(new RayJobsClient({ address: 'https://ray.example.com/proxy' }).logTailUrl('slipway-1').toString(), 'wss://ray.example.com/proxy/api/jobs/slipway-1/logs/tail');
  assert.equal(new RayJobsClient({ address: 'http://127.0.0.1:8265/' }).logTailUrl('a b').toString(), 'ws://127.0.0.1:8265/api/jobs/a%20b/logs/tail');
  assert.deepEqual(packageUriParts('gcs://_ray_pkg_0123456789abcdef.zip'), ['gcs', '_ray_pkg_0123456789abcdef.zip']);
  assert.throws(() => packageUriParts('gcs://../x'), /not a Ray package URI/);
  assert.equal(uploadTimeoutMs(0), 30_000);
  assert.equal(uploadTimeoutMs(100 * 1024 * 1024), 130_000, 'uploads: 1 s more per MiB');
});

test('pythonErrorLine: the exception line of a traceback, a sentence as it is', () => {
  assert.equal(pythonErrorLine('Job x does not exist'), 'Job x does not exist');
  assert.equal(pythonErrorLine('Traceback (most recent call last):\n  File "a.py", line 1, in f\n    raise KeyError(k)\nKeyError: \'k\'\n'), "KeyError: 'k'");
  assert.equal(pythonErrorLine('Traceback (most recent call last):\n  File "a.py", line 1\nray.exceptions.RaySystemError: System error: boom\n.\n'), 'ray.exceptions.RaySystemError: System error: boom');
});

async function server(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; close(): Promise<void> }> {
  const s: Server = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: async () => {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    },
  };
}

test('RayJobsClient: a silent server times out, a cancelled call says so, a wrong server is named', async () => {
  const silent = await server(() => {});
  const aiohttp404 = await server((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404: Not Found');
  });
  const html = await server((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Grafana</title>');
  });
  const wrongShape = await server((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status": "DONE"}');
  });
  try {
    const t0 = Date.now();
    await assert.rejects(new RayJobsClient({ address: silent.url, timeoutMs: 300 }).get('x'), (e: unknown) => e instanceof RayError && e.kind === 'timeout' && /did not answer GET \/api\/jobs\/x within 0\.3 s/.test(e.message));
    assert.ok(Date.now() - t0 < 2000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(new RayJobsClient({ address: silent.url }).list({ signal: controller.signal }), (e: unknown) => e instanceof RayError && e.kind === 'cancelled');
    await assert.rejects(new RayJobsClient({ address: silent.url, timeoutMs: 300 }).openLogTail('x', () => {}), (e: unknown) => e instanceof RayError && e.kind === 'timeout', 'the WebSocket handshake has the same timeout');
    await assert.rejects(new RayJobsClient({ address: aiohttp404.url }).get('x'), (e: unknown) => e instanceof RayError && e.kind === 'protocol' && /has no GET \/api\/jobs\/x \(HTTP 404\): is training\.targets\.ray\.address the Ray dashboard/.test(e.message));
    await assert.rejects(new RayJobsClient({ address: html.url }).get('x'), (e: unknown) => e instanceof RayError && e.kind === 'protocol' && /with an HTML page \(HTTP 200\) instead of JSON/.test(e.message));
    await assert.rejects(new RayJobsClient({ address: wrongShape.url }).get('x'), (e: unknown) => e instanceof RayError && e.kind === 'protocol' && /unexpected shape \(status "DONE"\)/.test(e.message));
    await assert.rejects(new RayJobsClient({ address: 'http://ray-head.invalid:8265' }).get('x'), (e: unknown) => e instanceof RayError && e.kind === 'unreachable' && /not reachable \(host not found\): is training\.targets\.ray\.address the dashboard of a running cluster/.test(e.message));
  } finally {
    await Promise.all([silent, aiohttp404, html, wrongShape].map((s) => s.close()));
  }
});
