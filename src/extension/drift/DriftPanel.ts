import * as vscode from 'vscode';
import { webviewHtml } from '../webviewHtml';
import { isAbsolute, relative } from 'node:path';
import { computeDrift, currentTimeColumns, DriftInputError, qualityOverTime, QualityUnavailable, type CurrentWindow, type TimeColumn } from '../../core/drift/index';
import type { DriftPanelData, FromWebview, QualityBucket, QualityState, ToWebview, WindowChoice } from '../../../webview/drift/protocol';
import { driftInputs, inputProblem, isProblem, runFix, type DriftEnv, type DriftInputs, type DriftProblem } from './inputs';
import { driftView, qualityView } from './view';

export interface DriftPanelDeps extends DriftEnv {
  readonly extensionUri: vscode.Uri;
  /** workspaceState: the ground truth file chosen per project */
  readonly state: vscode.Memento;
  readonly log: vscode.LogOutputChannel;
}

const SPAN_MS = { hour: 3_600_000, day: 86_400_000, week: 604_800_000 } as const;

/** A window that does not fit the data (no time column, a bound that is no date). */
export class WindowError extends DriftInputError {}
const GROUND_TRUTH_KEY = 'slipway.drift.groundTruth';

/** The window a choice means on this data: presets end at the newest timestamp; undefined for all data. */
export function resolveWindow(choice: WindowChoice, columns: readonly TimeColumn[]): (CurrentWindow & { from?: string; to?: string }) | undefined {
  if (choice.preset === 'all') return undefined;
  if (!columns.length) throw new WindowError('the current data has no time column (a timestamp or a date), so it cannot be windowed: compare all of it');
  const col = choice.column ? columns.find((c) => c.name === choice.column) : (columns.find((c) => c.name === 'timestamp') ?? columns[0]);
  if (!col) throw new WindowError(`"${choice.column}" is not a time column of the current data; it has ${columns.map((c) => c.name).join(', ')}`);
  if (choice.preset === 'custom') {
    for (const b of [choice.from, choice.to]) if (b !== undefined && Number.isNaN(Date.parse(b))) throw new WindowError(`"${b}" is not a date and time`);
    return { column: col.name, ...(choice.from ? { from: choice.from } : {}), ...(choice.to ? { to: choice.to } : {}) };
  }
  if (!col.max) return { column: col.name };
  return { column: col.name, from: new Date(Date.parse(col.max) - SPAN_MS[choice.preset]).toISOString() };
}

/** The drift panel (webview/drift): verdict, sortable feature table, histograms, time window, model quality over time. */
export class DriftPanel implements vscode.Disposable {
  private static instance: DriftPanel | undefined;
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private last: ToWebview = { type: 'loading', text: 'Computing drift…' };
  private choice: WindowChoice = { preset: 'all' };
  private bucket: QualityBucket = 'day';
  private running: AbortController | undefined;
  private timeColumns: { key: string; columns: TimeColumn[] } | undefined;
  private disposed = false;

  /** Opens the panel, or reveals the open one and computes again. */
  static show(deps: DriftPanelDeps): DriftPanel {
    const open = DriftPanel.instance;
    if (open) {
      open.panel.reveal();
      void open.refresh(true);
      return open;
    }
    return new DriftPanel(deps);
  }

  /** The panels showing now (tests look at them). */
  static get panels(): readonly DriftPanel[] {
    return DriftPanel.instance ? [DriftPanel.instance] : [];
  }

  /** The last computed report and quality, as the webview got them. */
  data: DriftPanelData | undefined;
  /** What stops the panel from showing data, when something does. */
  problem: DriftProblem | undefined;
  /** The computation running now (tests await it). */
  pending: Promise<DriftPanelData | undefined> | undefined;

  private constructor(private readonly deps: DriftPanelDeps) {
    this.panel = vscode.window.createWebviewPanel('slipway.drift', 'Drift', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(deps.extensionUri, 'out', 'webview')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(deps.extensionUri, 'media', 'slipway.svg');
    this.panel.webview.html = this.html();
    DriftPanel.instance = this;
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
      deps.projects.onDidChange(() => void this.refresh(true)),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        if (doc.uri.toString() === deps.projects.active?.uri.toString()) void this.refresh(true);
      }),
    );
    void this.refresh(true);
  }

  get window(): WindowChoice {
    return this.choice;
  }

  /** Changes the time window and computes again. */
  setWindow(window: WindowChoice): Promise<DriftPanelData | undefined> {
    this.choice = window;
    return this.refresh();
  }

  setBucket(bucket: QualityBucket): Promise<DriftPanelData | undefined> {
    this.bucket = bucket;
    return this.refresh();
  }

  /** Stops the running computation; the panel keeps what it showed before. */
  cancel(): void {
    this.running?.abort(new Error('cancelled'));
  }

  private post(msg: ToWebview): void {
    this.last = msg;
    if (!this.disposed) void this.panel.webview.postMessage(msg);
  }

  private async onMessage(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        return void this.panel.webview.postMessage(this.last);
      case 'refresh':
        return void (await this.refresh(true));
      case 'cancel':
        return this.cancel();
      case 'setWindow':
        return void (await this.setWindow(m.window));
      case 'setBucket':
        return void (await this.setBucket(m.bucket));
      case 'chooseGroundTruth':
        return this.chooseGroundTruth();
      case 'clearGroundTruth':
        await this.setGroundTruth(undefined);
        return void (await this.refresh());
      case 'fix':
        if (m.action === 'allData') return void (await this.setWindow({ preset: 'all' }));
        return runFix(m.action, () => this.refresh(true));
      case 'retrain':
        return void (await vscode.commands.executeCommand('slipway.training.runLocal'));
    }
  }

  /** Computes drift (and quality) for the current window; a newer call supersedes a running one. */
  refresh(reload = false): Promise<DriftPanelData | undefined> {
    if (reload) this.timeColumns = undefined;
    this.running?.abort(new Error('superseded'));
    const ac = new AbortController();
    this.running = ac;
    const work = Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Slipway: computing drift' }, () => this.compute(ac)));
    this.pending = work;
    return work.finally(() => {
      if (this.running === ac) this.running = undefined;
      if (this.pending === work) this.pending = undefined;
    });
  }

  private async compute(ac: AbortController): Promise<DriftPanelData | undefined> {
    const signal = ac.signal;
    const started = Date.now();
    let inputs: DriftInputs | DriftProblem | undefined;
    try {
      inputs = await driftInputs(this.deps);
      if (signal.aborted) return this.stopped(ac);
      if (isProblem(inputs)) return this.fail(inputs);
      const name = inputs.project.pipeline.name;
      this.panel.title = `Drift · ${name}`;
      this.post({ type: 'loading', text: `Comparing ${inputs.current} with ${String(inputs.options.reference)}${this.choice.preset === 'all' ? '' : ' in the time window'}…` });
      const fetchToLocal = inputs.options.fetchToLocal;
      const key = `${inputs.project.path}\n${inputs.current}`;
      if (this.timeColumns?.key !== key) {
        const changed = this.timeColumns !== undefined && this.timeColumns.key !== key;
        this.timeColumns = { key, columns: await currentTimeColumns(inputs.current, { baseDir: inputs.project.dir, fetchToLocal, signal }) };
        // other data: a window over a column it does not have starts over from all of it
        const column = this.choice.column;
        if (changed && column && !this.timeColumns.columns.some((c) => c.name === column)) this.choice = { preset: 'all' };
      }
      const columns = this.timeColumns.columns;
      const applied = resolveWindow(this.choice, columns);
      const report = await computeDrift({ ...inputs.options, ...(applied ? { currentWindow: applied } : {}), signal });
      const groundTruth = this.groundTruth(inputs);
      const quality = await this.quality(inputs, applied?.column ?? this.choice.column, applied, groundTruth, signal);
      if (signal.aborted) return this.stopped(ac);
      const data: DriftPanelData = {
        project: inputs.relativePath,
        projectName: inputs.project.pipeline.name,
        onDrift: inputs.onDrift,
        window: this.choice,
        ...(applied ? { applied } : {}),
        timeColumns: columns.map((c) => ({ ...c })),
        drift: driftView(report),
        bucket: this.bucket,
        quality,
        ...(groundTruth ? { groundTruth } : {}),
        computedAt: new Date().toISOString(),
        elapsedMs: Date.now() - started,
      };
      this.data = data;
      this.problem = undefined;
      this.deps.log.info(`drift: ${report.drifted_columns} of ${report.columns.length} columns drifted (${report.dataset_drift ? 'data set drift' : 'no data set drift'}) in ${data.elapsedMs} ms`);
      this.post({ type: 'data', data });
      return data;
    } catch (e) {
      if (signal.aborted) return this.stopped(ac);
      if (e instanceof WindowError) return this.fail({ message: e.message, fix: 'Choose another window, or all of the data.', action: 'allData', actionLabel: 'Compare All Data' });
      if (e instanceof DriftInputError && inputs && !isProblem(inputs)) return this.fail(inputProblem(inputs, e.message));
      this.deps.log.error(`drift panel: ${(e as Error).stack ?? e}`);
      return this.fail({ message: `Slipway could not compute drift: ${(e as Error).message}`, fix: 'The Slipway log has the details.', action: 'retry', actionLabel: 'Retry' });
    }
  }

  private async quality(inputs: DriftInputs, column: string | undefined, window: CurrentWindow | undefined, groundTruth: string | undefined, signal: AbortSignal): Promise<QualityState> {
    try {
      const q = await qualityOverTime({
        current: inputs.current,
        ...(groundTruth ? { labels: groundTruth } : {}),
        bucket: this.bucket,
        ...(column ? { timestampColumn: column } : {}),
        ...(window ? { window } : {}),
        baseDir: inputs.project.dir,
        ...(inputs.options.fetchToLocal ? { fetchToLocal: inputs.options.fetchToLocal } : {}),
        signal,
      });
      return { kind: 'ok', view: qualityView(q) };
    } catch (e) {
      if (signal.aborted) throw e;
      if (e instanceof QualityUnavailable) return { kind: 'unavailable', reason: e.message };
      return { kind: 'error', message: (e as Error).message };
    }
  }

  /** superseded: the newer computation reports; cancelled by the user: show what was there */
  private stopped(ac: AbortController): undefined {
    if (this.running !== ac) return undefined;
    if (this.data) this.post({ type: 'data', data: this.data });
    else this.post({ type: 'error', message: 'The drift computation was cancelled.', action: 'retry', actionLabel: 'Compute' });
    return undefined;
  }

  private fail(problem: DriftProblem): undefined {
    this.problem = problem;
    this.post({ type: 'error', ...problem });
    return undefined;
  }

  private groundTruth(inputs: DriftInputs): string | undefined {
    return this.deps.state.get<Record<string, string>>(GROUND_TRUTH_KEY, {})[inputs.project.path];
  }

  private async setGroundTruth(path: string | undefined): Promise<void> {
    const active = this.deps.projects.active;
    if (!active) return;
    const all = { ...this.deps.state.get<Record<string, string>>(GROUND_TRUTH_KEY, {}) };
    if (path) all[active.uri.fsPath] = path;
    else delete all[active.uri.fsPath];
    await this.deps.state.update(GROUND_TRUTH_KEY, all);
  }

  private async chooseGroundTruth(): Promise<void> {
    const active = this.deps.projects.active;
    const dir = active ? vscode.Uri.joinPath(active.uri, '..') : undefined;
    const picked = await vscode.window.showOpenDialog({
      title: 'Ground truth: request_id (and row) with the true label',
      canSelectMany: false,
      ...(dir ? { defaultUri: dir } : {}),
      filters: { 'Data (Parquet, CSV, JSON Lines)': ['parquet', 'csv', 'jsonl', 'ndjson', 'json'] },
    });
    if (!picked?.[0]) return;
    const file = picked[0].fsPath;
    const rel = dir ? relative(dir.fsPath, file) : file;
    await this.setGroundTruth(dir && !rel.startsWith('..') && !isAbsolute(rel) ? rel.split('\\').join('/') : file);
    await this.refresh();
  }

  private html(): string {
    return webviewHtml(this.panel.webview, this.deps.extensionUri, 'drift', {
      loading: 'Computing drift…',
      style: `
.controls { display: flex; align-items: flex-end; gap: 12px; flex-wrap: wrap; margin: 8px 0; }
.controls label { display: flex; flex-direction: column; gap: 2px; color: var(--vscode-descriptionForeground); }
.controls vscode-single-select { width: 170px; }
.controls vscode-textfield { width: 200px; }
.banner { display: flex; align-items: center; gap: 12px; padding: 10px 14px; margin: 12px 0; border-radius: 4px; border-left: 4px solid; }
.banner.drift { border-color: var(--vscode-charts-red, #f14c4c); background: var(--vscode-inputValidation-errorBackground, rgba(241,76,76,.12)); }
.banner.nodrift { border-color: var(--vscode-charts-green, #89d185); background: var(--vscode-editorWidget-background, rgba(137,209,133,.08)); }
.banner .verdict { font-weight: 600; font-size: 1.1em; }
.banner .grow { flex: 1; }
.layout { display: grid; grid-template-columns: minmax(420px, 1fr) minmax(360px, 1fr); gap: 16px; align-items: start; }
@media (max-width: 900px) { .layout { grid-template-columns: 1fr; } }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border); font-variant-numeric: tabular-nums; }
th { color: var(--vscode-descriptionForeground); font-weight: 600; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " ▲"; }
th[aria-sort="descending"]::after { content: " ▼"; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: var(--vscode-list-hoverBackground); }
tbody tr.selected { background: var(--vscode-list-activeSelectionBackground); color: var(--vscode-list-activeSelectionForeground); }
td.num { text-align: right; }
.pill { font-size: .85em; padding: 0 6px; border-radius: 8px; }
.pill.drift { background: var(--vscode-charts-red, #f14c4c); color: var(--vscode-editor-background, #fff); }
.pill.ok { color: var(--vscode-descriptionForeground); }
.chart { height: 300px; position: relative; }
ul.messages { padding-left: 18px; }
li.warning { color: var(--vscode-editorWarning-foreground); }
li.error { color: var(--vscode-errorForeground); }
a { color: var(--vscode-textLink-foreground); }
`,
    });
  }


  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (DriftPanel.instance === this) DriftPanel.instance = undefined;
    this.running?.abort(new Error('the drift panel was closed'));
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
