/**
 * A stand-in for `mlflow server` (3.11, sqlite backend, --artifacts-destination), stateful,
 * on 127.0.0.1 and a free port. It answers the REST endpoints Slipway uses the way the real
 * server does (test/fixtures/mlflow-rest; test/unit/mlflow-contract.test.ts keeps it honest),
 * including the traps: HTML pages for 404/405/500, 403 text for a foreign Host or Origin,
 * `{}` for a malformed JSON body, metric history looping without max_results.
 *
 *   const server = new MlflowStandin().seed(recordedSeed());
 *   const url = await server.start();        // http://127.0.0.1:<port>
 *   const undo = server.inject({ fault: { kind: 'delay', ms: 500 }, match: '/runs/search', times: 1 });
 *   await server.stop();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { executeGraphql } from './mlflow-graphql';
import { ApiError, MlflowStore, errorReply, type ApiRequest, type Reply, type SeedData, type StoreOptions } from './mlflow-standin-store';

export type { SeedData, SeedExperiment, SeedRun, SeedLoggedModel, SeedRegisteredModel, SeedModelVersion, SeedMetricPoint } from './mlflow-standin-store';
export { MlflowStore, pageToken, artifactKey } from './mlflow-standin-store';
export { recordedSeed, syntheticSeed, RUN, MODEL, type SyntheticOptions } from './mlflow-seed';

/** Werkzeug's pages, byte for byte. */
export const HTML = {
  404: '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n',
  405: '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n<p>The method is not allowed for the requested URL.</p>\n',
  500: '<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n',
} as const;

export const UNAUTHENTICATED_TEXT =
  'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.';

export type Fault =
  /** wait, then answer normally */
  | { readonly kind: 'delay'; readonly ms: number }
  /** drop the connection without an answer */
  | { readonly kind: 'close' }
  /** Werkzeug's 500 page */
  | { readonly kind: 'html500' }
  /** send the headers and `afterBytes` of the body, then nothing more */
  | { readonly kind: 'stall'; readonly afterBytes?: number }
  /** what MLflow's basic-auth app answers: 401 (not authenticated) or 403 (permission denied) */
  | { readonly kind: 'auth'; readonly status?: 401 | 403 }
  /** any answer */
  | { readonly kind: 'reply'; readonly status: number; readonly contentType: string; readonly body: string };

export interface FaultRule {
  readonly fault: Fault;
  /** a path substring, a regex on `METHOD path`, or a predicate; default: every request */
  readonly match?: string | RegExp | ((r: { method: string; path: string }) => boolean);
  /** how many requests it applies to; default: until removed */
  readonly times?: number;
}

export interface SeenRequest {
  readonly method: string;
  /** path with query string, as sent */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface StandinOptions extends StoreOptions {
  readonly host?: string;
  readonly port?: number;
  /** require these credentials (bearer token, or basic user/password), as `mlflow server --app-name basic-auth` */
  readonly auth?: StandinAuth;
  /** Host header names accepted besides localhost/127.0.0.1/[::1]; '*' accepts any */
  readonly allowedHosts?: readonly string[] | '*';
  /** how many requests `requests` keeps (default 1000) */
  readonly keepRequests?: number;
}

export interface StandinAuth {
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1', '0.0.0.0']);
/** only under /ajax-api in MLflow */
const AJAX_ONLY = [/^\/api\/2\.0\/mlflow\/metrics\/get-history-bulk-interval$/, /^\/api\/2\.0\/mlflow\/logged-models\/[^/]+\/artifacts\/files$/];

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0]!.toLowerCase();
}

function isLocalOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    return LOCAL_HOSTS.has(u.hostname) || u.hostname === '[::1]';
  } catch {
    return false;
  }
}

export class MlflowStandin {
  readonly store: MlflowStore;
  /** the latest requests, oldest first */
  readonly requests: SeenRequest[] = [];
  private server?: Server;
  private baseUrl?: string;
  private rules: { rule: FaultRule; left: number }[] = [];
  private auth?: StandinAuth;

  constructor(private readonly options: StandinOptions = {}) {
    this.store = new MlflowStore(options);
    this.auth = options.auth;
  }

  /** Adds data; chainable. */
  seed(data: SeedData): this {
    this.store.seed(data);
    return this;
  }

  /** Starts listening; resolves with the base URL. */
  async start(): Promise<string> {
    if (this.baseUrl) return this.baseUrl;
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.baseUrl = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
    return this.baseUrl;
  }

  get url(): string {
    if (!this.baseUrl) throw new Error('MlflowStandin: start() first');
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.baseUrl = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Makes requests fail (see Fault); returns a function that removes the rule. */
  inject(rule: FaultRule | Fault): () => void {
    const r: FaultRule = 'fault' in rule ? rule : { fault: rule };
    const entry = { rule: r, left: r.times ?? Infinity };
    this.rules.push(entry);
    return () => {
      this.rules = this.rules.filter((x) => x !== entry);
    };
  }

  clearFaults(): void {
    this.rules = [];
  }

  /** Require credentials from now on (undefined: none). */
  setAuth(auth: StandinAuth | undefined): void {
    this.auth = auth;
  }

  private takeFault(method: string, path: string): Fault | undefined {
    for (const entry of this.rules) {
      const m = entry.rule.match;
      const hit = m === undefined ? true : typeof m === 'string' ? path.includes(m) : m instanceof RegExp ? m.test(`${method} ${path}`) : m({ method, path });
      if (!hit || entry.left <= 0) continue;
      entry.left--;
      if (entry.left <= 0) this.rules = this.rules.filter((x) => x !== entry);
      return entry.rule.fault;
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const rawBody = Buffer.concat(chunks);
      const method = (req.method ?? 'GET').toUpperCase();
      const url = new URL(req.url ?? '/', 'http://standin');
      const keep = this.options.keepRequests ?? 1000;
      if (keep > 0) {
        this.requests.push({ method, url: req.url ?? '/', headers: { ...req.headers }, body: rawBody.length > 64 * 1024 ? `<${rawBody.length} bytes>` : rawBody.toString('utf8') });
        if (this.requests.length > keep) this.requests.splice(0, this.requests.length - keep);
      }
      let fault = this.takeFault(method, url.pathname);
      while (fault?.kind === 'delay') {
        await new Promise((r) => setTimeout(r, fault && fault.kind === 'delay' ? fault.ms : 0));
        fault = this.takeFault(method, url.pathname);
      }
      if (fault) return this.applyFault(fault, req, res);
      this.send(res, this.answer(method, url, rawBody, req));
    } catch (e) {
      if (!res.headersSent) this.send(res, { status: 500, text: HTML[500], contentType: 'text/html; charset=utf-8' });
      else res.destroy(e as Error);
    }
  }

  private applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'close':
        req.socket.destroy();
        return;
      case 'html500':
        return this.send(res, { status: 500, text: HTML[500], contentType: 'text/html; charset=utf-8' });
      case 'auth':
        return this.send(res, this.authReply(fault.status ?? 401));
      case 'reply':
        return this.send(res, { status: fault.status, text: fault.body, contentType: fault.contentType });
      case 'stall': {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String((fault.afterBytes ?? 0) + 1_000_000) });
        res.write(Buffer.alloc(fault.afterBytes ?? 0, 0x61));
        return;
      }
      default:
        return;
    }
  }

  private authReply(status: 401 | 403): Reply {
    return status === 401
      ? { status: 401, text: UNAUTHENTICATED_TEXT, contentType: 'text/plain', headers: { 'www-authenticate': 'Basic realm="mlflow"' } }
      : { status: 403, text: 'Permission denied', contentType: 'text/plain' };
  }

  private authorized(header: string | undefined): boolean {
    const a = this.auth;
    if (!a) return true;
    if (!header) return false;
    if (a.token !== undefined && header === `Bearer ${a.token}`) return true;
    if (a.username !== undefined && header.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':');
      return user === a.username && rest.join(':') === (a.password ?? '');
    }
    return false;
  }

  /** The whole answer to one request. */
  private answer(method: string, url: URL, rawBody: Buffer, req: IncomingMessage): Reply {
    const html = (status: 404 | 405 | 500): Reply => ({ status, text: HTML[status], contentType: 'text/html; charset=utf-8' });
    const text = (status: number, body: string, contentType = 'text/plain'): Reply => ({ status, text: body, contentType });
    // the security middleware runs before everything else
    const allowed = this.options.allowedHosts;
    const host = hostnameOf(String(req.headers.host ?? ''));
    if (allowed !== '*' && !LOCAL_HOSTS.has(host) && !(allowed ?? []).map((h) => h.toLowerCase()).includes(host)) {
      return { ...text(403, 'Invalid Host header - possible DNS rebinding attack detected'), chunked: true };
    }
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (method === 'OPTIONS') {
      if (origin && !isLocalOrigin(origin)) return { ...text(403, 'Cross-origin request blocked'), chunked: true };
      return {
        ...text(200, 'OK', 'text/plain; charset=utf-8'),
        headers: origin ? { 'access-control-allow-origin': origin, 'access-control-allow-methods': 'DELETE, GET, OPTIONS, PATCH, POST, PUT', 'access-control-allow-headers': 'content-type' } : {},
      };
    }
    if (origin && !isLocalOrigin(origin) && !['GET', 'HEAD'].includes(method)) return { ...text(403, 'Cross-origin request blocked'), chunked: true };

    const path = url.pathname;
    if (path === '/health') return text(200, 'OK', 'text/html; charset=utf-8');
    if (path === '/version') return text(200, this.store.version, 'text/html; charset=utf-8');
    if (!this.authorized(typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined)) return this.authReply(401);

    const ajax = path.startsWith('/ajax-api/');
    const apiPath = ajax ? `/api/${path.slice('/ajax-api/'.length)}` : path;
    if (!ajax && AJAX_ONLY.some((re) => re.test(apiPath))) return html(404);
    const contentType = String(req.headers['content-type'] ?? '');
    let body: Record<string, unknown> = {};
    if (rawBody.length && !apiPath.startsWith('/api/2.0/mlflow-artifacts/')) {
      try {
        const parsed: unknown = JSON.parse(rawBody.toString('utf8'));
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        body = {}; // MLflow reads a malformed body as no parameters
      }
    }
    if (path === '/graphql') {
      if (method !== 'POST' && method !== 'GET') return html(405);
      return { status: 200, json: executeGraphql(method === 'GET' ? { query: url.searchParams.get('query') ?? '' } : body, this.graphqlResolvers(req)) };
    }
    const handler = this.store.route(method, apiPath);
    if (!handler) return html(404);
    if (handler === 'method') return html(405);
    const request: ApiRequest = { method, path: apiPath, rawPath: path, query: url.searchParams, body, rawBody, headers: req.headers };
    try {
      if ((method === 'POST' || method === 'PUT') && apiPath.startsWith('/api/') && !apiPath.startsWith('/api/2.0/mlflow-artifacts/')) {
        if (!contentType) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.');
        if (contentType.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
          throw new ApiError(400, 'INVALID_PARAMETER_VALUE', "Bad Request. Content-Type must be one of ['application/json'].");
        }
      }
      return handler(request);
    } catch (e) {
      if (e instanceof ApiError) return errorReply(e);
      return html(500);
    }
  }

  private graphqlResolvers(req: IncomingMessage) {
    const call = (method: string, path: string, params: Record<string, unknown>): unknown => {
      const handler = this.store.route(method, path);
      if (!handler || handler === 'method') throw new Error(`no ${method} ${path}`);
      const query = new URLSearchParams();
      if (method === 'GET') for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined && x !== null) query.append(k, String(x));
      const reply = handler({ method, path, rawPath: path, query, body: method === 'GET' ? {} : params, rawBody: Buffer.alloc(0), headers: req.headers });
      return reply.json;
    };
    const wrap = (f: () => unknown): unknown => {
      try {
        return f();
      } catch (e) {
        if (e instanceof ApiError) return { apiError: { code: e.errorCode, message: e.message } };
        throw e;
      }
    };
    return {
      mlflowGetExperiment: (i: Record<string, unknown>) => wrap(() => call('GET', '/api/2.0/mlflow/experiments/get', { experiment_id: i.experimentId })),
      mlflowGetRun: (i: Record<string, unknown>) => wrap(() => call('GET', '/api/2.0/mlflow/runs/get', { run_id: i.runId })),
      mlflowSearchRuns: (i: Record<string, unknown>) =>
        wrap(() =>
          call('POST', '/api/2.0/mlflow/runs/search', {
            experiment_ids: i.experimentIds,
            filter: i.filter,
            max_results: i.maxResults,
            order_by: i.orderBy,
            page_token: i.pageToken,
            run_view_type: i.runViewType,
          }),
        ),
      mlflowListArtifacts: (i: Record<string, unknown>) => wrap(() => call('GET', '/api/2.0/mlflow/artifacts/list', { run_id: i.runId, path: i.path })),
    };
  }

  private send(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    let payload: Uint8Array;
    if (reply.json !== undefined) {
      payload = Buffer.from(JSON.stringify(reply.json), 'utf8');
      headers['content-type'] = reply.contentType ?? 'application/json';
    } else if (reply.bytes !== undefined) {
      payload = reply.bytes;
      headers['content-type'] = reply.contentType ?? 'application/octet-stream';
    } else {
      payload = Buffer.from(reply.text ?? '', 'utf8');
      headers['content-type'] = reply.contentType ?? 'text/plain';
    }
    if (!reply.chunked) {
      headers['content-length'] = String(payload.length);
      res.writeHead(reply.status, headers);
      res.end(payload);
      return;
    }
    res.writeHead(reply.status, headers);
    // stream in chunks, minding back-pressure, as the artifact proxy does
    const CHUNK = 64 * 1024;
    let offset = 0;
    const pump = (): void => {
      while (offset < payload.length) {
        const piece = payload.subarray(offset, offset + CHUNK);
        offset += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  }
}
