/**
 * A tiny HTTP server that answers like S3 where s3rver cannot: SigV4 signature errors
 * (s3rver does not check SigV4 signatures), listings naming keys that a real server would not
 * store for us (`../../evil`: s3rver keeps objects as files and would write it outside its
 * folder), and bodies that stall part way (timeouts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubAnswer =
  | { readonly status: number; readonly body?: string | Buffer; readonly headers?: Readonly<Record<string, string>> }
  /** send the headers (content-length: total) and `send` bytes, then nothing more */
  | { readonly stall: { readonly total: number; readonly send: number } }
  /** never answer */
  | { readonly hang: true };

export type StubHandler = (req: { method: string; path: string; query: URLSearchParams }) => StubAnswer;

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** S3's XML error body. */
export function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>stub</RequestId></Error>`;
}

export const errorAnswer = (status: number, code: string, message: string): StubAnswer => ({ status, body: s3ErrorXml(code, message), headers: { 'content-type': 'application/xml' } });

/** A ListObjectsV2 answer naming these keys. */
export function listXml(bucket: string, prefix: string, keys: readonly { key: string; size: number }[]): StubAnswer {
  const contents = keys
    .map((k) => `<Contents><Key>${xmlEscape(k.key)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>"0"</ETag><Size>${k.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`)
    .join('');
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${keys.length}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`;
  return { status: 200, body, headers: { 'content-type': 'application/xml' } };
}

export class S3Stub {
  readonly requests: { method: string; url: string }[] = [];
  private server?: Server;
  private readonly open = new Set<ServerResponse>();

  constructor(public handler: StubHandler) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const r of this.open) r.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://stub');
      const answer = this.handler({ method: req.method ?? '', path: decodeURIComponent(u.pathname), query: u.searchParams });
      if ('hang' in answer) {
        this.open.add(res);
        res.on('close', () => this.open.delete(res));
        return;
      }
      if ('stall' in answer) {
        this.open.add(res);
        res.on('close', () => this.open.delete(res));
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(answer.stall.total), etag: '"stall"' });
        res.write(Buffer.alloc(answer.stall.send, 1));
        return;
      }
      const body = answer.body ?? '';
      res.writeHead(answer.status, { 'content-length': String(Buffer.byteLength(body)), ...answer.headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  }
}
