// Operating deployments against a real cluster (test/k8s/local-cluster.sh): a serving image
// (the stand-in runtime) is deployed with hostNetwork, then its pod logs are read and followed,
// a local port is forwarded to the pod through the API server (many keep-alive requests), a
// workload without a ready pod is refused in words, a KServe canary is promoted (minimal
// InferenceService CRD, no controller), the project's Deployment+Service+HPA are deleted, and
// status is listed across two namespaces and a context that does not exist. Everything lives in
// namespaces of its own (slipway-dv-*), deleted at the end.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { parsePipeline, type Pipeline } from '../../src/core/pipeline/index';
import { DeployClient, workloadOf, type WorkloadRef } from '../../src/core/deploy/rollout';
import { renderServing } from '../../src/core/deploy/manifests';
import { deleteServing, portForward, promoteCanary, statusAll, streamLogs } from '../../src/core/deploy/operate';
import { statusTargets } from '../../src/core/deploy/targets';
import type { DeployModel, KubeObject } from '../../src/core/deploy/types';
import { buildServing, ensureNodeBase, freePort, standInModel, STAND_IN_CLI } from '../support/deploy-images';

const KUBECONFIG = process.env.SLIPWAY_KUBECONFIG;
const skip = !KUBECONFIG ? 'no cluster: npm test starts one (test/k8s/local-cluster.sh); SLIPWAY_KUBECONFIG names its kubeconfig' : false;
const id = randomBytes(3).toString('hex');
const NS = `slipway-dv-${id}`;
const NS2 = `slipway-dv-${id}-b`;
const IMAGE_V1 = `slipway-test/dv-serve:${id}-1`;
const IMAGE_V2 = `slipway-test/dv-serve:${id}-2`;
const PROJECT = 'dv';

function pipeline(deploy: string, port: number, namespace = NS): Pipeline {
  const parsed = parsePipeline(`version: 1\nname: ${PROJECT}\nmodel:\n  name: dv-model\nserving:\n  port: ${port}\ndeploy:\n  namespace: ${namespace}\n${deploy}`);
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return parsed.model;
}
const version = (v: string, extra: Partial<DeployModel> = {}): DeployModel => ({ name: 'dv-model', version: v, metrics: {}, ...extra });

describe('where the Deployments view looks', () => {
  test('slipway.yaml first, then the setting; "context/namespace" splits at the last "/"', () => {
    const { targets, problems } = statusTargets({ context: 'prod', namespace: 'ml' }, [
      'staging',
      'arn:aws:eks:eu-west-1:123456789012:cluster/prod/ml-serving',
      'prod/ml',
      ' staging ',
      '',
      '/ml',
      'ctx/',
      'ctx/Not_OK',
      42,
    ]);
    assert.deepEqual(targets, [
      { context: 'prod', namespace: 'ml', source: 'slipway.yaml' },
      { namespace: 'staging', source: 'setting' },
      { context: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod', namespace: 'ml-serving', source: 'setting' },
    ]);
    assert.deepEqual(problems.map((p) => p.message), [
      '"/ml" has an empty context before "/": write "context/namespace" or just "namespace"',
      '"ctx/" names no namespace: write "context/namespace" or just "namespace"',
      '"Not_OK" is not a namespace name (lowercase letters, digits and "-", at most 63): fix "ctx/Not_OK" in slipway.deployments.namespaces',
      'slipway.deployments.namespaces holds 42: each entry is a string, "context/namespace" or "namespace"',
    ]);
    assert.deepEqual(statusTargets(undefined, []), { targets: [], problems: [] });
  });
});

describe('operating deployments on a real cluster', { skip, concurrency: 1 }, () => {
  let kc: k8s.KubeConfig;
  let client: DeployClient;
  let docker: Docker;
  let work = '';
  let port = 0;
  const svc: WorkloadRef = { kind: 'Deployment', name: PROJECT, namespace: NS };

  before(async () => {
    kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG!);
    client = new DeployClient({ kubeconfig: KUBECONFIG, pollMs: 300 });
    docker = new Docker();
    work = mkdtempSync(join(tmpdir(), 'slipway-dv-'));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const name of [NS, NS2]) await core.createNamespace({ body: { metadata: { name, labels: { 'slipway.dev/test': 'deploy-operate' } } } });
    await ensureNodeBase(docker);
    // hostNetwork pods bind on this machine: a port nobody holds, baked into the image
    port = await freePort();
    await buildServing(docker, IMAGE_V1, { modelDir: await standInModel(work, '1'), port, modelName: 'dv-model', cliJs: STAND_IN_CLI });
    await buildServing(docker, IMAGE_V2, { modelDir: await standInModel(work, '2'), port, modelName: 'dv-model', cliJs: STAND_IN_CLI });
    await deploy('1', IMAGE_V1);
  });

  const deploy = async (v: string, image: string) => {
    const objects = renderServing(pipeline('  target: kubernetes\n  replicas: 1\n  autoscale: { min: 1, max: 1, cpu_percent: 80 }\n', port), version(v), {
      image,
      hostNetwork: true,
      hpaApiVersion: await client.hpaApiVersion(),
    });
    await client.apply(objects);
    const r = await client.watch(workloadOf(objects), { timeoutMs: 90_000 });
    assert.equal(r.phase, 'ready', r.message);
  };

  after(async () => {
    const core = kc?.makeApiClient(k8s.CoreV1Api);
    for (const name of [NS, NS2]) await core?.deleteNamespace({ name }).catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
    for (const image of [IMAGE_V1, IMAGE_V2]) await docker?.getImage(image).remove({ force: true }).catch(() => {});
  });

  test('logs: the server start line, read once and followed until aborted', async () => {
    let text = '';
    const once = await streamLogs(client, svc, { onText: (t) => (text += t) });
    assert.equal(once.reason, 'ended');
    assert.equal(once.pods.length, 1);
    assert.match(text, /^stand-in serving dv-model version 1\n/m);
    assert.doesNotMatch(text, /^\[/m, 'one pod: no prefix');

    const abort = new AbortController();
    let followed = '';
    const started = Date.now();
    const result = await streamLogs(client, svc, {
      follow: true,
      tailLines: 10,
      signal: abort.signal,
      onText: (t) => {
        followed += t;
        if (/stand-in serving/.test(followed)) abort.abort();
      },
    });
    assert.equal(result.reason, 'aborted');
    assert.ok(Date.now() - started < 15_000, 'the follow ends on abort');
    assert.match(followed, /stand-in serving dv-model version 1/);
  });

  test('port-forward: a local port reaches the pod for 50 sequential keep-alive requests, and the new pod after a rollout; closed, it refuses', async () => {
    const problems: string[] = [];
    const pf = await portForward(client, svc, { onError: (m) => problems.push(m) });
    try {
      assert.match(pf.pod, /^dv-/);
      assert.equal(pf.containerPort, port);
      assert.notEqual(pf.localPort, port);
      const base = `http://127.0.0.1:${pf.localPort}`;
      const ready = await fetch(`${base}/v2/health/ready`, { signal: AbortSignal.timeout(15_000) });
      assert.equal(ready.status, 200, await ready.clone().text());
      for (let i = 0; i < 50; i++) {
        const r = await fetch(`${base}/v2/models/dv-model/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 9], data: [i, 1, 2, 3, 4, 5, 6, 7, 8] }] }),
          signal: AbortSignal.timeout(15_000),
        });
        assert.equal(r.status, 200, `request ${i}: ${await r.clone().text()}`);
        const body = (await r.json()) as { model_version: string };
        assert.equal(body.model_version, '1');
      }
      assert.deepEqual(problems, []);
      assert.ok(pf.connections < 10, `fetch kept its connections alive through the forward (${pf.connections} for 51 requests)`);
      const before = pf.pod;

      // version 2 replaces the pod (strategy Recreate): the next connection finds the new one
      await deploy('2', IMAGE_V2);
      const r = await fetch(`${base}/v2/models/dv-model/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs":[]}', signal: AbortSignal.timeout(15_000) });
      assert.equal(r.status, 200, await r.clone().text());
      assert.equal(((await r.json()) as { model_version: string }).model_version, '2');
      assert.notEqual(pf.pod, before);
      console.log(`    after the rollout: ${problems.length ? problems.join('; ') : 'no problem reported'}`);
    } finally {
      await pf.close();
    }
    await assert.rejects(fetch(`http://127.0.0.1:${pf.localPort}/v2/health/ready`, { signal: AbortSignal.timeout(5000) }));
  });

  test('no ready pod, or no workload: refused in words', async () => {
    // the same project in the second namespace, with an image no node has (and no registry to pull from)
    const broken = renderServing(pipeline('  target: kubernetes\n  replicas: 1\n', port, NS2), version('9'), { image: `slipway-test/dv-missing:${id}` });
    await client.apply(broken);
    const ref: WorkloadRef = { kind: 'Deployment', name: PROJECT, namespace: NS2 };
    await assert.rejects(portForward(client, ref), (e: Error) => {
      assert.match(e.message, new RegExp(`^no ready pod of Deployment ${NS2}/${PROJECT} to forward to`));
      return true;
    });
    // once the kubelet tried, the reason is the pull
    let last = '';
    for (let i = 0; i < 60 && !/cannot pull the image/.test(last); i++) {
      await new Promise((r) => setTimeout(r, 500));
      last = await portForward(client, ref).then((f) => (f.close(), 'forwarded'), (e: Error) => e.message);
    }
    assert.match(last, new RegExp(`^no ready pod of Deployment ${NS2}/${PROJECT} to forward to: cannot pull the image slipway-test/dv-missing:${id}`));
    console.log(`    plain words: ${last}`);
    await assert.rejects(portForward(client, { kind: 'Deployment', name: 'nothing-here', namespace: NS }), /^Error: there is no Deployment slipway-dv-\w+\/nothing-here \(deleted, or never deployed there\?\)$/);
    await assert.rejects(streamLogs(client, { kind: 'Deployment', name: 'nothing-here', namespace: NS }, { onText: () => {} }), /there is no Deployment/);
  });

  test('status across two namespaces, and a context that does not exist, side by side', async () => {
    const { targets, problems } = statusTargets({ namespace: NS }, [NS2, 'no-such-context/default', 'Bad_Namespace']);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /"Bad_Namespace" is not a namespace name/);
    const groups = await statusAll(PROJECT, targets, { kubeconfig: KUBECONFIG!, timeoutMs: 15_000 });
    assert.deepEqual(
      groups.map((g) => [g.namespace, g.source, g.items.map((i) => `${i.kind}/${i.name} v${i.modelVersion} ${i.status}`), g.error ?? '']),
      [
        [NS, 'slipway.yaml', [`Deployment/${PROJECT} v2 Ready`], ''],
        [NS2, 'setting', [`Deployment/${PROJECT} v9 Progressing`], ''],
        ['default', 'setting', [], groups[2]!.error],
      ],
    );
    assert.equal(groups[0]!.context, kc.getCurrentContext());
    assert.equal(groups[0]!.items[0]!.ready, 1);
    assert.match(groups[2]!.error!, /^the kubeconfig has no context "no-such-context" \(it has: /);
    assert.equal(groups[2]!.errorKind, 'config');
    // an API server that does not answer is told per group too
    const dead = join(work, 'dead.kubeconfig');
    writeFileSync(dead, 'apiVersion: v1\nkind: Config\nclusters: [{ name: dead, cluster: { server: "https://127.0.0.1:9", insecure-skip-tls-verify: true } }]\nusers: [{ name: u, user: {} }]\ncontexts: [{ name: dead, context: { cluster: dead, user: u } }]\ncurrent-context: dead\n');
    const down = await statusAll(PROJECT, [{ namespace: NS, source: 'setting' }], { kubeconfig: dead });
    assert.equal(down[0]!.context, 'dead');
    assert.equal(down[0]!.errorKind, 'unreachable');
    assert.match(down[0]!.error!, /cannot reach the cluster \(ECONNREFUSED\)/);
  });

  test('promote: an InferenceService canary is ended by server-side apply, recorded; a rollback still returns', async () => {
    const crd = parseYaml(readFileSync('test/k8s/kserve-crd.yaml', 'utf8')) as k8s.KubernetesObject;
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.patchCustomResourceDefinition(
      { name: 'inferenceservices.serving.kserve.io', body: crd, fieldManager: 'slipway-test', force: true },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
    );
    for (let i = 0; ; i++) {
      const c = await ext.readCustomResourceDefinition({ name: 'inferenceservices.serving.kserve.io' });
      if (c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')) break;
      assert.ok(i < 100, 'the CRD becomes established');
      await new Promise((r) => setTimeout(r, 100));
    }
    // a client made after the CRD exists: the object API caches what the cluster serves
    const kclient = new DeployClient({ kubeconfig: KUBECONFIG, pollMs: 300 });
    // the same project as the Deployment next to it: deleting one leaves the other's objects
    const p = parsePipeline(`version: 1\nname: ${PROJECT}\nmodel:\n  name: dv-model\ndeploy:\n  namespace: ${NS}\n  target: kserve\n  replicas: 1\n  canary: 10\n`).model;
    await kclient.apply(renderServing(p, version('1', { storageUri: 's3://models/dv/1' }), { image: 'unused' }));
    await kclient.apply(renderServing(p, version('2', { storageUri: 's3://models/dv/2' }), { image: 'unused' }));
    const ref: WorkloadRef = { kind: 'InferenceService', name: PROJECT, namespace: NS };
    const isvcStatus = async () => (await kclient.status(PROJECT, NS)).filter((s) => s.kind === 'InferenceService');
    assert.equal((await isvcStatus())[0]!.canaryPercent, 10);

    const done = await promoteCanary(kclient, ref, { who: 'test-user', now: new Date('2026-01-02T03:04:05Z') });
    assert.equal(done.fromPercent, 10);
    assert.equal(done.record, 'promoted by test-user at 2026-01-02T03:04:05.000Z from a 10% canary (version 2)');
    const read = (await k8s.KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: PROJECT, namespace: NS } })) as unknown as KubeObject;
    const predictor = (read.spec as any).predictor;
    assert.equal('canaryTrafficPercent' in predictor, false, 'no canary: all traffic to the latest revision');
    assert.equal(predictor.model.storageUri, 's3://models/dv/2', 'the rest of the spec is kept');
    assert.equal(read.metadata.annotations?.['slipway.dev/promoted'], done.record);
    assert.equal(read.metadata.annotations?.['slipway.dev/model-version'], '2');
    assert.equal(read.metadata.labels?.['app.kubernetes.io/managed-by'], 'slipway', 'the labels Slipway owns stay');
    assert.ok((read.metadata as any).managedFields.some((f: any) => f.manager === 'slipway' && f.operation === 'Apply'));
    const after = await isvcStatus();
    assert.equal(after[0]!.canaryPercent, undefined);
    assert.equal(after[0]!.modelVersion, '2');

    await assert.rejects(promoteCanary(kclient, ref), /^Error: nothing to promote: InferenceService slipway-dv-\w+\/dv has no canary \(all traffic already goes to its latest revision\)$/);
    await assert.rejects(promoteCanary(kclient, svc), /^Error: Deployment slipway-dv-\w+\/dv has no canary to promote: a Deployment rolls every replica to the new version/);
    // the version before the canary is still the rollback target
    const back = await kclient.rollback(ref);
    assert.deepEqual([back.fromVersion, back.toVersion], ['2', '1']);
    const del = await deleteServing(kclient, ref);
    assert.deepEqual(del.deleted, [`InferenceService ${NS}/${PROJECT}`], "the Deployment's Service and autoscaler are not the InferenceService's");
    assert.deepEqual((await kclient.status(PROJECT, NS)).map((s) => s.kind), ['Deployment']);
  });

  test('delete: the Deployment, its Service and its autoscaler, in the foreground', async () => {
    const done = await deleteServing(client, svc);
    assert.deepEqual([...done.deleted].sort(), [`Deployment ${NS}/${PROJECT}`, `HorizontalPodAutoscaler ${NS}/${PROJECT}`, `Service ${NS}/${PROJECT}`]);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await assert.rejects(apps.readNamespacedDeployment({ name: PROJECT, namespace: NS }), (e: any) => e.code === 404);
    await assert.rejects(kc.makeApiClient(k8s.CoreV1Api).readNamespacedService({ name: PROJECT, namespace: NS }), (e: any) => e.code === 404);
    const hpas = await kc.makeApiClient(k8s.AutoscalingV1Api).listNamespacedHorizontalPodAutoscaler({ namespace: NS });
    assert.equal(hpas.items.length, 0);
    // the other namespace's deployment of the same project is untouched
    assert.equal((await client.status(PROJECT, NS2)).length, 1);
    await assert.rejects(deleteServing(client, svc), /^Error: nothing to delete: there is no Deployment/);
  });
});
