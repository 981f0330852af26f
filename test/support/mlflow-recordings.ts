/**
 * The MLflow REST recordings (test/fixtures/mlflow-rest), and a replay server that answers a
 * request with the recorded response of the matching recording (method, path, query, body).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

export interface Recording {
  readonly file: string;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly query: Readonly<Record<string, readonly string[]>> | null;
    readonly raw_path: string;
    readonly body: unknown;
    readonly headers?: Readonly<Record<string, string>>;
  };
  readonly status: number;
  readonly response_headers: Readonly<Record<string, string>>;
  readonly response_kind: 'json' | 'text' | 'base64';
  readonly response: unknown;
}

/** test/fixtures/mlflow-rest, from the repo root (the tests' cwd) or above the bundled test file. */
export function recordingsDir(): string {
  const candidates = [resolve('test/fixtures/mlflow-rest')];
  for (let d = __dirname, i = 0; i < 6; d = dirname(d), i++) candidates.push(join(d, 'test/fixtures/mlflow-rest'));
  const found = candidates.find((c) => existsSync(join(c, 'index.json')));
  if (!found) throw new Error(`test/fixtures/mlflow-rest not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Every recording, in index.json order. */
export function loadRecordings(dir = recordingsDir()): Recording[] {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { file: string }[];
  return index.map((e) => ({ file: e.file, ...(JSON.parse(readFileSync(join(dir, e.file), 'utf8')) as Omit<Recording, 'file'>) }));
}

/** The recorded response body as bytes. */
export function recordedBody(r: Recording): Buffer {
  if (r.response_kind === 'base64') return Buffer.from(String(r.response), 'base64');
  if (r.response_kind === 'text') return Buffer.from(String(r.response), 'utf8');
  return Buffer.from(JSON.stringify(r.response), 'utf8');
}

function queryPairs(q: URLSearchParams): string[] {
  return [...q].map(([k, v]) => `${k}=${v}`).sort();
}

/**
 * Serves recordings: the one matching each request, or — while `force` is set — that one
 * whatever was asked. Unmatched requests get 599 and are listed in `misses`.
 */
export class ReplayServer {
  readonly misses: string[] = [];
  readonly hits: string[] = [];
  force?: Recording;
  private server?: Server;

  constructor(private readonly recordings: readonly Recording[]) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const url = new URL(req.url ?? '/', 'http://replay');
        const rec = this.force ?? this.find(req.method ?? 'GET', url, body);
        if (!rec) {
          this.misses.push(`${req.method} ${req.url} ${body}`);
          res.writeHead(599, { 'content-type': 'text/plain' });
          res.end(`no recording for ${req.method} ${req.url}`);
          return;
        }
        this.hits.push(rec.file);
        const payload = recordedBody(rec);
        const headers: Record<string, string> = {};
        for (const h of ['content-type', 'content-disposition', 'www-authenticate']) if (rec.response_headers[h]) headers[h] = rec.response_headers[h]!;
        if (!rec.response_headers['transfer-encoding']) headers['content-length'] = String(payload.length);
        res.writeHead(rec.status, headers);
        res.end(payload);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private find(method: string, url: URL, body: string): Recording | undefined {
    const pairs = queryPairs(url.searchParams);
    return this.recordings.find((r) => {
      if (r.request.method !== method) return false;
      const rec = new URL(r.request.raw_path, 'http://replay');
      if (decodeURIComponent(rec.pathname) !== decodeURIComponent(url.pathname)) return false;
      if (!isDeepStrictEqual(queryPairs(rec.searchParams), pairs)) return false;
      const want = r.request.body;
      if (want === null || want === undefined) return body === '';
      if (typeof want === 'string') return want === body;
      try {
        return isDeepStrictEqual(JSON.parse(body), want);
      } catch {
        return false;
      }
    });
  }
}
