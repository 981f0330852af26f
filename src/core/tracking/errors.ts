/**
 * One error type for every way a call to MLflow can fail, with a message that says what to do.
 * `kind` is for code (retry, show a setup hint, treat as absent); `message` is for people.
 */

export type MlflowErrorKind =
  | 'unreachable' // no TCP/TLS connection, or the connection dropped
  | 'timeout' // no answer within the request timeout
  | 'auth' // 401/403: credentials missing or refused, Host/Origin checks
  | 'not-found' // the experiment, run, model, version, alias or artifact does not exist
  | 'bad-request' // MLflow rejected the request (400 INVALID_PARAMETER_VALUE, ...) or the caller's input is unusable
  | 'server' // 5xx
  | 'protocol' // the answer is not what MLflow says: HTML page, not JSON, a looping page token
  | 'cancelled'; // the caller's AbortSignal fired

export interface MlflowErrorDetails {
  readonly status?: number;
  /** `error_code` of MLflow's JSON error body, e.g. RESOURCE_DOES_NOT_EXIST */
  readonly errorCode?: string;
  /** `message` of MLflow's JSON error body, verbatim */
  readonly serverMessage?: string;
  /** `METHOD /path` of the call that failed */
  readonly endpoint?: string;
  readonly cause?: unknown;
}

export class MlflowError extends Error {
  override readonly name = 'MlflowError';
  readonly status?: number;
  readonly errorCode?: string;
  readonly serverMessage?: string;
  readonly endpoint?: string;

  constructor(
    readonly kind: MlflowErrorKind,
    message: string,
    details: MlflowErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.serverMessage = details.serverMessage;
    this.endpoint = details.endpoint;
  }
}

export function isMlflowError(e: unknown, kind?: MlflowErrorKind): e is MlflowError {
  return e instanceof MlflowError && (kind === undefined || e.kind === kind);
}

/** The hint for a refused or missing credential when the caller gives none. */
export const DEFAULT_AUTH_HINT = 'set credentials with Slipway: Set Tracking Credentials';
