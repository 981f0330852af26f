/** The MLflow model registry: RegistryClient, typed versions and aliases, promotion gates. */
export { RegistryClient, filterLiteral, type NewModelVersion, type RegistrySearch } from './client';
export { evaluateGates, formatGate, type Gate, type GateEvaluation, type GateOp, type GateResult, type RunMetrics } from './gates';
export { toModelVersion, toRegisteredModel, type ModelAlias, type ModelVersion, type RegisteredModel } from './types';
export { RegistryModels, parseModelsUri, ModelsUriError, type ModelsUri, type RegistryModelsOptions, type LocalVersion } from './resolve';
