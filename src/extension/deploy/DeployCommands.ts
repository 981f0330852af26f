import * as vscode from 'vscode';
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import {
  checkGates,
  defaultImage,
  deployGuard,
  localModel,
  registryOf,
  renderNotes,
  renderServing,
  writeGitops,
  type DeployModel,
  type GateEvaluator,
  type RolloutResult,
} from '../../core/deploy/index';
import { evaluateGates } from '../../core/registry/index';
import { loadKube } from '../../core/kube/load';
import { loadProject, type LoadedProject } from '../../core/project/loadProject';
import type { ProjectStore } from '../project/ProjectStore';
import type { TrackingConnection } from '../tracking/TrackingConnection';
import { requireTrust } from '../training/TrainingCommands';
import type { EditorModels } from './EditorModels';
import type { RegistryCredentials } from './RegistryCredentials';

/** What names the model to build or deploy: a models:/ URI, a folder (or its model.onnx), or a version item of the Models view. */
export type ModelArg = string | vscode.Uri | { kind: 'version'; version: { name: string; version: string } } | undefined;

export interface BuildImageArgs {
  readonly model?: ModelArg;
  /** push after the build (default: ask, when serving.image names a registry) */
  readonly push?: boolean;
  /** no questions: for tests and callers that decided */
  readonly interactive?: boolean;
}

export interface BuildImageResult {
  readonly tag: string;
  readonly id: string;
  readonly dockerfile: string;
  readonly model: { readonly name: string; readonly version: string };
  readonly pushed?: { readonly digest?: string };
}

export interface DeployArgs {
  readonly model?: ModelArg;
  /** deploy past failing model.gates without asking (recorded like an interactive override) */
  readonly force?: boolean;
  readonly interactive?: boolean;
  /** watch the rollout until ready or failed (default true) */
  readonly wait?: boolean;
}

export interface DeployResult {
  readonly outcome: 'deployed' | 'applied' | 'failed' | 'gitops' | 'refused' | 'cancelled';
  readonly model?: { readonly name: string; readonly version: string };
  readonly image?: string;
  readonly overridden?: boolean;
  readonly message: string;
  readonly rollout?: RolloutResult;
  readonly files?: readonly string[];
}

interface Deps {
  readonly projects: ProjectStore;
  readonly tracking: TrackingConnection;
  readonly models: EditorModels;
  readonly registryCredentials: RegistryCredentials;
  readonly log: vscode.LogOutputChannel;
  readonly buildLog: vscode.OutputChannel;
}

const evaluate: GateEvaluator = (gates, metrics) => evaluateGates(gates, metrics);
const who = () => process.env.SLIPWAY_USER || userInfo().username;
const setting = <T>(key: string, fallback: T): T => vscode.workspace.getConfiguration('slipway').get<T>(key, fallback);

/** The active project, loaded and free of errors; else says what to fix and returns undefined. */
async function validProject(projects: ProjectStore, what: string): Promise<LoadedProject | undefined> {
  const active = projects.active;
  if (!active) {
    void vscode.window.showErrorMessage(`Slipway: ${what} needs a slipway.yaml in the workspace.`, 'New Project').then((p) => p && vscode.commands.executeCommand('slipway.init'));
    return undefined;
  }
  const project = await loadProject(active.uri.fsPath);
  if (project.errors.length) {
    void vscode.window.showErrorMessage(`Slipway: ${relative(dirname(project.dir), project.path)} has ${project.errors.length} error(s); fix them before ${what.toLowerCase()}.`, 'Show Problems').then(
      (p) => p && vscode.commands.executeCommand('workbench.actions.view.problems'),
    );
    return undefined;
  }
  return project;
}

/** The folder a trained model is written to by the project's training (train.py --out), when it holds one. */
function trainedFolder(project: LoadedProject): string | undefined {
  for (const dir of [join(project.dir, 'artifacts', 'model'), join(resolve(project.dir, project.pipeline.artifacts.uri), 'model')]) {
    if (existsSync(join(dir, 'model.onnx')) && existsSync(join(dir, 'model.json'))) return dir;
  }
  return undefined;
}

/** models:/ URI or a local folder, from the argument or asked. */
async function pickModelRef(arg: ModelArg, project: LoadedProject, tracking: TrackingConnection, interactive: boolean): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return statSync(arg.fsPath).isFile() ? dirname(arg.fsPath) : arg.fsPath;
  if (typeof arg === 'string') return arg;
  if (arg && typeof arg === 'object' && arg.kind === 'version') return `models:/${arg.version.name}/${arg.version.version}`;
  const alias = project.pipeline.deploy?.alias ?? 'champion';
  const registryRef = `models:/${project.pipeline.model.name}@${alias}`;
  const trained = trainedFolder(project);
  if (!interactive) return tracking.configured ? registryRef : trained;
  type Item = vscode.QuickPickItem & { ref?: string; choose?: boolean };
  const items: Item[] = [
    ...(tracking.configured ? [{ label: `$(library) ${registryRef}`, description: 'the registry version the alias points to', ref: registryRef }] : []),
    ...(trained ? [{ label: `$(folder) ${relative(project.dir, trained)}`, description: 'the model trained locally (model.onnx + model.json)', ref: trained }] : []),
    { label: '$(folder-opened) Choose a Model Folder…', description: 'a folder with model.onnx and model.json', choose: true },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Which model?', placeHolder: tracking.configured ? 'a registry version or a local folder' : 'no tracking server: a local model folder' });
  if (!picked) return undefined;
  if (!picked.choose) return picked.ref;
  const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, defaultUri: vscode.Uri.file(project.dir), title: 'Folder with model.onnx and model.json' });
  return folder?.[0]?.fsPath;
}

async function resolveRef(deps: Deps, project: LoadedProject, ref: string): Promise<DeployModel> {
  if (/^models:\//.test(ref)) {
    if (!deps.tracking.configured) throw new Error(`${ref} is a registry version, and no MLflow tracking server is set: set tracking.uri in slipway.yaml, or pick a local model folder`);
    return deps.models.deployModel(project, ref);
  }
  return localModel(resolve(project.dir, ref), { modelName: project.pipeline.model.name });
}

function cancellable<T>(title: string, work: (signal: AbortSignal, report: (message: string) => void) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    return work(abort.signal, (message) => progress.report({ message }));
  });
}

/** `Slipway: Build Serving Image` and `Slipway: Deploy Model`. */
export function registerDeployCommands(deps: Deps): vscode.Disposable[] {
  const { log, buildLog } = deps;

  const push = async (tag: string, interactive: boolean): Promise<{ digest?: string } | undefined> => {
    const server = registryOf(tag);
    const kube = loadKube();
    for (let attempt = 0; attempt < 2; attempt++) {
      const auth = await deps.registryCredentials.get(server);
      try {
        const digest = await cancellable(`Pushing ${tag}…`, (signal) => kube.pushImage(tag, auth, (t) => buildLog.append(t), { signal }));
        buildLog.appendLine(`pushed ${tag}${digest ? ` (${digest})` : ''}`);
        log.info(`pushed ${tag}${digest ? ` (${digest})` : ''}${auth ? ` as ${auth.username}` : ' without credentials'}`);
        return digest ? { digest } : {};
      } catch (e) {
        const message = (e as Error).message;
        log.error(`push of ${tag} failed: ${message}`);
        const denied = /unauthori[sz]ed|authentication required|denied|no basic auth credentials|401/i.test(message);
        if (!denied || !interactive || attempt > 0) throw e;
        const pick = await vscode.window.showErrorMessage(`Slipway could not push ${tag}: ${message}`, 'Set Registry Credentials');
        if (pick !== 'Set Registry Credentials' || !(await deps.registryCredentials.prompt(server))) throw e;
      }
    }
    return undefined;
  };

  const buildImage = async (arg?: BuildImageArgs | ModelArg): Promise<BuildImageResult | undefined> => {
    const args: BuildImageArgs = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && !('kind' in arg) ? arg : { model: arg as ModelArg };
    const interactive = args.interactive ?? true;
    if (!(await requireTrust())) return undefined;
    const project = await validProject(deps.projects, 'Building a serving image');
    if (!project) return undefined;
    try {
      const ref = await pickModelRef(args.model, project, deps.tracking, interactive);
      if (!ref) {
        if (!interactive) throw new Error('no model to build: train one (Run Training Locally writes artifacts/model) or set tracking.uri to use the registry');
        return undefined;
      }
      const m = await resolveRef(deps, project, ref);
      if (!m.localDir) throw new Error(`${ref} has no local copy to build an image from`);
      const tag = defaultImage(project.pipeline, m.version);
      // the context stays in .slipway/image so the Dockerfile can be read after the build
      const contextDir = join(project.dir, '.slipway', 'image');
      await rm(contextDir, { recursive: true, force: true });
      await mkdir(contextDir, { recursive: true });
      const baseImage = setting<string>('serving.baseImage', '').trim();
      buildLog.clear();
      buildLog.show(true);
      buildLog.appendLine(`building ${tag} from ${m.localDir} (${m.name} version ${m.version})${baseImage ? ` on ${baseImage}` : ''}`);
      log.info(`building serving image ${tag} for ${m.name} version ${m.version}`);
      const kube = loadKube();
      const built = await cancellable(`Building ${tag}…`, (signal) =>
        kube.buildServeImage(
          contextDir,
          tag,
          {
            modelDir: m.localDir!,
            modelName: m.name,
            port: project.pipeline.serving.port,
            ...(baseImage ? { baseImage } : {}),
            labels: { 'org.opencontainers.image.title': `${project.pipeline.name} model service`, 'slipway.dev/model': m.name, 'slipway.dev/model-version': m.version },
          },
          (t) => buildLog.append(t),
          { signal },
        ),
      );
      buildLog.appendLine(`built ${tag} (${built.id.slice(0, 19)})`);
      log.info(`built ${tag} (${built.id.slice(0, 19)})`);
      let doPush = args.push;
      if (doPush === undefined && interactive) {
        const pick = await vscode.window.showInformationMessage(`Built ${tag} (${m.name} version ${m.version}).`, 'Push to ' + registryOf(tag), 'Open Dockerfile');
        if (pick === 'Open Dockerfile') await vscode.window.showTextDocument(vscode.Uri.file(join(contextDir, 'Dockerfile')), { preview: true });
        doPush = pick?.startsWith('Push') ?? false;
      }
      const pushed = doPush ? await push(tag, interactive) : undefined;
      if (pushed) void vscode.window.showInformationMessage(`Pushed ${tag}${pushed.digest ? ` (${pushed.digest.slice(0, 19)})` : ''}.`);
      return { tag, id: built.id, dockerfile: join(contextDir, 'Dockerfile'), model: { name: m.name, version: m.version }, ...(pushed ? { pushed } : {}) };
    } catch (e) {
      const message = (e as Error).message;
      log.error(`build serving image: ${message}`);
      buildLog.appendLine(`failed: ${message}`);
      if (!interactive) throw e;
      void vscode.window.showErrorMessage(`Slipway could not build the serving image: ${message}`, 'Show Build Log').then((p) => p && buildLog.show());
      return undefined;
    }
  };

  const deploy = async (arg?: DeployArgs | ModelArg): Promise<DeployResult | undefined> => {
    const args: DeployArgs = arg && typeof arg === 'object' && !(arg instanceof vscode.Uri) && !('kind' in arg) ? arg : { model: arg as ModelArg };
    const interactive = args.interactive ?? true;
    if (!(await requireTrust())) return undefined;
    const project = await validProject(deps.projects, 'Deploying');
    if (!project) return undefined;
    const spec = project.pipeline.deploy;
    if (!spec) {
      const message = 'slipway.yaml has no deploy section: add deploy: { target: kubernetes, namespace: <ns> } (or target: kserve)';
      if (!interactive) return { outcome: 'refused', message };
      void vscode.window.showErrorMessage(`Slipway: ${message}`, 'Edit Deployment Settings').then((p) => p && vscode.commands.executeCommand('slipway.project.reveal', ['deploy']));
      return undefined;
    }
    try {
      const ref = await pickModelRef(args.model, project, deps.tracking, interactive);
      if (!ref) return interactive ? undefined : { outcome: 'refused', message: 'no model to deploy: train one or set tracking.uri' };
      const m = await resolveRef(deps, project, ref);
      const fromRegistry = /^models:\//.test(ref);

      // only versions that pass model.gates are deployed; an override asks and is recorded
      const gates = checkGates(m, project.pipeline.model.gates, evaluate);
      let force = args.force ?? false;
      if (!gates.passed && !force && interactive) {
        const failing = gates.results.filter((r) => !r.passed).map((r) => r.reason);
        const pick = await vscode.window.showWarningMessage(
          `${m.name} version ${m.version} fails the promotion gates of model.gates: ${failing.join('; ')}`,
          { modal: true, detail: `Deploying it anyway records the override (who, when, which gates) on the ${spec.target === 'kserve' ? 'InferenceService' : 'Deployment'}${fromRegistry ? ' and on the registry version' : ''}.` },
          'Deploy Anyway',
        );
        force = pick === 'Deploy Anyway';
      }
      const decision = deployGuard(m, gates, { force, who: who() });
      if (!decision.allowed) {
        log.warn(`deploy refused: ${decision.message}`);
        if (interactive && !force) void vscode.window.showErrorMessage(`Slipway did not deploy: ${decision.message}`);
        return { outcome: 'refused', model: { name: m.name, version: m.version }, message: decision.message };
      }
      if (decision.overridden) {
        log.warn(decision.message);
        if (decision.tag && fromRegistry) await deps.models.recordOverride(project, m, decision.tag);
      }
      const image = defaultImage(project.pipeline, m.version);
      const hostNetwork = setting<boolean>('deploy.hostNetwork', false);
      const renderOptions = { image, annotations: decision.annotations, ...(hostNetwork ? { hostNetwork: true } : {}) };
      for (const note of renderNotes(project.pipeline)) log.info(`deploy: ${note}`);
      const model = { name: m.name, version: m.version };

      if (spec.gitops) {
        const objects = renderServing(project.pipeline, m, { ...renderOptions, hpaApiVersion: 'autoscaling/v2' });
        const dir = resolve(project.dir, spec.gitops);
        const { written, removed } = await writeGitops(dir, objects);
        const message = `deploy.gitops is set: wrote ${written.length} file(s) to ${relative(project.dir, dir)}${removed.length ? ` (removed ${removed.join(', ')})` : ''} and applied nothing; commit them for Argo CD or Flux`;
        log.info(message);
        if (interactive) void vscode.window.showInformationMessage(`Slipway ${message}.`, 'Reveal Folder').then((p) => p && vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(dir)));
        return { outcome: 'gitops', model, image, overridden: decision.overridden, message, files: written.map((f) => join(dir, f)) };
      }

      const kube = loadKube();
      const client = new kube.DeployClient(spec.context ? { context: spec.context } : {});
      const hpaApiVersion = spec.autoscale ? await client.hpaApiVersion() : undefined;
      const objects = renderServing(project.pipeline, m, { ...renderOptions, ...(hpaApiVersion ? { hpaApiVersion } : {}) });
      await client.apply(objects);
      for (const o of objects) log.info(`applied ${o.kind} ${o.metadata.namespace}/${o.metadata.name} (${o.apiVersion}, context ${client.context})`);
      const workload = kube.workloadOf(objects);
      const where = `${workload.kind} ${workload.namespace}/${workload.name}`;
      void vscode.commands.executeCommand('slipway.deployments.refresh').then(undefined, () => undefined);
      if (args.wait === false) return { outcome: 'applied', model, image, overridden: decision.overridden, message: `${where}: ${m.name} version ${m.version} applied` };

      const rollout = await cancellable(`Deploying ${m.name} version ${m.version} to ${where}`, (signal, report) =>
        client.watch(workload, { signal, onProgress: (e) => (report(`${e.ready}/${e.desired} ready: ${e.message}`), log.info(`rollout ${where}: [${e.ready}/${e.desired}] ${e.message}`)) }),
      );
      void vscode.commands.executeCommand('slipway.deployments.refresh').then(undefined, () => undefined);
      const message =
        rollout.phase === 'ready'
          ? `${where} runs ${m.name} version ${m.version}: ${rollout.message}`
          : rollout.phase === 'unknown'
            ? `${where} was applied, but ${rollout.message}`
            : `${where} failed to roll out ${m.name} version ${m.version}: ${rollout.message}`;
      log[rollout.phase === 'ready' ? 'info' : 'warn'](message);
      if (interactive) {
        if (rollout.phase === 'ready') void vscode.window.showInformationMessage(`Slipway: ${message}`);
        else if (rollout.phase === 'unknown') void vscode.window.showWarningMessage(`Slipway: ${message}`);
        else {
          void vscode.window.showErrorMessage(`Slipway: ${message}`, 'Roll Back', 'Show Log').then(async (pick) => {
            if (pick === 'Show Log') log.show();
            if (pick === 'Roll Back') {
              try {
                const r = await client.rollback(workload);
                void vscode.window.showInformationMessage(`Slipway rolled ${where} back${r.toVersion ? ` to version ${r.toVersion}` : ''}.`);
                void vscode.commands.executeCommand('slipway.deployments.refresh').then(undefined, () => undefined);
              } catch (e) {
                void vscode.window.showErrorMessage(`Slipway could not roll back ${where}: ${(e as Error).message}`);
              }
            }
          });
        }
      }
      const outcome = rollout.phase === 'ready' ? 'deployed' : rollout.phase === 'unknown' ? 'applied' : rollout.message.startsWith('cancelled') ? 'cancelled' : 'failed';
      return { outcome, model, image, overridden: decision.overridden, message, rollout };
    } catch (e) {
      const message = (e as Error).message;
      log.error(`deploy: ${message}`);
      if (!interactive) throw e;
      void vscode.window.showErrorMessage(`Slipway could not deploy: ${message}`, 'Show Log').then((p) => p && log.show());
      return undefined;
    }
  };

  return [
    vscode.commands.registerCommand('slipway.deploy.buildImage', buildImage),
    vscode.commands.registerCommand('slipway.deploy.deploy', deploy),
    vscode.commands.registerCommand('slipway.deploy.setRegistryCredentials', async (server?: string | { server: string; username: string; password: string }) => {
      // programmatic use (other extensions, tests): the credentials as an argument, stored without asking
      if (server && typeof server === 'object') {
        if (!server.server || !server.username || !server.password) throw new Error('setRegistryCredentials needs { server, username, password }');
        await deps.registryCredentials.set(server.server, server);
        return server.server;
      }
      const project = deps.projects.active ? await loadProject(deps.projects.active.uri.fsPath).catch(() => undefined) : undefined;
      return deps.registryCredentials.prompt(server ?? (project ? registryOf(defaultImage(project.pipeline, '0')) : undefined));
    }),
  ];
}
