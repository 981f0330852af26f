/**
 * Where a rollout stands, in plain words, from what the cluster reports: a Deployment's status
 * and its new pods (like `kubectl rollout status`), or an InferenceService's conditions.
 * Pure functions of the objects read; rollout.ts reads and polls.
 */
import type * as k8s from '@kubernetes/client-node';
import { podProblem } from '../kube/config';
import { DEPLOY_KEYS, type RolloutPhase } from './types';

export interface PodTrouble {
  readonly message: string;
  /** waiting will not help (a malformed image name): fail at once */
  readonly fatal: boolean;
  readonly kind: 'image' | 'crash' | 'unschedulable' | 'config';
  /** the pod and container it is about, for fetching logs */
  readonly pod?: string;
  readonly container?: string;
}

function exitNote(t: k8s.V1ContainerStateTerminated | undefined): string {
  if (!t) return '';
  return ` (last exit code ${t.exitCode}${t.reason && t.reason !== 'Error' ? `, ${t.reason}` : ''})`;
}

/** The first problem among the pods, with how bad it is. */
export function podTrouble(pods: readonly k8s.V1Pod[]): PodTrouble | undefined {
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const where = { pod: pod.metadata?.name ?? '' };
    const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
    const message = podProblem(pod);
    if (message) {
      const reasons = statuses.map((s) => s.state?.waiting?.reason ?? '');
      if (/cannot be scheduled/.test(message)) {
        const ports = /free ports/.test(message);
        return {
          message: ports ? `${message.replace(/ \(lower the requested resources or add nodes\)$/, '')} (another pod holds the port on the node: with hostNetwork a node runs one replica)` : message,
          fatal: false,
          kind: 'unschedulable',
          ...where,
        };
      }
      if (/cannot pull/.test(message)) return { message, fatal: reasons.includes('InvalidImageName'), kind: 'image', ...where };
      if (/keeps crashing/.test(message)) {
        const cs = statuses.find((s) => s.state?.waiting?.reason === 'CrashLoopBackOff');
        return { message: `${message}${exitNote(cs?.lastState?.terminated)}`, fatal: false, kind: 'crash', ...where, ...(cs ? { container: cs.name } : {}) };
      }
      return { message, fatal: false, kind: 'config', ...where };
    }
    // between two restarts the container runs and has no waiting reason: still a crash loop
    for (const cs of statuses) {
      const t = cs.lastState?.terminated;
      if (cs.ready || !t || (cs.restartCount ?? 0) === 0) continue;
      if (t.reason === 'OOMKilled') {
        return { message: `the container ${cs.name} runs out of memory (OOMKilled, restarted ${cs.restartCount} time(s)): raise deploy.resources.memory`, fatal: false, kind: 'crash', ...where, container: cs.name };
      }
      if (t.exitCode !== 0) {
        return { message: `the container ${cs.name} keeps crashing: restarted ${cs.restartCount} time(s)${exitNote(t)}`, fatal: false, kind: 'crash', ...where, container: cs.name };
      }
    }
  }
  return undefined;
}

export function isPodReady(pod: k8s.V1Pod): boolean {
  return !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

export interface Snapshot {
  readonly phase: RolloutPhase;
  readonly message: string;
  readonly ready: number;
  readonly desired: number;
  readonly trouble?: PodTrouble;
}

/**
 * A Deployment's rollout from its status and the pods of its newest ReplicaSet: ready when every
 * desired replica runs the new template and is available; failed when the cluster gave up
 * (ProgressDeadlineExceeded). Pod problems are returned for the caller to time.
 */
export function deploymentSnapshot(d: k8s.V1Deployment, newPods: readonly k8s.V1Pod[]): Snapshot {
  const desired = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  const ready = newPods.filter(isPodReady).length;
  const version = d.metadata?.annotations?.[DEPLOY_KEYS.modelVersion];
  const of = version ? ` of version ${version}` : '';
  const trouble = podTrouble(newPods);
  const withTrouble = (m: string) => (trouble ? `${m}: ${trouble.message}` : m);
  if ((d.metadata?.generation ?? 0) > (st.observedGeneration ?? 0)) {
    return { phase: 'progressing', message: 'waiting for the cluster to take up the new spec', ready, desired, ...(trouble ? { trouble } : {}) };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return {
      phase: 'failed',
      message: withTrouble(`the rollout made no progress for ${d.spec?.progressDeadlineSeconds ?? 600}s (progressDeadlineSeconds) and the cluster gave up`),
      ready,
      desired,
      ...(trouble ? { trouble } : {}),
    };
  }
  const updated = st.updatedReplicas ?? 0;
  const replicas = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  let message: string | undefined;
  if (updated < desired) message = `${ready} of ${desired} replica(s)${of} ready (${updated} created)`;
  else if (replicas > updated) message = `${replicas - updated} old replica(s) still running, waiting to be replaced`;
  else if (available < updated) message = `${ready} of ${desired} replica(s)${of} ready`;
  if (message) return { phase: 'progressing', message: withTrouble(message), ready, desired, ...(trouble ? { trouble } : {}) };
  return { phase: 'ready', message: `${desired} of ${desired} replica(s)${of} ready`, ready: Math.max(ready, desired), desired };
}

export const NO_KSERVE_CONTROLLER = 'no KServe controller has picked it up yet (is KServe installed?)';

interface IsvcLike {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  spec?: { predictor?: { minReplicas?: number; canaryTrafficPercent?: number } };
  status?: {
    observedGeneration?: number;
    conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  };
}

/**
 * An InferenceService from its conditions. Without any status nobody has acted on it: with no
 * KServe controller in the cluster that stays so, and the phase is 'unknown'.
 */
export function inferenceServiceSnapshot(isvc: IsvcLike, pods: readonly k8s.V1Pod[]): Snapshot {
  const desired = Math.max(1, isvc.spec?.predictor?.minReplicas ?? 1);
  const ready = pods.filter(isPodReady).length;
  const trouble = podTrouble(pods);
  const st = isvc.status;
  if (!st || (!st.conditions?.length && st.observedGeneration === undefined)) {
    return { phase: 'unknown', message: NO_KSERVE_CONTROLLER, ready, desired, ...(trouble ? { trouble } : {}) };
  }
  const cond = st.conditions?.find((c) => c.type === 'Ready');
  const current = st.observedGeneration === undefined || (isvc.metadata?.generation ?? 0) <= st.observedGeneration;
  if (cond?.status === 'True' && current) return { phase: 'ready', message: 'the InferenceService is ready', ready: Math.max(ready, desired), desired };
  const why = cond?.message || cond?.reason;
  const message = trouble ? `not ready: ${trouble.message}` : why ? `not ready yet: ${why}` : 'waiting for KServe to make it ready';
  return { phase: 'progressing', message, ready, desired, ...(trouble ? { trouble } : {}) };
}
