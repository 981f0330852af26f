/** S3's errors (and the SDK's, and the network's) in plain words, with what to do. */
import { ArtifactError, S3_CREDENTIALS_HINT } from './errors';

export interface S3ErrorContext {
  /** the endpoint URL, or `AWS S3 (<region>)` */
  readonly endpoint: string;
  readonly bucket: string;
  /** the object or prefix involved, if any */
  readonly key?: string;
}

interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly Code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly cause?: unknown;
  readonly errors?: readonly unknown[];
}

const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'EPROTO', 'ERR_SOCKET_CONNECTION_TIMEOUT']);
const TIMEOUT = new Set(['TimeoutError', 'ETIMEDOUT', 'RequestTimeout', 'RequestTimeoutException']);
const BAD_CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'InvalidSecurity', 'InvalidClientTokenId']);
const DENIED = new Set(['AccessDenied', 'AllAccessDisabled', 'AccountProblem']);
const WRONG_REGION = new Set(['PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException']);

/** the Node error code of a network failure, looking through wrappers (AggregateError of happy eyeballs, causes) */
function networkCode(e: SdkError | undefined, depth = 0): string | undefined {
  if (!e || depth > 3) return undefined;
  if (e.code && (NETWORK.has(e.code) || e.code.startsWith('CERT_') || e.code.startsWith('ERR_TLS') || e.code.startsWith('ERR_SSL'))) return e.code;
  return networkCode(e.cause as SdkError, depth + 1) ?? networkCode(e.errors?.[0] as SdkError, depth + 1);
}

export function s3Error(error: unknown, ctx: S3ErrorContext): ArtifactError {
  if (error instanceof ArtifactError) return error;
  const e = (error ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const code = e.Code ?? (e.name && e.name !== 'Error' && e.name !== 'Unknown' && e.name !== 'UnknownError' ? e.name : undefined);
  const where = `S3 at ${ctx.endpoint}`;
  const what = ctx.key ? `s3://${ctx.bucket}/${ctx.key}` : `s3://${ctx.bucket}`;
  const details = { ...(code ? { code } : {}), ...(status ? { status } : {}), cause: error };

  const net = networkCode(e);
  if (net) {
    if (net.startsWith('CERT_') || net.startsWith('ERR_TLS') || net.startsWith('ERR_SSL')) {
      return new ArtifactError('unreachable', `cannot reach ${where}: the TLS connection failed (${net}); check artifacts.endpoint (http:// or https://) and the server's certificate`, details);
    }
    return new ArtifactError('unreachable', `cannot reach ${where} (${net}): check artifacts.endpoint in slipway.yaml and that the server is running`, details);
  }
  if ((code && TIMEOUT.has(code)) || (e.code && TIMEOUT.has(e.code))) {
    return new ArtifactError('timeout', `${where} did not answer in time for ${what}: check the network, or allow a longer timeout`, details);
  }
  if (code === 'AbortError') return new ArtifactError('cancelled', `${what}: cancelled`, details);
  if (code === 'CredentialsProviderError') {
    return new ArtifactError('auth', `no S3 credentials for ${where}: ${S3_CREDENTIALS_HINT}, or pick an AWS profile (AWS_PROFILE)`, details);
  }
  if (code && BAD_CREDENTIALS.has(code)) {
    return new ArtifactError('auth', `${where} refused the credentials (${code}): ${S3_CREDENTIALS_HINT}`, details);
  }
  if ((code && DENIED.has(code)) || status === 401 || status === 403) {
    // HEAD answers carry no body: a bare 403 is either refused credentials or a missing permission
    const why = code ?? `${status} on a request without an error body`;
    return new ArtifactError('auth', `${where} refused access to ${what} (${why}): the credentials may be wrong or lack permission on the bucket; ${S3_CREDENTIALS_HINT}`, details);
  }
  if (code === 'NoSuchBucket') {
    return new ArtifactError('not-found', `the bucket '${ctx.bucket}' does not exist at ${where} (NoSuchBucket): create it, or fix artifacts.uri in slipway.yaml`, details);
  }
  if (code === 'NoSuchKey' || code === 'NotFound' || status === 404) {
    return new ArtifactError('not-found', `${what} does not exist at ${where}`, details);
  }
  if ((code && WRONG_REGION.has(code)) || status === 301) {
    return new ArtifactError('invalid', `the bucket '${ctx.bucket}' is not in this region (${code ?? status}): set artifacts.region in slipway.yaml to the bucket's region`, details);
  }
  if (status && status >= 500) {
    return new ArtifactError('server', `${where} failed on ${what} (${status}${code ? ` ${code}` : ''}): try again later`, details);
  }
  if (!status) {
    return new ArtifactError('server', `${where} failed on ${what}: ${e.message ?? String(error)} — is artifacts.endpoint an S3 server?`, details);
  }
  return new ArtifactError('server', `${where} refused the request on ${what} (${status}${code ? ` ${code}` : ''}): ${e.message ?? ''}`.trim(), details);
}
