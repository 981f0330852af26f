/**
 * Deployment of a model version: pure renderers, gitops files, the gates guard and model
 * references. The parts that talk to a cluster or a Docker Engine (DeployClient, buildImage,
 * pushImage) load with the Kubernetes client: reach them through loadKube() (core/kube/load.ts).
 */
export * from './types';
export {
  renderServing,
  renderDeployment,
  renderService,
  renderHpa,
  renderInferenceService,
  renderNotes,
  servingName,
  servingSelector,
  defaultImage,
  kserveFormat,
  labelValue,
  RenderError,
  KSERVE_API_VERSION,
  READY_PATH,
  LIVE_PATH,
  type RenderOptions,
} from './manifests';
export { gitopsFiles, writeGitops, toYaml, toYamlStream, manifestFileName, GITOPS_HEADER, type GitopsFile } from './gitops';
export { deployGuard, checkGates, type GateCheck, type GateEvaluator, type GuardDecision, type GuardOptions } from './guard';
export { resolveModel, localModel, defaultModelRef, ModelRefError, type ModelResolver, type ResolveOptions } from './model';
export { splitTag, registryOf } from './imageName';
