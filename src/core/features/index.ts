/**
 * The feature store: offline store over local files (Parquet, CSV, JSON Lines; s3:// through an
 * injected fetchToLocal), type checks of the data against slipway.yaml, statistics and
 * freshness, point-in-time correct training sets, and the online store for serving.
 *
 *   await checkFeatureTypes(project)                       // problems of the data against the definitions
 *   await checkPipelineData(parsed, dir, diagnostics)      // the same, as diagnostics (language server, validate)
 *   await buildTrainingSet(project, { out })               // Parquet + <out>.lineage.json
 *   await materialize(project); const store = await OnlineStore.open(path); await store.get('customer', 42)
 *   new ServingServer({ ..., enrich: onlineEnricher(store) })  // requests name keys, the store adds features
 *
 * DuckDB is loaded on first use. Every function takes `{ db }` to reuse one session.
 */
export { FeatureDb, isoFromMicros, type DuckDbSettings } from './db';
export { checkFeatureTypes, typeProblem, type CheckOptions } from './check';
export { checkPipelineData, dataCheckable, dataCheckKey, problemDiagnostics, featureTypeOf, byPosition } from './diagnostics';
export { SchemaCache, defaultSchemaCache, type ResolvedFiles } from './sources';
export { featureStats, viewFreshness, previewView, histogramEdges } from './stats';
export { buildTrainingSet, pythonSnippet, DEFAULT_TRAINING_SET, POINT_IN_TIME_RULE, type BuildOptions, type TrainingSetLineage, type FileStat } from './training';
export { materialize, OnlineStore, DEFAULT_ONLINE_STORE, type MaterializeOptions, type MaterializeResult, type OnlineStoreMeta, type OnlineLookup, type EntityKey, type KeyValue } from './online';
export { onlineEnricher, ENRICH_DEFAULTS, type OnlineEnricherOptions } from './enrich';
export { outputFeatures, viewDef, type OutputFeature } from './views';
export * from './types';
