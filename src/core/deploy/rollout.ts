/**
 * DeployClient: applies the rendered objects (server-side apply, field manager `slipway`),
 * watches the rollout until ready or failed, rolls back to the previous version, and lists
 * what is deployed. Speaks to the cluster of the user's kubeconfig context.
 */
import * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { kubeError, KubeError, loadKubeConfig } from '../kube/config';
import { KSERVE_API_VERSION } from './manifests';
import { deploymentSnapshot, inferenceServiceSnapshot, type PodTrouble, type Snapshot } from './status';
import { DEPLOY_KEYS, type HpaApiVersion, type KubeObject, type RolloutEvent, type RolloutResult, type ServingStatus } from './types';

export const FIELD_MANAGER = 'slipway';
const REVISION = 'deployment.kubernetes.io/revision';

export interface DeployClientOptions {
  /** kubeconfig context (deploy.context); default: the current one */
  readonly context?: string;
  /** a kubeconfig file instead of KUBECONFIG / ~/.kube/config */
  readonly kubeconfig?: string;
  readonly pollMs?: number;
}

export interface WorkloadRef {
  readonly kind: 'Deployment' | 'InferenceService';
  readonly name: string;
  readonly namespace: string;
}

export interface WatchOptions {
  /** give up after this long (default 5 minutes) */
  readonly timeoutMs?: number;
  /** how long an image pull, crash loop or scheduling problem may last before the rollout is failed (default 60 s) */
  readonly problemGraceMs?: number;
  /** InferenceService: how long to wait for a KServe controller to act on it (default 30 s) */
  readonly controllerGraceMs?: number;
  readonly onProgress?: (event: RolloutEvent) => void;
  readonly signal?: AbortSignal;
}

export interface RollbackResult extends WorkloadRef {
  readonly fromVersion?: string;
  readonly toVersion?: string;
  /** Deployment: the images before and after */
  readonly fromImage?: string;
  readonly toImage?: string;
  /** Deployment: the ReplicaSet revision rolled back to */
  readonly toRevision?: number;
  readonly fromRevision?: number;
}

/** The object whose rollout is watched among the rendered ones. */
export function workloadOf(objects: readonly KubeObject[]): WorkloadRef {
  const w = objects.find((o) => o.kind === 'Deployment' || o.kind === 'InferenceService');
  if (!w) throw new Error('nothing to watch: the render has no Deployment or InferenceService');
  return { kind: w.kind as WorkloadRef['kind'], name: w.metadata.name, namespace: w.metadata.namespace ?? 'default' };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new KubeError('cancelled', 'cancelled'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new KubeError('cancelled', 'cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The cluster does not serve this apiVersion/kind (KubernetesObjectApi's discovery says so in one of two ways). */
function unknownKind(e: unknown): boolean {
  return /Unrecognized API version and kind|Failed to fetch resource metadata/i.test((e as Error)?.message ?? '');
}

const specHash = (spec: unknown) => createHash('sha256').update(JSON.stringify(spec ?? null)).digest('hex').slice(0, 16);

/** Slipway's own annotations on an object (what a rollback restores), without the rollback record itself. */
function slipwayAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations ?? {})) if (k.startsWith('slipway.dev/') && k !== DEPLOY_KEYS.previous) out[k] = v;
  return out;
}

function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

export class DeployClient {
  readonly kc: k8s.KubeConfig;
  private readonly pollMs: number;

  constructor(options: DeployClientOptions = {}) {
    this.kc = loadKubeConfig(options.context, options.kubeconfig);
    this.pollMs = options.pollMs ?? 1000;
  }

  get context(): string {
    return this.kc.getCurrentContext();
  }

  private get objects() {
    return k8s.KubernetesObjectApi.makeApiClient(this.kc);
  }

  /** autoscaling/v2 where the cluster serves it (Kubernetes ≥ 1.23), else autoscaling/v2beta2. */
  async hpaApiVersion(): Promise<HpaApiVersion> {
    try {
      const groups = await this.kc.makeApiClient(k8s.ApisApi).getAPIVersions();
      const autoscaling = groups.groups.find((g) => g.name === 'autoscaling');
      return autoscaling?.versions.some((v) => v.version === 'v2') ? 'autoscaling/v2' : 'autoscaling/v2beta2';
    } catch (e) {
      throw kubeError(e, 'asking the cluster which autoscaling API it serves');
    }
  }

  /** An apply error with what to do about it. */
  private applyError(e: unknown, obj: KubeObject): KubeError {
    const where = `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
    if (unknownKind(e) || (obj.kind === 'InferenceService' && (e as { code?: number }).code === 404 && /the server could not find the requested resource/i.test(JSON.stringify((e as { body?: unknown }).body ?? '')))) {
      return new KubeError(
        `applying ${obj.kind} ${where}: the cluster does not know ${obj.kind} (${obj.apiVersion})${obj.kind === 'InferenceService' ? ': install KServe (or at least its CRDs), or use deploy.target: kubernetes' : ''}`,
        'invalid',
      );
    }
    const err = kubeError(e, `applying ${obj.kind} ${where}`);
    if (err.kind === 'not-found' && /namespaces? "?[^"]*"? not found/i.test(err.message)) {
      return new KubeError(`applying ${obj.kind} ${where}: the namespace ${obj.metadata.namespace} does not exist: create it (kubectl create namespace ${obj.metadata.namespace}) or change deploy.namespace`, 'not-found', 404);
    }
    return err;
  }

  private async readRaw(obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): Promise<KubeObject | undefined> {
    try {
      // (an unknown kind is rethrown as is: callers say what is missing)
      return (await this.objects.read({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace } })) as unknown as KubeObject;
    } catch (e) {
      if (unknownKind(e)) throw e;
      const err = kubeError(e, `reading ${obj.kind} ${obj.metadata.name}`);
      if (err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  /**
   * Server-side apply of each object in order, forcing ownership of conflicting fields (Slipway
   * is the owner of what it renders). An InferenceService keeps the spec it replaces in the
   * `slipway.dev/previous` annotation: the target of a rollback (KServe keeps no revisions of
   * its own that a client can return to).
   */
  async apply(objects: readonly KubeObject[], signal?: AbortSignal): Promise<KubeObject[]> {
    const applied: KubeObject[] = [];
    for (const original of objects) {
      signal?.throwIfAborted();
      const obj: KubeObject = structuredClone(original);
      if (obj.kind === 'InferenceService') await this.recordPrevious(obj);
      try {
        applied.push((await this.objects.patch(obj as k8s.KubernetesObject, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply)) as unknown as KubeObject);
      } catch (e) {
        throw this.applyError(e, obj);
      }
    }
    return applied;
  }

  private async recordPrevious(obj: KubeObject): Promise<void> {
    const hash = specHash(obj.spec);
    const annotations = (obj.metadata.annotations ??= {});
    annotations[DEPLOY_KEYS.specHash] = hash;
    let live: KubeObject | undefined;
    try {
      live = await this.readRaw(obj);
    } catch (e) {
      if (unknownKind(e)) throw this.applyError(e, obj);
      throw e;
    }
    if (!live) return;
    const liveAnnotations = live.metadata.annotations ?? {};
    if (liveAnnotations[DEPLOY_KEYS.specHash] === hash) {
      // the same spec again: keep the rollback target it already has
      if (liveAnnotations[DEPLOY_KEYS.previous]) annotations[DEPLOY_KEYS.previous] = liveAnnotations[DEPLOY_KEYS.previous];
      return;
    }
    annotations[DEPLOY_KEYS.previous] = JSON.stringify({ annotations: slipwayAnnotations(liveAnnotations), spec: live.spec });
  }

  /** Watches a rollout until it is ready, failed, or (InferenceService without a controller) unknown. */
  async watch(ref: WorkloadRef, options: WatchOptions = {}): Promise<RolloutResult> {
    const started = Date.now();
    const timeoutMs = options.timeoutMs ?? 300_000;
    const problemGraceMs = options.problemGraceMs ?? 60_000;
    const controllerGraceMs = options.controllerGraceMs ?? 30_000;
    const troubleSince = new Map<string, number>();
    let lastEmitted = '';
    let modelVersion: string | undefined;
    const finish = (s: Pick<Snapshot, 'phase' | 'message' | 'ready' | 'desired'>): RolloutResult => {
      const result: RolloutResult = {
        kind: ref.kind,
        name: ref.name,
        namespace: ref.namespace,
        phase: s.phase === 'progressing' ? 'failed' : s.phase,
        message: s.message,
        ready: s.ready,
        desired: s.desired,
        ...(modelVersion ? { modelVersion } : {}),
        elapsedMs: Date.now() - started,
      };
      options.onProgress?.({ phase: result.phase, message: result.message, ready: result.ready, desired: result.desired });
      return result;
    };
    let last: Snapshot = { phase: 'progressing', message: 'starting', ready: 0, desired: 0 };
    for (;;) {
      if (options.signal?.aborted) return finish({ ...last, phase: 'failed', message: 'cancelled: stopped watching (the rollout goes on in the cluster)' });
      try {
        const read = ref.kind === 'Deployment' ? await this.deploymentState(ref) : await this.inferenceServiceState(ref);
        if (!read) return finish({ ...last, phase: 'failed', message: `the ${ref.kind} ${ref.namespace}/${ref.name} no longer exists (deleted by someone else?)` });
        modelVersion = read.modelVersion;
        last = read.snapshot;
      } catch (e) {
        if (unknownKind(e)) return finish({ ...last, phase: 'failed', message: `the cluster does not know ${ref.kind}: is KServe installed?` });
        const err = kubeError(e, `reading ${ref.kind} ${ref.namespace}/${ref.name}`);
        if (err.kind === 'forbidden' || err.kind === 'config') return finish({ ...last, phase: 'failed', message: err.message });
        // a passing network fault: say so, keep watching
        last = { ...last, phase: 'progressing', message: err.message };
      }
      const elapsed = Date.now() - started;
      if (last.phase === 'ready' || last.phase === 'failed') return finish(last);
      if (last.phase === 'unknown') {
        if (elapsed >= controllerGraceMs) return finish(last);
        last = { ...last, phase: 'progressing', message: 'waiting for a KServe controller to act on the InferenceService' };
      }
      if (last.trouble) {
        const since = troubleSince.get(last.trouble.kind) ?? Date.now();
        troubleSince.set(last.trouble.kind, since);
        if (last.trouble.fatal || Date.now() - since >= problemGraceMs) return finish({ ...last, phase: 'failed', message: await this.withLogs(ref.namespace, last.trouble) });
      } else troubleSince.clear();
      if (elapsed >= timeoutMs) return finish({ ...last, phase: 'failed', message: `not ready after ${Math.round(timeoutMs / 1000)}s: ${last.message}` });
      const key = `${last.phase}|${last.message}|${last.ready}|${last.desired}`;
      if (key !== lastEmitted) {
        lastEmitted = key;
        options.onProgress?.({ phase: 'progressing', message: last.message, ready: last.ready, desired: last.desired });
      }
      try {
        await sleep(this.pollMs, options.signal);
      } catch {
        // aborted: the loop's first check reports it
      }
    }
  }

  /**
   * A crash with what explains it: a failing health probe (the kubelet's Unhealthy events: the
   * container is restarted for it), and the last lines the container wrote before it died.
   */
  private async withLogs(namespace: string, trouble: PodTrouble): Promise<string> {
    if (trouble.kind !== 'crash' || !trouble.pod || !trouble.container) return trouble.message;
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    let message = trouble.message;
    try {
      const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${trouble.pod},reason=Unhealthy` });
      const last = events.items.sort((a, b) => String(b.lastTimestamp ?? b.eventTime ?? '').localeCompare(String(a.lastTimestamp ?? a.eventTime ?? '')))[0];
      if (last?.message) message += `; its health check fails: ${last.message.trim()}`;
    } catch {
      // events are a help, not a need
    }
    // the container that crashed: the previous one once it restarted, else the current one; the kubelet answers
    // "unable to retrieve container logs" as log text when the runtime already removed a container
    for (const previous of [true, false]) {
      try {
        const log = await core.readNamespacedPodLog({ name: trouble.pod, namespace, container: trouble.container, previous, tailLines: 5 });
        const lines = String(log ?? '').trim().split('\n').map((l) => l.trim()).filter(Boolean).slice(-5);
        if (lines.length && !/^unable to retrieve container logs/i.test(lines[0]!)) {
          message += `; its last log lines: ${lines.join(' | ')}`;
          break;
        }
      } catch {
        // no such container (yet, or any more)
      }
    }
    return message;
  }

  /** The ReplicaSets a Deployment owns, as raw JSON (their templates are re-applied verbatim on rollback). */
  private async replicaSets(d: k8s.V1Deployment): Promise<RawReplicaSet[]> {
    const list = (await this.kc.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({
      group: 'apps',
      version: 'v1',
      namespace: d.metadata!.namespace!,
      plural: 'replicasets',
      labelSelector: selectorString(d.spec?.selector?.matchLabels ?? {}),
    })) as { items?: RawReplicaSet[] };
    return (list.items ?? []).filter((rs) => rs.metadata.ownerReferences?.some((o) => o.uid === d.metadata?.uid));
  }

  private async deploymentState(ref: WorkloadRef): Promise<{ snapshot: Snapshot; modelVersion?: string } | undefined> {
    const apps = this.kc.makeApiClient(k8s.AppsV1Api);
    let d: k8s.V1Deployment;
    try {
      d = await apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
    } catch (e) {
      if (kubeError(e, 'read').kind === 'not-found') return undefined;
      throw e;
    }
    const newest = (await this.replicaSets(d)).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
    const hash = newest?.metadata.labels?.['pod-template-hash'];
    let pods: k8s.V1Pod[] = [];
    if (hash) {
      const selector = selectorString({ ...(d.spec?.selector?.matchLabels ?? {}), 'pod-template-hash': hash });
      pods = (await this.kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ref.namespace, labelSelector: selector })).items;
    }
    const modelVersion = d.metadata?.annotations?.[DEPLOY_KEYS.modelVersion];
    return { snapshot: deploymentSnapshot(d, pods), ...(modelVersion ? { modelVersion } : {}) };
  }

  private async inferenceServiceState(ref: WorkloadRef): Promise<{ snapshot: Snapshot; modelVersion?: string } | undefined> {
    const isvc = await this.readRaw({ apiVersion: KSERVE_API_VERSION, kind: 'InferenceService', metadata: { name: ref.name, namespace: ref.namespace } });
    if (!isvc) return undefined;
    const pods = (
      await this.kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ref.namespace, labelSelector: `serving.kserve.io/inferenceservice=${ref.name}` })
    ).items;
    const modelVersion = isvc.metadata.annotations?.[DEPLOY_KEYS.modelVersion];
    return { snapshot: inferenceServiceSnapshot(isvc as Parameters<typeof inferenceServiceSnapshot>[0], pods), ...(modelVersion ? { modelVersion } : {}) };
  }

  /**
   * Back to the previous version. A Deployment gets the pod template of its previous ReplicaSet
   * revision (what `kubectl rollout undo` does), and the annotations that revision was deployed
   * with; an InferenceService gets the spec recorded in `slipway.dev/previous`, and records the
   * one it leaves there (so a second rollback returns).
   */
  async rollback(ref: WorkloadRef): Promise<RollbackResult> {
    return ref.kind === 'Deployment' ? this.rollbackDeployment(ref) : this.rollbackInferenceService(ref);
  }

  private async rollbackDeployment(ref: WorkloadRef): Promise<RollbackResult> {
    const apps = this.kc.makeApiClient(k8s.AppsV1Api);
    const where = `Deployment ${ref.namespace}/${ref.name}`;
    let d: k8s.V1Deployment;
    try {
      d = await apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
    } catch (e) {
      const err = kubeError(e, `reading ${where}`);
      if (err.kind === 'not-found') throw new KubeError(`nothing to roll back: there is no ${where} (deploy first)`, 'not-found', 404);
      throw err;
    }
    const current = Number(d.metadata?.annotations?.[REVISION] ?? 0);
    let sets: RawReplicaSet[];
    try {
      sets = await this.replicaSets(d);
    } catch (e) {
      throw kubeError(e, `listing the revisions of ${where}`);
    }
    const previous = sets.filter((rs) => revisionOf(rs) !== current && revisionOf(rs) > 0).sort((a, b) => revisionOf(b) - revisionOf(a))[0];
    if (!previous) throw new KubeError(`nothing to roll back to: ${where} has no earlier revision (only revision ${current} is kept)`, 'not-found');
    const template = structuredClone(previous.spec.template);
    if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
    // the annotations the previous revision was deployed with (the controller copied them onto its ReplicaSet)
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) if (!k.startsWith('slipway.dev/') && k !== DEPLOY_KEYS.changeCause) annotations[k] = v;
    for (const [k, v] of Object.entries(previous.metadata.annotations ?? {})) if (k.startsWith('slipway.dev/') || k === DEPLOY_KEYS.changeCause) annotations[k] = v;
    try {
      await apps.patchNamespacedDeployment({
        name: ref.name,
        namespace: ref.namespace,
        fieldManager: FIELD_MANAGER,
        body: [
          { op: 'replace', path: '/spec/template', value: template },
          { op: 'add', path: '/metadata/annotations', value: annotations },
        ],
      });
    } catch (e) {
      throw kubeError(e, `rolling back ${where}`);
    }
    const imageOf = (spec: unknown) => (spec as { containers?: { image?: string }[] } | undefined)?.containers?.[0]?.image;
    return {
      ...ref,
      fromRevision: current,
      toRevision: revisionOf(previous),
      ...optional('fromImage', d.spec?.template?.spec?.containers?.[0]?.image),
      ...optional('toImage', imageOf(template.spec)),
      ...optional('fromVersion', d.metadata?.annotations?.[DEPLOY_KEYS.modelVersion]),
      ...optional('toVersion', annotations[DEPLOY_KEYS.modelVersion] ?? template.metadata?.annotations?.[DEPLOY_KEYS.modelVersion]),
    };
  }

  private async rollbackInferenceService(ref: WorkloadRef): Promise<RollbackResult> {
    const where = `InferenceService ${ref.namespace}/${ref.name}`;
    const live = await this.readRaw({ apiVersion: KSERVE_API_VERSION, kind: 'InferenceService', metadata: { name: ref.name, namespace: ref.namespace } }).catch((e) => {
      throw unknownKind(e) ? new KubeError(`the cluster does not know InferenceService (${KSERVE_API_VERSION}): is KServe installed?`, 'invalid') : e;
    });
    if (!live) throw new KubeError(`nothing to roll back: there is no ${where} (deploy first)`, 'not-found', 404);
    const recorded = live.metadata.annotations?.[DEPLOY_KEYS.previous];
    if (!recorded) throw new KubeError(`nothing to roll back to: ${where} has no earlier version recorded (${DEPLOY_KEYS.previous})`, 'not-found');
    let previous: { annotations: Record<string, string>; spec: unknown };
    try {
      previous = JSON.parse(recorded);
    } catch {
      throw new KubeError(`cannot roll back ${where}: its ${DEPLOY_KEYS.previous} annotation is not valid JSON (edited by hand?)`, 'invalid');
    }
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(live.metadata.labels ?? {})) if (k.startsWith('app.kubernetes.io/') || k.startsWith('slipway.dev/')) labels[k] = v;
    const obj: KubeObject = {
      apiVersion: KSERVE_API_VERSION,
      kind: 'InferenceService',
      metadata: {
        name: ref.name,
        namespace: ref.namespace,
        labels,
        annotations: {
          ...previous.annotations,
          [DEPLOY_KEYS.specHash]: specHash(previous.spec),
          [DEPLOY_KEYS.previous]: JSON.stringify({ annotations: slipwayAnnotations(live.metadata.annotations), spec: live.spec }),
        },
      },
      spec: previous.spec,
    };
    try {
      await this.objects.patch(obj as k8s.KubernetesObject, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
    } catch (e) {
      throw this.applyError(e, obj);
    }
    return {
      ...ref,
      ...optional('fromVersion', live.metadata.annotations?.[DEPLOY_KEYS.modelVersion]),
      ...optional('toVersion', previous.annotations[DEPLOY_KEYS.modelVersion]),
    };
  }

  /** The project's Deployments and InferenceServices in `namespace`, with version, replicas and state. */
  async status(project: string, namespace: string, signal?: AbortSignal): Promise<ServingStatus[]> {
    const selector = `app.kubernetes.io/managed-by=slipway,app.kubernetes.io/name=${project.slice(0, 63)},app.kubernetes.io/component=serving`;
    const context = this.context;
    const out: ServingStatus[] = [];
    let deployments: k8s.V1Deployment[];
    try {
      deployments = (await this.kc.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace, labelSelector: selector })).items;
    } catch (e) {
      throw kubeError(e, `listing the Deployments of ${project} in ${namespace}`);
    }
    for (const d of deployments) {
      signal?.throwIfAborted();
      const ref: WorkloadRef = { kind: 'Deployment', name: d.metadata!.name!, namespace };
      const state = await this.deploymentState(ref).catch((e) => {
        throw kubeError(e, `reading ${ref.kind} ${namespace}/${ref.name}`);
      });
      if (!state) continue;
      out.push(statusEntry(ref, context, state.snapshot, d.metadata?.annotations, d.spec?.template?.spec?.containers?.[0]?.image));
    }
    let isvcs: KubeObject[] = [];
    try {
      isvcs = ((await this.objects.list(KSERVE_API_VERSION, 'InferenceService', namespace, undefined, undefined, undefined, undefined, selector)).items ?? []) as unknown as KubeObject[];
    } catch (e) {
      // no KServe CRDs: nothing of that kind can be deployed
      const err = kubeError(e, 'listing InferenceServices');
      if (!unknownKind(e) && err.kind !== 'not-found') throw err;
    }
    for (const isvc of isvcs) {
      const ref: WorkloadRef = { kind: 'InferenceService', name: isvc.metadata.name, namespace };
      const state = await this.inferenceServiceState(ref);
      if (!state) continue;
      const canary = (isvc.spec as { predictor?: { canaryTrafficPercent?: number } } | undefined)?.predictor?.canaryTrafficPercent;
      out.push({ ...statusEntry(ref, context, state.snapshot, isvc.metadata.annotations, undefined), ...(canary !== undefined ? { canaryPercent: canary } : {}) });
    }
    return out;
  }
}

interface RawReplicaSet {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: { uid: string }[] };
  spec: { template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: unknown } };
}

function revisionOf(rs: RawReplicaSet): number {
  return Number(rs.metadata.annotations?.[REVISION] ?? 0) || 0;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value ? { [key]: value } : {}) as { [P in K]?: string };
}

function statusEntry(ref: WorkloadRef, context: string, s: Snapshot, annotations: Record<string, string> | undefined, image: string | undefined): ServingStatus {
  const status: ServingStatus['status'] = s.phase === 'ready' ? 'Ready' : s.phase === 'failed' ? 'Failed' : s.phase === 'unknown' ? 'Unknown' : 'Progressing';
  return {
    kind: ref.kind,
    name: ref.name,
    namespace: ref.namespace,
    context,
    ...optional('model', annotations?.[DEPLOY_KEYS.model]),
    ...optional('modelVersion', annotations?.[DEPLOY_KEYS.modelVersion]),
    ...optional('image', image),
    ready: s.ready,
    desired: s.desired,
    status,
    ...(status === 'Ready' ? {} : { message: s.message }),
    ...optional('gateOverride', annotations?.[DEPLOY_KEYS.gateOverride]),
  };
}
