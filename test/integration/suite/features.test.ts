import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { DuckDBInstance } from '@duckdb/node-api';
import type { SlipwayApi } from '../../../src/extension/activate';
import type { FeatureNode } from '../../../src/extension/features/index';
import { eventually, slipway, workspaceRoot } from './util';

/** What the tests read of the feature view panel (src/extension/features/FeaturesPanel.ts). */
interface PanelLike {
  readonly view: string;
  readonly pendingPreview?: Promise<unknown>;
  readonly preview?: { columns: { name: string; type: string; role: string }[]; rows: Record<string, unknown>[] };
  readonly state: { preview: { state: string }; stats: { state: string; data?: { summary: string; histogram?: unknown[]; metrics: { label: string; value: string }[] } }; selected?: string };
}
interface StatsLike {
  rows: number;
  nulls: number;
  nullPercent: number;
  distinct: number;
  min?: unknown;
  max?: unknown;
  histogram?: { count: number }[];
}

const DAY = 86_400_000;

/** one row of SQL over a workspace file, with DuckDB itself (not the code under test) */
async function sql(query: string): Promise<Record<string, unknown>> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(query)).getRowObjectsJS()[0] as Record<string, unknown>;
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

describe('Features: the view, statistics, preview, snippet, go to definition', function () {
  this.timeout(120_000);
  let api: SlipwayApi;
  let pipelinePath = '';
  let original = '';
  let data = '';

  const item = (node: FeatureNode) => api.features.getTreeItem(node);
  const label = (node: FeatureNode) => String(item(node).label);
  const description = (node: FeatureNode) => String(item(node).description ?? '');
  /** the tooltip's text as it reads (MarkdownString.appendText escapes spaces and punctuation) */
  const tooltip = (node: FeatureNode) => {
    const t = item(node).tooltip;
    const md = typeof t === 'string' ? t : (t?.value ?? '');
    return md.replace(/&nbsp;/g, ' ').replace(/\\([\\`*_{}[\]()#+\-.!<>|])/g, '$1');
  };
  const icon = (node: FeatureNode) => (item(node).iconPath as vscode.ThemeIcon | undefined)?.id;
  /** the root nodes once the tree and every view's freshness are loaded */
  const loaded = async () => {
    await api.features.whenLoaded();
    return api.features.getChildren();
  };
  const viewNode = async (name: string) => {
    const node = await api.features.nodeOf(name);
    assert.ok(node, `the tree has ${name}`);
    return node;
  };
  const lineOf = (re: RegExp) => readFileSync(pipelinePath, 'utf8').split('\n').findIndex((l) => re.test(l));

  before(async () => {
    api = await slipway();
    pipelinePath = vscode.Uri.joinPath(workspaceRoot(), 'slipway.yaml').fsPath;
    original = readFileSync(pipelinePath, 'utf8');
    data = join(workspaceRoot().fsPath, 'data');
    // earlier suites edit and restore slipway.yaml: let the view's reload on those changes (300 ms debounce) finish first
    await new Promise((r) => setTimeout(r, 1500));
    await api.features.whenLoaded();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows customer → customer_activity and customer_profile with their freshness; stale follows the ttl', async () => {
    await vscode.commands.executeCommand('slipway.features.refresh');
    const roots = await loaded();
    assert.deepEqual(roots.map(label), ['customer']);
    assert.equal(description(roots[0]!), 'customer_id', 'the join keys');
    const views = await api.features.getChildren(roots[0]);
    assert.deepEqual(views.map(label), ['customer_activity', 'customer_profile']);

    const now = Date.now();
    for (const [view, file, column, ttlDays] of [
      ['customer_activity', 'activity.parquet', 'event_ts', 30],
      ['customer_profile', 'customers.parquet', 'signup_ts', 1095],
    ] as const) {
      const node = views.find((v) => label(v) === view)!;
      const freshness = await api.features.freshnessOf(view);
      assert.equal(freshness?.state, 'ok', JSON.stringify(freshness));
      const f = (freshness as Extract<typeof freshness, { state: 'ok' }>).freshness;
      // the latest event and the row count, straight from the file
      const truth = await sql(`SELECT count(*) AS n, epoch_ms(max(${column})) AS latest FROM read_parquet('${join(data, file)}')`);
      assert.equal(f.rows, Number(truth.n));
      assert.equal(Date.parse(f.latest!), Number(truth.latest));
      const age = now - Number(truth.latest);
      // the example's data has fixed dates: whether a view is stale depends on today; the rule does not
      if (Math.abs(age - ttlDays * DAY) > 5 * 60_000) assert.equal(f.stale, age > ttlDays * DAY, `${view}: ${Math.round(age / DAY)} days old, ttl ${ttlDays}d`);
      const text = description(node);
      assert.match(text, new RegExp(`latest \\d+ (s|min|h|d) ago · ttl ${ttlDays}d$`));
      assert.equal(text.startsWith('stale · '), f.stale, text);
      assert.equal(icon(node), f.stale ? 'warning' : 'table');
      assert.match(tooltip(node), new RegExp(`${f.rows.toLocaleString('en-US')} rows`));
    }

    const activity = await api.features.getChildren(views[0]);
    assert.deepEqual(activity.map((n) => [label(n), description(n)]), [
      ['sessions', 'int64'],
      ['basket_value', 'float64'],
      ['support_tickets', 'int64'],
    ]);
    const profile = await api.features.getChildren(views[1]);
    assert.deepEqual(profile.map((n) => [label(n), description(n)]), [
      ['plan', 'string'],
      ['country', 'string'],
      ['monthly_fee', 'float64'],
    ]);
  });

  it('Show Feature Statistics computes what DuckDB computes, shows it, and puts a summary on the item', async () => {
    const sessions = await api.features.nodeOf('customer_activity', 'sessions');
    assert.ok(sessions);
    const result = (await vscode.commands.executeCommand('slipway.features.showStats', sessions)) as { panel: PanelLike; stats?: StatsLike } | undefined;
    assert.ok(result?.stats, 'the statistics were computed');
    const file = join(data, 'activity.parquet');
    const truth = await sql(`SELECT count(*) AS n, count(*) - count(sessions) AS nulls, count(DISTINCT sessions) AS d, min(sessions) AS lo, max(sessions) AS hi FROM read_parquet('${file}')`);
    assert.equal(result.stats.rows, Number(truth.n));
    assert.equal(result.stats.nulls, Number(truth.nulls));
    assert.equal(result.stats.nullPercent, (Number(truth.nulls) / Number(truth.n)) * 100);
    assert.equal(result.stats.distinct, Number(truth.d));
    assert.equal(result.stats.min, Number(truth.lo));
    assert.equal(result.stats.max, Number(truth.hi));
    assert.equal(result.stats.histogram!.reduce((a, b) => a + b.count, 0), Number(truth.n), 'every row is in a bin');

    const panel = result.panel;
    assert.equal(panel.view, 'customer_activity');
    assert.equal(panel.state.selected, 'sessions');
    assert.equal(panel.state.stats.state, 'ok');
    assert.equal(panel.state.stats.data!.histogram!.length, 10);
    const rows = Number(truth.n).toLocaleString('en-US');
    assert.equal(panel.state.stats.data!.metrics.find((m) => m.label === 'Rows')!.value, rows);
    await eventually(() => description(sessions).includes(`${rows} rows · 0% null`), 'the summary on the tree item');
    assert.match(description(sessions), /^int64 · /);
    assert.match(tooltip(sessions), new RegExp(`statistics: ${rows} rows`));

    // a feature with nulls: the null share matches too
    const basket = (await vscode.commands.executeCommand('slipway.features.showStats', 'customer_activity:basket_value')) as { stats?: StatsLike };
    const b = await sql(`SELECT count(*) AS n, count(*) - count(basket_value) AS nulls FROM read_parquet('${file}')`);
    assert.ok(Number(b.nulls) > 0, 'the example has tracking gaps');
    assert.equal(basket.stats!.nulls, Number(b.nulls));
    assert.equal(basket.stats!.nullPercent, (Number(b.nulls) / Number(b.n)) * 100);
  });

  it('Preview Feature View opens a panel with the first 50 rows and their column types', async () => {
    const panel = (await vscode.commands.executeCommand('slipway.features.preview', await viewNode('customer_profile'))) as PanelLike;
    assert.ok(panel, 'the command returns the panel');
    await panel.pendingPreview;
    assert.equal(panel.state.preview.state, 'ok', JSON.stringify(panel.state.preview));
    assert.deepEqual(panel.preview!.columns.map((c) => [c.name, c.role]), [
      ['customer_id', 'join-key'],
      ['signup_ts', 'timestamp'],
      ['plan', 'feature'],
      ['country', 'feature'],
      ['monthly_fee', 'feature'],
    ]);
    assert.ok(panel.preview!.columns.every((c) => c.type.length > 0), 'every column has its type');
    assert.equal(panel.preview!.rows.length, 50);
    const first = await sql(`SELECT customer_id, plan FROM read_parquet('${join(data, 'customers.parquet')}') LIMIT 1`);
    assert.equal(panel.preview!.rows[0]!['customer_id'], Number(first.customer_id));
    assert.equal(panel.preview!.rows[0]!['plan'], first.plan);
  });

  it('Copy Python Snippet puts the training set loader on the clipboard', async () => {
    const snippet = (await vscode.commands.executeCommand('slipway.features.copySnippet')) as string;
    assert.match(snippet, /train = pd\.read_parquet\("data\/training\.parquet"\)/);
    assert.equal(await vscode.env.clipboard.readText(), snippet);
  });

  it('Go to Definition puts the cursor on the key in slipway.yaml (also the click on a view or a feature)', async () => {
    const roots = await loaded();
    const at = async (arg: unknown) => {
      await vscode.commands.executeCommand('slipway.features.goToDefinition', arg);
      const editor = await eventually(() => vscode.window.activeTextEditor, 'an editor');
      assert.equal(editor.document.uri.fsPath, pipelinePath);
      return editor.selection.active.line;
    };
    assert.equal(await at(roots[0]), lineOf(/^ {4}customer: \{ join_keys/));
    assert.equal(await at(await api.features.nodeOf('customer_activity', 'basket_value')), lineOf(/^ {8}basket_value: float64/));
    // the click on an item runs its command
    const click = item(await viewNode('customer_profile')).command!;
    assert.equal(click.command, 'slipway.features.goToDefinition');
    await vscode.commands.executeCommand(click.command, ...(click.arguments ?? []));
    assert.equal(vscode.window.activeTextEditor?.selection.active.line, lineOf(/^ {4}customer_profile:/));
    const feature = item((await api.features.nodeOf('customer_profile', 'monthly_fee'))!).command!;
    await vscode.commands.executeCommand(feature.command, ...(feature.arguments ?? []));
    assert.equal(vscode.window.activeTextEditor?.selection.active.line, lineOf(/^ {8}monthly_fee: float64/));
  });

  describe('broken definitions (the workspace copy of slipway.yaml, restored after)', () => {
    const edit = (change: (doc: ReturnType<typeof parseDocument>) => void) => {
      const doc = parseDocument(original);
      change(doc);
      writeFileSync(pipelinePath, doc.toString());
    };
    /** waits for the view to reload slipway.yaml by itself and for `probe` to see the change */
    const reloaded = <T>(probe: () => Promise<T>, what: string) =>
      eventually(async () => {
        await api.features.whenLoaded();
        return probe();
      }, what, 30_000);

    after(async () => {
      writeFileSync(pipelinePath, original);
      rmSync(join(data, 'broken.parquet'), { force: true });
      await reloaded(async () => (await api.features.freshnessOf('customer_activity'))?.state === 'ok', 'the view to read the restored file');
    });

    it('a source path that matches no file: an error node with the reason in its tooltip', async () => {
      edit((doc) => doc.setIn(['features', 'sources', 'activity', 'path'], 'data/nowhere.parquet'));
      const f = await reloaded(async () => {
        const x = await api.features.freshnessOf('customer_activity');
        return x?.state === 'error' ? x : undefined;
      }, 'the error on customer_activity');
      assert.match(f.message, /data\/nowhere\.parquet: no such file/);
      const node = await viewNode('customer_activity');
      assert.equal(icon(node), 'error');
      assert.equal(description(node), 'source not found');
      assert.match(tooltip(node), /data\/nowhere\.parquet: no such file/);
      // the other view is unaffected
      assert.equal((await api.features.freshnessOf('customer_profile'))?.state, 'ok');
      // statistics on it say why in the panel, without a crash
      const r = (await vscode.commands.executeCommand('slipway.features.showStats', 'customer_activity:sessions')) as { panel: PanelLike; stats?: unknown };
      assert.equal(r.stats, undefined);
      assert.equal(r.panel.state.stats.state, 'error');
    });

    it('a file that is not Parquet: an error node saying it cannot be read', async () => {
      writeFileSync(join(data, 'broken.parquet'), 'not parquet at all\n');
      edit((doc) => doc.setIn(['features', 'sources', 'activity', 'path'], 'data/broken.parquet'));
      const f = await reloaded(async () => {
        const x = await api.features.freshnessOf('customer_activity');
        return x?.state === 'error' && /broken/.test(x.message) ? x : undefined;
      }, 'the error on customer_activity');
      assert.match(f.message, /data\/broken\.parquet: cannot read it/);
      const node = await viewNode('customer_activity');
      assert.equal(icon(node), 'error');
      assert.equal(description(node), 'cannot read source');
    });

    it('a feature the data does not have, or of another type: marked on its item with the reason', async () => {
      edit((doc) => {
        doc.setIn(['features', 'views', 'customer_activity', 'features', 'sessions'], 'string');
        doc.deleteIn(['features', 'views', 'customer_activity', 'features', 'support_tickets']);
        doc.setIn(['features', 'views', 'customer_activity', 'features', 'visits'], 'int64');
      });
      const visits = await reloaded(async () => {
        const n = await api.features.nodeOf('customer_activity', 'visits');
        return n && icon(n) === 'error' ? n : undefined;
      }, 'the missing column on visits');
      assert.equal(description(visits), 'int64 · no such column');
      assert.match(tooltip(visits), /visits/);
      const sessions = (await api.features.nodeOf('customer_activity', 'sessions'))!;
      assert.equal(icon(sessions), 'error');
      assert.equal(description(sessions), 'string · column is BIGINT');
      assert.match(tooltip(sessions), /declared string, but the column is BIGINT/);
      assert.equal(icon((await api.features.nodeOf('customer_activity', 'basket_value'))!), 'symbol-number', 'a matching feature is unmarked');
    });

    it('a view whose entity is not declared stays in the tree, under its unknown entity', async () => {
      edit((doc) => doc.setIn(['features', 'views', 'customer_profile', 'entity'], 'shopper'));
      const roots = await reloaded(async () => {
        const r = await api.features.getChildren();
        return r.some((n) => label(n) === '(unknown entity shopper)') ? r : undefined;
      }, 'the unknown entity node');
      const unknown = roots.find((n) => label(n) === '(unknown entity shopper)')!;
      assert.equal(icon(unknown), 'warning');
      assert.deepEqual((await api.features.getChildren(unknown)).map(label), ['customer_profile']);
      assert.deepEqual((await api.features.getChildren(roots.find((n) => label(n) === 'customer'))).map(label), ['customer_activity']);
      const f = await api.features.freshnessOf('customer_profile');
      assert.equal(f?.state, 'error');
      assert.equal(description(await viewNode('customer_profile')), 'unknown entity');
      // its go to definition lands on the view's entity value
      await vscode.commands.executeCommand('slipway.features.goToDefinition', unknown);
      assert.equal(vscode.window.activeTextEditor?.selection.active.line, lineOf(/^ {6}entity: shopper/));
    });
  });
});
