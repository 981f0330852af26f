/** The artifact store slipway.yaml's `artifacts` describes. */
import { resolve } from 'node:path';
import type { Artifacts } from '../pipeline';
import { ArtifactError } from './errors';
import { isS3Uri } from './paths';
import { LocalArtifactStore } from './local';
import { S3ArtifactStore } from './s3';
import type { ArtifactStore, FetchOptions, S3Connection, S3CredentialsProvider } from './types';

export interface StoreFactoryOptions {
  /** the pipeline file's folder: a local artifacts.uri is relative to it */
  readonly baseDir: string;
  /** SecretStorage in the editor; undefined (or a provider answering undefined): the AWS SDK's default chain */
  readonly credentials?: S3CredentialsProvider;
  /** default timeout of every call (transfers: the longest wait for the next bytes); default 30 s */
  readonly timeoutMs?: number;
}

/** How to reach S3 for `artifacts` (also for s3:// sources when artifacts.uri is a local folder). */
export function s3ConnectionFor(artifacts: Pick<Artifacts, 'endpoint' | 'region'>, options: Omit<StoreFactoryOptions, 'baseDir'> = {}): S3Connection {
  return {
    region: artifacts.region || 'us-east-1',
    ...(artifacts.endpoint ? { endpoint: artifacts.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
}

/** `s3://bucket/prefix` → an S3ArtifactStore (path-style when an endpoint is set); a folder → a LocalArtifactStore. */
export function artifactStoreFor(artifacts: Artifacts, options: StoreFactoryOptions): ArtifactStore {
  const connection = s3ConnectionFor(artifacts, options);
  if (isS3Uri(artifacts.uri)) return S3ArtifactStore.fromUri(artifacts.uri, connection);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(artifacts.uri);
  if (scheme) throw new ArtifactError('invalid', `artifacts.uri must be s3://bucket/prefix or a local folder, not ${scheme[1]}://`);
  return new LocalArtifactStore(resolve(options.baseDir, artifacts.uri), { s3: connection, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });
}

/** The drift engine's and the feature store's `fetchToLocal(uri, signal)`, caching in cacheDir. */
export function fetcherFor(store: ArtifactStore, cacheDir: string, options: Omit<FetchOptions, 'signal'> = {}): (uri: string, signal?: AbortSignal) => Promise<string> {
  return (uri, signal) => store.fetchToLocal(uri, cacheDir, { ...options, ...(signal ? { signal } : {}) });
}
