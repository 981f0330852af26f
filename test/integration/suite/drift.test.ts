import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { eventually, slipway, workspaceRoot } from './util';

/** What the tests read of the panel (src/extension/drift/DriftPanel.ts). */
interface PanelLike {
  data?: {
    drift: { datasetDrift: boolean; features: { name: string; drifted: boolean; histogram: { kind: string } }[]; current: { rows: number } };
    timeColumns: { name: string; min?: string; max?: string }[];
    applied?: { column: string; from?: string; to?: string };
    quality: { kind: string; view?: { rows: number; points: { start: string; count: number }[]; overall: { auc?: number } }; reason?: string };
  };
  problem?: { message: string; fix?: string };
  pending?: Promise<unknown>;
  setWindow(w: { preset: string; column?: string; from?: string; to?: string }): Promise<PanelLike['data']>;
}

const THE_DRIFTED = ['avg_basket_30d', 'monthly_fee', 'tickets_30d'];
const FEATURES = ['sessions_7d', 'sessions_30d', 'avg_basket_30d', 'tickets_30d', 'days_since_last_event', 'tenure_days', 'monthly_fee', 'plan_plus', 'plan_premium'];

describe('Drift: the panel and the on_drift check', function () {
  this.timeout(120_000);
  let pipelinePath = '';
  let original = '';

  const setYaml = (edit: (doc: ReturnType<typeof parseDocument>) => void) => {
    const doc = parseDocument(original);
    edit(doc);
    writeFileSync(pipelinePath, doc.toString());
  };

  /** opens (or reveals and recomputes) the panel and waits for its computation */
  const openPanel = async (): Promise<PanelLike> => {
    const panel = (await vscode.commands.executeCommand('slipway.drift.show')) as PanelLike | undefined;
    assert.ok(panel, 'slipway.drift.show returns the panel');
    await panel.pending;
    await eventually(() => !panel.pending && (panel.data || panel.problem), 'the drift panel to compute', 60_000);
    return panel;
  };

  before(async () => {
    await slipway();
    pipelinePath = vscode.Uri.joinPath(workspaceRoot(), 'slipway.yaml').fsPath;
    original = readFileSync(pipelinePath, 'utf8');
  });

  afterEach(async () => {
    writeFileSync(pipelinePath, original);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Show Drift opens a panel reporting exactly the 3 drifted columns of the example', async () => {
    const panel = await openPanel();
    assert.equal(panel.problem, undefined, panel.problem?.message);
    const data = panel.data!;
    assert.equal(data.drift.datasetDrift, true);
    assert.deepEqual(data.drift.features.filter((f) => f.drifted).map((f) => f.name).sort(), THE_DRIFTED);
    assert.equal(data.drift.features.length, 9);
    assert.ok(data.drift.features.every((f) => f.histogram.kind === 'bins' || f.histogram.kind === 'categories'), 'every feature has a histogram to draw');
    assert.deepEqual(data.timeColumns, [], 'data/current.parquet has no time column');
    assert.equal(data.quality.kind, 'unavailable');

    // a time window needs a time column: the panel says so and offers all of the data
    assert.equal(await panel.setWindow({ preset: 'hour' }), undefined);
    const problem = (panel as PanelLike).problem as { message: string; action?: string } | undefined; // not narrowed by the assertion above
    assert.match(problem?.message ?? '', /no time column/);
    assert.equal(problem?.action, 'allData');
    const again = await panel.setWindow({ preset: 'all' });
    assert.equal(panel.problem, undefined);
    assert.deepEqual(again!.drift.features.filter((f) => f.drifted).map((f) => f.name).sort(), THE_DRIFTED);
  });

  it('Check for Drift with on_drift: notify warns and says so', async () => {
    const result = await vscode.commands.executeCommand('slipway.drift.check');
    assert.deepEqual(result, { drifted: true, action: 'notified' });
  });

  it('Check for Drift with on_drift: retrain offers retraining (or explains trust)', async () => {
    setYaml((doc) => doc.setIn(['monitoring', 'on_drift'], 'retrain'));
    const result = await vscode.commands.executeCommand('slipway.drift.check');
    assert.deepEqual(result, { drifted: true, action: vscode.workspace.isTrusted ? 'offered' : 'untrusted' });
  });

  it('no drift: current = reference gives no data set drift', async () => {
    setYaml((doc) => doc.setIn(['monitoring', 'current'], 'data/train.parquet'));
    const result = await vscode.commands.executeCommand('slipway.drift.check');
    assert.deepEqual(result, { drifted: false, action: 'none' });
  });

  it('a missing current file is shown in the panel with what to fix', async () => {
    setYaml((doc) => doc.setIn(['monitoring', 'current'], 'data/nowhere.parquet'));
    const panel = await openPanel();
    assert.ok(panel.problem, 'the panel shows a problem');
    assert.match(panel.problem.message, /nowhere\.parquet: no such file/);
    assert.match(panel.problem.fix ?? '', /monitoring\.current/);
  });

  it('a time window over an inference log recomputes drift and quality', async () => {
    // 300 predictions 10 minutes apart, with ground truth: a served model's log
    const dir = join(workspaceRoot().fsPath, 'logs', 'probe');
    mkdirSync(dir, { recursive: true });
    const t0 = Date.parse('2025-06-01T00:00:00Z');
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) {
      const inputs = Object.fromEntries(FEATURES.map((f, j) => [f, f.startsWith('plan_') ? (i + j) % 2 : ((i * 37 + j * 11) % 100) / (f === 'monthly_fee' ? 2 : 1)]));
      const p = ((i * 13) % 100) / 100;
      lines.push(JSON.stringify({ request_id: `r${i}`, row: 0, timestamp: new Date(t0 + i * 600_000).toISOString(), model_name: 'churn-classifier', model_version: '1', inputs, outputs: { label: p >= 0.5 ? 1 : 0, probabilities: [1 - p, p] }, label: i % 3 === 0 ? 1 : 0 }));
    }
    writeFileSync(join(dir, 'serving.jsonl'), lines.join('\n') + '\n');
    try {
      setYaml((doc) => doc.setIn(['monitoring', 'current'], 'logs/probe'));
      const panel = await openPanel();
      assert.equal(panel.problem, undefined, panel.problem?.message);
      const all = panel.data!;
      assert.equal(all.drift.current.rows, 300);
      assert.deepEqual(all.timeColumns.map((c) => c.name), ['timestamp']);
      assert.equal(all.timeColumns[0]!.max, new Date(t0 + 299 * 600_000).toISOString());
      assert.equal(all.quality.kind, 'ok', all.quality.reason);
      assert.equal(all.quality.view!.rows, 300);
      assert.equal(all.quality.view!.points.length, 3, 'three days of predictions');
      assert.ok(all.quality.view!.overall.auc !== undefined, 'binary labels with probabilities get an AUC');

      // the last hour ends at the newest record: 7 records, at minutes 0, 10, … 60 before it
      const hour = await panel.setWindow({ preset: 'hour' });
      assert.ok(hour, 'the window change computed');
      assert.equal(hour.applied?.column, 'timestamp');
      assert.equal(hour.drift.current.rows, 7);
      assert.equal(hour.quality.view?.rows, 7);

      const day = await panel.setWindow({ preset: 'custom', from: '2025-06-01T12:00:00Z', to: '2025-06-02T00:00:00Z' });
      assert.equal(day!.drift.current.rows, 72);
      assert.deepEqual(day!.quality.view?.points.map((p) => p.count), [72]);
      assert.deepEqual(panel.data, day, 'the panel keeps the last computed report');

      const back = await panel.setWindow({ preset: 'all' });
      assert.equal(back!.drift.current.rows, 300);
      assert.equal(back!.applied, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
