import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import Docker from 'dockerode';
import * as k8s from '@kubernetes/client-node';
import { ensureNodeBase, freePort } from '../../support/deploy-images';
import { startTestRegistry, type TestRegistry } from '../../support/deploy-registry';
import { eventually, slipway, workspaceRoot } from './util';

// Build Serving Image and Deploy Model from the editor, against the real Docker Engine and
// Kubernetes that npm test starts (test/k8s/local-cluster.sh), and the MLflow stand-in of the
// runner for models:/ URIs. The pods use hostNetwork (the local cluster has no pod network),
// so the test reaches the served model on 127.0.0.1.
const KUBECONFIG = process.env.KUBECONFIG;
const skipReason = !KUBECONFIG ? 'no cluster: npm test starts one and passes its kubeconfig (SLIPWAY_KUBECONFIG)' : !process.env.SLIPWAY_PYTHON ? 'SLIPWAY_PYTHON is not set' : '';

interface BuildResult {
  tag: string;
  id: string;
  dockerfile: string;
  model: { name: string; version: string };
  pushed?: { digest?: string };
}
interface DeployResult {
  outcome: string;
  model?: { name: string; version: string };
  image?: string;
  overridden?: boolean;
  message: string;
  rollout?: { phase: string; ready: number; desired: number };
}

describe('Deploy: Build Serving Image and Deploy Model in the editor (real Docker and Kubernetes)', function () {
  const ns = `slipway-it-${randomBytes(3).toString('hex')}`;
  const root = () => workspaceRoot().fsPath;
  const pipelineFile = () => join(root(), 'slipway.yaml');
  let original = '';
  let port = 0;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let registry: TestRegistry | undefined;
  const config = () => vscode.workspace.getConfiguration('slipway');
  const mlflow = async (path: string, body?: unknown, method = 'POST') => {
    const r = await fetch(`${process.env.SLIPWAY_MLFLOW_URI}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return r.json() as Promise<Record<string, any>>;
  };
  const editPipeline = (edit: (doc: ReturnType<typeof parseDocument>) => void) => {
    const doc = parseDocument(readFileSync(pipelineFile(), 'utf8'));
    edit(doc);
    writeFileSync(pipelineFile(), doc.toString());
  };

  before(async function () {
    if (skipReason) return this.skip();
    this.timeout(300_000);
    const api = await slipway();
    original = readFileSync(pipelineFile(), 'utf8');
    const model = join(root(), 'artifacts', 'model', 'model.onnx');
    if (!existsSync(model)) execFileSync(process.env.SLIPWAY_PYTHON!, ['src/train.py', '--n_estimators', '20'], { cwd: root() });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(KUBECONFIG!);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: ns, labels: { 'slipway.dev/test': 'integration' } } } });
    // no registry can be reached: the base image is made locally (Debian + the Node binary)
    const base = await ensureNodeBase(new Docker());
    await config().update('serving.baseImage', base, vscode.ConfigurationTarget.Workspace);
    await config().update('deploy.hostNetwork', true, vscode.ConfigurationTarget.Workspace);
    port = await freePort();
    editPipeline((doc) => {
      doc.setIn(['serving', 'image'], 'slipway-it/churn-serve');
      doc.setIn(['serving', 'port'], port);
      doc.set('deploy', doc.createNode({ target: 'kubernetes', namespace: ns, alias: 'champion', replicas: 1, resources: { cpu: '100m', memory: '512Mi' } }));
    });
    await api.projects.refresh();
    await api.tracking.refresh();
  });

  after(async function () {
    this.timeout(120_000);
    if (skipReason) return;
    writeFileSync(pipelineFile(), original);
    await config().update('serving.baseImage', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('deploy.hostNetwork', undefined, vscode.ConfigurationTarget.Workspace);
    await registry?.close();
    await core?.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it('builds the serving image from the trained model: Dockerfile with a non-root user and a health check, the image in the engine', async function () {
    this.timeout(300_000);
    const built = (await vscode.commands.executeCommand('slipway.deploy.buildImage', { model: vscode.Uri.file(join(root(), 'artifacts', 'model')), push: false, interactive: false })) as BuildResult;
    assert.match(built.tag, /^slipway-it\/churn-serve:[0-9a-f]{12}$/, 'tagged with the model folder content hash');
    const dockerfile = readFileSync(built.dockerfile, 'utf8');
    assert.match(dockerfile, /^USER 10001:10001$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*\/v2\/health\/ready/m);
    assert.match(dockerfile, /^FROM slipway-test\/node-base:24$/m, 'the base image of the slipway.serving.baseImage setting');
    const image = await new Docker().getImage(built.tag).inspect();
    assert.equal(image.Id, built.id);
    assert.equal(image.Config.User, '10001:10001');
    assert.equal(image.Config.Labels?.['slipway.dev/model-version'], built.model.version);
  });

  it('pushes to serving.image with the credentials of secret storage; wrong credentials fail with the registry answer', async function () {
    this.timeout(300_000);
    registry = await startTestRegistry('alice', 's3cret');
    editPipeline((doc) => doc.setIn(['serving', 'image'], `${registry!.host}/slipway-it/churn-serve`));
    await vscode.commands.executeCommand('slipway.deploy.setRegistryCredentials', { server: registry.host, username: 'alice', password: 's3cret' });
    const built = (await vscode.commands.executeCommand('slipway.deploy.buildImage', { model: vscode.Uri.file(join(root(), 'artifacts', 'model')), push: true, interactive: false })) as BuildResult;
    assert.match(built.pushed?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.ok(registry.logins.includes('alice:s3cret'), 'the engine sent the stored credentials');
    assert.ok([...registry.manifests.keys()].some((k) => k.startsWith('slipway-it/churn-serve:')), 'the registry holds the image');
    await vscode.commands.executeCommand('slipway.deploy.setRegistryCredentials', { server: registry.host, username: 'alice', password: 'wrong' });
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('slipway.deploy.buildImage', { model: vscode.Uri.file(join(root(), 'artifacts', 'model')), push: true, interactive: false })),
      /unauthori[sz]ed|authentication required|denied|401/i,
    );
    editPipeline((doc) => doc.setIn(['serving', 'image'], 'slipway-it/churn-serve'));
  });

  it('deploys models:/churn-classifier@champion from the registry: pods Ready, serving that version; gates refuse a weak version unless overridden', async function () {
    this.timeout(600_000);
    const api = await slipway();
    // register the trained model in the tracking server: a run with its metrics and files, version, alias
    const run = (await mlflow('/api/2.0/mlflow/runs/create', { experiment_id: '0', run_name: 'deploy-it' })).run.info;
    await mlflow('/api/2.0/mlflow/runs/log-batch', { run_id: run.run_id, metrics: [{ key: 'val_auc', value: 0.9, timestamp: Date.now(), step: 0 }, { key: 'val_logloss', value: 0.3, timestamp: Date.now(), step: 0 }] });
    const proxyRoot = String(run.artifact_uri).replace(/^mlflow-artifacts:\//, '');
    for (const f of ['model.onnx', 'model.json']) {
      const r = await fetch(`${process.env.SLIPWAY_MLFLOW_URI}/api/2.0/mlflow-artifacts/artifacts/${proxyRoot}/model/${f}`, { method: 'PUT', body: readFileSync(join(root(), 'artifacts', 'model', f)) });
      assert.equal(r.status, 200, await r.text());
    }
    await mlflow('/api/2.0/mlflow/registered-models/create', { name: 'churn-classifier' }).catch(() => undefined);
    const version = String((await mlflow('/api/2.0/mlflow/model-versions/create', { name: 'churn-classifier', source: `${run.artifact_uri}/model`, run_id: run.run_id })).model_version.version);
    await mlflow('/api/2.0/mlflow/registered-models/alias', { name: 'churn-classifier', alias: 'champion', version });
    await api.tracking.refresh();

    // the Try panel on the registry version (what the Models view's Try action passes: the version item)
    const panel = (await vscode.commands.executeCommand('slipway.serving.tryModel', { kind: 'version', version: { name: 'churn-classifier', version } })) as { info?: { version: string; modelName: string }; dispose(): void };
    const info = await eventually(() => panel?.info, 'the Try panel to describe the registry version');
    assert.deepEqual([info.modelName, info.version], ['churn-classifier', version]);
    panel.dispose();

    const built = (await vscode.commands.executeCommand('slipway.deploy.buildImage', { model: 'models:/churn-classifier@champion', push: false, interactive: false })) as BuildResult;
    assert.equal(built.model.version, version);
    assert.equal(built.tag, `slipway-it/churn-serve:${version}`);
    assert.ok(existsSync(join(root(), '.slipway', 'models', 'churn-classifier', version, 'model.onnx')), 'downloaded into .slipway/models');

    const deployed = (await vscode.commands.executeCommand('slipway.deploy.deploy', { model: 'models:/churn-classifier@champion', interactive: false })) as DeployResult;
    assert.equal(deployed.outcome, 'deployed', deployed.message);
    assert.equal(deployed.rollout?.ready, 1);
    const d = (await apps.listNamespacedDeployment({ namespace: ns })).items[0]!;
    assert.equal(d.metadata?.annotations?.['slipway.dev/model-version'], version);
    const meta = await eventually(async () => {
      const r = await fetch(`http://127.0.0.1:${port}/v2/models/churn-classifier`);
      return r.ok ? ((await r.json()) as { versions: string[] }) : undefined;
    }, 'the pod to answer on its host port');
    assert.deepEqual(meta.versions, [version], 'the pod serves the registry version');
    const infer = await fetch(`http://127.0.0.1:${port}/v2/models/churn-classifier/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 9], datatype: 'FP32', data: [3, 10, 40, 0, 2, 300, 30, 1, 0] }] }),
    });
    assert.equal(infer.status, 200, await infer.clone().text());

    // a gate the version cannot pass: refused without touching the cluster, then deployed on an override that is recorded
    editPipeline((doc) => doc.setIn(['model', 'gates'], doc.createNode([{ metric: 'val_auc', op: '>=', value: 0.99 }])));
    await api.projects.refresh();
    const refused = (await vscode.commands.executeCommand('slipway.deploy.deploy', { model: 'models:/churn-classifier@champion', interactive: false })) as DeployResult;
    assert.equal(refused.outcome, 'refused');
    assert.match(refused.message, /val_auc/);
    const forced = (await vscode.commands.executeCommand('slipway.deploy.deploy', { model: 'models:/churn-classifier@champion', interactive: false, force: true })) as DeployResult;
    assert.equal(forced.outcome, 'deployed', forced.message);
    assert.equal(forced.overridden, true);
    const after = (await apps.listNamespacedDeployment({ namespace: ns })).items[0]!;
    assert.match(after.metadata?.annotations?.['slipway.dev/gate-override'] ?? '', /val_auc/);
    const tags = (await mlflow(`/api/2.0/mlflow/model-versions/get?name=churn-classifier&version=${version}`, undefined, 'GET')).model_version.tags as { key: string; value: string }[];
    assert.ok(tags.some((t) => /override/.test(t.key)), `the override is recorded on the registry version: ${JSON.stringify(tags)}`);
  });
});
