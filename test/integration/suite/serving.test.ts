import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually, slipway, workspaceRoot } from './util';

describe('Serving: Serve Locally and the Try panel', function () {
  let model = '';
  before(async function () {
    this.timeout(180_000);
    await slipway();
    const root = workspaceRoot().fsPath;
    model = join(root, 'artifacts', 'model', 'model.onnx');
    if (!existsSync(model)) {
      if (!process.env.SLIPWAY_PYTHON) throw new Error('SLIPWAY_PYTHON is not set: run through npm test');
      execFileSync(process.env.SLIPWAY_PYTHON, ['src/train.py', '--n_estimators', '20'], { cwd: root });
    }
  });

  it('serves the trained model on the v2 protocol and writes the inference table', async function () {
    this.timeout(60_000);
    const endpoint = (await vscode.commands.executeCommand('slipway.serving.serveLocally', vscode.Uri.file(model))) as { url: string; model: { name: string }; logFile?: string };
    assert.ok(endpoint?.url.startsWith('http://127.0.0.1:'), 'listens on loopback');
    assert.equal(endpoint.model.name, 'churn-classifier');
    const ready = await fetch(`${endpoint.url}/v2/health/ready`);
    assert.equal(ready.status, 200);
    const infer = await fetch(`${endpoint.url}/v2/models/churn-classifier/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [1, 9], datatype: 'FP32', data: [3, 10, 40, 0, 2, 300, 30, 1, 0] }] }),
    });
    assert.equal(infer.status, 200);
    const body = (await infer.json()) as { outputs: { name: string; data: number[] }[] };
    assert.deepEqual(body.outputs.map((o) => o.name).sort(), ['label', 'probabilities']);
    const bad = await fetch(`${endpoint.url}/v2/models/churn-classifier/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"inputs": []}' });
    assert.equal(bad.status, 400);
    assert.ok(((await bad.json()) as { error: string }).error);
    await vscode.commands.executeCommand('slipway.serving.stop');
    const logDir = join(workspaceRoot().fsPath, 'logs', 'inference');
    const lines = readdirSync(logDir).filter((f) => f.endsWith('.jsonl')).flatMap((f) => readFileSync(join(logDir, f), 'utf8').split('\n').filter(Boolean));
    assert.equal(lines.length, 1, 'one prediction, one record');
    const record = JSON.parse(lines[0]!) as { inputs: Record<string, number>; model_name: string };
    assert.equal(record.model_name, 'churn-classifier');
    assert.equal(record.inputs['sessions_7d'], 3);
  });

  it('tries the model: signature, a request pre-filled from the reference data, outputs and latency', async function () {
    this.timeout(60_000);
    const panel = (await vscode.commands.executeCommand('slipway.serving.tryModel', vscode.Uri.file(model))) as {
      info?: { inputs: { name: string; shape: unknown[] }[]; sample: string; sampleSource: string };
      run(request: string): Promise<{ status: number; body: string; roundTripMs: number }>;
    };
    const info = await eventually(() => panel.info, 'the panel to describe the model');
    assert.deepEqual(info.inputs.map((i) => i.name), ['features']);
    assert.match(info.sampleSource, /train\.parquet/);
    const request = JSON.parse(info.sample) as { inputs: { data: number[] }[] };
    assert.equal(request.inputs[0]!.data.length, 9);
    const result = await panel.run(info.sample);
    assert.equal(result.status, 200, result.body);
    assert.match(result.body, /probabilities/);
    assert.ok(result.roundTripMs > 0);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('serves with feature lookup when the project has a materialized online store', async function () {
    this.timeout(120_000);
    const root = workspaceRoot().fsPath;
    const store = join(root, '.slipway', 'online.duckdb');
    // the CLI next to the extension's bundle (out/test/integration → out/cli.js)
    execFileSync(process.execPath, [resolve(__dirname, '../../cli.js'), 'features', 'materialize'], { cwd: root });
    assert.ok(existsSync(store));
    try {
      const endpoint = (await vscode.commands.executeCommand('slipway.serving.serveLocally', vscode.Uri.file(model))) as { url: string };
      const post = (body: unknown) => fetch(`${endpoint.url}/v2/models/churn-classifier/infer`, { method: 'POST', body: JSON.stringify(body) });
      // the example's feature views hold monthly_fee but not the model's engineered columns: the lookup runs and says which are missing
      const keyed = await post({ parameters: { keys: [1] } });
      assert.equal(keyed.status, 400);
      const error = ((await keyed.json()) as { error: string }).error;
      assert.match(error, /^input 'features' is not in the request, and entity customer in the online store lacks its columns 'sessions_7d', 'sessions_30d', /);
      assert.doesNotMatch(error, /'monthly_fee'/);
      // a request with the features is served as before
      const plain = await post({ inputs: [{ name: 'features', shape: [1, 9], datatype: 'FP32', data: [3, 10, 40, 0, 2, 300, 30, 1, 0] }] });
      assert.equal(plain.status, 200);
    } finally {
      await vscode.commands.executeCommand('slipway.serving.stop');
      rmSync(join(root, '.slipway', 'online.duckdb'), { force: true });
    }
  });
});
