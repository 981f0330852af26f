// Against a real Docker Engine and Kubernetes (test/k8s/local-cluster.sh, started by npm test):
// serving images are built with dockerode from a locally made Node base image, pushed to a
// registry with credentials, deployed with server-side apply, watched until Ready, rolled back;
// failures (missing image, impossible CPU request, crash loop) come back in plain words;
// InferenceServices are applied and watched through a minimal KServe CRD; deploy.gitops writes
// files and applies nothing; model.gates refuse a version unless forced, and the override is
// recorded. Everything lives in a namespace of its own, deleted at the end.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { parsePipeline, type Pipeline } from '../../src/core/pipeline/index';
import { DeployClient, workloadOf } from '../../src/core/deploy/rollout';
import { renderServing } from '../../src/core/deploy/manifests';
import { NO_KSERVE_CONTROLLER } from '../../src/core/deploy/status';
import { pushImage } from '../../src/core/deploy/image';
import { localModel } from '../../src/core/deploy/model';
import type { DeployModel, KubeObject, RolloutEvent } from '../../src/core/deploy/types';
import { buildServing, ensureNodeBase, freePort, standInModel, STAND_IN_CLI } from '../support/deploy-images';
import { startTestRegistry } from '../support/deploy-registry';

const KUBECONFIG = process.env.SLIPWAY_KUBECONFIG;
const CLI = resolve('out/cli.js');
const skip = !KUBECONFIG ? 'no cluster: npm test starts one (test/k8s/local-cluster.sh); SLIPWAY_KUBECONFIG names its kubeconfig' : !existsSync(CLI) ? 'build first (npm run build)' : false;
const NS = `slipway-deploy-${randomBytes(3).toString('hex')}`;
const IMAGE_V1 = 'slipway-test/serve:1';
const IMAGE_V2 = 'slipway-test/serve:2';
const IMAGE_CRASH = 'slipway-test/serve:crash';
const PYTHON = process.env.SLIPWAY_PYTHON;
// the real runtime: `slipway serve` in out/cli.js, and Python to train the example's model
const realSkip = !existsSync(CLI) || !/\n\s+serve\s/.test(spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout ?? '')
  ? 'out/cli.js has no serve command yet'
  : !PYTHON ? 'SLIPWAY_PYTHON is not set: npm test creates the venv that trains the example model' : false;

function pipeline(name: string, deploy: string, extra = ''): Pipeline {
  const parsed = parsePipeline(`version: 1\nname: ${name}\nmodel:\n  name: ${name}-model\n  gates:\n    - { metric: val_auc, op: ">=", value: 0.8 }\n${extra}deploy:\n  namespace: ${NS}\n${deploy}`);
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return parsed.model;
}
const version = (v: string, extra: Partial<DeployModel> = {}): DeployModel => ({ name: 'm', version: v, metrics: { val_auc: 0.9 }, ...extra });

async function infer(port: number, model: string): Promise<{ model_version: string; outputs: unknown[] }> {
  const r = await fetch(`http://127.0.0.1:${port}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 9], data: [3, 42.5, 1, 0, 1, 0, 19.9, 12, 0] }] }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as { model_version: string; outputs: unknown[] };
}

describe('deploying to a real cluster', { skip, concurrency: 1 }, () => {
  let kc: k8s.KubeConfig;
  let client: DeployClient;
  let docker: Docker;
  let work = '';
  const events: RolloutEvent[] = [];

  before(async () => {
    kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG!);
    client = new DeployClient({ kubeconfig: KUBECONFIG, pollMs: 300 });
    docker = new Docker();
    work = mkdtempSync(join(tmpdir(), 'slipway-deploy-'));
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: NS, labels: { 'slipway.dev/test': 'deploy' } } } });
    await ensureNodeBase(docker);
    // the port is baked into the stand-in images: they all serve on one free port (hostNetwork)
    standInPort = await freePort();
    await buildServing(docker, IMAGE_V1, { modelDir: await standInModel(work, '1'), port: standInPort, cliJs: STAND_IN_CLI });
    await buildServing(docker, IMAGE_V2, { modelDir: await standInModel(work, '2'), port: standInPort, cliJs: STAND_IN_CLI });
  });
  let standInPort = 0;

  after(async () => {
    // the namespace takes everything in it along
    await kc?.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: NS }).catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
    // the serving images are rebuilt each run (the Node base image is kept: it is the slow one)
    for (const tag of [IMAGE_V1, IMAGE_V2, IMAGE_CRASH, 'slipway-test/churn-serve:1']) await docker?.getImage(tag).remove({ force: true }).catch(() => {});
  });

  test('the serving image is built with dockerode: non-root, health check, the runtime command', async () => {
    const info = await docker.getImage(IMAGE_V1).inspect();
    assert.equal(info.Config.User, '10001:10001');
    assert.deepEqual(Object.keys(info.Config.ExposedPorts ?? {}), [`${standInPort}/tcp`]);
    assert.deepEqual(info.Config.Cmd, ['node', '/app/cli.js', 'serve', '--model', '/models/model', '--host', '0.0.0.0', '--port', String(standInPort)]);
    assert.match(JSON.stringify(info.Config.Healthcheck?.Test), /\/v2\/health\/ready/);
    assert.equal(info.Config.Labels?.['slipway.dev/model-version'], '1');
    // the build log was streamed line by line
    const again = await buildServing(docker, 'slipway-test/serve:1b', { modelDir: join(work, 'model-1'), port: standInPort, cliJs: STAND_IN_CLI });
    assert.match(again.log, /Step 1\/\d+ : FROM slipway-test\/node-base:24/);
    assert.match(again.log, /Successfully tagged slipway-test\/serve:1b/);
    await docker.getImage('slipway-test/serve:1b').remove().catch(() => {});
  });

  test('an image is pushed to a registry with the credentials given', async () => {
    const registry = await startTestRegistry('alice', 's3cret');
    try {
      const tag = `${registry.host}/slipway-test/serve:1`;
      await docker.getImage(IMAGE_V1).tag({ repo: `${registry.host}/slipway-test/serve`, tag: '1' });
      let log = '';
      const digest = await pushImage(tag, { username: 'alice', password: 's3cret', serveraddress: registry.host }, (t) => (log += t), { docker });
      assert.match(digest ?? '', /^sha256:[a-f0-9]{64}$/);
      assert.match(log, /Pushed/);
      assert.ok(registry.manifests.has('slipway-test/serve:1'), 'the registry holds the manifest');
      assert.ok(registry.logins.includes('alice:s3cret'), 'the engine sent the credentials');
      await docker.getImage(tag).remove().catch(() => {});
    } finally {
      await registry.close();
    }
  });

  test('version 1 rolls out until Ready and answers inference; version 2 replaces it; rollback returns to 1', async () => {
    const p = pipeline('svc', '  target: kubernetes\n  replicas: 1\n  resources: { cpu: 50m, memory: 64Mi }\n  autoscale: { min: 1, max: 1, cpu_percent: 80 }\n', `serving:\n  port: ${standInPort}\n`);
    const hpaApiVersion = await client.hpaApiVersion();
    assert.equal(hpaApiVersion, 'autoscaling/v2beta2', 'Kubernetes 1.20 serves HPA at v2beta2, not v2');
    const render = (v: string, image: string) => renderServing(p, version(v), { image, hostNetwork: true, hpaApiVersion });

    const v1 = render('1', IMAGE_V1);
    await client.apply(v1);
    const first = await client.watch(workloadOf(v1), { timeoutMs: 90_000, onProgress: (e) => events.push(e) });
    assert.equal(first.phase, 'ready', first.message);
    assert.equal(first.modelVersion, '1');
    assert.deepEqual([first.ready, first.desired], [1, 1]);
    assert.ok(events.some((e) => e.phase === 'progressing'), 'progress was reported while rolling out');
    assert.equal((await infer(standInPort, 'm')).model_version, '1');

    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const d1 = await apps.readNamespacedDeployment({ name: 'svc', namespace: NS });
    assert.equal(d1.metadata?.annotations?.['slipway.dev/model-version'], '1');
    assert.equal(d1.metadata?.labels?.['app.kubernetes.io/managed-by'], 'slipway');
    assert.ok(d1.metadata?.managedFields?.some((f) => f.manager === 'slipway' && f.operation === 'Apply'), 'server-side applied by field manager slipway');
    const hpa = await k8s.KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'svc', namespace: NS } });
    assert.equal((hpa as any).spec.scaleTargetRef.name, 'svc');

    const v2 = render('2', IMAGE_V2);
    await client.apply(v2);
    const second = await client.watch(workloadOf(v2), { timeoutMs: 90_000 });
    assert.equal(second.phase, 'ready', second.message);
    assert.equal(second.modelVersion, '2');
    assert.equal((await infer(standInPort, 'm')).model_version, '2');

    const status = await client.status('svc', NS);
    assert.equal(status.length, 1);
    assert.deepEqual(
      { kind: status[0]!.kind, name: status[0]!.name, modelVersion: status[0]!.modelVersion, ready: status[0]!.ready, desired: status[0]!.desired, status: status[0]!.status, image: status[0]!.image },
      { kind: 'Deployment', name: 'svc', modelVersion: '2', ready: 1, desired: 1, status: 'Ready', image: IMAGE_V2 },
    );
    assert.equal(status[0]!.context, kc.getCurrentContext());

    const back = await client.rollback({ kind: 'Deployment', name: 'svc', namespace: NS });
    assert.deepEqual([back.fromVersion, back.toVersion, back.toRevision], ['2', '1', 1]);
    const rolled = await client.watch({ kind: 'Deployment', name: 'svc', namespace: NS }, { timeoutMs: 90_000 });
    assert.equal(rolled.phase, 'ready', rolled.message);
    assert.equal(rolled.modelVersion, '1');
    assert.equal((await infer(standInPort, 'm')).model_version, '1');
    const d3 = await apps.readNamespacedDeployment({ name: 'svc', namespace: NS });
    assert.equal(d3.spec?.template.spec?.containers[0]?.image, IMAGE_V1);
    assert.equal(d3.metadata?.annotations?.['deployment.kubernetes.io/revision'], '3', 'the old ReplicaSet came back as revision 3');

    // applying version 2 again takes over the fields the rollback patched: no conflict
    await client.apply(v2);
    const again = await client.watch(workloadOf(v2), { timeoutMs: 90_000 });
    assert.equal(again.phase, 'ready', again.message);
    assert.equal((await infer(standInPort, 'm')).model_version, '2');
    await apps.deleteNamespacedDeployment({ name: 'svc', namespace: NS });
  });

  test('the real serving image (slipway serve, onnxruntime, a trained model) rolls out and answers inference', { skip: realSkip }, async () => {
    const modelDir = join(work, 'churn-model');
    const trained = spawnSync(PYTHON!, ['src/train.py', '--out', modelDir], { cwd: 'examples/churn', encoding: 'utf8', timeout: 120_000 });
    assert.equal(trained.status, 0, trained.stderr);
    const port = await freePort();
    const image = 'slipway-test/churn-serve:1';
    const built = await buildServing(docker, image, { modelDir, port, modelName: 'churn-classifier' });
    assert.match(built.dockerfile, /CMD \["node","\/app\/cli.js","serve","--model","\/models\/model","--name","churn-classifier","--host","0.0.0.0","--port","\d+"\]/);
    const m = await localModel(modelDir, { modelName: 'churn-classifier' });
    const p = pipeline('churn', '  target: kubernetes\n  replicas: 1\n  resources: { cpu: 500m, memory: 512Mi }\n', `serving:\n  port: ${port}\n`);
    const objects = renderServing(p, m, { image, hostNetwork: true });
    await client.apply(objects);
    const r = await client.watch(workloadOf(objects), { timeoutMs: 120_000 });
    assert.equal(r.phase, 'ready', r.message);
    const out = await infer(port, 'churn-classifier');
    assert.equal(out.model_version, m.version, 'the server reports the version Slipway deployed (sha256 of model.onnx)');
    const byName = Object.fromEntries((out.outputs as { name: string; data: number[] }[]).map((o) => [o.name, o.data]));
    assert.equal(byName.label!.length, 1);
    assert.equal(byName.probabilities!.length, 2);
    assert.ok(Math.abs(byName.probabilities![0]! + byName.probabilities![1]! - 1) < 1e-5);
    const ready = await fetch(`http://127.0.0.1:${port}/v2/health/ready`);
    assert.equal(ready.status, 200);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /churn-classifier/);
    await kc.makeApiClient(k8s.AppsV1Api).deleteNamespacedDeployment({ name: 'churn', namespace: NS });
  });

  test('an image that cannot be pulled fails the rollout in plain words', async () => {
    const objects = renderServing(pipeline('nopull', '  target: kubernetes\n  replicas: 1\n'), version('1'), { image: 'slipway-test/missing:1' });
    await client.apply(objects);
    const r = await client.watch(workloadOf(objects), { timeoutMs: 60_000, problemGraceMs: 3000 });
    assert.equal(r.phase, 'failed');
    assert.match(r.message, /^cannot pull the image slipway-test\/missing:1: .*\(check the image name, that it was pushed, and imagePullSecrets\)$/);
    console.log(`    plain words: ${r.message}`);
  });

  test('an impossible CPU request fails as unschedulable in plain words', async () => {
    const objects = renderServing(pipeline('huge', '  target: kubernetes\n  replicas: 1\n  resources: { cpu: "64", memory: 64Mi }\n'), version('1'), { image: IMAGE_V1 });
    await client.apply(objects);
    const r = await client.watch(workloadOf(objects), { timeoutMs: 60_000, problemGraceMs: 2000 });
    assert.equal(r.phase, 'failed');
    assert.match(r.message, /^the pod cannot be scheduled: .*Insufficient cpu.*\(lower the requested resources or add nodes\)$/);
    console.log(`    plain words: ${r.message}`);
  });

  test('a server that exits at start fails as a crash loop in plain words', async () => {
    await buildServing(docker, IMAGE_CRASH, { modelDir: await standInModel(work, 'crash', { crash: true }), port: 8080, cliJs: STAND_IN_CLI });
    const objects = renderServing(pipeline('crashy', '  target: kubernetes\n  replicas: 1\n'), version('1'), { image: IMAGE_CRASH });
    await client.apply(objects);
    const r = await client.watch(workloadOf(objects), { timeoutMs: 90_000, problemGraceMs: 1000 });
    assert.equal(r.phase, 'failed');
    // the kubelet may have probed it before it exited: the failing probe is then part of the explanation
    assert.match(r.message, /^the container serve keeps crashing( \(CrashLoopBackOff\): .*|: restarted \d+ time\(s\)) \(last exit code 3\)(; its health check fails: [^;]+)?; its last log lines: stand-in server: model.json asks for a crash$/);
    console.log(`    plain words: ${r.message}`);
  });

  test('an InferenceService is applied, read back and watched; with no KServe controller, status says so; rollback restores the previous spec', async () => {
    const crd = parseYaml(readFileSync('test/k8s/kserve-crd.yaml', 'utf8')) as k8s.KubernetesObject;
    // a kind the cluster does not serve: said in words, whatever the CRDs installed
    const unknown = { ...renderServing(pipeline('isvc', '  target: kserve\n'), version('1', { storageUri: 's3://m/1' }), { image: 'unused' })[0]!, apiVersion: 'serving.kserve.io/v1alpha9' };
    await assert.rejects(client.apply([unknown]), /^Error: applying InferenceService slipway-deploy-\w+\/isvc: the cluster does not know InferenceService \(serving\.kserve\.io\/v1alpha9\): install KServe \(or at least its CRDs\), or use deploy\.target: kubernetes$/);
    // raw JSON through the typed API's patch: KubernetesObjectApi would map the CRD through the
    // client's model and drop x-kubernetes-preserve-unknown-fields (its TypeScript name differs)
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
    const p = pipeline('isvc', '  target: kserve\n  replicas: 1\n  resources: { cpu: 100m, memory: 128Mi }\n  autoscale: { min: 1, max: 3, cpu_percent: 60 }\n  canary: 10\n');
    // a client made after the CRD exists: the object API caches what the cluster serves
    const kclient = new DeployClient({ kubeconfig: KUBECONFIG, pollMs: 300 });
    const v1 = renderServing(p, version('1', { storageUri: 's3://models/isvc/1' }), { image: 'unused' });
    await kclient.apply(v1);
    const read = (await k8s.KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'isvc', namespace: NS } })) as unknown as KubeObject;
    const predictor = (read.spec as any).predictor;
    assert.deepEqual(predictor.model, { modelFormat: { name: 'onnx' }, protocolVersion: 'v2', storageUri: 's3://models/isvc/1', resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '100m', memory: '128Mi' } } });
    assert.deepEqual([predictor.minReplicas, predictor.maxReplicas, predictor.canaryTrafficPercent], [1, 3, 10]);
    assert.equal(read.metadata.annotations?.['slipway.dev/model-version'], '1');

    const seen: RolloutEvent[] = [];
    const watched = await kclient.watch(workloadOf(v1), { controllerGraceMs: 1500, onProgress: (e) => seen.push(e) });
    assert.equal(watched.phase, 'unknown');
    assert.equal(watched.message, NO_KSERVE_CONTROLLER);
    assert.equal(watched.message, 'no KServe controller has picked it up yet (is KServe installed?)');
    assert.ok(seen.some((e) => e.phase === 'progressing' && /waiting for a KServe controller/.test(e.message)));

    const v2 = renderServing(p, version('2', { storageUri: 's3://models/isvc/2' }), { image: 'unused' });
    await kclient.apply(v2);
    await kclient.apply(v2); // a re-apply keeps the rollback target
    const status = await kclient.status('isvc', NS);
    assert.equal(status.length, 1);
    assert.deepEqual(
      { kind: status[0]!.kind, modelVersion: status[0]!.modelVersion, canaryPercent: status[0]!.canaryPercent, status: status[0]!.status, message: status[0]!.message },
      { kind: 'InferenceService', modelVersion: '2', canaryPercent: 10, status: 'Unknown', message: NO_KSERVE_CONTROLLER },
    );

    const back = await kclient.rollback({ kind: 'InferenceService', name: 'isvc', namespace: NS });
    assert.deepEqual([back.fromVersion, back.toVersion], ['2', '1']);
    const after1 = (await k8s.KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: 'serving.kserve.io/v1beta1', kind: 'InferenceService', metadata: { name: 'isvc', namespace: NS } })) as unknown as KubeObject;
    assert.equal((after1.spec as any).predictor.model.storageUri, 's3://models/isvc/1');
    assert.equal(after1.metadata.annotations?.['slipway.dev/model-version'], '1');
    // and a second rollback returns to version 2
    const forth = await kclient.rollback({ kind: 'InferenceService', name: 'isvc', namespace: NS });
    assert.deepEqual([forth.fromVersion, forth.toVersion], ['1', '2']);
  });

  describe('the CLI', () => {
    let project = '';
    const cli = (args: string[]) => {
      // pods get no network here but the node's: the stand-in images listen on standInPort there
      const hostNetwork = args[0] === 'apply' || args[0] === 'render' ? ['--host-network'] : [];
      const r = spawnSync(process.execPath, [CLI, 'deploy', ...args, ...hostNetwork], {
        cwd: project,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, KUBECONFIG: KUBECONFIG!, SLIPWAY_USER: 'test-user' },
      });
      return { code: r.status, out: r.stdout, err: r.stderr };
    };
    const writeProject = (deploy: string) =>
      writeFileSync(
        join(project, 'slipway.yaml'),
        `version: 1\nname: cli-svc\nmodel:\n  name: cli-model\n  gates:\n    - { metric: val_auc, op: ">=", value: 0.8 }\nserving:\n  image: slipway-test/serve\n  port: ${standInPort}\ndeploy:\n  target: kubernetes\n  namespace: ${NS}\n  replicas: 1\n${deploy}`,
      );

    before(() => {
      project = mkdtempSync(join(tmpdir(), 'slipway-deploy-cli-'));
      mkdirSync(join(project, 'good'));
      writeFileSync(join(project, 'good', 'model.onnx'), 'x');
      writeFileSync(join(project, 'good', 'model.json'), JSON.stringify({ version: '1', metrics: { val_auc: 0.91 } }));
      mkdirSync(join(project, 'weak'));
      writeFileSync(join(project, 'weak', 'model.onnx'), 'y');
      writeFileSync(join(project, 'weak', 'model.json'), JSON.stringify({ version: '1', metrics: { val_auc: 0.61 } }));
    });
    after(() => rmSync(project, { recursive: true, force: true }));

    test('with deploy.gitops, apply writes the manifests and applies nothing', async () => {
      writeProject('  gitops: deploy/k8s\n');
      const r = cli(['apply', '--model', 'good']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /deploy\.gitops is set: wrote 3 file\(s\) to deploy\/k8s and applied nothing/);
      assert.deepEqual(readdirSync(join(project, 'deploy', 'k8s')).sort(), ['deployment-cli-svc.yaml', 'kustomization.yaml', 'service-cli-svc.yaml']);
      const d = parseYaml(readFileSync(join(project, 'deploy', 'k8s', 'deployment-cli-svc.yaml'), 'utf8'));
      assert.equal(d.spec.template.spec.containers[0].image, 'slipway-test/serve:1');
      const listed = await kc.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace: NS, labelSelector: 'app.kubernetes.io/name=cli-svc' });
      assert.equal(listed.items.length, 0, 'nothing reached the cluster');
    });

    test('a version failing model.gates is refused (exit 1); --force deploys it and records the override', async () => {
      writeProject('');
      const refused = cli(['apply', '--model', 'weak', '--image', IMAGE_V1]);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /cli-model version 1 does not pass model\.gates, so it is not deployed:\n {2}- val_auc = 0\.61, needs >= 0\.8/);
      const apps = kc.makeApiClient(k8s.AppsV1Api);
      assert.equal((await apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'app.kubernetes.io/name=cli-svc' })).items.length, 0);

      const forced = cli(['apply', '--model', 'weak', '--image', IMAGE_V1, '--force', '--wait', '--timeout', '90']);
      assert.equal(forced.code, 0, forced.err);
      assert.match(forced.err, /fails 1 gate\(s\); deployed anyway on test-user's override/);
      assert.match(forced.out, /Deployment .*\/cli-svc \(version 1\) is ready/);
      const d = await apps.readNamespacedDeployment({ name: 'cli-svc', namespace: NS });
      assert.match(d.metadata?.annotations?.['slipway.dev/gate-override'] ?? '', /^deployed by test-user at \S+ despite failing gates: val_auc = 0\.61, needs >= 0\.8$/);

      const status = cli(['status', '--format', 'json']);
      assert.equal(status.code, 0, status.err);
      const rows = JSON.parse(status.out);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].kind, 'Deployment');
      assert.equal(rows[0].modelVersion, '1');
      assert.equal(rows[0].status, 'Ready');
      assert.match(rows[0].gateOverride, /test-user/);

      // a passing version applied normally drops the override annotation (Slipway owned it)
      const good = cli(['apply', '--model', 'good', '--image', IMAGE_V2, '--model-version', '2', '--wait', '--timeout', '90']);
      assert.equal(good.code, 0, good.err);
      const d2 = await apps.readNamespacedDeployment({ name: 'cli-svc', namespace: NS });
      assert.equal(d2.metadata?.annotations?.['slipway.dev/gate-override'], undefined);

      const back = cli(['rollback', '--wait', '--timeout', '90']);
      assert.equal(back.code, 0, back.err);
      assert.match(back.err, /rolling back Deployment .*\/cli-svc from version 2 to version 1 \(revision 1\)/);
      const d3 = await apps.readNamespacedDeployment({ name: 'cli-svc', namespace: NS });
      assert.equal(d3.spec?.template.spec?.containers[0]?.image, IMAGE_V1);
      assert.match(d3.metadata?.annotations?.['slipway.dev/gate-override'] ?? '', /test-user/, 'the rolled-back revision keeps the override it was deployed with');
    });
  });
});
