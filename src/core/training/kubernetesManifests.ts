import type { KubernetesTarget } from '../pipeline/index';
import { containerResources } from '../kube/resources';
import { jobEnv, paramsToArgs, type JobSpec } from './types';

/** Labels on everything Slipway creates: `kubectl get jobs -l app.kubernetes.io/managed-by=slipway`. */
export function slipwayLabels(project: string, component: string, jobId?: string): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'slipway',
    'app.kubernetes.io/name': project.slice(0, 63),
    'app.kubernetes.io/component': component,
    ...(jobId ? { 'slipway.dev/job': jobId } : {}),
  };
}

/** A Job name from the project and the job id: a DNS-1123 label short enough for pod suffixes. */
export function kubernetesJobName(project: string, id: string): string {
  const p = project.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 30).replace(/^-+|-+$/g, '') || 'train';
  return `slipway-${p}-${id}`.replace(/--+/g, '-');
}

/**
 * The pod template that runs training: the image of training.targets.kubernetes, which holds the
 * project at its working directory, running `python3 <script> --k v ...` (no shell).
 */
export function trainingPodSpec(spec: JobSpec, target: KubernetesTarget, jobId: string): Record<string, unknown> {
  const env = jobEnv(spec, jobId);
  const res = containerResources(target.resources);
  return {
    restartPolicy: 'Never',
    containers: [
      {
        name: 'train',
        image: target.image,
        // a tag other than latest is used from the node when present, like a local image
        imagePullPolicy: /:latest$|^[^:]+$/.test(target.image.split('/').pop() ?? '') ? 'Always' : 'IfNotPresent',
        // python3: every Python image has it (python:3.x, Debian's, conda), not all have `python`
        command: ['python3', spec.script, ...paramsToArgs(spec.params)],
        env: Object.entries(env).map(([name, value]) => ({ name, value })),
        ...(res ? { resources: res } : {}),
      },
    ],
  };
}

/** A batch/v1 Job for one training run. */
export function trainingJobManifest(spec: JobSpec, target: KubernetesTarget, jobId: string): Record<string, unknown> {
  const labels = slipwayLabels(spec.project, 'training', jobId);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: kubernetesJobName(spec.project, jobId), namespace: target.namespace, labels, annotations: { 'slipway.dev/script': spec.script } },
    spec: {
      backoffLimit: 0, // a failed training is reported, not retried behind the user's back
      template: { metadata: { labels }, spec: trainingPodSpec(spec, target, jobId) },
    },
  };
}

/**
 * training.schedule as a CronJob: batch/v1 where the cluster serves it (Kubernetes ≥ 1.21),
 * batch/v1beta1 otherwise.
 */
export function trainingCronJobManifest(spec: JobSpec, target: KubernetesTarget, schedule: string, apiVersion: 'batch/v1' | 'batch/v1beta1'): Record<string, unknown> {
  const labels = slipwayLabels(spec.project, 'training-schedule');
  const name = `slipway-${spec.project.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 30).replace(/^-+|-+$/g, '')}-retrain`;
  return {
    apiVersion,
    kind: 'CronJob',
    metadata: { name, namespace: target.namespace, labels },
    spec: {
      schedule,
      concurrencyPolicy: 'Forbid', // two trainings of one model at once would race to register it
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels },
        spec: { backoffLimit: 0, template: { metadata: { labels }, spec: trainingPodSpec(spec, target, 'scheduled') } },
      },
    },
  };
}
