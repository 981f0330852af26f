import * as vscode from 'vscode';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { evaluateGates, formatGate, type GateEvaluation, type ModelVersion } from '../../core/registry/index';
import type { ExperimentsNode, ExperimentsTreeProvider } from './ExperimentsTreeProvider';
import type { ModelsNode, ModelsTreeProvider } from './ModelsTreeProvider';
import { RunsPanel } from './RunsPanel';
import type { TrackingConnection } from './TrackingConnection';

interface Deps {
  context: vscode.ExtensionContext;
  tracking: TrackingConnection;
  experiments: ExperimentsTreeProvider;
  models: ModelsTreeProvider;
  experimentsView: vscode.TreeView<ExperimentsNode>;
  log: vscode.LogOutputChannel;
}

export interface SetAliasArgs {
  name: string;
  version: string;
  alias: string;
  /** override failing gates without asking (recorded as a tag) */
  force?: boolean;
}

export interface SetAliasResult {
  set: boolean;
  gates: GateEvaluation;
  overridden: boolean;
}

const runIdOf = (n: unknown): string | undefined => {
  const node = n as ExperimentsNode | undefined;
  if (node?.kind === 'run' || node?.kind === 'group' || node?.kind === 'artifact' || node?.kind === 'value') return node.run.info.runId;
  return typeof n === 'string' ? n : undefined;
};

/** slipway.experiments.*, slipway.models.*, slipway.tracking.*: thin handlers over core/tracking and core/registry. */
export function registerTrackingCommands(deps: Deps): vscode.Disposable[] {
  const { tracking, experiments, models, log } = deps;
  const reg = vscode.commands.registerCommand;
  const cacheDir = (runId: string) => join(deps.context.globalStorageUri.fsPath, 'artifacts', runId);

  const openArtifact = async (runId: string, path: string): Promise<void> => {
    try {
      const file = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${path}…`, cancellable: true }, (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return tracking.api.mlflow.downloadArtifact(runId, path, cacheDir(runId), { signal: abort.signal });
      });
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file.file), { preview: true });
    } catch (e) {
      void vscode.window.showErrorMessage(`Slipway could not open ${path}: ${(e as Error).message}`);
    }
  };

  const showRuns = (runIds: string[]) => {
    const panel = RunsPanel.show(deps.context.extensionUri, tracking, runIds, log, openArtifact);
    deps.context.subscriptions.push(panel);
    return panel;
  };

  const gatesFor = async (v: ModelVersion): Promise<GateEvaluation> => {
    const gates = tracking.model.name === undefined || tracking.model.name === v.name ? tracking.model.gates : [];
    if (!gates.length) return { passed: true, results: [] };
    if (!v.runId) return { passed: false, results: gates.map((gate) => ({ gate: gate as never, passed: false, reason: `v${v.version} has no source run, so ${formatGate(gate as never)} cannot be checked` })) };
    const run = await tracking.api.mlflow.getRun(v.runId);
    return evaluateGates(gates as never, run.metrics);
  };

  const setAlias = async (args: SetAliasArgs, interactive: boolean): Promise<SetAliasResult> => {
    const { registry } = tracking.api;
    const v = await registry.getModelVersion(args.name, args.version);
    const gates = await gatesFor(v);
    let overridden = false;
    if (!gates.passed) {
      const failing = gates.results.filter((r) => !r.passed).map((r) => r.reason);
      let override = Boolean(args.force);
      if (!override && interactive) {
        const pick = await vscode.window.showWarningMessage(
          `${args.name} v${args.version} fails the promotion gates of model.gates: ${failing.join('; ')}`,
          { modal: true, detail: 'Setting the alias anyway records the override on the version (tag slipway.gate_override).' },
          'Override and Set Alias',
        );
        override = pick === 'Override and Set Alias';
      }
      if (!override) {
        log.info(`alias @${args.alias} → ${args.name} v${args.version} refused: ${failing.join('; ')}`);
        if (!interactive) return { set: false, gates, overridden: false };
        return { set: false, gates, overridden: false };
      }
      overridden = true;
      await registry.setModelVersionTag(args.name, args.version, 'slipway.gate_override', JSON.stringify({ user: userInfo().username, time: new Date().toISOString(), alias: args.alias, failed_gates: failing }));
    }
    await registry.setAlias(args.name, args.alias, args.version);
    log.info(`alias @${args.alias} → ${args.name} v${args.version}${overridden ? ' (gates overridden)' : ''}`);
    models.refresh();
    return { set: true, gates, overridden };
  };

  return [
    reg('slipway.tracking.check', () => tracking.check()),
    reg('slipway.tracking.setCredentials', () => tracking.setCredentials()),
    reg('slipway.tracking.startLocal', () => tracking.startLocalServer()),
    reg('slipway.experiments.refresh', async () => {
      await tracking.check();
      experiments.refresh();
    }),
    reg('slipway.experiments.loadMore', (node: ExperimentsNode) => experiments.loadMore(node)),
    reg('slipway.experiments.filter', async (filter?: string) => {
      const value =
        typeof filter === 'string'
          ? filter
          : await vscode.window.showInputBox({
              title: 'Filter runs (MLflow search syntax)',
              value: experiments.filter,
              placeHolder: "metrics.val_auc > 0.8 and params.max_depth = '8'",
              prompt: 'Empty shows every run',
            });
      if (value === undefined) return;
      experiments.filter = value.trim();
      experiments.refresh();
    }),
    reg('slipway.experiments.sort', async (orderBy?: string) => {
      const metric = tracking.model.gates[0]?.metric;
      const options = [
        { label: 'Newest first', value: 'attributes.start_time DESC' },
        { label: 'Oldest first', value: 'attributes.start_time ASC' },
        { label: 'Name', value: 'attributes.run_name ASC' },
        ...(metric ? [{ label: `${metric}, highest first`, value: `metrics.${metric} DESC` }, { label: `${metric}, lowest first`, value: `metrics.${metric} ASC` }] : []),
      ];
      const value = typeof orderBy === 'string' ? orderBy : (await vscode.window.showQuickPick(options, { title: 'Sort runs' }))?.value;
      if (!value) return;
      experiments.orderBy = value;
      experiments.refresh();
    }),
    reg('slipway.experiments.toggleDeleted', () => {
      experiments.showDeleted = !experiments.showDeleted;
      void vscode.window.showInformationMessage(experiments.showDeleted ? 'Showing deleted runs and experiments too.' : 'Hiding deleted runs and experiments.');
      experiments.refresh();
    }),
    reg('slipway.experiments.openRun', (node?: unknown) => {
      const id = runIdOf(node);
      if (id) return showRuns([id]);
      return undefined;
    }),
    reg('slipway.experiments.compare', (node?: unknown, nodes?: unknown[]) => {
      const ids = (nodes?.length ? nodes : node ? [node] : deps.experimentsView.selection).map(runIdOf).filter((x): x is string => Boolean(x));
      if (ids.length < 2) {
        void vscode.window.showInformationMessage('Select two or more runs (Ctrl/Cmd-click) in the Experiments view to compare them.');
        return ids.length === 1 ? showRuns(ids) : undefined;
      }
      return showRuns(ids);
    }),
    reg('slipway.experiments.openArtifact', (node: ExperimentsNode) => (node.kind === 'artifact' ? openArtifact(node.run.info.runId, node.file.path) : undefined)),
    reg('slipway.experiments.downloadArtifact', async (node: ExperimentsNode) => {
      if (node.kind !== 'artifact') return;
      const target = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Download Here', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
      if (!target?.[0]) return;
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${node.file.path}`, cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const files = node.file.isDir
          ? await tracking.api.mlflow.downloadArtifacts(node.run.info.runId, node.file.path, target[0]!.fsPath, { signal: abort.signal, onProgress: (p) => progress.report({ message: `${(p.bytes / 1024).toFixed(0)} KiB` }) })
          : [await tracking.api.mlflow.downloadArtifact(node.run.info.runId, node.file.path, target[0]!.fsPath, { signal: abort.signal, onProgress: (p) => progress.report({ message: `${(p.bytes / 1024).toFixed(0)} KiB` }) })];
        void vscode.window.showInformationMessage(`Downloaded ${files.length} file(s) to ${target[0]!.fsPath}.`);
      });
    }),
    reg('slipway.models.refresh', async () => {
      await tracking.check();
      models.refresh();
    }),
    reg('slipway.models.register', async (node?: unknown, args?: { name?: string; artifactPath?: string }) => {
      const n = node as ExperimentsNode | undefined;
      const runId = runIdOf(node);
      if (!runId) return undefined;
      let artifactPath = args?.artifactPath ?? (n?.kind === 'artifact' ? n.file.path : undefined);
      if (!artifactPath) {
        const dirs = (await tracking.api.mlflow.listArtifacts(runId)).files.filter((f) => f.isDir).map((f) => f.path);
        artifactPath = dirs.length === 1 ? dirs[0] : await vscode.window.showQuickPick(dirs.length ? dirs : ['model'], { title: 'Which artifact folder holds the model?' });
        if (!artifactPath) return undefined;
      }
      const name = args?.name ?? (await vscode.window.showInputBox({ title: 'Register the model as', value: tracking.model.name ?? 'model', validateInput: (v) => (v.trim() ? undefined : 'Enter a name') }));
      if (!name) return undefined;
      try {
        const { registry } = tracking.api;
        try {
          await registry.getRegisteredModel(name);
        } catch {
          await registry.createRegisteredModel(name);
        }
        const v = await registry.createModelVersionFromRun(name, runId, artifactPath);
        log.info(`registered ${name} v${v.version} from run ${runId} (${artifactPath})`);
        void vscode.window.showInformationMessage(`Registered ${name} v${v.version} from run ${runId.slice(0, 8)}.`);
        models.refresh();
        return v;
      } catch (e) {
        void vscode.window.showErrorMessage(`Slipway could not register the model: ${(e as Error).message}`);
        return undefined;
      }
    }),
    reg('slipway.models.setAlias', async (nodeOrArgs?: ModelsNode | SetAliasArgs) => {
      try {
        if (nodeOrArgs && 'alias' in nodeOrArgs) return await setAlias(nodeOrArgs, false);
        const node = nodeOrArgs as ModelsNode | undefined;
        if (node?.kind !== 'version') return undefined;
        const v = node.version;
        const alias = await vscode.window.showInputBox({ title: `Alias for ${v.name} v${v.version}`, value: 'champion', prompt: 'Moves the alias here if another version has it', validateInput: (s) => (/^[A-Za-z][\w-]*$/.test(s) && !/^(latest|v\d+)$/i.test(s) ? undefined : 'Letters, digits, - and _; not "latest" or "v<n>"') });
        if (!alias) return undefined;
        const result = await setAlias({ name: v.name, version: v.version, alias }, true);
        if (result.set) void vscode.window.showInformationMessage(`@${alias} → ${v.name} v${v.version}${result.overridden ? ' (gates overridden, recorded)' : ''}.`);
        return result;
      } catch (e) {
        void vscode.window.showErrorMessage(`Slipway could not set the alias: ${(e as Error).message}`);
        return undefined;
      }
    }),
    reg('slipway.models.deleteAlias', async (node?: ModelsNode, alias?: string) => {
      if (node?.kind !== 'version' || !node.version.aliases.length) return;
      const which = alias ?? (node.version.aliases.length === 1 ? node.version.aliases[0] : await vscode.window.showQuickPick([...node.version.aliases], { title: 'Remove which alias?' }));
      if (!which) return;
      await tracking.api.registry.deleteAlias(node.version.name, which);
      log.info(`alias @${which} removed from ${node.version.name}`);
      models.refresh();
    }),
    reg('slipway.models.addTag', async (node?: ModelsNode) => {
      if (node?.kind !== 'version') return;
      const pair = await vscode.window.showInputBox({ title: `Tag ${node.version.name} v${node.version.version}`, placeHolder: 'key=value', validateInput: (s) => (/^[^=\s]+=.*$/.test(s) ? undefined : 'key=value') });
      if (!pair) return;
      const eq = pair.indexOf('=');
      await tracking.api.registry.setModelVersionTag(node.version.name, node.version.version, pair.slice(0, eq), pair.slice(eq + 1));
      models.refresh();
    }),
    reg('slipway.models.openSourceRun', (node?: ModelsNode) => (node?.kind === 'version' && node.version.runId ? showRuns([node.version.runId]) : undefined)),
    reg('slipway.models.download', async (node?: ModelsNode) => {
      if (node?.kind !== 'version') return;
      const target = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Download Here', defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
      if (!target?.[0]) return;
      const dest = join(target[0].fsPath, `${node.version.name}-v${node.version.version}`);
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${node.version.name} v${node.version.version}`, cancellable: true }, async (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        const files = await tracking.api.registry.downloadModelVersion(node.version.name, node.version.version, dest, { signal: abort.signal });
        void vscode.window.showInformationMessage(`Downloaded ${files.length} file(s) to ${dest}.`);
      });
    }),
  ];
}
