import * as vscode from 'vscode';
import { userInfo } from 'node:os';
import { loadKube, type Kube } from '../../core/kube/load';
import { loadProject } from '../../core/project/loadProject';
import type { ServingStatus } from '../../core/deploy/types';
import type { ProjectStore } from '../project/ProjectStore';
import { TryPanel } from '../serving/TryPanel';
import { requireTrust } from '../training/TrainingCommands';
import { deploymentLogUri } from './DeploymentLogProvider';
import { shortVersion, type DeploymentsNode, type DeploymentsTreeProvider } from './DeploymentsTreeProvider';

interface Deps {
  context: vscode.ExtensionContext;
  projects: ProjectStore;
  tree: DeploymentsTreeProvider;
  log: vscode.LogOutputChannel;
  kube?: () => Kube;
}

/** What a command acts on: a tree item, or (tests, other commands) the workload's fields. */
type Target = Pick<ServingStatus, 'kind' | 'name' | 'namespace'> & Partial<ServingStatus> & { fromProject?: boolean };

export interface DeleteOptions {
  /** false: no confirmation dialog (integration tests: a modal cannot be answered from the extension host) */
  confirm?: boolean;
}

function targetOf(arg: unknown): Target | undefined {
  const node = arg as DeploymentsNode | undefined;
  if (node?.kind === 'workload') return { ...node.status, fromProject: node.group.source === 'slipway.yaml' };
  const t = arg as Partial<Target> | undefined;
  if (t && (t.kind === 'Deployment' || t.kind === 'InferenceService') && typeof t.name === 'string' && typeof t.namespace === 'string') return t as Target;
  return undefined;
}

const what = (t: Target) => `${t.kind} ${t.namespace}/${t.name}`;
const who = () => process.env.SLIPWAY_USER || userInfo().username || 'unknown';

/** slipway.deployments.*: thin handlers over core/deploy (through the lazily loaded Kubernetes bundle). */
export function registerDeploymentsCommands(deps: Deps): vscode.Disposable[] {
  const { tree, log } = deps;
  const kube = deps.kube ?? loadKube;
  const reg = vscode.commands.registerCommand;

  /** The workload of the argument, else one picked from the last listing. */
  const pick = async (arg: unknown, filter: (s: ServingStatus) => boolean = () => true, purpose = 'Choose a deployment'): Promise<Target | undefined> => {
    const given = targetOf(arg);
    if (given) return given;
    const snapshot = tree.snapshot ?? (await tree.load());
    const items = snapshot.groups.flatMap((g) => g.items.filter(filter).map((status) => ({ status, fromProject: g.source === 'slipway.yaml' })));
    if (!items.length) {
      void vscode.window.showInformationMessage('Nothing deployed to act on: the Deployments view lists what the project has in its namespaces.');
      return undefined;
    }
    const chosen = await vscode.window.showQuickPick(
      items.map((i) => ({ label: i.status.name, description: `${i.status.kind} · ${i.status.context} · ${i.status.namespace}`, detail: i.status.modelVersion ? `version ${shortVersion(i.status.modelVersion)}` : undefined, item: i })),
      { title: purpose },
    );
    return chosen ? { ...chosen.item.status, fromProject: chosen.item.fromProject } : undefined;
  };

  const clientFor = (t: Target) => {
    const k = kube();
    return { k, client: new k.DeployClient(t.context ? { context: t.context } : {}) };
  };

  const fail = (verb: string, t: Target, e: unknown) => {
    const message = `Slipway could not ${verb} ${what(t)}: ${(e as Error).message}`;
    log.error(message);
    void vscode.window.showErrorMessage(message);
  };

  /** With deploy.gitops, Argo CD or Flux owns the project's target: a change made here would be reverted. */
  const gitopsRefusal = async (t: Target, verb: string): Promise<boolean> => {
    if (!t.fromProject || !deps.projects.active) return false;
    const project = await loadProject(deps.projects.active.uri.fsPath).catch(() => undefined);
    const gitops = project?.pipeline.deploy?.gitops;
    if (!gitops) return false;
    void vscode.window.showWarningMessage(`deploy.gitops is set: ${verb} by committing to ${gitops} (Argo CD or Flux applies it); a change made in the cluster would be reverted.`);
    return true;
  };

  const showLogs = async (arg?: unknown): Promise<vscode.Uri | undefined> => {
    const t = await pick(arg, undefined, 'Show the logs of');
    if (!t?.context) {
      if (t) void vscode.window.showErrorMessage(`Slipway needs the Kubernetes context of ${what(t)} to read its logs.`);
      return undefined;
    }
    const uri = deploymentLogUri({ kind: t.kind, name: t.name, namespace: t.namespace, context: t.context });
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: false });
    return uri;
  };

  const tryLive = async (arg?: unknown): Promise<TryPanel | undefined> => {
    const t = await pick(arg, (s) => s.ready > 0, 'Try the live model of');
    if (!t) return undefined;
    try {
      const project = deps.projects.active ? await loadProject(deps.projects.active.uri.fsPath).catch(() => undefined) : undefined;
      const modelName = t.model || project?.pipeline.model.name;
      if (!modelName) throw new Error('it names no model (slipway.dev/model) and slipway.yaml has no model.name');
      const forward = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Connecting to ${t.name} in ${t.namespace}…`, cancellable: true },
        (_p, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          const { k, client } = clientFor(t);
          return k.portForward(client, t, { signal: abort.signal, onError: (m) => log.warn(`port-forward: ${m}`) });
        },
      );
      log.info(`port-forward 127.0.0.1:${forward.localPort} → pod ${t.namespace}/${forward.pod}:${forward.containerPort} (${what(t)})`);
      const panel = new TryPanel(deps.context.extensionUri, {
        endpoint: `http://127.0.0.1:${forward.localPort}`,
        modelName,
        onClose: () => {
          log.info(`port-forward 127.0.0.1:${forward.localPort} closed`);
          void forward.close();
        },
      });
      deps.context.subscriptions.push(panel);
      return panel;
    } catch (e) {
      if ((e as { kind?: string }).kind !== 'cancelled') fail('connect to', t, e);
      return undefined;
    }
  };

  const promote = async (arg?: unknown) => {
    if (!(await requireTrust())) return undefined;
    const t = await pick(arg, (s) => s.kind === 'InferenceService' && s.canaryPercent !== undefined && s.canaryPercent < 100, 'Promote the canary of');
    if (!t || (await gitopsRefusal(t, 'promote the canary'))) return undefined;
    try {
      const { k, client } = clientFor(t);
      const done = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Promoting the canary of ${t.name}…` }, () => k.promoteCanary(client, t, { who: who() }));
      log.info(`${what(t)}: ${done.record}`);
      void vscode.window.showInformationMessage(`${t.name}: the canary${done.modelVersion ? ` (version ${shortVersion(done.modelVersion)})` : ''} now takes all the traffic (it had ${done.fromPercent}%).`);
      tree.refresh();
      return done;
    } catch (e) {
      fail('promote the canary of', t, e);
      return undefined;
    }
  };

  const rollback = async (arg?: unknown) => {
    if (!(await requireTrust())) return undefined;
    const t = await pick(arg, undefined, 'Roll back');
    if (!t || (await gitopsRefusal(t, 'roll back'))) return undefined;
    try {
      const { client } = clientFor(t);
      const done = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Rolling back ${t.name}…` }, () => client.rollback(t));
      const from = done.fromVersion ? `version ${shortVersion(done.fromVersion)}` : 'the current version';
      const to = done.toVersion ? `version ${shortVersion(done.toVersion)}` : 'the previous version';
      const images = done.fromImage && done.toImage && done.fromVersion === done.toVersion ? ` (${done.fromImage} → ${done.toImage})` : '';
      log.info(`rolled back ${what(t)} from ${from} to ${to}${images}${done.toRevision ? ` (revision ${done.toRevision})` : ''}`);
      void vscode.window.showInformationMessage(`Rolling back ${t.name} from ${from} to ${to}${images}: the view follows the rollout.`);
      tree.refresh();
      return done;
    } catch (e) {
      fail('roll back', t, e);
      return undefined;
    }
  };

  const remove = async (arg?: unknown, options?: DeleteOptions) => {
    if (!(await requireTrust())) return undefined;
    const t = await pick(arg, undefined, 'Delete');
    if (!t) return undefined;
    if (options?.confirm !== false) {
      const gitops = t.fromProject && deps.projects.active ? (await loadProject(deps.projects.active.uri.fsPath).catch(() => undefined))?.pipeline.deploy?.gitops : undefined;
      const parts = t.kind === 'Deployment' ? `the Deployment ${t.name}, its Service and its autoscaler` : `the InferenceService ${t.name}`;
      const answer = await vscode.window.showWarningMessage(
        `Delete ${parts} from namespace ${t.namespace}${t.context ? ` (context ${t.context})` : ''}?`,
        {
          modal: true,
          detail: `It stops serving ${t.model ?? 'the model'}${t.modelVersion ? ` version ${shortVersion(t.modelVersion)}` : ''} there. Deploy again to bring it back.${gitops ? ` deploy.gitops is set: Argo CD or Flux recreates what ${gitops} describes unless you remove it there.` : ''}`,
        },
        'Delete',
      );
      if (answer !== 'Delete') return undefined;
    }
    try {
      const { k, client } = clientFor(t);
      const done = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Deleting ${t.name}…`, cancellable: true }, (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return k.deleteServing(client, t, { signal: abort.signal });
      });
      log.info(`deleted ${done.deleted.join(', ')}`);
      void vscode.window.showInformationMessage(`Deleted ${done.deleted.join(', ')}.`);
      tree.refresh();
      return done;
    } catch (e) {
      fail('delete', t, e);
      tree.refresh();
      return undefined;
    }
  };

  return [
    reg('slipway.deployments.refresh', () => tree.refresh()),
    reg('slipway.deployments.showLogs', showLogs),
    reg('slipway.deployments.tryLive', tryLive),
    reg('slipway.deployments.promote', promote),
    reg('slipway.deployments.rollback', rollback),
    reg('slipway.deployments.delete', remove),
  ];
}
