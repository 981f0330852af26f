/**
 * The wire to one MLflow server: URLs, credentials, timeouts, cancellation, and turning every
 * failure into an MlflowError with a message a person can act on. MlflowClient and
 * RegistryClient share one of these.
 */
import { authorizationHeader, type Credentials, type CredentialsProvider } from './credentials';
import { DEFAULT_AUTH_HINT, MlflowError, type MlflowErrorKind } from './errors';
import { errorCodeOf, NETWORK_REASONS } from '../netErrors';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface MlflowConnectionOptions {
  /** http(s) URL of the tracking server; a path prefix (behind a proxy) is kept */
  readonly trackingUri: string;
  readonly credentials?: CredentialsProvider;
  /** per request: until the answer starts, then between chunks of it. Default 10 s. */
  readonly timeoutMs?: number;
  /** for tests; default: Node's fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** what to do about missing or refused credentials; default: the editor's command */
  readonly authHint?: string;
  /** one line per request (method, path, status, ms); never headers or bodies */
  readonly log?: (line: string) => void;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

/** An answer whose body the caller streams; `close` must be called (finally). */
export interface OpenResponse {
  readonly status: number;
  readonly headers: Headers;
  /** chunks of the body; each one resets the idle timeout */
  readonly body: AsyncIterable<Uint8Array>;
  close(): void;
  /** the MlflowError for an exception thrown while reading `body` */
  failure(e: unknown): MlflowError;
}

/** `http://user:secret@host/` → the URL without credentials, and the credentials. */
export function parseTrackingUri(uri: string): { readonly base: URL; readonly display: string; readonly credentials?: Credentials } {
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch {
    throw new MlflowError('bad-request', `tracking URI ${JSON.stringify(uri)} is not a URL: set tracking.uri to the MLflow server, e.g. http://127.0.0.1:5000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const shown = url.protocol === 'databricks:' || url.protocol === 'file:' || /^sqlite|^postgres|^mysql/.test(url.protocol) ? uri : url.protocol;
    throw new MlflowError(
      'bad-request',
      `tracking URI ${shown} is not an HTTP server: Slipway talks to MLflow through its REST API. ` +
        'Start one (`mlflow server --host 127.0.0.1 --port 5000 --backend-store-uri sqlite:///mlflow.db`) and set tracking.uri to http://127.0.0.1:5000',
    );
  }
  const credentials: Credentials | undefined = url.username
    ? { kind: 'basic', username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : undefined;
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '');
  const display = url.toString().replace(/\/$/, '');
  return { base: url, display, ...(credentials ? { credentials } : {}) };
}

/** a timeout as people read it: 10 s, 2.5 s, 150 ms */
function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function innermostMessage(e: unknown): string {
  let message = (e as Error)?.message ?? String(e);
  for (let c = (e as { cause?: unknown })?.cause, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    if (typeof (c as Error).message === 'string' && (c as Error).message) message = (c as Error).message;
  }
  return message;
}

interface ErrorBody {
  readonly error_code?: unknown;
  readonly message?: unknown;
}

export class MlflowHttp {
  /** the server's URL without credentials, for messages and logs */
  readonly displayUri: string;
  readonly timeoutMs: number;
  private readonly base: URL;
  /** the path prefix of a tracking URI behind a proxy ('' for none) */
  private readonly prefix: string;
  private readonly uriCredentials?: Credentials;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly authHint: string;

  constructor(private readonly options: MlflowConnectionOptions) {
    const parsed = parseTrackingUri(options.trackingUri);
    this.base = parsed.base;
    this.prefix = parsed.base.pathname.replace(/\/+$/, '');
    this.displayUri = parsed.display;
    this.uriCredentials = parsed.credentials;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.authHint = options.authHint ?? DEFAULT_AUTH_HINT;
  }

  url(path: string, query?: Query): URL {
    const url = new URL(this.base.toString());
    url.pathname = this.prefix + path;
    if (query) {
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined) continue;
        for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
      }
    }
    return url;
  }

  /** GET with a query. */
  get<T>(path: string, query?: Query, opts?: CallOptions): Promise<T> {
    return this.json<T>('GET', path, query, undefined, opts);
  }

  /** POST/PATCH/DELETE with a JSON body (MLflow reads DELETE parameters from the body too). */
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body: unknown, opts?: CallOptions): Promise<T> {
    return this.json<T>(method, path, undefined, body, opts);
  }

  async json<T>(method: string, path: string, query: Query | undefined, body: unknown, opts?: CallOptions): Promise<T> {
    const open = await this.open(method, path, query, body === undefined ? undefined : JSON.stringify(body), opts);
    try {
      const chunks: Uint8Array[] = [];
      try {
        for await (const chunk of open.body) chunks.push(chunk);
      } catch (e) {
        throw open.failure(e);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      return this.parseJson<T>(text, open.headers.get('content-type') ?? '', open.status, `${method} ${path}`);
    } finally {
      open.close();
    }
  }

  /**
   * Sends a request and returns once the answer's headers are in. Non-2xx answers are read and
   * thrown as MlflowError here; a 2xx body is left to the caller to stream.
   */
  async open(method: string, path: string, query?: Query, body?: string, opts: CallOptions = {}): Promise<OpenResponse> {
    const endpoint = `${method} ${path}`;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const guard = new Guard(timeoutMs, opts.signal);
    const fail = (e: unknown): MlflowError => this.failure(e, guard, endpoint, timeoutMs);
    const started = Date.now();
    let credentials: Credentials | undefined;
    try {
      if (opts.signal?.aborted) throw opts.signal.reason;
      try {
        credentials = (await this.options.credentials?.()) ?? this.uriCredentials;
      } catch (e) {
        throw new MlflowError('auth', `could not read the credentials for ${this.displayUri}: ${(e as Error)?.message ?? e}. ${this.authHint}`, { endpoint, cause: e });
      }
      const headers: Record<string, string> = { accept: 'application/json' };
      if (credentials) headers.authorization = authorizationHeader(credentials);
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await this.fetchImpl(this.url(path, query), { method, headers, body, signal: guard.controller.signal, redirect: 'follow' });
      guard.touch();
      this.options.log?.(`${endpoint} → ${res.status} (${Date.now() - started} ms)`);
      let finished = false;
      const stream = (async function* () {
        if (res.body) {
          for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
            guard.touch();
            yield chunk;
          }
        }
        finished = true;
      })();
      if (res.status < 200 || res.status > 299) {
        const chunks: Uint8Array[] = [];
        let size = 0;
        for await (const chunk of stream) {
          if (size < 64 * 1024) chunks.push(chunk);
          size += chunk.length;
        }
        guard.close();
        throw this.httpError(res.status, res.headers.get('content-type') ?? '', Buffer.concat(chunks).toString('utf8'), endpoint, credentials !== undefined);
      }
      const close = () => {
        guard.close();
        // a body nobody read to the end would hold the connection
        if (!finished) guard.controller.abort(new Error('closed before the end of the body'));
      };
      return { status: res.status, headers: res.headers, body: stream, close, failure: fail };
    } catch (e) {
      guard.close();
      if (!(e instanceof MlflowError)) this.options.log?.(`${endpoint} failed (${Date.now() - started} ms)`);
      throw fail(e);
    }
  }

  private failure(e: unknown, guard: Guard, endpoint: string, timeoutMs: number): MlflowError {
    if (e instanceof MlflowError) return e;
    if (guard.timedOut) {
      return new MlflowError('timeout', `MLflow at ${this.displayUri} did not answer within ${seconds(timeoutMs)}: is the server running? (${this.startHint()})`, { endpoint, cause: e });
    }
    if (guard.cancelled) return new MlflowError('cancelled', `cancelled: ${endpoint}`, { endpoint, cause: e });
    const code = errorCodeOf(e);
    const tls = code && /CERT|SSL|TLS|SELF_SIGNED/.test(code);
    const detail = innermostMessage(e);
    if (!code && /bad port/i.test(detail)) {
      return new MlflowError('unreachable', `MLflow at ${this.displayUri} cannot be reached: port ${this.base.port} is one that fetch refuses (like browsers do); run the server on another port, e.g. 5000`, { endpoint, cause: e });
    }
    const reason = code ? (NETWORK_REASONS[code] ?? (tls ? `TLS: ${code}` : code)) : detail;
    const hint = tls ? "the server's certificate is not trusted: use http:// for a local server, or trust its CA (NODE_EXTRA_CA_CERTS)" : `is the server running? (${this.startHint()})`;
    return new MlflowError('unreachable', `MLflow at ${this.displayUri} is not reachable (${reason}): ${hint}`, { endpoint, cause: e });
  }

  private startHint(): string {
    const local = ['127.0.0.1', 'localhost', '[::1]', '0.0.0.0'].includes(this.base.hostname);
    const port = this.base.port || (this.base.protocol === 'https:' ? '443' : '80');
    return local ? `\`mlflow server --host 127.0.0.1 --port ${port}\`` : 'is tracking.uri right, and is the server reachable from here?';
  }

  /** The MlflowError for a non-2xx answer. */
  httpError(status: number, contentType: string, text: string, endpoint: string, sentCredentials: boolean): MlflowError {
    const html = /text\/html/i.test(contentType) || /^\s*<(!doctype|html)/i.test(text);
    let body: ErrorBody | undefined;
    if (/json/i.test(contentType) || /^\s*\{/.test(text)) {
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as ErrorBody;
      } catch {
        body = undefined;
      }
    }
    const errorCode = typeof body?.error_code === 'string' ? body.error_code : undefined;
    const serverMessage = typeof body?.message === 'string' ? body.message : !html && text.trim() ? text.trim().slice(0, 500) : undefined;
    const d = { status, errorCode, serverMessage, endpoint };
    const at = `MLflow at ${this.displayUri}`;
    const make = (kind: MlflowErrorKind, message: string) => new MlflowError(kind, message, d);
    if (status === 401) {
      return make('auth', sentCredentials ? `${at} refused the credentials (HTTP 401): ${this.authHint}` : `${at} needs credentials (HTTP 401): ${this.authHint}`);
    }
    if (status === 403) {
      if (/Invalid Host header/i.test(text)) {
        return make('auth', `${at} rejected the Host header "${this.base.host}" (HTTP 403, DNS-rebinding protection): start the server with \`--allowed-hosts ${this.base.hostname}\`, or use http://127.0.0.1`);
      }
      if (/cross-origin/i.test(text)) {
        return make('auth', `${at} blocked the request as cross-origin (HTTP 403): start the server with \`--cors-allowed-origins\` for this origin`);
      }
      const why = serverMessage ? `: ${serverMessage}` : '';
      return make('auth', `${at} denied access (HTTP 403)${why}. ${sentCredentials ? 'Ask an MLflow admin for permission, or use other credentials' : this.authHint}`);
    }
    if (status >= 500) {
      const what = serverMessage && !html ? `: ${serverMessage}` : html ? ' (an HTML error page)' : '';
      return make('server', `${at} failed on ${endpoint} with HTTP ${status}${what}; see the server's log`);
    }
    if (errorCode) {
      const msg = serverMessage ?? errorCode;
      if (status === 404 || errorCode === 'RESOURCE_DOES_NOT_EXIST') return make('not-found', `${msg} (${at})`);
      return make('bad-request', `${at} rejected ${endpoint}: ${msg} (${errorCode})`);
    }
    if (html) {
      const why = status === 405 ? ' — is tracking.uri pointing at MLflow (or is the server an MLflow version without this endpoint)?' : ' — is tracking.uri pointing at MLflow?';
      return make('protocol', `${at} answered ${endpoint} with an HTML page (HTTP ${status})${why}`);
    }
    if (status === 404) return make('protocol', `${at} has no ${endpoint} (HTTP 404) — is tracking.uri pointing at MLflow?`);
    return make('bad-request', `${at} rejected ${endpoint} (HTTP ${status})${serverMessage ? `: ${serverMessage}` : ''}`);
  }

  parseJson<T>(text: string, contentType: string, status: number, endpoint: string): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      // Python's json writes bare NaN/Infinity tokens; MLflow's own encoder writes strings, but a
      // proxy or plugin may not
      const fixed = text.replace(/("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)/g, (m, str: string | undefined) => (str ? m : `"${m}"`));
      try {
        return JSON.parse(fixed) as T;
      } catch {
        const what = /text\/html/i.test(contentType) || /^\s*</.test(text) ? 'an HTML page' : text.trim() ? `"${text.trim().slice(0, 60)}"` : 'an empty body';
        throw new MlflowError('protocol', `MLflow at ${this.displayUri} answered ${endpoint} with ${what} (HTTP ${status}) instead of JSON — is tracking.uri pointing at MLflow?`, { status, endpoint });
      }
    }
  }
}

/** The timeout (reset on progress) and the caller's cancellation of one request. */
class Guard {
  readonly controller = new AbortController();
  timedOut = false;
  cancelled = false;
  private timer?: ReturnType<typeof setTimeout>;
  private readonly onAbort = () => {
    this.cancelled = true;
    this.controller.abort(this.signal?.reason);
  };

  constructor(
    private readonly ms: number,
    private readonly signal?: AbortSignal,
  ) {
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
    this.touch();
  }

  touch(): void {
    clearTimeout(this.timer);
    if (this.controller.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`timeout after ${this.ms} ms`));
    }, this.ms);
  }

  close(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
