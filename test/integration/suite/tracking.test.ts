import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { eventually, slipway, workspaceRoot } from './util';

// The workspace's tracking.uri points at the MLflow stand-in the runner started (checked
// against recordings of a real MLflow server), seeded with the recorded data set.
describe('Experiments and registry: MLflow in the sidebar', () => {
  const http = async (path: string, body?: unknown) => {
    const r = await fetch(`${process.env.SLIPWAY_MLFLOW_URI}${path}`, body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : undefined);
    return r.json() as Promise<Record<string, any>>;
  };

  it('connects to the tracking server of slipway.yaml and fills the Experiments view', async () => {
    const api = await slipway();
    await eventually(() => api.tracking.state.kind === 'ok' || undefined, 'the tracking server to answer');
    const experiments = await api.experiments.getChildren();
    const names = experiments.map((n) => (n.kind === 'experiment' ? n.exp.name : n.kind));
    assert.deepEqual(names, ['Default', 'probe-exp-a', 'probe-exp-b']);
    const runs = await api.experiments.getChildren(experiments[1]);
    const runNames = runs.map((n) => (n.kind === 'run' ? n.run.info.runName : n.kind));
    assert.ok(runNames.includes('run-1-parent') && runNames.includes('run-2'), runNames.join());
    assert.ok(!runNames.includes('run-1-child'), 'the nested run sits under its parent');
    assert.ok(!runNames.includes('run-4-to-delete'), 'deleted runs are hidden');
    const parent = runs.find((n) => n.kind === 'run' && n.run.info.runName === 'run-1-parent')!;
    const kids = await api.experiments.getChildren(parent);
    assert.ok(kids.some((n) => n.kind === 'run' && n.run.info.runName === 'run-1-child'));
    const artifacts = kids.find((n) => n.kind === 'group' && n.group === 'artifacts')!;
    const files = await api.experiments.getChildren(artifacts);
    assert.ok(files.some((n) => n.kind === 'artifact'), 'artifacts are listed');
  });

  it('opens a comparison panel with every metric history', async () => {
    const api = await slipway();
    const experiments = await api.experiments.getChildren();
    const runs = (await api.experiments.getChildren(experiments[1])).filter((n) => n.kind === 'run');
    const panel = (await vscode.commands.executeCommand('slipway.experiments.compare', runs[0], runs.slice(0, 2))) as { data?: { runs: unknown[]; histories: Record<string, Record<string, unknown[]>> } };
    assert.ok(panel, 'a panel opened');
    const data = await eventually(() => panel.data, 'the panel to load the runs');
    assert.equal(data.runs.length, 2);
    const lossPoints = Object.values(data.histories).map((h) => h['loss']?.length ?? 0);
    assert.ok(lossPoints.some((n) => n === 50), `the 50-step loss history is loaded whole: ${lossPoints}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('sets an alias through a command, refusing a version that fails the gates unless overridden', async () => {
    const api = await slipway();
    const file = vscode.Uri.joinPath(workspaceRoot(), 'slipway.yaml').fsPath;
    const original = readFileSync(file, 'utf8');
    try {
      const doc = parseDocument(original);
      doc.setIn(['model', 'name'], 'probe-model');
      doc.setIn(['model', 'gates'], doc.createNode([{ metric: 'accuracy', op: '>=', value: 0.99 }]));
      writeFileSync(file, doc.toString());
      await api.tracking.refresh();
      const refused = (await vscode.commands.executeCommand('slipway.models.setAlias', { name: 'probe-model', version: '1', alias: 'staging' })) as { set: boolean; gates: { passed: boolean } };
      assert.equal(refused.set, false);
      assert.equal(refused.gates.passed, false);
      let alias = await http('/api/2.0/mlflow/registered-models/alias?name=probe-model&alias=staging');
      assert.equal(alias.error_code, 'INVALID_PARAMETER_VALUE', 'no alias was set');
      const forced = (await vscode.commands.executeCommand('slipway.models.setAlias', { name: 'probe-model', version: '1', alias: 'staging', force: true })) as { set: boolean; overridden: boolean };
      assert.deepEqual([forced.set, forced.overridden], [true, true]);
      alias = await http('/api/2.0/mlflow/registered-models/alias?name=probe-model&alias=staging');
      assert.equal(alias.model_version.version, '1');
      const version = await http('/api/2.0/mlflow/model-versions/get?name=probe-model&version=1');
      const tag = (version.model_version.tags as { key: string; value: string }[]).find((t) => t.key === 'slipway.gate_override');
      assert.ok(tag, 'the override is recorded on the version');
      assert.match(JSON.parse(tag.value).failed_gates[0], /accuracy/);
    } finally {
      writeFileSync(file, original);
      await api.tracking.refresh();
    }
  });
});
