import * as vscode from 'vscode';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadProject, type LoadedProject } from '../../core/project/loadProject';
import type { ServingEndpoint, ServingServer as ServingServerType } from '../../core/serving/index';
import type { ProjectStore } from '../project/ProjectStore';
import { requireTrust } from '../training/TrainingCommands';
import { TryPanel } from './TryPanel';

type Serving = typeof import('../../core/serving/index');
// onnxruntime is native and heavy: loaded when a model is first served or tried
let servingModule: Serving | undefined;
const serving = async (): Promise<Serving> => (servingModule ??= await import('../../core/serving/index.js'));
type OnlineStore = import('../../core/features/index').OnlineStore;
const ONLINE_STORE = '.slipway/online.duckdb'; // DEFAULT_ONLINE_STORE, without loading the feature store to know it

/** A row of the reference data, read with DuckDB, for the Try panel's first request. */
async function readRow(path: string, columns: readonly string[]): Promise<Record<string, unknown> | undefined> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    const quoted = columns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
    const reader = /\.csv$/i.test(path) ? 'read_csv_auto' : /\.jsonl?$/i.test(path) ? 'read_json_auto' : 'read_parquet';
    const result = await con.runAndReadAll(`SELECT ${quoted} FROM ${reader}('${path.replace(/'/g, "''")}') LIMIT 1`);
    return result.getRowObjects()[0] as Record<string, unknown> | undefined;
  } finally {
    con.closeSync();
  }
}

/** Resolves a models:/ URI to the version's local .onnx file (the registry, through the tracking connection). */
export type RegistryFile = (project: LoadedProject, uri: string) => Promise<{ path: string; name: string; version: string }>;

/** A models:/ URI named by the argument: the string, or a version item of the Models view. */
function registryUriOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && /^models:\//.test(arg)) return arg;
  const node = arg as { kind?: string; version?: { name?: string; version?: string } } | undefined;
  if (node?.kind === 'version' && node.version?.name && node.version.version) return `models:/${node.version.name}/${node.version.version}`;
  return undefined;
}

/** The model file to serve: the argument, else the project's trained model (artifacts/model), else asked. */
async function pickModel(arg: unknown, project: LoadedProject | undefined): Promise<string | undefined> {
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'string') return arg;
  const candidates = project ? [join(project.dir, 'artifacts', 'model', 'model.onnx'), join(resolve(project.dir, project.pipeline.artifacts.uri), 'model', 'model.onnx')] : [];
  const found = candidates.find((c) => existsSync(c));
  if (found) return found;
  const picked = await vscode.window.showOpenDialog({ filters: { 'ONNX model': ['onnx'] }, title: 'Choose a model to serve (train one first: Run Training Locally)' });
  return picked?.[0]?.fsPath;
}

/** `Slipway: Serve Locally`, `Try Model`, `Stop Serving`: the serving runtime in the editor. */
export function activateServing(context: vscode.ExtensionContext, projects: ProjectStore, log: vscode.LogOutputChannel, registry?: RegistryFile) {
  let server: ServingServerType | undefined;
  let endpoint: ServingEndpoint | undefined;
  let features: readonly string[] | undefined;
  let modelPath: string | undefined;
  let onlineStore: OnlineStore | undefined;
  const item = vscode.window.createStatusBarItem('slipway.serving', vscode.StatusBarAlignment.Left, 8);
  item.name = 'Slipway Serving';
  const project = async () => (projects.active ? loadProject(projects.active.uri.fsPath).catch(() => undefined) : undefined);
  // registry versions served or tried: their file → the version the registry gives them
  const registryVersions = new Map<string, string>();
  /** A models:/ argument → the downloaded file (undefined: not a registry argument); errors are shown. */
  const fromRegistry = async (arg: unknown, p: LoadedProject | undefined): Promise<string | null | undefined> => {
    const uri = registryUriOf(arg);
    if (!uri) return undefined;
    if (!registry || !p) {
      void vscode.window.showErrorMessage(`Slipway cannot open ${uri}: it needs a project with an MLflow tracking server (tracking.uri in slipway.yaml).`);
      return null;
    }
    try {
      const r = await registry(p, uri);
      registryVersions.set(r.path, r.version);
      return r.path;
    } catch (e) {
      void vscode.window.showErrorMessage(`Slipway could not fetch ${uri}: ${(e as Error).message}`);
      return null;
    }
  };

  const sampleFor = async (path: string, p: LoadedProject | undefined) => {
    const s = await serving();
    const description = await s.describeModel(path);
    const reference = p?.pipeline.monitoring?.reference ? resolve(p.dir, p.pipeline.monitoring.reference) : undefined;
    const sample = await s.sampleInferRequest(description, reference, readRow);
    return { description, sample };
  };

  const stop = async () => {
    if (!server) return;
    await server.stop();
    onlineStore?.close();
    onlineStore = undefined;
    log.info(`stopped serving ${endpoint?.model.name} on ${endpoint?.url}`);
    server = undefined;
    endpoint = undefined;
    item.hide();
  };

  /** The project's online store, when materialized: requests may then name entity keys instead of features. */
  const openOnlineStore = async (p: LoadedProject) => {
    const file = join(p.dir, ONLINE_STORE);
    if (!existsSync(file)) return undefined;
    try {
      const f = await import('../../core/features/index.js');
      onlineStore = await f.OnlineStore.open(file);
      log.info(`serving with feature lookup from ${file}: requests may send "parameters": {"entity": ..., "keys": [...]} instead of features`);
      return f.onlineEnricher(onlineStore);
    } catch (e) {
      log.warn(`serving without feature lookup: ${(e as Error).message}`);
      return undefined;
    }
  };

  const serveLocally = async (arg?: unknown): Promise<ServingEndpoint | undefined> => {
    if (!(await requireTrust())) return undefined;
    const p = await project();
    const registryPath = await fromRegistry(arg, p);
    if (registryPath === null) return undefined;
    const path = registryPath ?? (await pickModel(arg, p));
    if (!path) return undefined;
    await stop();
    const s = await serving();
    const logDir = p ? resolve(p.dir, p.pipeline.serving.log) : join(dirname(path), 'logs', 'inference');
    const enrich = p ? await openOnlineStore(p) : undefined;
    const options = {
      ...(enrich ? { enrich } : {}),
      model: statSync(path).isDirectory() ? path : path,
      ...(p ? { name: p.pipeline.model.name, cwd: p.dir } : {}),
      ...(registryVersions.has(path) ? { version: registryVersions.get(path)! } : {}),
      log: { dir: logDir },
      onProblem: (m: string) => log.warn(`serving: ${m}`),
    };
    try {
      server = new s.ServingServer({ ...options, port: p?.pipeline.serving.port ?? 8080 });
      endpoint = await server.start().catch(async (e: NodeJS.ErrnoException) => {
        if (!/EADDRINUSE/.test(String(e.code ?? e.message))) throw e;
        log.warn(`port ${p?.pipeline.serving.port ?? 8080} is busy: serving on a free port instead`);
        server = new s.ServingServer({ ...options, port: 0 });
        return server.start();
      });
    } catch (e) {
      server = undefined;
      onlineStore?.close();
      onlineStore = undefined;
      void vscode.window.showErrorMessage(`Slipway could not serve ${path}: ${(e as Error).message}`);
      return undefined;
    }
    modelPath = path;
    features = (await s.describeModel(path)).sidecar?.features;
    log.info(`serving ${endpoint.model.name} v${endpoint.model.version} on ${endpoint.url}; inference table ${endpoint.logFile ?? 'off'}`);
    item.text = `$(radio-tower) ${endpoint.model.name} :${endpoint.port}`;
    item.tooltip = `Serving ${endpoint.model.name} (${endpoint.model.version}) at ${endpoint.url}/v2/models/${endpoint.model.name}/infer — click to stop`;
    item.command = 'slipway.serving.stop';
    item.show();
    void vscode.window.showInformationMessage(`Serving ${endpoint.model.name} at ${endpoint.url}/v2/models/${endpoint.model.name}/infer`, 'Try It', 'Copy URL').then(async (pick) => {
      if (pick === 'Try It') await vscode.commands.executeCommand('slipway.serving.tryModel');
      if (pick === 'Copy URL') await vscode.env.clipboard.writeText(`${endpoint?.url}/v2/models/${endpoint?.model.name}/infer`);
    });
    return endpoint;
  };

  const tryModel = async (arg?: unknown): Promise<TryPanel | undefined> => {
    if (!(await requireTrust())) return undefined;
    const p = await project();
    // a running local server, unless another model was asked for
    const registryPath = await fromRegistry(arg, p);
    if (registryPath === null) return undefined;
    const asked = registryPath ?? (arg instanceof vscode.Uri || typeof arg === 'string' ? await pickModel(arg, p) : undefined);
    if (endpoint && server && (!asked || asked === modelPath)) {
      const { sample } = await sampleFor(modelPath!, p);
      const panel = new TryPanel(context.extensionUri, { endpoint: endpoint.url, modelName: endpoint.model.name, ...(features ? { features } : {}), sample });
      context.subscriptions.push(panel);
      return panel;
    }
    const path = asked ?? (await pickModel(undefined, p));
    if (!path) return undefined;
    try {
      const s = await serving();
      const { description, sample } = await sampleFor(path, p);
      // a server of its own, on a free port, without an inference table: stopped with the panel
      const own = new s.ServingServer({ model: path, port: 0, log: false, ...(p ? { name: p.pipeline.model.name } : {}), ...(registryVersions.has(path) ? { version: registryVersions.get(path)! } : {}) });
      const ep = await own.start();
      const panel = new TryPanel(context.extensionUri, {
        endpoint: ep.url,
        modelName: ep.model.name,
        ...(description.sidecar?.features ? { features: description.sidecar.features } : {}),
        sample,
        onClose: () => void own.stop(),
      });
      context.subscriptions.push(panel);
      return panel;
    } catch (e) {
      void vscode.window.showErrorMessage(`Slipway could not open ${path}: ${(e as Error).message}`);
      return undefined;
    }
  };

  context.subscriptions.push(
    item,
    { dispose: () => void stop() },
    vscode.commands.registerCommand('slipway.serving.serveLocally', serveLocally),
    vscode.commands.registerCommand('slipway.serving.tryModel', tryModel),
    vscode.commands.registerCommand('slipway.serving.stop', stop),
  );
}
