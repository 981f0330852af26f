import * as vscode from 'vscode';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { MlflowClient, MlflowHttp, resolveTrackingUri, type Credentials } from '../../core/tracking/index';
import { RegistryClient } from '../../core/registry/index';
import { loadProject } from '../../core/project/loadProject';
import type { ProjectStore } from '../project/ProjectStore';
import { selectedPython } from '../python';

export type TrackingState =
  | { kind: 'none' }
  | { kind: 'checking'; uri: string }
  | { kind: 'ok'; uri: string; version?: string }
  | { kind: 'error'; uri: string; message: string };

const secretKey = (uri: string) => `slipway.tracking.credentials:${new URL(uri).origin}`;

/**
 * The MLflow server of the active project: tracking.uri of slipway.yaml, else the
 * slipway.tracking.uri setting, else MLFLOW_TRACKING_URI. Credentials come from SecretStorage.
 * Shows the server and whether it answers in the status bar; can start a local server.
 */
export class TrackingConnection implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TrackingState>();
  readonly onDidChange = this.changed.event;
  private current: TrackingState = { kind: 'none' };
  private clients: { mlflow: MlflowClient; registry: RegistryClient; uri: string } | undefined;
  private readonly item = vscode.window.createStatusBarItem('slipway.tracking', vscode.StatusBarAlignment.Left, 9);
  private readonly disposables: vscode.Disposable[] = [];
  private localServer: ChildProcess | undefined;
  private modelSettings: { name?: string; gates: { metric: string; op: string; value: number }[] } = { gates: [] };

  constructor(
    private readonly projects: ProjectStore,
    private readonly secrets: vscode.SecretStorage,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.item.name = 'Slipway Tracking Server';
    this.disposables.push(
      this.item,
      this.changed,
      projects.onDidChange(() => void this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('slipway.tracking') && void this.refresh()),
      secrets.onDidChange(() => void this.refresh()),
    );
  }

  get state(): TrackingState {
    return this.current;
  }

  /** The model name and gates of the active project (for the Models view and alias checks). */
  get model(): { name?: string; gates: { metric: string; op: string; value: number }[] } {
    return this.modelSettings;
  }

  /** The clients for the current server; throws with what to configure when there is none. */
  get api(): { mlflow: MlflowClient; registry: RegistryClient; uri: string } {
    if (!this.clients) throw new Error('No MLflow tracking server: set tracking.uri in slipway.yaml (or the slipway.tracking.uri setting), or start a local server.');
    return this.clients;
  }

  get configured(): boolean {
    return Boolean(this.clients);
  }

  async refresh(): Promise<void> {
    let pipelineUri: string | undefined;
    const project = this.projects.active;
    if (project) {
      try {
        const loaded = await loadProject(project.uri.fsPath);
        pipelineUri = loaded.pipeline.tracking.uri;
        this.modelSettings = { name: loaded.pipeline.model.name, gates: loaded.pipeline.model.gates.map((g) => ({ ...g })) };
      } catch (e) {
        this.log.warn(`tracking: cannot read ${project.relativePath}: ${(e as Error).message}`);
      }
    }
    const settingUri = vscode.workspace.getConfiguration('slipway').get<string>('tracking.uri') || undefined;
    const uri = resolveTrackingUri({ pipelineUri, settingUri, env: process.env });
    await vscode.commands.executeCommand('setContext', 'slipway.tracking.configured', Boolean(uri));
    if (!uri) {
      this.clients = undefined;
      return this.set({ kind: 'none' });
    }
    let credentials: Credentials | undefined;
    try {
      const stored = await this.secrets.get(secretKey(uri));
      credentials = stored ? (JSON.parse(stored) as Credentials) : undefined;
    } catch {
      credentials = undefined;
    }
    const http = new MlflowHttp({ trackingUri: uri, credentials: () => credentials, timeoutMs: 10_000 });
    this.clients = { mlflow: new MlflowClient(http), registry: new RegistryClient(http), uri };
    await this.check();
  }

  /** Asks the server for its version; the status bar says whether it answers. */
  async check(): Promise<void> {
    const clients = this.clients;
    if (!clients) return;
    this.set({ kind: 'checking', uri: clients.uri });
    try {
      await clients.mlflow.searchExperiments({ maxResults: 1 }, { timeoutMs: 5000 });
      this.set({ kind: 'ok', uri: clients.uri });
    } catch (e) {
      this.set({ kind: 'error', uri: clients.uri, message: (e as Error).message });
    }
  }

  private set(state: TrackingState): void {
    this.current = state;
    if (state.kind === 'none') {
      this.item.hide();
    } else {
      const host = new URL(state.uri).host;
      this.item.text = state.kind === 'ok' ? `$(beaker) ${host}` : state.kind === 'checking' ? `$(sync~spin) ${host}` : `$(warning) ${host}`;
      this.item.tooltip = state.kind === 'error' ? `MLflow at ${state.uri} does not answer: ${state.message}` : `MLflow tracking server ${state.uri}${state.kind === 'ok' ? ' (answers)' : ''}`;
      this.item.backgroundColor = state.kind === 'error' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
      this.item.command = 'slipway.tracking.check';
      this.item.show();
    }
    this.changed.fire(state);
  }

  async setCredentials(): Promise<void> {
    const uri = this.clients?.uri;
    if (!uri) {
      void vscode.window.showWarningMessage('Set tracking.uri in slipway.yaml first: credentials are kept per server.');
      return;
    }
    const kind = await vscode.window.showQuickPick(
      [
        { label: 'Bearer token', value: 'bearer' as const },
        { label: 'Username and password (basic auth)', value: 'basic' as const },
        { label: 'Remove stored credentials', value: 'clear' as const },
      ],
      { title: `Credentials for ${new URL(uri).origin} (kept in VS Code's secret storage)` },
    );
    if (!kind) return;
    if (kind.value === 'clear') {
      await this.secrets.delete(secretKey(uri));
    } else if (kind.value === 'bearer') {
      const token = await vscode.window.showInputBox({ title: 'MLflow token', password: true, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Enter the token') });
      if (!token) return;
      await this.secrets.store(secretKey(uri), JSON.stringify({ kind: 'bearer', token: token.trim() }));
    } else {
      const username = await vscode.window.showInputBox({ title: 'MLflow username', ignoreFocusOut: true });
      if (!username) return;
      const password = await vscode.window.showInputBox({ title: 'MLflow password', password: true, ignoreFocusOut: true });
      if (password === undefined) return;
      await this.secrets.store(secretKey(uri), JSON.stringify({ kind: 'basic', username, password }));
    }
    this.log.info(`tracking credentials for ${new URL(uri).origin} ${kind.value === 'clear' ? 'removed' : 'stored in secret storage'}`);
    await this.refresh();
  }

  /** `mlflow server --backend-store-uri sqlite:///mlflow.db` on 127.0.0.1 with the workspace's Python, stopped with the window. */
  async startLocalServer(): Promise<string | undefined> {
    const project = this.projects.active;
    if (!project) {
      void vscode.window.showWarningMessage('Open a folder with a slipway.yaml first.');
      return undefined;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Slipway starts servers only in a trusted workspace.');
      return undefined;
    }
    const dir = dirname(project.uri.fsPath);
    const loaded = await loadProject(project.uri.fsPath).catch(() => undefined);
    const python = (await selectedPython(project.uri, this.log)) ?? loaded?.pipeline.training?.python ?? 'python3';
    const probe = spawnSync(python, ['-c', 'import mlflow, sys; sys.stdout.write(mlflow.__version__)'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    if (probe.status !== 0) {
      const pick = await vscode.window.showErrorMessage(
        `mlflow is not importable with ${python}. Install it into that environment (pip install mlflow) or select another interpreter, then try again.`,
        'Copy "pip install mlflow"',
      );
      if (pick) await vscode.env.clipboard.writeText(`${python} -m pip install mlflow`);
      return undefined;
    }
    const configured = loaded?.pipeline.tracking.uri ? new URL(loaded.pipeline.tracking.uri) : undefined;
    const port = configured && ['127.0.0.1', 'localhost'].includes(configured.hostname) ? Number(configured.port || 80) : await freePort();
    this.localServer?.kill('SIGTERM');
    const child = spawn(python, ['-m', 'mlflow', 'server', '--backend-store-uri', 'sqlite:///mlflow.db', '--host', '127.0.0.1', '--port', String(port)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.localServer = child;
    child.stdout?.on('data', (d) => this.log.info(`mlflow: ${String(d).trimEnd()}`));
    child.stderr?.on('data', (d) => this.log.info(`mlflow: ${String(d).trimEnd()}`));
    child.on('exit', (code) => this.log.info(`local mlflow server exited (${code})`));
    const uri = `http://127.0.0.1:${port}`;
    this.log.info(`started mlflow ${probe.stdout} on ${uri} in ${dir}`);
    if (!configured) await vscode.workspace.getConfiguration('slipway').update('tracking.uri', uri, vscode.ConfigurationTarget.Workspace);
    for (let i = 0; i < 60; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await this.refresh();
      if (this.current.kind === 'ok') break;
    }
    return uri;
  }

  dispose(): void {
    if (this.localServer?.pid) {
      try {
        process.kill(-this.localServer.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    for (const d of this.disposables) d.dispose();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 5000));
    });
  });
}
