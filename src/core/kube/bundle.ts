/**
 * Everything that needs @kubernetes/client-node, built as its own bundle (out/kube.js) so the
 * extension and the CLI load the client (several MB) only when a Kubernetes feature is used.
 */
export { KubernetesRunner, applyTrainingSchedule, cronJobApiVersion } from '../training/kubernetes';
export { loadKubeConfig, kubeError, KubeError, podProblem } from './config';
