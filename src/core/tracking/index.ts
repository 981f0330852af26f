/**
 * MLflow tracking over REST. Build one MlflowHttp per server and hand it to MlflowClient and
 * RegistryClient (core/registry):
 *
 *   const http = new MlflowHttp({ trackingUri, credentials: () => secrets.get(), timeoutMs: 10_000 });
 *   const mlflow = new MlflowClient(http);
 *   for await (const page of mlflow.searchRunsPages({ experimentIds: ['1'], maxResults: 50 })) ...
 */
export { MlflowClient, DEFAULT_HISTORY_PAGE, type ExperimentSearch, type MetricInput, type NewRun, type RunSearch } from './client';
export { MlflowHttp, DEFAULT_TIMEOUT_MS, parseTrackingUri, type CallOptions, type MlflowConnectionOptions, type Query } from './http';
export { MlflowError, isMlflowError, DEFAULT_AUTH_HINT, type MlflowErrorDetails, type MlflowErrorKind } from './errors';
export { credentialsFromEnv, type Credentials, type CredentialsProvider } from './credentials';
export { cleanArtifactPath, safeDestination, proxyPathOf, type DownloadedFile, type DownloadOptions, type DownloadProgress } from './artifacts';
export { followPages, collect } from './paging';
export { readPipelineTrackingSettings, resolveTrackingUri, trackingSettingsFromPipelineText, type PipelineTrackingSettings } from './settings';
export { metricValue, wireMetricValue } from './types';
export { findRunOfJob } from './jobs';
export type * from './types';
