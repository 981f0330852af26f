// A minimal Docker Registry HTTP API v2 with basic auth, enough for `docker push` (blob
// uploads, manifests): lets the tests push through the real Docker Engine with real
// credentials, on a machine that reaches no registry. 127.0.0.1 is an insecure registry to
// the engine by default, so plain HTTP is used.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface TestRegistry {
  readonly host: string;
  readonly port: number;
  /** repository:tag → manifest JSON */
  readonly manifests: Map<string, { contentType: string; body: Buffer }>;
  readonly blobs: Map<string, Buffer>;
  /** every Authorization the engine sent, decoded (user:password) */
  readonly logins: string[];
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export async function startTestRegistry(username: string, password: string): Promise<TestRegistry> {
  const manifests = new Map<string, { contentType: string; body: Buffer }>();
  const blobs = new Map<string, Buffer>();
  const uploads = new Map<string, Buffer[]>();
  const logins: string[] = [];
  const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) logins.push(Buffer.from(auth.slice(6), 'base64').toString('utf8'));
    if (auth !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="slipway-test"', 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    }
    if (url.pathname === '/v2/' || url.pathname === '/v2') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    if (upload) {
      const [, name, id] = upload;
      if (req.method === 'POST') {
        const uuid = randomUUID();
        uploads.set(uuid, []);
        return res.writeHead(202, { Location: `/v2/${name}/blobs/uploads/${uuid}`, 'Docker-Upload-UUID': uuid, Range: '0-0', 'Content-Length': '0' }).end();
      }
      const parts = uploads.get(id!);
      if (!parts) return res.writeHead(404).end();
      parts.push(await body(req));
      const size = parts.reduce((n, p) => n + p.length, 0);
      if (req.method === 'PATCH') {
        return res.writeHead(202, { Location: `/v2/${name}/blobs/uploads/${id}`, 'Docker-Upload-UUID': id!, Range: `0-${Math.max(0, size - 1)}`, 'Content-Length': '0' }).end();
      }
      if (req.method === 'PUT') {
        const blob = Buffer.concat(parts);
        const digest = url.searchParams.get('digest') ?? '';
        if (digestOf(blob) !== digest) return res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: 'digest mismatch' }] }));
        blobs.set(digest, blob);
        uploads.delete(id!);
        return res.writeHead(201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': '0' }).end();
      }
    }
    const blob = /^\/v2\/(.+)\/blobs\/(sha256:[a-f0-9]+)$/.exec(url.pathname);
    if (blob) {
      const b = blobs.get(blob[2]!);
      if (!b) return res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown' }] }));
      res.writeHead(200, { 'Content-Length': String(b.length), 'Docker-Content-Digest': blob[2]!, 'Content-Type': 'application/octet-stream' });
      return res.end(req.method === 'HEAD' ? undefined : b);
    }
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest) {
      const key = `${manifest[1]}:${manifest[2]}`;
      if (req.method === 'PUT') {
        const b = await body(req);
        const digest = digestOf(b);
        const entry = { contentType: String(req.headers['content-type'] ?? 'application/json'), body: b };
        manifests.set(key, entry);
        manifests.set(`${manifest[1]}:${digest}`, entry);
        return res.writeHead(201, { Location: `/v2/${manifest[1]}/manifests/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': '0' }).end();
      }
      const m = manifests.get(key);
      if (!m) return res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
      res.writeHead(200, { 'Content-Type': m.contentType, 'Docker-Content-Digest': digestOf(m.body), 'Content-Length': String(m.body.length) });
      return res.end(req.method === 'HEAD' ? undefined : m.body);
    }
    return res.writeHead(404).end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    manifests,
    blobs,
    logins,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
