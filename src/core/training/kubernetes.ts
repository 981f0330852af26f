import * as k8s from '@kubernetes/client-node';
import { appendFile, writeFile } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { KubernetesTarget } from '../pipeline/index';
import { kubeError, loadKubeConfig, podProblem } from '../kube/config';
import type { JobStore } from './jobStore';
import { trainingCronJobManifest, trainingJobManifest } from './kubernetesManifests';
import { LogFollower } from './logFollower';
import { isFinal, jobHandle, type JobHandle, type JobRecord, type JobSpec, type Runner } from './types';

export interface KubernetesRunnerOptions {
  readonly store: JobStore;
  /** training.targets.kubernetes; needed to submit, not to attach */
  readonly target?: KubernetesTarget;
  /** a kubeconfig file instead of KUBECONFIG / ~/.kube/config */
  readonly kubeconfig?: string;
  readonly pollMs?: number;
  /** how long an image that cannot be pulled is retried before the job is failed */
  readonly imagePullGraceMs?: number;
}

/** Runs training as a batch/v1 Job on the cluster of the kubeconfig's context, following the pod's logs. */
export class KubernetesRunner implements Runner {
  readonly target = 'kubernetes' as const;

  constructor(private readonly options: KubernetesRunnerOptions) {}

  async submit(spec: JobSpec, id: string, signal?: AbortSignal): Promise<JobHandle> {
    const target = this.options.target;
    if (!target) throw new Error('slipway.yaml has no training.targets.kubernetes');
    signal?.throwIfAborted();
    const kc = loadKubeConfig(target.context, this.options.kubeconfig);
    const manifest = trainingJobManifest(spec, target, id) as unknown as k8s.V1Job;
    const record: JobRecord = {
      id,
      target: 'kubernetes',
      status: 'PENDING',
      spec,
      submittedAt: new Date().toISOString(),
      external: { context: kc.getCurrentContext(), namespace: target.namespace, name: manifest.metadata!.name! },
    };
    await this.options.store.save(record);
    await writeFile(this.options.store.logPath(id), `# Kubernetes Job ${target.namespace}/${manifest.metadata!.name} (context ${kc.getCurrentContext()}, image ${target.image})\n`);
    try {
      await kc.makeApiClient(k8s.BatchV1Api).createNamespacedJob({ namespace: target.namespace, body: manifest });
    } catch (e) {
      const err = kubeError(e, `creating Job ${manifest.metadata!.name} in ${target.namespace}`);
      record.status = 'FAILED';
      record.message = err.message;
      record.endedAt = new Date().toISOString();
      await this.options.store.save(record);
      await appendFile(this.options.store.logPath(id), `slipway: ${err.message}\n`);
      return this.attach(record);
    }
    await this.options.store.save(record);
    return this.attach(record);
  }

  async attach(initial: JobRecord): Promise<JobHandle> {
    const { store } = this.options;
    const record: JobRecord = { ...initial };
    const events = new EventEmitter();
    const follower = new LogFollower(store.logPath(record.id), (t) => events.emit('output', t));
    let settle!: (r: JobRecord) => void;
    const done = new Promise<JobRecord>((r) => (settle = r));
    let stopped = false;
    let cancelled = false;
    let logStream: AbortController | undefined;
    let logDone: Promise<void> | undefined;
    let pullTroubleSince: number | undefined;
    const ext = record.external as { context?: string; namespace: string; name: string };

    const save = async (update: Partial<JobRecord>) => {
      const before = JSON.stringify(record);
      Object.assign(record, update);
      if (JSON.stringify(record) === before) return;
      await store.save(record).catch(() => {});
      events.emit('change', { ...record });
    };
    const finish = async (update: Partial<JobRecord>) => {
      if (stopped) return;
      stopped = true;
      // the log stream ends with the container; give it a moment to deliver the last lines
      if (logDone) await Promise.race([logDone, new Promise((r) => setTimeout(r, 5000))]);
      logStream?.abort();
      await save({ ...update, endedAt: update.endedAt ?? new Date().toISOString() });
      await follower.drain();
      settle({ ...record });
    };

    follower.start();
    if (isFinal(record.status)) {
      void follower.drain().then(() => settle({ ...record }));
      return jobHandle(record, events, done, async () => {}, () => follower.stop());
    }

    let kc: k8s.KubeConfig;
    try {
      kc = loadKubeConfig(ext.context, this.options.kubeconfig);
    } catch (e) {
      await finish({ status: 'FAILED', message: (e as Error).message });
      return jobHandle(record, events, done, async () => {}, () => follower.stop());
    }
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const startLogs = async (pod: string) => {
      if (logStream) return;
      // a re-attach streams the whole log again: start the file over so nothing is doubled
      await writeFile(store.logPath(record.id), `# Kubernetes Job ${ext.namespace}/${ext.name}, pod ${pod}\n`);
      let resolveLog!: () => void;
      logDone = new Promise((r) => (resolveLog = r));
      const sink = new Writable({
        write(chunk, _enc, cb) {
          appendFile(store.logPath(record.id), chunk).then(() => cb(), cb);
        },
      });
      try {
        logStream = await new k8s.Log(kc).log(ext.namespace, pod, 'train', sink, () => resolveLog(), { follow: true });
      } catch (e) {
        resolveLog();
        logStream = undefined;
        await appendFile(store.logPath(record.id), `slipway: cannot stream the pod's logs yet: ${kubeError(e, 'logs').message}\n`);
      }
    };

    const poll = async () => {
      if (stopped) return;
      try {
        let job: k8s.V1Job;
        try {
          job = await batch.readNamespacedJob({ name: ext.name, namespace: ext.namespace });
        } catch (e) {
          const err = kubeError(e, `reading Job ${ext.namespace}/${ext.name}`);
          if (err.kind === 'not-found') {
            return await finish(cancelled ? { status: 'STOPPED', message: 'cancelled' } : { status: 'FAILED', message: 'the Job no longer exists in the cluster (deleted by someone else?)' });
          }
          throw err;
        }
        const pods = await core.listNamespacedPod({ namespace: ext.namespace, labelSelector: `job-name=${ext.name}` });
        const pod = pods.items.sort((a, b) => String(b.metadata?.creationTimestamp).localeCompare(String(a.metadata?.creationTimestamp)))[0];
        const complete = job.status?.conditions?.find((c) => c.type === 'Complete' && c.status === 'True');
        const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
        if (pod && ['Running', 'Succeeded', 'Failed'].includes(pod.status?.phase ?? '')) await startLogs(pod.metadata!.name!);
        // a short job can go from pending to done between two polls: take its times from the cluster
        const started = record.startedAt ?? (pod?.status?.startTime ?? job.status?.startTime ? new Date((pod?.status?.startTime ?? job.status?.startTime)!).toISOString() : undefined);
        if (started && !record.startedAt) record.startedAt = started;
        if (complete) return await finish({ status: 'SUCCEEDED', exitCode: 0, ...(job.status?.completionTime ? { endedAt: new Date(job.status.completionTime).toISOString() } : {}) });
        if (failed) {
          const term = pod?.status?.containerStatuses?.find((c) => c.name === 'train')?.state?.terminated;
          return await finish({
            status: 'FAILED',
            exitCode: term?.exitCode,
            message: term ? `the training container exited with code ${term.exitCode}${term.reason && term.reason !== 'Error' ? ` (${term.reason})` : ''}` : `${failed.reason ?? 'failed'}: ${failed.message ?? ''}`.trim(),
          });
        }
        const problem = pod ? podProblem(pod) : undefined;
        if (problem && /cannot pull/.test(problem)) {
          pullTroubleSince ??= Date.now();
          if (/InvalidImageName|ErrImageNeverPull/.test(JSON.stringify(pod?.status?.containerStatuses ?? [])) || Date.now() - pullTroubleSince > (this.options.imagePullGraceMs ?? 60_000)) {
            await batch.deleteNamespacedJob({ name: ext.name, namespace: ext.namespace, propagationPolicy: 'Background' }).catch(() => {});
            await appendFile(store.logPath(record.id), `slipway: ${problem}\n`);
            return await finish({ status: 'FAILED', message: problem });
          }
        } else pullTroubleSince = undefined;
        const running = pod?.status?.phase === 'Running';
        await save({
          status: running ? 'RUNNING' : 'PENDING',
          message: problem,
          ...(running && !record.startedAt ? { startedAt: pod?.status?.startTime ? new Date(pod.status.startTime).toISOString() : new Date().toISOString() } : {}),
        });
      } catch (e) {
        // a passing network fault: say so, keep following
        await save({ message: kubeError(e, 'following the Job').message });
      }
      if (!stopped) setTimeout(() => void poll(), this.options.pollMs ?? 1000);
    };
    void poll();

    return jobHandle(
      record,
      events,
      done,
      async () => {
        if (isFinal(record.status) || stopped) return;
        cancelled = true;
        try {
          await batch.deleteNamespacedJob({ name: ext.name, namespace: ext.namespace, propagationPolicy: 'Background' });
        } catch (e) {
          if (kubeError(e, 'delete').kind !== 'not-found') throw kubeError(e, `deleting Job ${ext.namespace}/${ext.name}`);
        }
        await appendFile(store.logPath(record.id), '\nslipway: cancelled, the Job was deleted\n');
        await finish({ status: 'STOPPED', message: 'cancelled' });
      },
      () => {
        stopped = true;
        logStream?.abort();
        follower.stop();
      },
    );
  }
}

/** Whether the cluster serves CronJob at batch/v1 (Kubernetes ≥ 1.21) or only batch/v1beta1. */
export async function cronJobApiVersion(kc: k8s.KubeConfig): Promise<'batch/v1' | 'batch/v1beta1'> {
  try {
    const v1 = await kc.makeApiClient(k8s.BatchV1Api).getAPIResources();
    if (v1.resources.some((r) => r.name === 'cronjobs')) return 'batch/v1';
  } catch (e) {
    throw kubeError(e, 'asking the cluster which batch API it serves');
  }
  return 'batch/v1beta1';
}

/** Renders training.schedule as a CronJob for this cluster and applies it (server-side apply, field manager slipway). */
export async function applyTrainingSchedule(spec: JobSpec, target: KubernetesTarget, schedule: string, kubeconfig?: string): Promise<Record<string, unknown>> {
  const kc = loadKubeConfig(target.context, kubeconfig);
  const manifest = trainingCronJobManifest(spec, target, schedule, await cronJobApiVersion(kc));
  try {
    await k8s.KubernetesObjectApi.makeApiClient(kc).patch(manifest as k8s.KubernetesObject, undefined, undefined, 'slipway', true, k8s.PatchStrategy.ServerSideApply);
  } catch (e) {
    throw kubeError(e, `applying CronJob ${(manifest.metadata as { name: string }).name}`);
  }
  return manifest;
}
