// Against a real Kubernetes (test/k8s/local-cluster.sh, started by npm test): Jobs run a
// locally built image to completion, fail, cannot pull, cannot schedule, are cancelled and
// re-attached; training.schedule is applied as a CronJob.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { JobStore } from '../../src/core/training/jobStore';
import { KubernetesRunner, applyTrainingSchedule } from '../../src/core/training/kubernetes';
import { newJobId, type JobSpec } from '../../src/core/training/types';
import type { KubernetesTarget } from '../../src/core/pipeline/index';

const KUBECONFIG = process.env.SLIPWAY_KUBECONFIG;
const IMAGE = 'slipway-test/train:1';
const skip = !KUBECONFIG && 'no cluster: npm test starts one (test/k8s/local-cluster.sh); SLIPWAY_KUBECONFIG names its kubeconfig';

describe('Kubernetes training on a real cluster', { skip, concurrency: 1 }, () => {
  let dir = '';
  let store: JobStore;
  const target = (over: Partial<KubernetesTarget> = {}): KubernetesTarget => ({ namespace: 'default', image: IMAGE, resources: { cpu: '100m', memory: '64Mi', gpu: 0 }, ...over });
  const spec = (params: JobSpec['params'] = {}): JobSpec => ({ projectDir: dir, project: 'k8s-test', script: 'src/train.py', params, experiment: 'k8s-exp', trackingUri: 'http://127.0.0.1:5999' });
  const runner = (over: Partial<KubernetesTarget> = {}, extra = {}) => new KubernetesRunner({ store, target: target(over), kubeconfig: KUBECONFIG, pollMs: 300, ...extra });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-k8s-'));
    store = new JobStore(join(dir, 'jobs'));
    // the image is made here from the local Debian base: no registry can be reached
    execFileSync('docker', ['build', '-q', '-t', IMAGE, resolve('test/k8s/train-image')], { env: { ...process.env, DOCKER_BUILDKIT: '0' }, stdio: ['ignore', 'ignore', 'inherit'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a Job runs the image to completion and its logs are followed', async () => {
    const id = newJobId();
    const handle = await runner().submit(spec({ n_estimators: 20 }), id);
    let output = '';
    handle.onOutput((t) => (output += t));
    const final = await handle.done;
    assert.equal(final.status, 'SUCCEEDED', final.message);
    assert.match(output, new RegExp(`job ${id} experiment k8s-exp`));
    assert.match(output, /val_auc: 0\.\d+/);
    assert.ok(final.startedAt && final.endedAt);
    const job = await new k8s.KubeConfig();
    job.loadFromFile(KUBECONFIG!);
    const read = await job.makeApiClient(k8s.BatchV1Api).readNamespacedJob({ name: String(final.external!.name), namespace: 'default' });
    assert.equal(read.metadata?.labels?.['app.kubernetes.io/managed-by'], 'slipway');
  });

  test('a failing script fails the Job with its exit code', async () => {
    const final = await (await runner().submit(spec({ n_estimators: 1, fail: 3 }), newJobId())).done;
    assert.equal(final.status, 'FAILED');
    assert.equal(final.exitCode, 3);
    assert.match(final.message!, /exited with code 3/);
  });

  test('an image that cannot be pulled fails in plain words', async () => {
    const final = await (await runner({ image: 'slipway-test/does-not-exist:1' }, { imagePullGraceMs: 2000 }).submit(spec(), newJobId())).done;
    assert.equal(final.status, 'FAILED');
    assert.match(final.message!, /cannot pull the image slipway-test\/does-not-exist:1/);
  });

  test('a pod that cannot be scheduled says why; cancel deletes the Job', async () => {
    const handle = await runner({ resources: { cpu: '64', memory: '64Mi', gpu: 0 } }).submit(spec(), newJobId());
    await Promise.race([new Promise<void>((r) => handle.onChange((rec) => /cannot be scheduled/.test(rec.message ?? '') && r())), handle.done]);
    assert.match(handle.record.message!, /Insufficient cpu/);
    await handle.cancel();
    const final = await handle.done;
    assert.equal(final.status, 'STOPPED');
  });

  test('a running Job is re-attached after its follower went away', async () => {
    const id = newJobId();
    const first = await runner().submit(spec({ sleep: 3, n_estimators: 5 }), id);
    // wait until it runs (or, if something is wrong, ends: the assertions below then say what)
    await Promise.race([new Promise<void>((r) => first.onChange((rec) => rec.status === 'RUNNING' && r())), first.done]);
    first.detach();
    const record = (await store.get(id))!;
    const again = await new KubernetesRunner({ store, kubeconfig: KUBECONFIG, pollMs: 300 }).attach(record);
    let output = '';
    again.onOutput((t) => (output += t));
    const final = await again.done;
    assert.equal(final.status, 'SUCCEEDED');
    assert.match(output, /val_auc/);
  });

  test('training.schedule is applied as a CronJob at the API version the cluster serves', async () => {
    const manifest = await applyTrainingSchedule(spec(), target(), '0 3 * * 1', KUBECONFIG);
    assert.equal(manifest.apiVersion, 'batch/v1beta1', 'Kubernetes 1.20 serves CronJob at batch/v1beta1 only');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG!);
    const obj = await k8s.KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: 'batch/v1beta1', kind: 'CronJob', metadata: { name: 'slipway-k8s-test-retrain', namespace: 'default' } });
    assert.equal((obj as { spec: { schedule: string } }).spec.schedule, '0 3 * * 1');
    // applying again is a no-op update, not a conflict
    await applyTrainingSchedule(spec(), target(), '0 4 * * 1', KUBECONFIG);
  });
});
