// The Deployments view against the real cluster the runner passes as KUBECONFIG: a serving
// image (the stand-in runtime) is applied with the core into a namespace of its own, the
// workspace's slipway.yaml points its deploy section there, and the view, Try Live, Show Logs,
// Roll Back and Delete are driven through their commands as the sidebar would.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import * as k8s from '@kubernetes/client-node';
import { parse as parseYaml, parseDocument } from 'yaml';
import { parsePipeline, type Pipeline } from '../../../src/core/pipeline/index';
import { DeployClient, workloadOf } from '../../../src/core/deploy/rollout';
import { renderServing } from '../../../src/core/deploy/manifests';
import type { DeploymentsNode } from '../../../src/extension/deployments/DeploymentsTreeProvider';
import { buildServing, ensureNodeBase, freePort, standInCli, standInModel } from '../../support/deploy-images';
import { eventually, slipway, workspaceRoot } from './util';

type Api = Awaited<ReturnType<typeof slipway>>;
type Workload = Extract<DeploymentsNode, { kind: 'workload' }>;

describe('Deployments: the view, Try Live, logs, rollback and delete on a real cluster', function () {
  const id = randomBytes(3).toString('hex');
  const ns = `slipway-dv-${id}`;
  const images = [`slipway-test/dv-churn:${id}-1`, `slipway-test/dv-churn:${id}-2`];
  let api: Api;
  let kc: k8s.KubeConfig;
  let client: DeployClient;
  let docker: Docker;
  let pipelinePath = '';
  let original = '';
  let work = '';
  let pipeline: Pipeline;

  const apply = async (version: string, image: string) => {
    const objects = renderServing(pipeline, { name: pipeline.model.name, version, metrics: {} }, { image, hostNetwork: true, hpaApiVersion: await client.hpaApiVersion() });
    await client.apply(objects);
    const r = await client.watch(workloadOf(objects), { timeoutMs: 120_000 });
    assert.equal(r.phase, 'ready', r.message);
  };

  /** The view's group for the test namespace and its children, listed afresh. */
  const listed = async () => {
    api.deployments.refresh();
    const roots = await api.deployments.getChildren();
    const group = roots.find((n) => n.kind === 'group' && n.group.namespace === ns);
    return { group, children: group ? await api.deployments.getChildren(group) : [] };
  };

  /** The workload item once its description reads `description`. */
  const workloadShowing = (description: string | RegExp, ms = 60_000) =>
    eventually(async () => {
      const w = (await listed()).children.find((n): n is Workload => n.kind === 'workload');
      const shown = w && String(api.deployments.getTreeItem(w).description);
      return w && (typeof description === 'string' ? shown === description : description.test(shown!)) ? w : undefined;
    }, `the view to show "${description}"`, ms);

  before(async function () {
    if (!process.env.KUBECONFIG) {
      console.log('    skipped: no cluster (the runner passes SLIPWAY_KUBECONFIG as KUBECONFIG)');
      return this.skip();
    }
    this.timeout(300_000);
    api = await slipway();
    const repo = process.env.SLIPWAY_REPO!;
    kc = new k8s.KubeConfig();
    kc.loadFromDefault();
    client = new DeployClient({ pollMs: 500 });
    docker = new Docker();
    work = mkdtempSync(join(tmpdir(), 'slipway-dv-it-'));
    await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: ns, labels: { 'slipway.dev/test': 'deployments-view' } } } });
    await ensureNodeBase(docker);
    // hostNetwork pods bind on this machine: a free port, baked into the images
    const port = await freePort();
    for (const [i, image] of images.entries()) {
      await buildServing(docker, image, { modelDir: await standInModel(work, String(i + 1)), port, modelName: 'churn-classifier', cliJs: standInCli(repo), slipwayRoot: repo });
    }
    pipelinePath = vscode.Uri.joinPath(workspaceRoot(), 'slipway.yaml').fsPath;
    original = readFileSync(pipelinePath, 'utf8');
    const doc = parseDocument(original);
    doc.setIn(['deploy', 'target'], 'kubernetes');
    doc.setIn(['deploy', 'namespace'], ns);
    doc.setIn(['deploy', 'replicas'], 1);
    doc.setIn(['deploy', 'autoscale'], doc.createNode({ min: 1, max: 1, cpu_percent: 80 }));
    doc.deleteIn(['deploy', 'canary']);
    doc.setIn(['serving', 'port'], port);
    writeFileSync(pipelinePath, doc.toString());
    pipeline = parsePipeline(doc.toString()).model;
    await apply('1', images[0]!);
  });

  after(async function () {
    this.timeout(120_000);
    if (!process.env.KUBECONFIG) return;
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (original) writeFileSync(pipelinePath, original);
    await kc?.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: ns }).catch(() => {});
    for (const image of images) await docker?.getImage(image).remove({ force: true }).catch(() => {});
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('lists the Deployment under "context · namespace" with its version and 1/1 ready', async function () {
    this.timeout(90_000);
    const w = await workloadShowing('v1 · 1/1 ready');
    const item = api.deployments.getTreeItem(w);
    assert.equal(item.label, 'churn');
    assert.equal(item.contextValue, 'slipway.deployment.deployment');
    assert.match((item.tooltip as vscode.MarkdownString).value, new RegExp(`image: \`${images[0]!.replace(/[.]/g, '\\.')}\``));
    assert.match((item.tooltip as vscode.MarkdownString).value, /model: churn-classifier version `1`/);
    const { group } = await listed();
    assert.equal(api.deployments.getTreeItem(group!).label, `${kc.getCurrentContext()} · ${ns}`);
    assert.equal(group!.kind === 'group' && group!.group.source, 'slipway.yaml');
  });

  it('adds the namespaces of slipway.deployments.namespaces; a context the kubeconfig lacks is an error item, not a crash', async function () {
    this.timeout(60_000);
    const settings = vscode.workspace.getConfiguration('slipway');
    await settings.update('deployments.namespaces', ['default', 'no-such-context/ml', 'Not A Namespace'], vscode.ConfigurationTarget.Workspace);
    try {
      const roots = await eventually(async () => {
        const r = await api.deployments.getChildren();
        return r.filter((n) => n.kind === 'group').length === 3 ? r : undefined;
      }, 'the view to list the setting\'s namespaces');
      const labels = roots.map((n) => String(api.deployments.getTreeItem(n).label));
      const context = kc.getCurrentContext();
      assert.deepEqual(labels, [
        '"Not A Namespace" is not a namespace name (lowercase letters, digits and "-", at most 63): fix "Not A Namespace" in slipway.deployments.namespaces',
        `${context} · ${ns}`,
        `${context} · default`,
        'no-such-context · ml',
      ]);
      const broken = roots.find((n) => n.kind === 'group' && n.group.context === 'no-such-context')!;
      const [error] = await api.deployments.getChildren(broken);
      const item = api.deployments.getTreeItem(error!);
      assert.match(String(item.label), /^the kubeconfig has no context "no-such-context" \(it has: /);
      assert.equal(item.command?.command, 'slipway.deployments.refresh', 'clicking it retries');
      const nothing = await api.deployments.getChildren(roots.find((n) => n.kind === 'group' && n.group.namespace === 'default')!);
      assert.equal(api.deployments.getTreeItem(nothing[0]!).label, 'Nothing of churn is deployed here');
    } finally {
      await settings.update('deployments.namespaces', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('Try Live opens a Try panel whose request reaches the live pod; closing it closes the forward', async function () {
    this.timeout(90_000);
    const w = await workloadShowing('v1 · 1/1 ready');
    const panel = (await vscode.commands.executeCommand('slipway.deployments.tryLive', w)) as {
      target: { endpoint: string };
      info?: { inputs: { name: string }[]; sample: string; version: string };
      run(request: string): Promise<{ status: number; body: string }>;
    };
    assert.ok(panel, 'the command opened a panel');
    assert.match(panel.target.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const info = await eventually(() => panel.info, 'the panel to describe the live model', 30_000);
    assert.deepEqual(info.inputs.map((i) => i.name), ['features']);
    assert.equal(info.version, '1');
    for (let i = 0; i < 3; i++) {
      const result = await panel.run(info.sample);
      assert.equal(result.status, 200, result.body);
      assert.match(result.body, /"model_version": "1"/);
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await eventually(
      () => fetch(`${panel.target.endpoint}/v2/health/ready`, { signal: AbortSignal.timeout(3000) }).then(() => false, () => true),
      'the forward to close with the panel',
    );
  });

  it('Show Logs follows the pod log in a read-only editor', async function () {
    this.timeout(60_000);
    const w = await workloadShowing('v1 · 1/1 ready');
    const uri = (await vscode.commands.executeCommand('slipway.deployments.showLogs', w)) as vscode.Uri;
    assert.equal(uri.scheme, 'slipway-deploy-log');
    const text = await eventually(async () => {
      const t = (await vscode.workspace.openTextDocument(uri)).getText();
      return /stand-in serving churn-classifier version 1/.test(t) && /following Deployment/.test(t) ? t : undefined;
    }, 'the log editor to show the server start line');
    assert.match(text, new RegExp(`── following Deployment ${ns}/churn \\(pod churn-[a-z0-9-]+\\) · close this editor to stop ──`));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // closing the editor stops the stream: a document VS Code still holds says so
    await eventually(() => {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      return !doc || /── stopped following Deployment /.test(doc.getText());
    }, 'the log stream to stop with its editor');
  });

  it('Roll Back returns from version 2 to version 1, and the item follows', async function () {
    this.timeout(240_000);
    await apply('2', images[1]!);
    const w = await workloadShowing('v2 · 1/1 ready');
    // the view visible: while a rollout is under way it lists again by itself
    await vscode.commands.executeCommand('slipway.deployments.focus');
    const seen: string[] = [];
    const rolledBack = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => (sub.dispose(), reject(new Error(`the view did not show version 1 ready by itself; it showed: ${seen.join(', ')}`))), 120_000);
      const sub = api.deployments.onDidLoad((s) => {
        const item = s.groups.find((g) => g.namespace === ns)?.items[0];
        seen.push(item ? `v${item.modelVersion} ${item.status}` : 'nothing');
        if (item?.modelVersion === '1' && item.status === 'Ready') {
          clearTimeout(timer);
          sub.dispose();
          resolve();
        }
      });
    });
    const mark = seen.length;
    const done = (await vscode.commands.executeCommand('slipway.deployments.rollback', w)) as { fromVersion?: string; toVersion?: string } | undefined;
    assert.ok(done, 'the rollback ran');
    assert.deepEqual([done.fromVersion, done.toVersion], ['2', '1']);
    await rolledBack;
    const since = seen.slice(mark);
    console.log(`      listed by itself: ${since.join(' → ')}`);
    assert.ok(since.length >= 2 && since[0] !== 'v1 Ready', `listed while progressing, then ready, with no refresh asked: ${since.join(', ')}`);
    await workloadShowing('v1 · 1/1 ready');
  });

  it('Promote Canary ends an InferenceService canary (a minimal KServe CRD, no controller); Delete removes it', async function () {
    this.timeout(120_000);
    const crd = parseYaml(readFileSync(join(process.env.SLIPWAY_REPO!, 'test/k8s/kserve-crd.yaml'), 'utf8')) as k8s.KubernetesObject;
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.patchCustomResourceDefinition(
      { name: 'inferenceservices.serving.kserve.io', body: crd, fieldManager: 'slipway-test', force: true },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
    );
    await eventually(async () => (await ext.readCustomResourceDefinition({ name: 'inferenceservices.serving.kserve.io' })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'), 'the CRD to be established');
    const kserve = { ...pipeline, deploy: { ...pipeline.deploy!, target: 'kserve' as const, canary: 10 } };
    // a client made after the CRD exists: the object API caches what the cluster serves
    await new DeployClient().apply(renderServing(kserve, { name: pipeline.model.name, version: '7', storageUri: 's3://models/churn/7' }, { image: 'unused' }));
    const isvc = await eventually(async () => {
      const found = (await listed()).children.find((n): n is Workload => n.kind === 'workload' && n.status.kind === 'InferenceService');
      return found && api.deployments.getTreeItem(found).contextValue === 'slipway.deployment.isvc.canary' ? found : undefined;
    }, 'the view to list the InferenceService with its canary');
    assert.equal(api.deployments.getTreeItem(isvc).description, 'v7 · 0/1 ready · canary 10% · unknown');
    const promoted = (await vscode.commands.executeCommand('slipway.deployments.promote', isvc)) as { fromPercent: number; record: string } | undefined;
    assert.ok(promoted, 'the promotion ran');
    assert.equal(promoted.fromPercent, 10);
    assert.match(promoted.record, /^promoted by \S+ at \d{4}-\d\d-\d\dT\S+ from a 10% canary \(version 7\)$/);
    const after = await eventually(async () => {
      const found = (await listed()).children.find((n): n is Workload => n.kind === 'workload' && n.status.kind === 'InferenceService');
      return found && found.status.canaryPercent === undefined ? found : undefined;
    }, 'the canary to leave the item');
    assert.equal(api.deployments.getTreeItem(after).contextValue, 'slipway.deployment.isvc');
    assert.equal(api.deployments.getTreeItem(after).description, 'v7 · 0/1 ready · unknown');
    const removed = (await vscode.commands.executeCommand('slipway.deployments.delete', after, { confirm: false })) as { deleted: string[] } | undefined;
    assert.deepEqual(removed?.deleted, [`InferenceService ${ns}/churn`]);
    await eventually(async () => !(await listed()).children.some((n) => n.kind === 'workload' && n.status.kind === 'InferenceService'), 'the InferenceService to leave the view');
  });

  it('Delete removes the Deployment, its Service and autoscaler; the view shows nothing deployed', async function () {
    this.timeout(120_000);
    const w = await workloadShowing(/^v1 · /);
    const done = (await vscode.commands.executeCommand('slipway.deployments.delete', w, { confirm: false })) as { deleted: string[] } | undefined;
    assert.ok(done, 'the delete ran');
    assert.deepEqual([...done.deleted].sort(), [`Deployment ${ns}/churn`, `HorizontalPodAutoscaler ${ns}/churn`, `Service ${ns}/churn`]);
    const empty = await eventually(async () => {
      const { children } = await listed();
      return children.length === 1 && children[0]!.kind === 'message' ? children[0] : undefined;
    }, 'the group to show nothing deployed');
    assert.equal(api.deployments.getTreeItem(empty).label, 'Nothing of churn is deployed here');
  });
});
