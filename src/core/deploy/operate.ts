/**
 * Operating what is deployed: pod logs, a local port forwarded to a ready pod, promoting a
 * KServe canary, deleting the project's serving objects, and status over several
 * namespaces and contexts. Lives in the Kubernetes bundle (out/kube.js) with DeployClient.
 */
import * as k8s from '@kubernetes/client-node';
import * as http from 'node:http';
import * as https from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { kubeError, KubeError } from '../kube/config';
import { KSERVE_API_VERSION } from './manifests';
import { DeployClient, FIELD_MANAGER, type DeployClientOptions, type WorkloadRef } from './rollout';
import { inferenceServiceSnapshot, deploymentSnapshot, isPodReady, podTrouble } from './status';
import type { StatusTarget } from './targets';
import { DEPLOY_KEYS, type KubeObject, type ServingStatus } from './types';

const REVISION = 'deployment.kubernetes.io/revision';
const ISVC_LABEL = 'serving.kserve.io/inferenceservice';
/** KServe's model server container in a predictor pod (next to queue-proxy and the storage initializer) */
const KSERVE_CONTAINER = 'kserve-container';

const where = (ref: WorkloadRef) => `${ref.kind} ${ref.namespace}/${ref.name}`;

/** `p`, or a KubeError saying nothing came back after `ms` (the request itself may go on: its result is dropped). */
export function within<T>(p: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(new KubeError(`${what}: cancelled`, 'cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new KubeError(`${what}: cancelled`, 'cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      reject(new KubeError(`${what}: no answer from the cluster after ${Math.round(ms / 1000)}s. Is the context right and the API server up?`, 'unreachable'));
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

interface WorkloadPods {
  /** pods of the newest version: the newest ReplicaSet, or every predictor pod of an InferenceService */
  readonly newest: k8s.V1Pod[];
  /** every pod the workload selects (older ReplicaSets too, while a rollout runs) */
  readonly all: k8s.V1Pod[];
  /** where things stand, in words, when no pod is ready */
  readonly state: string;
}

/** The pods behind a Deployment or an InferenceService. */
export async function workloadPods(client: DeployClient, ref: WorkloadRef, signal?: AbortSignal, timeoutMs = 15_000): Promise<WorkloadPods> {
  const core = client.kc.makeApiClient(k8s.CoreV1Api);
  const read = async <T>(p: Promise<T>, what: string): Promise<T> => {
    try {
      return await within(p, timeoutMs, what, signal);
    } catch (e) {
      const err = kubeError(e, what);
      if (err.kind === 'not-found') throw new KubeError(`there is no ${where(ref)} (deleted, or never deployed there?)`, 'not-found', 404);
      throw err;
    }
  };
  if (ref.kind === 'InferenceService') {
    const isvc = (await read(
      client.kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ group: 'serving.kserve.io', version: 'v1beta1', namespace: ref.namespace, plural: 'inferenceservices', name: ref.name }),
      `reading ${where(ref)}`,
    )) as Parameters<typeof inferenceServiceSnapshot>[0];
    const pods = (await read(core.listNamespacedPod({ namespace: ref.namespace, labelSelector: `${ISVC_LABEL}=${ref.name}` }), `listing the pods of ${where(ref)}`)).items;
    return { newest: pods, all: pods, state: inferenceServiceSnapshot(isvc, pods).message };
  }
  const apps = client.kc.makeApiClient(k8s.AppsV1Api);
  const d = await read(apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }), `reading ${where(ref)}`);
  const match = d.spec?.selector?.matchLabels ?? {};
  const sets = (await read(apps.listNamespacedReplicaSet({ namespace: ref.namespace, labelSelector: selectorString(match) }), `listing the ReplicaSets of ${where(ref)}`)).items.filter((rs) =>
    rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid),
  );
  const revision = (rs: k8s.V1ReplicaSet) => Number(rs.metadata?.annotations?.[REVISION] ?? 0) || 0;
  const newestSet = sets.sort((a, b) => revision(b) - revision(a))[0];
  const all = (await read(core.listNamespacedPod({ namespace: ref.namespace, labelSelector: selectorString(match) }), `listing the pods of ${where(ref)}`)).items;
  const hash = newestSet?.metadata?.labels?.['pod-template-hash'];
  const newest = hash ? all.filter((p) => p.metadata?.labels?.['pod-template-hash'] === hash) : [];
  return { newest, all, state: deploymentSnapshot(d, newest).message };
}

/** The container that serves: KServe's model container, else the first one. */
function servingContainer(pod: k8s.V1Pod): k8s.V1Container | undefined {
  const containers = pod.spec?.containers ?? [];
  return containers.find((c) => c.name === KSERVE_CONTAINER) ?? containers[0];
}

// ---------------------------------------------------------------------------------------------
// logs

export interface LogStreamOptions {
  /** keep streaming as the pods write (until the pods stop or `signal` aborts) */
  readonly follow?: boolean;
  /** the last N lines of each pod (default: all) */
  readonly tailLines?: number;
  readonly signal?: AbortSignal;
  /** text as it arrives, whole lines, prefixed "[pod] " when there are several pods */
  readonly onText: (text: string) => void;
  /** how long to wait for the cluster to start answering (default 15 s) */
  readonly timeoutMs?: number;
  /** the pods whose logs are read, once they are known */
  readonly onPods?: (pods: readonly string[]) => void;
}

export interface LogStreamResult {
  readonly pods: readonly string[];
  /** how it ended: every stream ended (`ended`) or the caller aborted (`aborted`) */
  readonly reason: 'ended' | 'aborted';
}

/** GET a pod's log as a stream; resolves once the cluster answered 200, with the response to read. */
async function openPodLog(kc: k8s.KubeConfig, namespace: string, pod: string, container: string, options: { follow: boolean; tailLines?: number }, timeoutMs: number, signal?: AbortSignal): Promise<http.IncomingMessage> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeError('the kubeconfig context names no cluster', 'config');
  const url = new URL(`${cluster.server.replace(/\/+$/, '')}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`);
  url.searchParams.set('container', container);
  if (options.follow) url.searchParams.set('follow', 'true');
  if (options.tailLines !== undefined) url.searchParams.set('tailLines', String(options.tailLines));
  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const what = `reading the log of pod ${namespace}/${pod}`;
    const req = send(url, { method: 'GET', agent: opts.agent, headers: opts.headers, ...(opts.auth ? { auth: opts.auth } : {}) });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new KubeError(`${what}: no answer from the cluster after ${Math.round(timeoutMs / 1000)}s. Is the context right and the API server up?`, 'unreachable'));
    }, timeoutMs);
    const onAbort = () => {
      req.destroy();
      reject(new KubeError(`${what}: cancelled`, 'cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(kubeError(e, what));
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (res.statusCode === 200) return resolve(res);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c.length + body.length < 64 * 1024 ? c : ''));
      res.on('end', () => reject(kubeError({ code: res.statusCode, body }, what)));
      res.on('error', () => reject(kubeError({ code: res.statusCode, body }, what)));
    });
    req.end();
  });
}

/**
 * The logs of the workload's pods (a Deployment's newest ReplicaSet; an InferenceService's
 * predictor pods), whole lines, each prefixed with its pod's name when there are several.
 * Resolves when every stream ended (without `follow`: at once; with it: when the pods stop)
 * or when `signal` aborts.
 */
export async function streamLogs(client: DeployClient, ref: WorkloadRef, options: LogStreamOptions): Promise<LogStreamResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const { signal } = options;
  const { newest, state } = await workloadPods(client, ref, signal, timeoutMs);
  const pods = newest.filter((p) => !p.metadata?.deletionTimestamp && servingContainer(p));
  if (pods.length === 0) throw new KubeError(`${where(ref)} has no pods yet (${state})`, 'not-found');
  const names = pods.map((p) => p.metadata!.name!);
  options.onPods?.(names);
  const several = pods.length > 1;
  const responses: http.IncomingMessage[] = [];
  const abort = new Promise<'aborted'>((resolve) => {
    if (signal?.aborted) resolve('aborted');
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  const streams = pods.map(async (pod) => {
    const name = pod.metadata!.name!;
    const container = servingContainer(pod)!.name;
    let res: http.IncomingMessage;
    try {
      res = await openPodLog(client.kc, ref.namespace, name, container, { follow: options.follow ?? false, ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}) }, timeoutMs, signal);
    } catch (e) {
      if ((e as KubeError).kind === 'cancelled') return;
      // one pod that cannot be read (still creating, say) is told in the stream; the others go on
      options.onText(`${several ? `[${name}] ` : ''}slipway: ${(e as Error).message}\n`);
      return;
    }
    responses.push(res);
    let partial = '';
    const prefix = several ? `[${name}] ` : '';
    const emit = (text: string) => {
      if (!prefix) return options.onText(text);
      options.onText(text.split('\n').map((l, i, all) => (i === all.length - 1 && l === '' ? '' : prefix + l)).join('\n'));
    };
    await new Promise<void>((resolve) => {
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          const text = partial + chunk.toString('utf8');
          const cut = text.lastIndexOf('\n');
          partial = text.slice(cut + 1);
          if (cut >= 0) emit(text.slice(0, cut + 1));
          cb();
        },
        final(cb) {
          if (partial) emit(`${partial}\n`);
          partial = '';
          cb();
        },
      });
      sink.on('finish', () => resolve());
      res.on('error', () => resolve());
      res.on('aborted', () => resolve());
      res.on('close', () => resolve());
      res.pipe(sink);
    });
  });
  const reason = await Promise.race([Promise.all(streams).then(() => 'ended' as const), abort]);
  for (const r of responses) r.destroy();
  return { pods: names, reason };
}

// ---------------------------------------------------------------------------------------------
// port forward

export interface PortForwardOptions {
  /** the container port (default: the serving container's first port, else 8080) */
  readonly port?: number;
  readonly signal?: AbortSignal;
  /** a connection could not be forwarded (the pod went away, the kubelet refused): for the log */
  readonly onError?: (message: string) => void;
  /** how long finding a pod and opening each connection may take (default 15 s) */
  readonly timeoutMs?: number;
}

export interface PortForward {
  /** 127.0.0.1:<localPort> reaches the pod */
  readonly localPort: number;
  /** the pod connections go to now (another one when it goes away) */
  readonly pod: string;
  readonly containerPort: number;
  /** local connections accepted so far (keep-alive clients reuse theirs) */
  readonly connections: number;
  close(): Promise<void>;
}

interface Target {
  readonly pod: string;
  readonly port: number;
}

/** A ready pod of the workload (the newest version's first) and the port to reach. */
async function readyTarget(client: DeployClient, ref: WorkloadRef, port: number | undefined, timeoutMs: number, signal?: AbortSignal): Promise<Target> {
  const { newest, all, state } = await workloadPods(client, ref, signal, timeoutMs);
  const pod = newest.find(isPodReady) ?? all.find(isPodReady);
  if (!pod) {
    const trouble = podTrouble(newest.length ? newest : all);
    const why = trouble?.message ?? state;
    throw new KubeError(`no ready pod of ${where(ref)} to forward to${all.length ? '' : ' (it has no pods)'}: ${why}`, 'not-found');
  }
  const ports = servingContainer(pod)?.ports ?? [];
  const containerPort = port ?? (ports.find((p) => p.name === 'http') ?? ports[0])?.containerPort ?? 8080;
  return { pod: pod.metadata!.name!, port: containerPort };
}

type Ws = import('ws').WebSocket;

/**
 * A local TCP server on 127.0.0.1 (a free port) whose every connection is carried to a ready
 * pod of the workload over the API server's port-forward (k8s.PortForward: one WebSocket per
 * connection, so keep-alive HTTP clients reuse it). When the pod goes away, the next
 * connection finds another ready one. Rejects in words when no pod is ready.
 */
export async function portForward(client: DeployClient, ref: WorkloadRef, options: PortForwardOptions = {}): Promise<PortForward> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  let target = await readyTarget(client, ref, options.port, timeoutMs, options.signal);
  const forwarder = new k8s.PortForward(client.kc, true);
  const sockets = new Set<Socket>();
  const webSockets = new Set<Ws>();
  let closed = false;
  let connections = 0;
  const report = (m: string) => options.onError?.(m);

  const open = async (socket: Socket, t: Target): Promise<{ ws: Ws; errors: () => string }> => {
    let errText = '';
    const errSink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        errText += chunk.toString('utf8');
        cb();
      },
    });
    const what = `forwarding to pod ${ref.namespace}/${t.pod}`;
    const pending = forwarder.portForward(ref.namespace, t.pod, [t.port], socket, errSink, socket) as Promise<Ws>;
    try {
      return { ws: await within(pending, timeoutMs, what), errors: () => errText };
    } catch (e) {
      // a socket that opens after all is closed at once
      pending.then((ws) => ws.close(), () => {});
      // the WebSocket handshake's refusal carries the API server's status: 403, 404 in words
      const status = /Unexpected server response: (\d{3})/.exec(String((e as { message?: string })?.message ?? ''));
      throw status ? kubeError({ code: Number(status[1]), body: { message: `the API server refused the port-forward to pod ${t.pod}` } }, what) : kubeError(e, what);
    }
  };

  const forward = async (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // a client that resets the connection is no error of ours
    socket.on('error', () => socket.destroy());
    let conn: { ws: Ws; errors: () => string };
    try {
      conn = await open(socket, target);
    } catch (first) {
      // the pod may be gone (a rollout replaced it): find a ready one and try once more
      try {
        const next = await readyTarget(client, ref, options.port, timeoutMs);
        if (next.pod === target.pod) throw first;
        target = next;
        conn = await open(socket, target);
      } catch (e) {
        report(kubeError(e, `forwarding a connection to ${where(ref)}`).message);
        socket.destroy();
        return;
      }
    }
    const { ws } = conn;
    if (closed || socket.destroyed) {
      ws.close();
      return;
    }
    webSockets.add(ws);
    ws.on('error', (e: Error) => {
      report(`the forward to pod ${ref.namespace}/${target.pod} failed: ${e.message}`);
      socket.destroy();
    });
    ws.on('close', () => {
      webSockets.delete(ws);
      const err = conn.errors().trim();
      // the kubelet says why on the error channel (no socat on the node, nothing listening on the port)
      if (err) report(`pod ${ref.namespace}/${target.pod} port ${target.port}: ${err}`);
      socket.end();
    });
    socket.on('close', () => {
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
    });
  };

  const server: Server = createServer((socket) => void forward(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => report(`the local forward server failed: ${e.message}`));
  const localPort = (server.address() as { port: number }).port;

  const close = async () => {
    if (closed) return;
    closed = true;
    for (const ws of webSockets) ws.terminate();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  return {
    localPort,
    get pod() {
      return target.pod;
    },
    get containerPort() {
      return target.port;
    },
    get connections() {
      return connections;
    },
    close,
  };
}

// ---------------------------------------------------------------------------------------------
// promote, delete

export interface PromoteResult extends WorkloadRef {
  readonly fromPercent: number;
  readonly modelVersion?: string;
  /** the annotation recorded on the InferenceService */
  readonly record: string;
}

/**
 * Ends an InferenceService's canary: KServe sends all traffic to the latest ready revision when
 * the spec has no canaryTrafficPercent (KServe's canary docs: promote by removing the field;
 * 100 does the same but leaves a canary setting behind). Server-side applied by Slipway with
 * the live spec minus the field, and who/when in `slipway.dev/promoted`. The rollback target
 * (`slipway.dev/previous`) and the spec hash are kept, so a rollback still returns to the
 * version before the canary, and re-applying the same render is no new version.
 */
export async function promoteCanary(client: DeployClient, ref: WorkloadRef, options: { who?: string; now?: Date; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<PromoteResult> {
  if (ref.kind === 'Deployment') {
    throw new KubeError(
      `${where(ref)} has no canary to promote: a Deployment rolls every replica to the new version (a canary needs deploy.target: kserve with deploy.canary)`,
      'invalid',
    );
  }
  const timeoutMs = options.timeoutMs ?? 15_000;
  const objects = k8s.KubernetesObjectApi.makeApiClient(client.kc);
  let live: KubeObject;
  try {
    live = (await within(objects.read({ apiVersion: KSERVE_API_VERSION, kind: 'InferenceService', metadata: { name: ref.name, namespace: ref.namespace } }), timeoutMs, `reading ${where(ref)}`, options.signal)) as unknown as KubeObject;
  } catch (e) {
    if (/Unrecognized API version and kind|Failed to fetch resource metadata/i.test((e as Error)?.message ?? '')) {
      throw new KubeError(`the cluster does not know InferenceService (${KSERVE_API_VERSION}): is KServe installed?`, 'invalid');
    }
    const err = kubeError(e, `reading ${where(ref)}`);
    if (err.kind === 'not-found') throw new KubeError(`nothing to promote: there is no ${where(ref)}`, 'not-found', 404);
    throw err;
  }
  const spec = structuredClone((live.spec ?? {}) as { predictor?: Record<string, unknown> });
  const percent = spec.predictor?.canaryTrafficPercent;
  if (typeof percent !== 'number' || percent >= 100) {
    throw new KubeError(`nothing to promote: ${where(ref)} has no canary (all traffic already goes to its latest revision)`, 'invalid');
  }
  delete spec.predictor!.canaryTrafficPercent;
  const who = options.who || 'unknown';
  const version = live.metadata.annotations?.[DEPLOY_KEYS.modelVersion];
  const record = `promoted by ${who} at ${(options.now ?? new Date()).toISOString()} from a ${percent}% canary${version ? ` (version ${version})` : ''}`;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(live.metadata.labels ?? {})) if (k.startsWith('app.kubernetes.io/') || k.startsWith('slipway.dev/')) labels[k] = v;
  // every annotation Slipway owns goes along: server-side apply drops the owner's fields it omits
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(live.metadata.annotations ?? {})) if (k.startsWith('slipway.dev/')) annotations[k] = v;
  annotations[DEPLOY_KEYS.promoted] = record;
  const obj: KubeObject = { apiVersion: KSERVE_API_VERSION, kind: 'InferenceService', metadata: { name: ref.name, namespace: ref.namespace, labels, annotations }, spec };
  try {
    await within(objects.patch(obj as k8s.KubernetesObject, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply), timeoutMs, `promoting ${where(ref)}`, options.signal);
  } catch (e) {
    throw kubeError(e, `promoting ${where(ref)}`);
  }
  return { ...ref, fromPercent: percent, ...(version ? { modelVersion: version } : {}), record };
}

export interface DeleteResult {
  /** "Kind namespace/name" of each object deleted */
  readonly deleted: readonly string[];
}

/**
 * Deletes the workload (foreground: what it owns goes first) and, for a Deployment, the
 * project's Service selecting its pods and the HorizontalPodAutoscaler scaling it (Slipway's
 * labels, and pointing at it: an InferenceService of the same project next to it keeps its
 * own), then waits until the workload is gone (`wait`, default on). An InferenceService's
 * services and autoscaling are KServe's, owned by it, and go with it.
 */
export async function deleteServing(client: DeployClient, ref: WorkloadRef, options: { wait?: boolean; timeoutMs?: number; signal?: AbortSignal; pollMs?: number } = {}): Promise<DeleteResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const step = Math.min(timeoutMs, 15_000);
  const { signal } = options;
  const apps = client.kc.makeApiClient(k8s.AppsV1Api);
  const core = client.kc.makeApiClient(k8s.CoreV1Api);
  const custom = client.kc.makeApiClient(k8s.CustomObjectsApi);
  const isvc = { group: 'serving.kserve.io', version: 'v1beta1', namespace: ref.namespace, plural: 'inferenceservices', name: ref.name };
  const call = async <T>(p: Promise<T>, what: string): Promise<T | undefined> => {
    try {
      return await within(p, step, what, signal);
    } catch (e) {
      const err = kubeError(e, what);
      if (err.kind === 'not-found') return undefined;
      throw err;
    }
  };
  // the project's labels, from the workload itself
  const read = ref.kind === 'Deployment' ? apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }) : custom.getNamespacedCustomObject(isvc);
  const live = (await call(read as Promise<{ metadata?: { labels?: Record<string, string> } }>, `reading ${where(ref)}`)) as { metadata?: { labels?: Record<string, string> } } | undefined;
  if (!live) throw new KubeError(`nothing to delete: there is no ${where(ref)}`, 'not-found', 404);
  const labels = live.metadata?.labels ?? {};
  const project = labels['app.kubernetes.io/name'];
  const podSelector = ref.kind === 'Deployment' ? ((live as k8s.V1Deployment).spec?.selector?.matchLabels ?? {}) : {};
  const deleted: string[] = [];
  const body = { propagationPolicy: 'Foreground' };
  if (ref.kind === 'Deployment') {
    if (await call(apps.deleteNamespacedDeployment({ name: ref.name, namespace: ref.namespace, body }), `deleting ${where(ref)}`)) deleted.push(where(ref));
  } else if (await call(custom.deleteNamespacedCustomObject({ ...isvc, body }), `deleting ${where(ref)}`)) deleted.push(where(ref));
  if (ref.kind === 'Deployment' && labels['app.kubernetes.io/managed-by'] === 'slipway' && project) {
    const selector = selectorString({ 'app.kubernetes.io/managed-by': 'slipway', 'app.kubernetes.io/name': project, 'app.kubernetes.io/component': labels['app.kubernetes.io/component'] ?? 'serving' });
    const services = (await call(core.listNamespacedService({ namespace: ref.namespace, labelSelector: selector }), `listing the Services of ${project}`))?.items ?? [];
    // a Service of the project that sends to this Deployment's pods
    const selects = (sel: Record<string, string> | undefined) => !!sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => podSelector[k] === v);
    for (const s of services.filter((x) => selects(x.spec?.selector))) {
      const name = s.metadata!.name!;
      if (await call(core.deleteNamespacedService({ name, namespace: ref.namespace, body }), `deleting Service ${ref.namespace}/${name}`)) deleted.push(`Service ${ref.namespace}/${name}`);
    }
    // autoscaling/v1 lists autoscalers of every version
    const scaling = client.kc.makeApiClient(k8s.AutoscalingV1Api);
    const hpas = (await call(scaling.listNamespacedHorizontalPodAutoscaler({ namespace: ref.namespace, labelSelector: selector }), `listing the autoscalers of ${project}`))?.items ?? [];
    for (const h of hpas.filter((x) => x.spec?.scaleTargetRef?.kind === 'Deployment' && x.spec.scaleTargetRef.name === ref.name)) {
      const name = h.metadata!.name!;
      if (await call(scaling.deleteNamespacedHorizontalPodAutoscaler({ name, namespace: ref.namespace, body }), `deleting HorizontalPodAutoscaler ${ref.namespace}/${name}`)) {
        deleted.push(`HorizontalPodAutoscaler ${ref.namespace}/${name}`);
      }
    }
  }
  if (options.wait ?? true) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const still = await call(ref.kind === 'Deployment' ? apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace }) : custom.getNamespacedCustomObject(isvc), `reading ${where(ref)}`);
      if (!still) break;
      if (Date.now() > end) throw new KubeError(`${where(ref)} is being deleted but still there after ${Math.round(timeoutMs / 1000)}s (a finalizer holds it?)`, 'server');
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, options.pollMs ?? 500);
        signal?.addEventListener('abort', () => (clearTimeout(t), reject(new KubeError('cancelled', 'cancelled'))), { once: true });
      });
    }
  }
  return { deleted };
}

// ---------------------------------------------------------------------------------------------
// status over several namespaces and contexts

export interface StatusGroup {
  /** the context's name (the current one, resolved) */
  readonly context: string;
  readonly namespace: string;
  readonly source: StatusTarget['source'];
  readonly items: readonly ServingStatus[];
  /** why this namespace could not be listed (no kubeconfig, unreachable, forbidden), in words */
  readonly error?: string;
  readonly errorKind?: KubeError['kind'];
}

export interface StatusAllOptions {
  readonly kubeconfig?: string;
  /** per namespace (default 15 s) */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** builds the client of a context (tests; default: a DeployClient on the kubeconfig) */
  readonly clientFor?: (context: string | undefined) => DeployClient;
}

/**
 * The project's serving objects in each context/namespace, listed side by side. Never throws
 * for one namespace: its error is its group's, so one unreachable cluster hides nothing else.
 */
export async function statusAll(project: string, targets: readonly StatusTarget[], options: StatusAllOptions = {}): Promise<StatusGroup[]> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const clients = new Map<string, DeployClient | KubeError>();
  const clientFor = (context: string | undefined): DeployClient | KubeError => {
    const key = context ?? '';
    let c = clients.get(key);
    if (!c) {
      try {
        const opts: DeployClientOptions = { ...(context ? { context } : {}), ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}) };
        c = options.clientFor ? options.clientFor(context) : new DeployClient(opts);
      } catch (e) {
        c = kubeError(e, 'reading the kubeconfig');
      }
      clients.set(key, c);
    }
    return c;
  };
  const seen = new Set<string>();
  const jobs: Promise<StatusGroup>[] = [];
  for (const t of targets) {
    const client = clientFor(t.context);
    const context = client instanceof DeployClient ? client.context : (t.context ?? '(current context)');
    const key = `${context}\u0000${t.namespace}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const base = { context, namespace: t.namespace, source: t.source };
    if (!(client instanceof DeployClient)) {
      jobs.push(Promise.resolve({ ...base, items: [], error: client.message, errorKind: client.kind }));
      continue;
    }
    jobs.push(
      within(client.status(project, t.namespace, options.signal), timeoutMs, `listing ${project} in ${t.namespace}`, options.signal).then(
        (items) => ({ ...base, items }),
        (e) => {
          const err = kubeError(e, `listing ${project} in ${context} · ${t.namespace}`);
          return { ...base, items: [], error: err.message, errorKind: err.kind };
        },
      ),
    );
  }
  return Promise.all(jobs);
}
