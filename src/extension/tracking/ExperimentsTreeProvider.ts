import * as vscode from 'vscode';
import type { Experiment, FileInfo, Run, RunStatus } from '../../core/tracking/index';
import type { TrackingConnection } from './TrackingConnection';

export const PAGE_SIZE = 50;

export type ExperimentsNode =
  | { kind: 'message'; text: string; detail?: string; error?: boolean }
  | { kind: 'experiment'; exp: Experiment }
  | { kind: 'run'; run: Run; exp: Experiment }
  | { kind: 'more'; exp: Experiment }
  | { kind: 'group'; run: Run; group: 'params' | 'metrics' | 'tags' | 'artifacts' }
  | { kind: 'value'; key: string; value: string; run: Run }
  | { kind: 'artifact'; run: Run; file: FileInfo };

const STATUS_ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  RUNNING: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  SCHEDULED: new vscode.ThemeIcon('clock'),
  FINISHED: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  FAILED: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  KILLED: new vscode.ThemeIcon('circle-slash'),
};

interface ExperimentState {
  runs: Run[];
  token?: string;
  pages: number;
  loaded: boolean;
}

function ago(ms: number | undefined, now = Date.now()): string {
  if (!ms) return '';
  const s = Math.round((now - ms) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : String(Math.round(v * 1e4) / 1e4);
}

/**
 * Experiments → runs (nested under their parent) → params, metrics, tags, artifacts.
 * Runs are fetched a page at a time as the user asks ("Load more"); a filter, a sort and
 * "show deleted" apply to every experiment. While a shown run is RUNNING it refreshes itself.
 */
export class ExperimentsTreeProvider implements vscode.TreeDataProvider<ExperimentsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ExperimentsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly state = new Map<string, ExperimentState>();
  private cancel = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;
  filter = '';
  orderBy = 'attributes.start_time DESC';
  showDeleted = false;

  constructor(private readonly tracking: TrackingConnection) {
    this.subscription = tracking.onDidChange((s) => {
      if (s.kind !== 'checking') this.refresh();
    });
  }

  refresh(): void {
    this.cancel.abort(); // requests of the old tree are not needed any more
    this.cancel = new AbortController();
    this.state.clear();
    this.changed.fire(undefined);
  }

  private get signal(): AbortSignal {
    return this.cancel.signal;
  }

  private keyMetric(run: Run): string | undefined {
    const preferred = this.tracking.model.gates[0]?.metric;
    const key = preferred && Object.hasOwn(run.metrics, preferred) ? preferred : Object.keys(run.metrics).sort()[0];
    return key ? `${key}=${formatValue(run.metrics[key]!.value)}` : undefined;
  }

  getTreeItem(node: ExperimentsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.error ? 'error' : 'info');
        item.tooltip = node.detail ?? node.text;
        item.description = node.error ? 'click to retry' : undefined;
        if (node.error) item.command = { command: 'slipway.experiments.refresh', title: 'Retry' };
        item.contextValue = node.error ? 'slipway.error' : 'slipway.message';
        return item;
      }
      case 'experiment': {
        const item = new vscode.TreeItem(node.exp.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `exp:${node.exp.experimentId}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.description = node.exp.lifecycleStage === 'deleted' ? 'deleted' : `#${node.exp.experimentId}`;
        item.tooltip = node.exp.description ?? `${node.exp.name} (${node.exp.artifactLocation ?? ''})`;
        item.contextValue = 'slipway.experiment';
        return item;
      }
      case 'run': {
        const r = node.run;
        const item = new vscode.TreeItem(r.info.runName || r.info.runId.slice(0, 8), vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${r.info.runId}`;
        item.iconPath = r.info.lifecycleStage === 'deleted' ? new vscode.ThemeIcon('trash') : STATUS_ICONS[r.info.status];
        item.description = [this.keyMetric(r), ago(r.info.startTime)].filter(Boolean).join(' · ');
        item.tooltip = new vscode.MarkdownString(
          `**${r.info.runName}** \`${r.info.runId}\`\n\n${r.info.status}${r.info.startTime ? `, started ${new Date(r.info.startTime).toLocaleString()}` : ''}${r.parentRunId ? `\n\nchild of \`${r.parentRunId}\`` : ''}`,
        );
        item.contextValue = `slipway.run${r.info.status === 'RUNNING' ? '.running' : ''}`;
        return item;
      }
      case 'more': {
        const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.command = { command: 'slipway.experiments.loadMore', title: 'Load more', arguments: [node] };
        return item;
      }
      case 'group': {
        const labels = { params: 'Parameters', metrics: 'Metrics', tags: 'Tags', artifacts: 'Artifacts' } as const;
        const icons = { params: 'symbol-parameter', metrics: 'graph-line', tags: 'tag', artifacts: 'package' } as const;
        const counts = { params: Object.keys(node.run.params).length, metrics: Object.keys(node.run.metrics).length, tags: Object.keys(node.run.tags).filter((k) => !k.startsWith('mlflow.')).length, artifacts: -1 };
        const item = new vscode.TreeItem(labels[node.group], vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${node.group}:${node.run.info.runId}`;
        item.iconPath = new vscode.ThemeIcon(icons[node.group]);
        if (counts[node.group] >= 0) item.description = String(counts[node.group]);
        item.contextValue = `slipway.group.${node.group}`;
        return item;
      }
      case 'value': {
        const item = new vscode.TreeItem(node.key, vscode.TreeItemCollapsibleState.None);
        item.description = node.value;
        item.tooltip = `${node.key} = ${node.value}`;
        item.contextValue = 'slipway.value';
        return item;
      }
      case 'artifact': {
        const name = node.file.path.split('/').pop() ?? node.file.path;
        const item = new vscode.TreeItem(name, node.file.isDir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `artifact:${node.run.info.runId}:${node.file.path}`;
        item.iconPath = node.file.isDir ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
        item.resourceUri = vscode.Uri.parse(`slipway-artifact:/${node.file.path}`);
        if (node.file.fileSize !== undefined) item.description = `${(node.file.fileSize / 1024).toFixed(1)} KiB`;
        item.contextValue = node.file.isDir ? 'slipway.artifact.dir' : 'slipway.artifact.file';
        if (!node.file.isDir) item.command = { command: 'slipway.experiments.openArtifact', title: 'Open', arguments: [node] };
        return item;
      }
    }
  }

  async getChildren(node?: ExperimentsNode): Promise<ExperimentsNode[]> {
    try {
      return await this.children(node);
    } catch (e) {
      if (this.signal.aborted) return [];
      return [{ kind: 'message', text: (e as Error).message.split('\n')[0]!, detail: (e as Error).message, error: true }];
    }
  }

  private async children(node?: ExperimentsNode): Promise<ExperimentsNode[]> {
    if (!node) {
      if (!this.tracking.configured) return []; // the welcome content says what to configure
      const { mlflow } = this.tracking.api;
      const page = await mlflow.searchExperiments({ maxResults: 100, viewType: this.showDeleted ? 'ALL' : 'ACTIVE_ONLY', orderBy: ['name ASC'] }, { signal: this.signal });
      if (page.items.length === 0) return [{ kind: 'message', text: 'No experiments yet: train once with tracking on' }];
      return page.items.map((exp) => ({ kind: 'experiment', exp }));
    }
    if (node.kind === 'experiment') {
      const st = this.state.get(node.exp.experimentId) ?? { runs: [], pages: 0, loaded: false };
      if (!st.loaded) await this.loadPage(node.exp, st);
      this.state.set(node.exp.experimentId, st);
      const shown = new Set(st.runs.map((r) => r.info.runId));
      // nested runs sit under their parent when it is shown
      const top = st.runs.filter((r) => !r.parentRunId || !shown.has(r.parentRunId));
      const out: ExperimentsNode[] = top.map((run) => ({ kind: 'run', run, exp: node.exp }));
      if (st.token) out.push({ kind: 'more', exp: node.exp });
      if (out.length === 0) out.push({ kind: 'message', text: this.filter ? `No runs match "${this.filter}"` : 'No runs yet' });
      return out;
    }
    if (node.kind === 'run') {
      const st = this.state.get(node.exp.experimentId);
      const kids = (st?.runs ?? []).filter((r) => r.parentRunId === node.run.info.runId).map((run): ExperimentsNode => ({ kind: 'run', run, exp: node.exp }));
      const groups: ExperimentsNode[] = (['params', 'metrics', 'tags', 'artifacts'] as const).map((group) => ({ kind: 'group', run: node.run, group }));
      return [...kids, ...groups];
    }
    if (node.kind === 'group') {
      const r = node.run;
      if (node.group === 'params') return Object.entries(r.params).map(([key, value]) => ({ kind: 'value', key, value, run: r }));
      if (node.group === 'metrics') return Object.values(r.metrics).map((m) => ({ kind: 'value', key: m.key, value: `${formatValue(m.value)} (step ${m.step})`, run: r }));
      if (node.group === 'tags') return Object.entries(r.tags).filter(([k]) => !k.startsWith('mlflow.')).map(([key, value]) => ({ kind: 'value', key, value, run: r }));
      const listing = await this.tracking.api.mlflow.listArtifacts(r.info.runId, undefined, { signal: this.signal });
      return listing.files.length ? listing.files.map((file) => ({ kind: 'artifact', run: r, file })) : [{ kind: 'message', text: 'No artifacts' }];
    }
    if (node.kind === 'artifact' && node.file.isDir) {
      const listing = await this.tracking.api.mlflow.listArtifacts(node.run.info.runId, node.file.path, { signal: this.signal });
      return listing.files.map((file) => ({ kind: 'artifact', run: node.run, file }));
    }
    return [];
  }

  private async loadPage(exp: Experiment, st: ExperimentState): Promise<void> {
    const page = await this.tracking.api.mlflow.searchRuns(
      {
        experimentIds: [exp.experimentId],
        maxResults: PAGE_SIZE,
        orderBy: [this.orderBy],
        viewType: this.showDeleted ? 'ALL' : 'ACTIVE_ONLY',
        ...(this.filter ? { filter: this.filter } : {}),
        ...(st.token ? { pageToken: st.token } : {}),
      },
      { signal: this.signal },
    );
    st.runs.push(...page.items);
    st.token = page.nextPageToken;
    st.pages++;
    st.loaded = true;
    this.scheduleLiveRefresh();
  }

  async loadMore(node: ExperimentsNode): Promise<void> {
    if (node.kind !== 'more') return;
    const st = this.state.get(node.exp.experimentId);
    if (!st?.token) return;
    await this.loadPage(node.exp, st);
    this.changed.fire(undefined);
  }

  /** The runs loaded so far (for compare and tests). */
  loadedRuns(): Run[] {
    return [...this.state.values()].flatMap((s) => s.runs);
  }

  private scheduleLiveRefresh(): void {
    if (this.timer) return;
    if (!this.loadedRuns().some((r) => r.info.status === 'RUNNING')) return;
    this.timer = setTimeout(async () => {
      this.timer = undefined;
      // re-read as many pages as were shown, no more
      for (const [id, st] of this.state) {
        const pages = st.pages;
        const fresh: ExperimentState = { runs: [], pages: 0, loaded: false };
        const exp = { experimentId: id } as Experiment;
        try {
          for (let i = 0; i < pages && (i === 0 || fresh.token); i++) await this.loadPage(exp, fresh);
          this.state.set(id, fresh);
        } catch {
          /* the next refresh shows the error */
        }
      }
      this.changed.fire(undefined);
    }, 5000);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.cancel.abort();
    this.subscription.dispose();
    this.changed.dispose();
  }
}
