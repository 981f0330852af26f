/**
 * Everything that needs @kubernetes/client-node, built as its own bundle (out/kube.js) so the
 * extension and the CLI load the client (several MB) only when a Kubernetes feature is used.
 */
export { KubernetesRunner, applyTrainingSchedule, cronJobApiVersion } from '../training/kubernetes';
export { loadKubeConfig, kubeError, KubeError, podProblem } from './config';
// deployment: the cluster client, and the Docker Engine client (dockerode is as heavy: same lazy bundle)
export { DeployClient, workloadOf, FIELD_MANAGER, type DeployClientOptions, type WatchOptions, type WorkloadRef, type RollbackResult } from '../deploy/rollout';
export { buildImage, pushImage, buildServeImage, writeServeContext, serveDockerfile, ImageError, type RegistryAuth, type ServeImageOptions, type DockerOptions } from '../deploy/image';
// operating what is deployed: logs, port-forward, canary promotion, deletion, status of several namespaces
export { streamLogs, portForward, promoteCanary, deleteServing, statusAll, workloadPods, type LogStreamOptions, type LogStreamResult, type PortForward, type PortForwardOptions, type PromoteResult, type DeleteResult, type StatusGroup, type StatusAllOptions } from '../deploy/operate';
