import * as vscode from 'vscode';
import { webviewHtml } from '../webviewHtml';
import type { FromWebview, HistoryPoint, RunsPanelData, RunSummary, ToWebview } from '../../../webview/runs/protocol';
import type { Run } from '../../core/tracking/index';
import type { TrackingConnection } from './TrackingConnection';

const jsonSafe = (v: number): number | string => (Number.isFinite(v) ? v : String(v));

/** One run's details, or several runs compared, in a webview (webview/runs). */
export class RunsPanel implements vscode.Disposable {
  private static readonly open = new Set<RunsPanel>();
  private readonly panel: vscode.WebviewPanel;
  private readonly cancel = new AbortController();
  private readonly disposables: vscode.Disposable[] = [];

  static show(extensionUri: vscode.Uri, tracking: TrackingConnection, runIds: readonly string[], log: vscode.LogOutputChannel, openArtifact: (runId: string, path: string) => Promise<void>): RunsPanel {
    return new RunsPanel(extensionUri, tracking, [...new Set(runIds)], log, openArtifact);
  }

  /** The panels showing now (tests look at them). */
  static get panels(): readonly RunsPanel[] {
    return [...RunsPanel.open];
  }

  data: RunsPanelData | undefined;

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly tracking: TrackingConnection,
    readonly runIds: string[],
    private readonly log: vscode.LogOutputChannel,
    private readonly openArtifact: (runId: string, path: string) => Promise<void>,
  ) {
    const title = runIds.length === 1 ? `Run ${runIds[0]!.slice(0, 8)}` : `Compare ${runIds.length} runs`;
    this.panel = vscode.window.createWebviewPanel('slipway.runs', title, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out', 'webview')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'slipway.svg');
    this.panel.webview.html = this.html();
    RunsPanel.open.add(this);
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
    );
  }

  private post(msg: ToWebview): void {
    void this.panel.webview.postMessage(msg);
  }

  private async onMessage(m: FromWebview): Promise<void> {
    if (m.type === 'ready' || m.type === 'refresh') await this.load();
    else if (m.type === 'openArtifact') await this.openArtifact(m.runId, m.path);
  }

  /** Fetches the runs, every page of every metric's history, and the top-level artifacts. */
  async load(): Promise<void> {
    this.post({ type: 'loading', text: `Loading ${this.runIds.length} run(s)…` });
    try {
      const { mlflow, uri } = this.tracking.api;
      const signal = this.cancel.signal;
      const runs: Run[] = await Promise.all(this.runIds.map((id) => mlflow.getRun(id, { signal })));
      const histories: Record<string, Record<string, HistoryPoint[]>> = {};
      const artifacts: Record<string, { path: string; isDir: boolean }[]> = {};
      await Promise.all(
        runs.map(async (run) => {
          const id = run.info.runId;
          histories[id] = {};
          for (const key of Object.keys(run.metrics)) {
            const points = await mlflow.getMetricHistory(id, key, {}, { signal });
            histories[id]![key] = points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp).map((p) => ({ step: p.step, value: Number.isFinite(p.value) ? p.value : null }));
          }
          try {
            artifacts[id] = (await mlflow.listArtifacts(id, undefined, { signal })).files.map((f) => ({ path: f.path, isDir: f.isDir }));
          } catch (e) {
            this.log.warn(`artifacts of ${id}: ${(e as Error).message}`);
            artifacts[id] = [];
          }
        }),
      );
      const summaries: RunSummary[] = runs.map((r) => ({
        runId: r.info.runId,
        name: r.info.runName || r.info.runId.slice(0, 8),
        status: r.info.status,
        startTime: r.info.startTime,
        endTime: r.info.endTime,
        params: r.params,
        metrics: Object.fromEntries(Object.values(r.metrics).map((m) => [m.key, jsonSafe(m.value)])),
        tags: r.tags,
        ...(r.parentRunId ? { parentRunId: r.parentRunId } : {}),
      }));
      this.data = { trackingUri: uri, runs: summaries, histories, artifacts };
      this.panel.title = runs.length === 1 ? `Run ${summaries[0]!.name}` : `Compare ${runs.length} runs`;
      this.post({ type: 'data', data: this.data });
    } catch (e) {
      if (!this.cancel.signal.aborted) this.post({ type: 'error', message: (e as Error).message });
    }
  }

  private html(): string {
    return webviewHtml(this.panel.webview, this.extensionUri, 'runs', {
      loading: 'Loading…',
      style: `
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid var(--vscode-panel-border); font-variant-numeric: tabular-nums; }
th { color: var(--vscode-descriptionForeground); font-weight: 600; }
tr.differs td { background: var(--vscode-diffEditor-insertedTextBackground, rgba(155,185,85,.2)); }
tr.differs td.key { font-weight: 600; }
.badge { font-size: .8em; padding: 0 4px; border-radius: 3px; background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
.chart { height: 240px; position: relative; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
a { color: var(--vscode-textLink-foreground); }
`,
    });
  }


  dispose(): void {
    RunsPanel.open.delete(this);
    this.cancel.abort();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
