/**
 * One error type for every way a call to a Ray Jobs API can fail. `kind` is for code (retry,
 * fall back, treat as gone); `message` is for people and says what to do.
 */
export type RayErrorKind =
  | 'unreachable' // no connection, or it dropped
  | 'timeout' // no answer within the request timeout
  | 'not-found' // Ray does not know the job (or the package)
  | 'bad-request' // Ray rejected the request (HTTP 400, 401/403) or the caller's input is unusable
  | 'server' // HTTP 5xx: a Python traceback from the dashboard
  | 'protocol' // the answer is not what the Jobs API says: not JSON, wrong shape, unknown endpoint
  | 'cancelled'; // the caller's AbortSignal fired

export interface RayErrorDetails {
  readonly status?: number;
  /** `METHOD /path` of the call that failed */
  readonly endpoint?: string;
  /** the server's whole answer (a Python traceback, usually), for the log */
  readonly detail?: string;
  /** the traceback's exception line, e.g. `ValueError: Job with submission_id x already exists. ...` */
  readonly exception?: string;
  readonly cause?: unknown;
}

export class RayError extends Error {
  override readonly name = 'RayError';
  readonly status?: number;
  readonly endpoint?: string;
  readonly detail?: string;
  readonly exception?: string;

  constructor(
    readonly kind: RayErrorKind,
    message: string,
    details: RayErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.endpoint = details.endpoint;
    this.detail = details.detail;
    this.exception = details.exception;
  }
}

export function isRayError(e: unknown, kind?: RayErrorKind): e is RayError {
  return e instanceof RayError && (kind === undefined || e.kind === kind);
}

const EXCEPTION_LINE = /^(?:[A-Za-z_]\w*\.)*[A-Z]\w*: \S/;

/**
 * The line of a text/plain Python traceback that says what went wrong: the last exception line
 * (`ValueError: ...`), not the last line — Ray wraps agent errors so a traceback can end in ".".
 * Bodies that are not tracebacks ("Job x does not exist") come back whole, on one line.
 */
export function pythonErrorLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd());
  for (let i = lines.length - 1; i >= 0; i--) if (EXCEPTION_LINE.test(lines[i]!)) return lines[i]!;
  const meaningful = lines.filter((l) => /[A-Za-z0-9]/.test(l));
  if (!/^Traceback \(most recent call last\)/.test(meaningful[0] ?? '')) return meaningful.map((l) => l.trim()).join(' ').slice(0, 500);
  return (meaningful[meaningful.length - 1] ?? '').trim();
}
