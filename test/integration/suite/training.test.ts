import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { eventually, slipway, workspaceRoot } from './util';

describe('Training: CodeLens, local jobs, the Jobs view and notebooks', function () {
  let pipelinePath = '';
  let original = '';

  before(async () => {
    await slipway();
    pipelinePath = vscode.Uri.joinPath(workspaceRoot(), 'slipway.yaml').fsPath;
    original = readFileSync(pipelinePath, 'utf8');
    // no Python extension here: training.python tells Slipway which interpreter has scikit-learn
    const python = process.env.SLIPWAY_PYTHON;
    if (!python) throw new Error('SLIPWAY_PYTHON is not set: run the tests through npm test');
    const doc = parseDocument(original);
    doc.setIn(['training', 'python'], python);
    writeFileSync(pipelinePath, doc.toString());
  });

  after(() => writeFileSync(pipelinePath, original));

  it('shows Run locally | Run on Ray | Run on Kubernetes | Debug above the training script', async () => {
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'src', 'train.py');
    await vscode.window.showTextDocument(uri);
    const lenses = await eventually(async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return l?.some((x) => x.command?.command === 'slipway.training.runLocal') ? l : undefined;
    }, 'the Slipway CodeLens on train.py');
    const titles = lenses.filter((l) => l.command?.command.startsWith('slipway.')).map((l) => l.command!.title);
    assert.deepEqual(titles, ['$(play) Run locally', '$(cloud) Run on Ray', '$(server-environment) Run on Kubernetes', '$(debug-alt) Debug']);
    const text = (await vscode.workspace.openTextDocument(uri)).getText().split('\n');
    assert.match(text[lenses[0]!.range.start.line]!, /__name__/);
  });

  it('has no lens on a Python file that is not a training script', async () => {
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'data', 'generate.py');
    await vscode.workspace.openTextDocument(uri);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
    // generate.py has a __main__ block: it gets lenses too, but it would run without training.params
    const ours = lenses.filter((l) => l.command?.command.startsWith('slipway.'));
    assert.ok(ours.length === 0 || ours.length === 4);
    const plain = vscode.Uri.joinPath(workspaceRoot(), 'helpers.py');
    writeFileSync(plain.fsPath, 'def helper():\n    return 1\n');
    await vscode.workspace.openTextDocument(plain);
    const none = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', plain)) ?? [];
    assert.equal(none.filter((l) => l.command?.command.startsWith('slipway.')).length, 0);
  });

  it('runs the example locally: a job in the Jobs view that ends SUCCEEDED with its logs', async function () {
    this.timeout(180_000);
    const api = await slipway();
    const record = (await vscode.commands.executeCommand('slipway.training.runLocal')) as { id: string } | undefined;
    assert.ok(record, 'the command started a job');
    assert.ok(api.jobs.all.some((j) => j.id === record.id), 'the job is listed');
    const final = await api.jobs.whenDone(record.id);
    assert.equal(final?.status, 'SUCCEEDED', final?.message);
    const logUri = vscode.Uri.from({ scheme: 'slipway-job', path: `/${record.id}/train.py.log` });
    const text = await eventually(async () => {
      const t = (await vscode.workspace.openTextDocument(logUri)).getText();
      return /SUCCEEDED/.test(t) ? t : undefined;
    }, 'the log document to show the outcome');
    assert.match(text, /val_auc/);
    assert.match(text, /--n_estimators 100/);
    assert.ok(existsSync(vscode.Uri.joinPath(workspaceRoot(), 'artifacts/model/model.onnx').fsPath));
    await vscode.commands.executeCommand('slipway.jobs.focus');
  });

  it('runs a Kubernetes Job from a local image; its logs reach the Jobs view', async function () {
    if (!process.env.KUBECONFIG) return this.skip(); // npm test starts a cluster and sets it
    this.timeout(240_000);
    execFileSync('docker', ['build', '-q', '-t', 'slipway-test/train:1', join(process.env.SLIPWAY_REPO!, 'test/k8s/train-image')], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    });
    const doc = parseDocument(readFileSync(pipelinePath, 'utf8'));
    doc.setIn(['training', 'targets', 'kubernetes'], doc.createNode({ namespace: 'default', image: 'slipway-test/train:1', resources: { cpu: '100m', memory: '64Mi' } }));
    writeFileSync(pipelinePath, doc.toString());
    const api = await slipway();
    const record = (await vscode.commands.executeCommand('slipway.training.runKubernetes')) as { id: string } | undefined;
    assert.ok(record, 'the command started a job');
    assert.equal(api.jobs.get(record.id)?.target, 'kubernetes');
    const final = await api.jobs.whenDone(record.id);
    assert.equal(final?.status, 'SUCCEEDED', final?.message);
    const text = await eventually(async () => {
      const t = (await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'slipway-job', path: `/${record.id}/train.py.log` }))).getText();
      return /val_auc/.test(t) && /SUCCEEDED/.test(t) ? t : undefined;
    }, 'the pod logs in the job document');
    assert.match(text, new RegExp(`job ${record.id}`));
  });

  it('links a finished job to the MLflow run its script logged, and opens it', async function () {
    this.timeout(120_000);
    const api = await slipway();
    // a script that logs to MLflow over its REST API with the environment Slipway gives every job
    const script = vscode.Uri.joinPath(workspaceRoot(), 'src', 'log_run.py');
    writeFileSync(
      script.fsPath,
      `import json, os, urllib.request
uri, exp, job = os.environ["MLFLOW_TRACKING_URI"], os.environ["MLFLOW_EXPERIMENT_NAME"], os.environ["SLIPWAY_JOB_ID"]
def call(path, body):
    req = urllib.request.Request(uri + "/api/2.0/mlflow/" + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
try:
    exp_id = call("experiments/create", {"name": exp})["experiment_id"]
except Exception:
    exp_id = json.load(urllib.request.urlopen(uri + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + exp))["experiment"]["experiment_id"]
run = call("runs/create", {"experiment_id": exp_id, "run_name": "from-job", "tags": [{"key": "slipway.job", "value": job}]})["run"]["info"]["run_id"]
call("runs/log-metric", {"run_id": run, "key": "val_auc", "value": 0.9, "timestamp": 0, "step": 0})
print("logged run", run)
`,
    );
    if (!api.jobs.linkRun) throw new Error('the jobs model has no run linker');
    const record = (await vscode.commands.executeCommand('slipway.training.runLocal', script)) as { id: string };
    const final = await api.jobs.whenDone(record.id);
    assert.equal(final?.status, 'SUCCEEDED', final?.message);
    const linked = await eventually(() => api.jobs.get(record.id)?.mlflowRunId, 'the job to be linked to its MLflow run');
    const panel = (await vscode.commands.executeCommand('slipway.jobs.openRun', record.id)) as { data?: { runs: { runId: string; metrics: Record<string, unknown> }[] } };
    const data = await eventually(() => panel?.data, 'the run panel to load');
    assert.equal(data.runs[0]!.runId, linked);
    assert.equal(data.runs[0]!.metrics['val_auc'], 0.9);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('converts the notebook into a parametrized script and points training.script at it', async () => {
    const notebook = vscode.Uri.joinPath(workspaceRoot(), 'notebooks', 'explore.ipynb');
    const target = vscode.Uri.joinPath(workspaceRoot(), 'src', 'train_explore.py');
    const written = (await vscode.commands.executeCommand('slipway.training.notebookToScript', { notebook, target })) as vscode.Uri | undefined;
    assert.equal(written?.fsPath, target.fsPath);
    const script = readFileSync(target.fsPath, 'utf8');
    assert.match(script, /add_argument\("--n_estimators", type=int, default=100\)/);
    assert.match(script, /# slipway: removed \(IPython only\): %matplotlib inline/);
    assert.equal(parseDocument(readFileSync(pipelinePath, 'utf8')).getIn(['training', 'script']), 'src/train_explore.py');
  });
});
