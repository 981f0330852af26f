/**
 * Speaks to one Ray cluster's Jobs REST API (the dashboard, usually port 8265): submit, get,
 * list, logs, follow the log over a WebSocket, stop, delete, and working-directory packages.
 * Every call has a timeout and an AbortSignal, and fails with a RayError that says what to do.
 */
import WebSocket from 'ws';
import { pythonErrorLine, RayError, type RayErrorKind } from './errors';
import { RAY_JOB_STATUSES, type RayJobDetails, type RaySubmitRequest, type RaySubmitResponse } from './types';
import { errorCodeOf, NETWORK_REASONS } from '../../netErrors';

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_ERROR_BODY = 64 * 1024;

export interface RayJobsClientOptions {
  /** training.targets.ray.address: http(s)://<head>:8265; a path prefix (behind a proxy) is kept */
  readonly address: string;
  /** per request: until the answer starts, then between chunks of it. Default 10 s. */
  readonly timeoutMs?: number;
  /** extra headers for every request (a proxy's authorization); never logged */
  readonly headers?: Readonly<Record<string, string>>;
  /** for tests; default: Node's fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** one line per request (method, path, status, ms); never headers or bodies */
  readonly log?: (line: string) => void;
}

export interface RayCallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** A log followed over the WebSocket. `closed` resolves (never rejects) when it ends. */
export interface RayLogTail {
  /** 1000 when Ray closed it at the end of the job; 1006 when the connection dropped */
  readonly closed: Promise<{ readonly code: number; readonly reason: string }>;
  close(): void;
}

/** The time an upload of `bytes` may take: 30 s plus 1 s per MiB (a slow 1 MiB/s link). */
export function uploadTimeoutMs(bytes: number): number {
  return 30_000 + Math.ceil(bytes / (1024 * 1024)) * 1000;
}

/** `127.0.0.1:8265` or `http://head:8265/` → the base URL and how to show it. */
export function parseRayAddress(address: string): { readonly base: URL; readonly display: string } {
  const trimmed = address.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new RayError('bad-request', `training.targets.ray.address ${JSON.stringify(address)} is not a URL: set it to the Ray dashboard, e.g. http://127.0.0.1:8265`);
  }
  if (url.protocol === 'ray:') {
    throw new RayError('bad-request', `training.targets.ray.address ${address} is a Ray Client address; Slipway submits through the Jobs API of the dashboard: use http://${url.hostname}:8265`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RayError('bad-request', `training.targets.ray.address ${address} is not an http(s) URL: set it to the Ray dashboard, e.g. http://127.0.0.1:8265`);
  }
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '');
  return { base: url, display: url.toString().replace(/\/$/, '') };
}

/** `gcs://_ray_pkg_x.zip` → ['gcs', '_ray_pkg_x.zip'], the two parts of /api/packages/<protocol>/<name>. */
export function packageUriParts(uri: string): [string, string] {
  const m = /^([a-z0-9]+):\/\/([A-Za-z0-9_.-]+)$/.exec(uri);
  if (!m) throw new RayError('bad-request', `${JSON.stringify(uri)} is not a Ray package URI (expected gcs://_ray_pkg_<hash>.zip)`);
  return [m[1]!, m[2]!];
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const nullOr = (v: unknown, type: 'string' | 'number' | 'object') => v === null || v === undefined || (type === 'object' ? isObject(v) : typeof v === type);

export class RayJobsClient {
  /** the dashboard's URL, for messages and logs */
  readonly displayAddress: string;
  readonly timeoutMs: number;
  private readonly base: URL;
  private readonly fetchImpl: typeof globalThis.fetch;

  constructor(private readonly options: RayJobsClientOptions) {
    const parsed = parseRayAddress(options.address);
    this.base = parsed.base;
    this.displayAddress = parsed.display;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  async submit(request: RaySubmitRequest, opts?: RayCallOptions): Promise<RaySubmitResponse> {
    const endpoint = 'POST /api/jobs/';
    const body = await this.json(endpoint, 'POST', '/api/jobs/', JSON.stringify(request), opts);
    if (!isObject(body) || typeof body.submission_id !== 'string') throw this.shapeError(endpoint, 'no submission_id');
    return { job_id: typeof body.job_id === 'string' ? body.job_id : null, submission_id: body.submission_id };
  }

  async get(submissionId: string, opts?: RayCallOptions): Promise<RayJobDetails> {
    const endpoint = `GET /api/jobs/${submissionId}`;
    return this.details(await this.json(endpoint, 'GET', `/api/jobs/${encodeURIComponent(submissionId)}`, undefined, opts), endpoint);
  }

  async list(opts?: RayCallOptions): Promise<RayJobDetails[]> {
    const endpoint = 'GET /api/jobs/';
    const body = await this.json(endpoint, 'GET', '/api/jobs/', undefined, opts);
    if (!Array.isArray(body)) throw this.shapeError(endpoint, 'not a list');
    return body.map((item) => this.details(item, endpoint));
  }

  /** Everything the job has written so far (stdout and stderr, with Ray's own lines). */
  async logs(submissionId: string, opts?: RayCallOptions): Promise<string> {
    const endpoint = `GET /api/jobs/${submissionId}/logs`;
    const body = await this.json(endpoint, 'GET', `/api/jobs/${encodeURIComponent(submissionId)}/logs`, undefined, opts);
    if (!isObject(body) || typeof body.logs !== 'string') throw this.shapeError(endpoint, 'no logs');
    return body.logs;
  }

  /** Asks Ray to stop the job; false when it was not running (already ended). */
  async stop(submissionId: string, opts?: RayCallOptions): Promise<boolean> {
    const endpoint = `POST /api/jobs/${submissionId}/stop`;
    const body = await this.json(endpoint, 'POST', `/api/jobs/${encodeURIComponent(submissionId)}/stop`, undefined, opts);
    if (!isObject(body) || typeof body.stopped !== 'boolean') throw this.shapeError(endpoint, 'no stopped flag');
    return body.stopped;
  }

  /** Forgets a finished job (Ray refuses, HTTP 500, while it runs). */
  async delete(submissionId: string, opts?: RayCallOptions): Promise<boolean> {
    const endpoint = `DELETE /api/jobs/${submissionId}`;
    const body = await this.json(endpoint, 'DELETE', `/api/jobs/${encodeURIComponent(submissionId)}`, undefined, opts);
    if (!isObject(body) || typeof body.deleted !== 'boolean') throw this.shapeError(endpoint, 'no deleted flag');
    return body.deleted;
  }

  async packageExists(uri: string, opts?: RayCallOptions): Promise<boolean> {
    const [protocol, name] = packageUriParts(uri);
    const endpoint = `GET /api/packages/${protocol}/${name}`;
    try {
      await this.request(endpoint, 'GET', `/api/packages/${protocol}/${name}`, undefined, opts);
      return true;
    } catch (e) {
      if (e instanceof RayError && e.kind === 'not-found') return false;
      throw e;
    }
  }

  /** PUT of a zipped working directory; the timeout scales with its size (uploadTimeoutMs). */
  async uploadPackage(uri: string, bytes: Uint8Array, opts: RayCallOptions = {}): Promise<void> {
    const [protocol, name] = packageUriParts(uri);
    const endpoint = `PUT /api/packages/${protocol}/${name}`;
    await this.request(endpoint, 'PUT', `/api/packages/${protocol}/${name}`, bytes, { ...opts, timeoutMs: opts.timeoutMs ?? Math.max(this.timeoutMs, uploadTimeoutMs(bytes.length)) });
  }

  /**
   * Follows the job's log over `GET /api/jobs/<id>/logs/tail` (ws:// or wss://). Ray sends the
   * whole log from its start, in text frames of up to 10 lines about once a second, and closes
   * with 1000 when the job has ended. Resolves once connected; the timeout covers only that.
   */
  openLogTail(submissionId: string, onText: (text: string) => void, opts: RayCallOptions = {}): Promise<RayLogTail> {
    const endpoint = `GET /api/jobs/${submissionId}/logs/tail (WebSocket)`;
    const url = this.logTailUrl(submissionId);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const started = Date.now();
    return new Promise<RayLogTail>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new RayError('cancelled', `cancelled: ${endpoint}`, { endpoint }));
      const ws = new WebSocket(url, { handshakeTimeout: timeoutMs, headers: { ...this.options.headers }, perMessageDeflate: false });
      let opened = false;
      let settled = false;
      let lastError = '';
      const fail = (e: RayError) => {
        if (settled) return;
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        ws.terminate();
        reject(e);
      };
      const onAbort = () => {
        if (!opened) fail(new RayError('cancelled', `cancelled: ${endpoint}`, { endpoint }));
        else ws.close(1000);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const closed = new Promise<{ code: number; reason: string }>((resolveClosed) => {
        ws.on('close', (code, reason) => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolveClosed({ code, reason: reason.toString('utf8') || lastError });
        });
      });
      ws.on('unexpected-response', (req, res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_ERROR_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          this.options.log?.(`${endpoint} → ${res.statusCode} (${Date.now() - started} ms)`);
          fail(this.httpError(res.statusCode ?? 0, String(res.headers['content-type'] ?? ''), Buffer.concat(chunks).toString('utf8'), endpoint));
          req.destroy();
        });
        res.on('error', (e) => fail(this.failure(e, endpoint, false, false, timeoutMs)));
      });
      ws.on('error', (e) => {
        lastError = e.message;
        if (!opened) fail(this.failure(e, endpoint, /handshake has timed out/i.test(e.message), false, timeoutMs));
      });
      ws.on('message', (data: WebSocket.RawData) => {
        const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        onText(buf.toString('utf8'));
      });
      ws.on('open', () => {
        opened = true;
        settled = true;
        this.options.log?.(`${endpoint} → 101 (${Date.now() - started} ms)`);
        resolve({
          closed,
          close: () => {
            if (ws.readyState === WebSocket.OPEN) ws.close(1000);
            else if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
          },
        });
      });
    });
  }

  /** ws:// (wss:// for an https address) URL of the job's log tail */
  logTailUrl(submissionId: string): URL {
    const url = this.url(`/api/jobs/${encodeURIComponent(submissionId)}/logs/tail`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url;
  }

  private url(path: string): URL {
    const url = new URL(this.base.toString());
    // a path prefix (a proxy's /ray) is kept; the root's "/" is not doubled
    url.pathname = this.base.pathname.replace(/\/+$/, '') + path;
    return url;
  }

  private async json(endpoint: string, method: string, path: string, body: string | undefined, opts?: RayCallOptions): Promise<unknown> {
    const res = await this.request(endpoint, method, path, body, opts);
    try {
      return JSON.parse(res.text) as unknown;
    } catch {
      const what = /text\/html/i.test(res.contentType) || /^\s*</.test(res.text) ? 'an HTML page' : res.text.trim() ? `"${res.text.trim().slice(0, 60)}"` : 'an empty body';
      throw new RayError('protocol', `Ray at ${this.displayAddress} answered ${endpoint} with ${what} (HTTP ${res.status}) instead of JSON: is training.targets.ray.address the Ray dashboard (usually port 8265)?`, {
        status: res.status,
        endpoint,
        detail: res.text.slice(0, MAX_ERROR_BODY),
      });
    }
  }

  /** Sends one request; non-2xx answers become RayErrors. */
  private async request(
    endpoint: string,
    method: string,
    path: string,
    body: string | Uint8Array | undefined,
    opts: RayCallOptions = {},
  ): Promise<{ status: number; contentType: string; text: string }> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new Error(`timeout after ${timeoutMs} ms`));
      }, timeoutMs);
    };
    const onAbort = () => {
      cancelled = true;
      controller.abort(opts.signal?.reason);
    };
    if (opts.signal?.aborted) throw new RayError('cancelled', `cancelled: ${endpoint}`, { endpoint });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    touch();
    const started = Date.now();
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers };
      if (typeof body === 'string') headers['content-type'] = 'application/json';
      else if (body) headers['content-type'] = 'application/octet-stream';
      // a Uint8Array is a valid fetch body; lib.dom's BodyInit wants an ArrayBuffer-backed one
      const res = await this.fetchImpl(this.url(path), { method, headers, body: body as BodyInit | undefined, signal: controller.signal, redirect: 'follow' });
      touch();
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (res.body) {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          touch();
          if (res.ok || size < MAX_ERROR_BODY) chunks.push(chunk);
          size += chunk.length;
        }
      }
      this.options.log?.(`${endpoint} → ${res.status} (${Date.now() - started} ms)`);
      const text = Buffer.concat(chunks).toString('utf8');
      const contentType = res.headers.get('content-type') ?? '';
      if (!res.ok) throw this.httpError(res.status, contentType, text, endpoint);
      return { status: res.status, contentType, text };
    } catch (e) {
      if (e instanceof RayError) throw e;
      this.options.log?.(`${endpoint} failed (${Date.now() - started} ms)`);
      throw this.failure(e, endpoint, timedOut, cancelled, timeoutMs);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  private failure(e: unknown, endpoint: string, timedOut: boolean, cancelled: boolean, timeoutMs: number): RayError {
    if (e instanceof RayError) return e;
    if (timedOut) {
      return new RayError('timeout', `Ray at ${this.displayAddress} did not answer ${endpoint} within ${seconds(timeoutMs)}: is the dashboard running and is training.targets.ray.address right?`, { endpoint, cause: e });
    }
    if (cancelled || (e as Error)?.name === 'AbortError') return new RayError('cancelled', `cancelled: ${endpoint}`, { endpoint, cause: e });
    const code = errorCodeOf(e);
    const tls = code && /CERT|SSL|TLS|SELF_SIGNED/.test(code);
    const reason = code ? (NETWORK_REASONS[code] ?? (tls ? `TLS: ${code}` : code)) : ((e as Error)?.message ?? String(e));
    const hint = tls ? "the dashboard's certificate is not trusted: trust its CA (NODE_EXTRA_CA_CERTS) or use http:// inside a trusted network" : this.startHint();
    return new RayError('unreachable', `Ray at ${this.displayAddress} is not reachable (${reason}): ${hint}`, { endpoint, cause: e });
  }

  private startHint(): string {
    const local = ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(this.base.hostname);
    return local
      ? `is a Ray cluster running here? Start one with \`ray start --head --dashboard-host 127.0.0.1 --dashboard-port ${this.base.port || '8265'}\` (the Jobs API needs \`pip install "ray[default]"\`)`
      : 'is training.targets.ray.address the dashboard of a running cluster (usually port 8265), and is it reachable from here (VPN, port-forward)?';
  }

  /** The RayError for a non-2xx answer. Ray's errors are text/plain: a sentence or a Python traceback. */
  private httpError(status: number, contentType: string, text: string, endpoint: string): RayError {
    const html = /text\/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(text);
    const line = html ? '' : pythonErrorLine(text);
    const isTraceback = /^Traceback \(most recent call last\)/m.test(text);
    const d = { status, endpoint, detail: text, ...(isTraceback ? { exception: line } : {}) };
    const at = `Ray at ${this.displayAddress}`;
    const make = (kind: RayErrorKind, message: string) => new RayError(kind, message, d);
    if (status === 404) {
      if (/^(Job|Package) .* does not exist/.test(line)) return make('not-found', `${line} (${at})`);
      return make('protocol', `${at} has no ${endpoint} (HTTP 404): is training.targets.ray.address the Ray dashboard (usually port 8265), on a cluster with the Jobs API (\`ray[default]\`)?`);
    }
    if (status === 401 || status === 403) {
      return make('bad-request', `${at} refused ${endpoint} (HTTP ${status})${line ? `: ${line}` : ''}. The cluster requires authentication: give its token or the proxy's credentials`);
    }
    if (status >= 500) {
      return make('server', `${at} failed on ${endpoint} (HTTP ${status})${line ? `: ${line}` : html ? ' (an HTML error page)' : ''}`);
    }
    if (html) return make('protocol', `${at} answered ${endpoint} with an HTML page (HTTP ${status}): is training.targets.ray.address the Ray dashboard?`);
    return make('bad-request', `${at} rejected ${endpoint} (HTTP ${status})${line ? `: ${line}` : ''}`);
  }

  private shapeError(endpoint: string, what: string): RayError {
    return new RayError('protocol', `Ray at ${this.displayAddress} answered ${endpoint} with JSON of an unexpected shape (${what}): is training.targets.ray.address a Ray 2.x dashboard?`, { endpoint });
  }

  private details(v: unknown, endpoint: string): RayJobDetails {
    if (!isObject(v)) throw this.shapeError(endpoint, 'not an object');
    if (!RAY_JOB_STATUSES.includes(v.status as never)) throw this.shapeError(endpoint, `status ${JSON.stringify(v.status)}`);
    if (typeof v.entrypoint !== 'string' && v.entrypoint !== null && v.entrypoint !== undefined) throw this.shapeError(endpoint, 'entrypoint');
    for (const [k, t] of [
      ['submission_id', 'string'],
      ['job_id', 'string'],
      ['message', 'string'],
      ['error_type', 'string'],
      ['start_time', 'number'],
      ['end_time', 'number'],
      ['driver_exit_code', 'number'],
      ['metadata', 'object'],
      ['runtime_env', 'object'],
      ['driver_info', 'object'],
    ] as const) {
      if (!nullOr(v[k], t)) throw this.shapeError(endpoint, `${k} is not a ${t}`);
    }
    const n = <T>(x: unknown): T | null => (x === undefined ? null : (x as T));
    return {
      ...v,
      type: typeof v.type === 'string' ? v.type : 'SUBMISSION',
      job_id: n(v.job_id),
      submission_id: n(v.submission_id),
      driver_info: n(v.driver_info),
      status: v.status as RayJobDetails['status'],
      entrypoint: typeof v.entrypoint === 'string' ? v.entrypoint : '',
      message: n(v.message),
      error_type: n(v.error_type),
      start_time: n(v.start_time),
      end_time: n(v.end_time),
      metadata: n(v.metadata),
      runtime_env: n(v.runtime_env),
      driver_agent_http_address: n(v.driver_agent_http_address),
      driver_node_id: n(v.driver_node_id),
      driver_exit_code: n(v.driver_exit_code),
    };
  }
}
