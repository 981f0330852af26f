import * as k8s from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export class KubeError extends Error {
  constructor(
    message: string,
    readonly kind: 'config' | 'unreachable' | 'forbidden' | 'not-found' | 'conflict' | 'invalid' | 'server' | 'cancelled',
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Whether loadFromDefault has something real to load: a KUBECONFIG entry, ~/.kube/config, or a pod's service account. */
function hasKubeconfig(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.KUBECONFIG?.split(delimiter).some((f) => f.trim() !== '')) return true;
  if (existsSync(join(env.HOME || env.USERPROFILE || homedir(), '.kube', 'config'))) return true;
  return Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
}

/** The user's kubeconfig (KUBECONFIG, else ~/.kube/config), switched to `context` when given. */
export function loadKubeConfig(context?: string, kubeconfigPath?: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  // without any kubeconfig, loadFromDefault invents a context "loaded-context" for http://localhost:8080: say what is missing instead
  if (!kubeconfigPath && !hasKubeconfig()) {
    throw new KubeError('no kubeconfig: set KUBECONFIG or create ~/.kube/config (e.g. with your cluster\'s CLI or kubectl config set-cluster/set-context)', 'config');
  }
  try {
    if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
    else kc.loadFromDefault();
  } catch (e) {
    throw new KubeError(`cannot read the kubeconfig${kubeconfigPath ? ` ${kubeconfigPath}` : ''}: ${(e as Error).message}`, 'config');
  }
  if (kc.getContexts().length === 0) {
    throw new KubeError('no Kubernetes context: set KUBECONFIG or create ~/.kube/config (kubectl config set-context)', 'config');
  }
  if (context) {
    if (!kc.getContextObject(context)) {
      throw new KubeError(`the kubeconfig has no context "${context}" (it has: ${kc.getContexts().map((c) => c.name).join(', ')})`, 'config');
    }
    kc.setCurrentContext(context);
  }
  return kc;
}

/** An API error in plain words, with what to check. */
export function kubeError(e: unknown, what: string): KubeError {
  if (e instanceof KubeError) return e;
  const err = e as { code?: number; statusCode?: number; body?: unknown; message?: string; cause?: { code?: string } };
  const status = err.code ?? err.statusCode;
  let body: { message?: string; reason?: string } | undefined;
  try {
    body = typeof err.body === 'string' ? JSON.parse(err.body) : (err.body as typeof body);
  } catch {
    body = undefined;
  }
  const detail = body?.message ?? err.message ?? String(e);
  if (typeof status === 'number' && status > 0 && status < 600) {
    if (status === 401) return new KubeError(`${what}: the cluster refused the credentials (401); refresh them in your kubeconfig`, 'forbidden', status);
    if (status === 403) return new KubeError(`${what}: not allowed (403): ${detail}`, 'forbidden', status);
    if (status === 404) return new KubeError(`${what}: not found (404): ${detail}`, 'not-found', status);
    if (status === 409) return new KubeError(`${what}: already exists or changed meanwhile (409): ${detail}`, 'conflict', status);
    if (status === 422 || status === 400) return new KubeError(`${what}: the cluster rejected it (${status}): ${detail}`, 'invalid', status);
    return new KubeError(`${what}: the cluster answered ${status}: ${detail}`, 'server', status);
  }
  if ((e as Error)?.name === 'AbortError') return new KubeError(`${what}: cancelled`, 'cancelled');
  const code = err.cause?.code ?? (err as { code?: string }).code;
  return new KubeError(`${what}: cannot reach the cluster${code ? ` (${code})` : ''}: ${detail}. Is the context right and the API server up?`, 'unreachable');
}

/** Why a pod is not running yet, in plain words; undefined when nothing is wrong. */
export function podProblem(pod: k8s.V1Pod): string | undefined {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return `the pod cannot be scheduled: ${scheduled.message ?? 'no node fits it'} (lower the requested resources or add nodes)`;
  }
  for (const cs of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const w = cs.state?.waiting;
    if (!w?.reason) continue;
    if (w.reason === 'ErrImagePull' || w.reason === 'ImagePullBackOff' || w.reason === 'InvalidImageName') {
      return `cannot pull the image ${cs.image}: ${w.message ?? w.reason} (check the image name, that it was pushed, and imagePullSecrets)`;
    }
    if (w.reason === 'CrashLoopBackOff') return `the container ${cs.name} keeps crashing (CrashLoopBackOff): ${w.message ?? 'see its logs'}`;
    if (w.reason === 'CreateContainerConfigError' || w.reason === 'CreateContainerError' || w.reason === 'RunContainerError') {
      return `the container ${cs.name} cannot start (${w.reason}): ${w.message ?? ''}`.trim();
    }
  }
  return undefined;
}
