/**
 * The one artifact store every capability uses (datasets, models, inference logs): a local
 * folder, S3 or an S3-compatible server (MinIO), or an MLflow run's artifacts.
 *
 *   const store = artifactStoreFor(pipeline.artifacts, { baseDir, credentials: () => secrets.s3() });
 *   for await (const page of store.list('datasets', { signal })) ...
 *   await store.download('models/churn.onnx', dir, { onProgress, signal });   // → <dir>/models/churn.onnx
 *   await store.upload(file, 'datasets/train.parquet', { onProgress });         // multipart when big
 *   const local = await store.fetchToLocal('s3://data/events/*.parquet', cacheDir); // cached by ETag
 *
 * Every path is checked: one that would leave the store's root or the destination folder
 * (`..`, absolute, a drive letter, NUL, a symlink out) fails with ArtifactError 'unsafe-path'.
 */
export { ArtifactError, isArtifactError, S3_CREDENTIALS_HINT, type ArtifactErrorKind, type ArtifactErrorDetails } from './errors';
export type * from './types';
export { cleanPath, destinationFor, parseS3Uri, isS3Uri, globRegExp, globBase, hasGlob, type S3Location, type PathSource } from './paths';
export { DEFAULT_TIMEOUT_MS, collectEntries } from './transfer';
export { LocalArtifactStore, type LocalStoreOptions } from './local';
export { S3ArtifactStore, S3Fetcher, MIN_PART_SIZE, type S3StoreOptions } from './s3';
export { s3Error, type S3ErrorContext } from './s3-errors';
export { MlflowArtifactStore, type MlflowStoreOptions } from './mlflow';
export { CACHE_META_DIR } from './cache';
export { artifactStoreFor, s3ConnectionFor, fetcherFor, type StoreFactoryOptions } from './factory';
