import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubernetesJobName, trainingCronJobManifest, trainingJobManifest } from '../../src/core/training/kubernetesManifests';
import { podProblem } from '../../src/core/kube/config';
import { containerResources } from '../../src/core/kube/resources';
import type { JobSpec } from '../../src/core/training/types';
import type { KubernetesTarget } from '../../src/core/pipeline/index';

const spec: JobSpec = { projectDir: '/p', project: 'churn', script: 'src/train.py', params: { n: 3, evil: '$(rm -rf /)' }, experiment: 'churn', trackingUri: 'http://mlflow:5000' };
const target: KubernetesTarget = { namespace: 'ml', image: 'registry.local/churn-train:1.0', resources: { cpu: '2', memory: '4Gi', gpu: 1 } };

test('a training Job: image, command without a shell, env, resources, labels', () => {
  const m = trainingJobManifest(spec, target, '20260101000000-abcde') as any;
  assert.equal(m.apiVersion, 'batch/v1');
  assert.equal(m.kind, 'Job');
  assert.equal(m.metadata.name, 'slipway-churn-20260101000000-abcde');
  assert.equal(m.metadata.namespace, 'ml');
  assert.equal(m.metadata.labels['app.kubernetes.io/managed-by'], 'slipway');
  assert.equal(m.spec.backoffLimit, 0);
  const c = m.spec.template.spec.containers[0];
  assert.deepEqual(c.command, ['python3', 'src/train.py', '--n', '3', '--evil', '$(rm -rf /)']);
  assert.equal(c.image, 'registry.local/churn-train:1.0');
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(c.resources, { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '2', memory: '4Gi', 'nvidia.com/gpu': '1' } });
  const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  assert.equal(env.MLFLOW_TRACKING_URI, 'http://mlflow:5000');
  assert.equal(env.MLFLOW_EXPERIMENT_NAME, 'churn');
  assert.equal(env.SLIPWAY_JOB_ID, '20260101000000-abcde');
  assert.equal(m.spec.template.spec.restartPolicy, 'Never');
  assert.equal(m.spec.template.metadata.labels['slipway.dev/job'], '20260101000000-abcde');
});

test('latest or untagged images are pulled always; names stay valid DNS-1123 labels', () => {
  const latest = trainingJobManifest(spec, { ...target, image: 'x/y:latest' }, '20260101000000-abcde') as any;
  assert.equal(latest.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  const untagged = trainingJobManifest(spec, { ...target, image: 'registry:5000/y' }, '20260101000000-abcde') as any;
  assert.equal(untagged.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  const name = kubernetesJobName('A_Very_Long_Project_Name_That_Goes_On_And_On_Forever', '20260101000000-abcde');
  assert.ok(name.length <= 63, name);
  assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  const none = trainingJobManifest(spec, { namespace: 'ml', image: 'i:1', resources: { gpu: 0 } }, '20260101000000-abcde') as any;
  assert.equal(none.spec.template.spec.containers[0].resources, undefined);
});

test('training.schedule renders a CronJob at the API version the cluster serves', () => {
  for (const v of ['batch/v1', 'batch/v1beta1'] as const) {
    const m = trainingCronJobManifest(spec, target, '0 3 * * 1', v) as any;
    assert.equal(m.apiVersion, v);
    assert.equal(m.kind, 'CronJob');
    assert.equal(m.spec.schedule, '0 3 * * 1');
    assert.equal(m.spec.concurrencyPolicy, 'Forbid');
    assert.equal(m.metadata.name, 'slipway-churn-retrain');
    assert.deepEqual(m.spec.jobTemplate.spec.template.spec.containers[0].command.slice(0, 2), ['python3', 'src/train.py']);
  }
});

test('pod problems in plain words', () => {
  const unsched = { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient cpu.' }] } };
  assert.match(podProblem(unsched as any)!, /cannot be scheduled: 0\/1 nodes are available: 1 Insufficient cpu\. \(lower the requested resources/);
  const pull = { status: { containerStatuses: [{ name: 'train', image: 'nope:1', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1"' } } }] } };
  assert.match(podProblem(pull as any)!, /cannot pull the image nope:1: Back-off pulling image/);
  const crash = { status: { containerStatuses: [{ name: 'train', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } };
  assert.match(podProblem(crash as any)!, /keeps crashing/);
  assert.equal(podProblem({ status: { phase: 'Running' } } as any), undefined);
});

test('slipway.yaml resources → container resources: requests = limits, GPUs as limits only, nothing when nothing is asked', () => {
  assert.equal(containerResources(undefined), undefined);
  assert.equal(containerResources({ gpu: 0 }), undefined);
  assert.deepEqual(containerResources({ cpu: '500m', memory: '1Gi', gpu: 0 }), { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } });
  assert.deepEqual(containerResources({ memory: '2Gi', gpu: 2 }), { requests: { memory: '2Gi' }, limits: { memory: '2Gi', 'nvidia.com/gpu': '2' } });
});
