/**
 * A real S3-compatible HTTP server for tests: s3rver (npm), which speaks S3's REST protocol
 * (ListObjectsV2 with continuation tokens, multipart uploads, XML errors) on a temp folder.
 * MinIO is not installable here.
 *
 * It runs in a child Node process started with --openssl-legacy-provider: s3rver encrypts its
 * continuation tokens with DES, which OpenSSL 3 (Node >= 17) only offers from the legacy
 * provider; in the test process itself every paged listing would answer 500.
 *
 * What s3rver checks: the access key id must be registered (else 403 InvalidAccessKeyId, as
 * S3); the default pair is S3RVER/S3RVER and start() adds TEST_KEY. It verifies SigV2
 * signatures only: the AWS SDK v3 signs with SigV4, whose signature s3rver does not compute, so
 * a wrong *secret* key is accepted. Tests of SignatureDoesNotMatch use S3Stub (s3-stub.ts).
 * Known gap: a one-level listing (delimiter `/`) misses a folder that holds only folders.
 *
 * Every request is recorded (method and URL) so tests can count what a call sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_KEY = { accessKeyId: 'slipway-test-key', secretAccessKey: 'slipway-test-secret' } as const;

export interface SeenS3Request {
  readonly method: string;
  /** path and query, as sent */
  readonly url: string;
}

type FromChild = { type: 'ready'; port: number } | { type: 'requests'; id: number; total: number; requests: SeenS3Request[] };

// the child's program: s3rver behind a plain HTTP server that records requests
const CHILD = `
const http = require('node:http');
const cfg = JSON.parse(process.env.SLIPWAY_S3RVER);
const S3rver = require(cfg.s3rver);
require(cfg.account).DUMMY_ACCOUNT.createKeyPair(cfg.key.accessKeyId, cfg.key.secretAccessKey);
const requests = [];
(async () => {
  const s3rver = new S3rver({ silent: true, directory: cfg.directory, configureBuckets: cfg.buckets.map((name) => ({ name })), vhostBuckets: false });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url });
    handle(req, res);
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));
  process.on('message', (m) => {
    if (m.type === 'requests') process.send({ type: 'requests', id: m.id, total: requests.length, requests: requests.slice(m.from) });
    if (m.type === 'stop') {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
`;

const load = createRequire(__filename);

export class S3Server {
  private child?: ChildProcess;
  private dir?: string;
  private base?: string;
  private nextId = 0;
  private readonly waiting = new Map<number, (m: { total: number; requests: SeenS3Request[] }) => void>();

  /** Starts s3rver on 127.0.0.1, a free port, a fresh temp folder, with these buckets; resolves with the endpoint URL. */
  async start(buckets: readonly string[]): Promise<string> {
    if (this.base) return this.base;
    this.dir = mkdtempSync(join(tmpdir(), 'slipway-s3rver-'));
    const config = { s3rver: load.resolve('s3rver'), account: load.resolve('s3rver/lib/models/account'), key: TEST_KEY, directory: this.dir, buckets };
    const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, SLIPWAY_S3RVER: JSON.stringify(config) },
    });
    this.child = child;
    const port = await new Promise<number>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`s3rver exited (${code}) before listening`)));
      child.once('error', reject);
      child.on('message', (m: FromChild) => {
        if (m.type === 'ready') resolve(m.port);
        else this.waiting.get(m.id)?.(m);
      });
    });
    this.base = `http://127.0.0.1:${port}`;
    return this.base;
  }

  get url(): string {
    if (!this.base) throw new Error('S3Server: start() first');
    return this.base;
  }

  private ask(from: number): Promise<{ total: number; requests: SeenS3Request[] }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (m) => {
        this.waiting.delete(id);
        resolve(m);
      });
      this.child!.send({ type: 'requests', id, from });
    });
  }

  /** How many requests the server has received. */
  async count(): Promise<number> {
    return (await this.ask(0)).total;
  }

  /** Requests received after the first n. */
  async since(n: number): Promise<SeenS3Request[]> {
    return (await this.ask(n)).requests;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.base = undefined;
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
