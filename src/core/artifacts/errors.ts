/**
 * One error type for every artifact store. `kind` is for code (retry, show a setup hint, treat
 * as absent); `message` is for people and says what to do. Messages never carry secrets.
 */

export type ArtifactErrorKind =
  | 'not-found' // no such object, file, folder or bucket
  | 'auth' // credentials missing, refused, or lacking permission
  | 'unreachable' // no connection to the store
  | 'timeout' // no answer (or no bytes) within the timeout
  | 'cancelled' // the caller's AbortSignal fired
  | 'unsafe-path' // a path that would leave the store root or the destination folder
  | 'io' // reading or writing local files failed
  | 'too-large' // read(): more than maxBytes
  | 'invalid' // unusable input: a malformed s3:// URI, a bad option
  | 'unsupported' // the store cannot do this (MLflow artifacts are read-only here)
  | 'server'; // the store answered with an error not covered above (5xx, unexpected codes)

export interface ArtifactErrorDetails {
  /** S3 error code (NoSuchBucket, InvalidAccessKeyId...) or Node error code (ENOENT...) */
  readonly code?: string;
  readonly status?: number;
  readonly cause?: unknown;
}

export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
  readonly code?: string;
  readonly status?: number;

  constructor(
    readonly kind: ArtifactErrorKind,
    message: string,
    details: ArtifactErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.status = details.status;
  }
}

export function isArtifactError(e: unknown, kind?: ArtifactErrorKind): e is ArtifactError {
  return e instanceof ArtifactError && (kind === undefined || e.kind === kind);
}

/** Where S3 credentials come from, for messages about missing or refused ones. */
export const S3_CREDENTIALS_HINT = 'set them with Slipway: Set Artifact Store Credentials or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';

/** Errors of local file operations, by Node's error code. */
export function fileError(e: unknown, what: string): ArtifactError {
  if (e instanceof ArtifactError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new ArtifactError('not-found', `${what}: no such file or folder`, { code, cause: e });
  if (code === 'EACCES' || code === 'EPERM') return new ArtifactError('io', `${what}: permission denied (${code})`, { code, cause: e });
  if (code === 'ENOSPC') return new ArtifactError('io', `${what}: the disk is full`, { code, cause: e });
  if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') {
    return new ArtifactError('io', `${what}: a file and a folder have the same name (${code})`, { code, cause: e });
  }
  return new ArtifactError('io', `${what}: ${(e as Error)?.message ?? String(e)}`, { ...(code ? { code } : {}), cause: e });
}
