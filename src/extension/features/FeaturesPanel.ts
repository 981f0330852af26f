import * as vscode from 'vscode';
import { webviewHtml } from '../webviewHtml';
import type { LoadedProject } from '../../core/project/loadProject';
import { featureStats, FeatureInputError, previewView, type FeatureStats, type FetchToLocal, type ViewPreview } from '../../core/features/index';
import type { FeaturesPanelState, FromWebview, Loadable, PreviewView, StatsView, ToWebview } from '../../../webview/features/protocol';
import { previewViewOf, statsView } from './model';
import { DeadlineError, type FeatureSession } from './session';

/** rows the preview shows */
export const PREVIEW_ROWS = 50;
export const PREVIEW_TIMEOUT_MS = 120_000;
/** statistics scan every row of the source, twice for numbers (the histogram) */
export const STATS_TIMEOUT_MS = 600_000;

export interface FeaturesPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly session: FeatureSession;
  readonly log: vscode.LogOutputChannel;
  /** the active project, read again (slipway.yaml may have changed); undefined: there is none */
  project(): Promise<LoadedProject | undefined>;
  readonly fetchToLocal?: (project: LoadedProject) => FetchToLocal | undefined;
  /** a feature's statistics were computed (the tree shows their summary) */
  onStats?(stats: FeatureStats): void;
}

/**
 * One feature view in a panel (webview/features): its first rows with their column types, and a
 * feature's statistics (measures, top values or a histogram). One panel per view.
 */
export class FeaturesPanel implements vscode.Disposable {
  private static readonly open = new Map<string, FeaturesPanel>();
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private previewState: Loadable<PreviewView> = { state: 'idle' };
  private statsState: Loadable<StatsView> = { state: 'idle' };
  private selected: string | undefined;
  private header: Omit<FeaturesPanelState, 'preview' | 'stats' | 'selected'>;
  private previewRun: AbortController | undefined;
  private statsRun: AbortController | undefined;
  private disposed = false;

  /** The last preview read (tests look at it). */
  preview: ViewPreview | undefined;
  /** Every feature's last statistics, by feature name. */
  readonly stats = new Map<string, FeatureStats>();
  /** The preview being read now. */
  pendingPreview: Promise<ViewPreview | undefined> | undefined;

  /** Opens the view's panel, or reveals the open one; a new panel reads the preview. */
  static show(deps: FeaturesPanelDeps, view: string): FeaturesPanel {
    const open = FeaturesPanel.open.get(view);
    if (open) {
      open.panel.reveal();
      return open;
    }
    const panel = new FeaturesPanel(deps, view);
    void panel.loadPreview();
    return panel;
  }

  static get panels(): readonly FeaturesPanel[] {
    return [...FeaturesPanel.open.values()];
  }

  private constructor(
    private readonly deps: FeaturesPanelDeps,
    readonly view: string,
  ) {
    this.header = { view, entity: '', joinKeys: [], source: '', sourcePath: '', features: [] };
    this.panel = vscode.window.createWebviewPanel('slipway.features', `${view} · Features`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(deps.extensionUri, 'out', 'webview')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'slipway.svg');
    this.panel.webview.html = this.html();
    FeaturesPanel.open.set(view, this);
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
    );
  }

  /** What the webview shows (tests read it). */
  get state(): FeaturesPanelState {
    return { ...this.header, preview: this.previewState, stats: this.statsState, ...(this.selected ? { selected: this.selected } : {}) };
  }

  private post(): void {
    if (!this.disposed) void this.panel.webview.postMessage({ type: 'state', state: this.state } satisfies ToWebview);
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        return this.post();
      case 'refresh':
        await this.loadPreview();
        if (this.selected) await this.showStats(this.selected);
        return;
      case 'stats':
        return void (await this.showStats(m.feature));
      case 'cancel':
        this.previewRun?.abort(new Error('cancelled'));
        this.statsRun?.abort(new Error('cancelled'));
        return;
      case 'goToDefinition':
        return void (await vscode.commands.executeCommand('slipway.features.goToDefinition', { view: this.view, ...(m.feature ? { feature: m.feature } : {}) }));
    }
  }

  /** The project, with this view checked to be in it; else the reason in words. */
  private async project(): Promise<LoadedProject | string> {
    const project = await this.deps.project();
    if (!project) return 'This workspace has no slipway.yaml anymore.';
    const { views, entities, sources } = project.pipeline.features;
    const v = views[this.view];
    if (!v) return `slipway.yaml has no feature view '${this.view}' anymore (views: ${Object.keys(views).join(', ') || 'none'}).`;
    this.header = {
      view: this.view,
      entity: v.entity,
      joinKeys: entities[v.entity]?.joinKeys ?? [],
      source: v.source,
      sourcePath: sources[v.source]?.path ?? '',
      features: Object.entries(v.features).map(([name, type]) => ({ name, type })),
    };
    return project;
  }

  /** the message to show; what the user cannot fix in slipway.yaml or the data goes to the log too */
  private failure(e: unknown, what: string, isInput: (e: unknown) => boolean): string {
    const message = (e as Error).message;
    if (e instanceof DeadlineError) this.deps.log.warn(`features: ${message}`);
    else if (!isInput(e)) this.deps.log.error(`features: ${what}: ${(e as Error).stack ?? message}`);
    return message;
  }

  /** Reads the view's first rows again. */
  loadPreview(): Promise<ViewPreview | undefined> {
    this.previewRun?.abort(new Error('superseded'));
    const ac = new AbortController();
    this.previewRun = ac;
    const work = (async (): Promise<ViewPreview | undefined> => {
      this.previewState = { state: 'loading', text: `Reading the first ${PREVIEW_ROWS} rows…` };
      this.post();
      try {
        const project = await this.project();
        if (typeof project === 'string') {
          this.previewState = { state: 'error', message: project };
          return undefined;
        }
        const fetchToLocal = this.deps.fetchToLocal?.(project);
        const preview = await this.deps.session.run(`the preview of ${this.view}`, PREVIEW_TIMEOUT_MS, ac.signal, (db, signal) =>
          previewView(project, this.view, PREVIEW_ROWS, { db, signal, ...(fetchToLocal ? { fetchToLocal } : {}) }),
        );
        if (this.previewRun !== ac) return undefined;
        this.preview = preview;
        this.previewState = { state: 'ok', data: previewViewOf(preview, project.pipeline.features.views[this.view]!.features, PREVIEW_ROWS) };
        return preview;
      } catch (e) {
        if (this.previewRun !== ac) return undefined;
        this.previewState = { state: 'error', message: ac.signal.aborted ? 'The preview was cancelled.' : this.failure(e, `preview of ${this.view}`, (x) => x instanceof FeatureInputError) };
        return undefined;
      } finally {
        if (this.previewRun === ac) {
          this.previewRun = undefined;
          this.post();
        }
      }
    })();
    this.pendingPreview = work;
    return work;
  }

  /** Computes a feature's statistics over every row of the source, with a cancellable notification. */
  showStats(feature: string): Promise<FeatureStats | undefined> {
    this.statsRun?.abort(new Error('superseded'));
    const ac = new AbortController();
    this.statsRun = ac;
    this.selected = feature;
    this.statsState = { state: 'loading', text: `Computing the statistics of ${feature} over every row…` };
    this.post();
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Slipway: statistics of ${this.view}:${feature}`, cancellable: true },
        async (_progress, token) => {
          token.onCancellationRequested(() => ac.abort(new Error('cancelled')));
              const started = Date.now();
          try {
            const project = await this.project();
            if (typeof project === 'string') {
              this.statsState = { state: 'error', message: project };
              return undefined;
            }
            const fetchToLocal = this.deps.fetchToLocal?.(project);
            const stats = await this.deps.session.run(`the statistics of ${this.view}:${feature}`, STATS_TIMEOUT_MS, ac.signal, (db, signal) =>
              featureStats(project, this.view, feature, { db, signal, ...(fetchToLocal ? { fetchToLocal } : {}) }),
            );
            if (this.statsRun !== ac) return stats;
            this.stats.set(feature, stats);
            this.statsState = { state: 'ok', data: statsView(stats, Date.now() - started) };
            this.deps.onStats?.(stats);
            return stats;
          } catch (e) {
            if (this.statsRun !== ac) return undefined;
            const message = ac.signal.aborted ? 'The statistics were cancelled.' : this.failure(e, `statistics of ${this.view}:${feature}`, (x) => x instanceof FeatureInputError);
            this.statsState = { state: 'error', message };
            return undefined;
          } finally {
            if (this.statsRun === ac) {
              this.statsRun = undefined;
              this.post();
            }
          }
        },
      ),
    );
  }

  private html(): string {
    return webviewHtml(this.panel.webview, this.deps.extensionUri, 'features', {
      loading: 'Reading the view…',
      style: `
.status { display: flex; align-items: center; gap: 8px; }
.scroll { overflow: auto; max-height: min(45vh, 360px); border: 1px solid var(--vscode-panel-border); }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border); white-space: nowrap; font-variant-numeric: tabular-nums; }
thead th { position: sticky; top: 0; background: var(--vscode-editor-background); }
th .type { display: block; font-weight: normal; color: var(--vscode-descriptionForeground); font-size: .9em; }
th.join-key { color: var(--vscode-charts-blue, inherit); }
th.timestamp { color: var(--vscode-charts-purple, inherit); }
td.number { text-align: right; }
td.null { color: var(--vscode-descriptionForeground); font-style: italic; }
.chips { display: flex; gap: 6px; flex-wrap: wrap; margin: 8px 0; }
.chips vscode-button[aria-pressed="true"] { outline: 1px solid var(--vscode-focusBorder); }
.stats { display: grid; grid-template-columns: minmax(260px, 1fr) minmax(360px, 2fr); gap: 16px; align-items: start; }
@media (max-width: 800px) { .stats { grid-template-columns: 1fr; } }
.chart { height: 280px; position: relative; }
a { color: var(--vscode-textLink-foreground); cursor: pointer; }
h3 .meta { font-weight: normal; }
#metrics th { text-align: left; padding-right: 16px; }
`,
    });
  }


  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (FeaturesPanel.open.get(this.view) === this) FeaturesPanel.open.delete(this.view);
    this.previewRun?.abort(new Error('the panel was closed'));
    this.statsRun?.abort(new Error('the panel was closed'));
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
