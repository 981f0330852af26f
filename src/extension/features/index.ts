import * as vscode from 'vscode';
import { mkdirSync } from 'node:fs';
import { artifactStoreFor, fetcherFor, type S3CredentialsProvider } from '../../core/artifacts/index';
import { FeatureInputError, type FetchToLocal } from '../../core/features/index';
import { isPipelineFileName, PIPELINE_GLOB } from '../../core/project/pipelineFiles';
import { loadProject, type LoadedProject } from '../../core/project/loadProject';
import type { ProjectStore } from '../project/ProjectStore';
import { registerFeaturesCommands } from './FeaturesCommands';
import { FeaturesPanel, type FeaturesPanelDeps } from './FeaturesPanel';
import { FeaturesTreeProvider } from './FeaturesTreeProvider';
import { FeatureSession } from './session';

export type { ShowStatsResult } from './FeaturesCommands';
export { FeaturesPanel } from './FeaturesPanel';
export { FeaturesTreeProvider, type FeatureNode, type Freshness } from './FeaturesTreeProvider';

/**
 * s3:// feature sources through the artifact store (artifacts.endpoint and region of slipway.yaml,
 * the stored credentials). Not in an untrusted workspace: its slipway.yaml would choose the
 * endpoint that receives the credentials.
 */
function s3Reader(cacheDir: string, credentials: S3CredentialsProvider | undefined) {
  return (project: LoadedProject): FetchToLocal => async (uri, signal) => {
    if (!vscode.workspace.isTrusted) {
      throw new FeatureInputError(`${uri}: s3:// sources are read only in a trusted workspace (slipway.yaml names the endpoint that would receive your S3 credentials)`);
    }
    mkdirSync(cacheDir, { recursive: true });
    const store = artifactStoreFor(project.pipeline.artifacts, { baseDir: project.dir, credentials, timeoutMs: 60_000 });
    return fetcherFor(store, cacheDir)(uri, signal);
  };
}

/**
 * The Features view (`slipway.features`): entities → feature views with their freshness →
 * features with their statistics; a panel per view with its first rows and a feature's
 * statistics; the Python snippet; go to definition. Reading data runs no code of the workspace,
 * so the view works in an untrusted workspace too (except s3:// sources, see s3Reader).
 * `credentials` are the artifact store's, for s3:// sources.
 */
export function activateFeatures(context: vscode.ExtensionContext, projects: ProjectStore, log: vscode.LogOutputChannel, credentials?: S3CredentialsProvider): FeaturesTreeProvider {
  const session = new FeatureSession();
  const fetchToLocal = s3Reader(vscode.Uri.joinPath(context.globalStorageUri, 'features-data').fsPath, credentials);
  const project = async () => (projects.active ? loadProject(projects.active.uri.fsPath) : undefined);
  const tree = new FeaturesTreeProvider({ projects, session, log, fetchToLocal });
  const panels: FeaturesPanelDeps = { extensionUri: context.extensionUri, session, log, project, fetchToLocal, onStats: (s) => tree.setStats(s) };
  const view = vscode.window.createTreeView('slipway.features', { treeDataProvider: tree, showCollapseAll: true });

  // slipway.yaml edited (in the editor or on disk): reload, a moment after the last change
  let timer: NodeJS.Timeout | undefined;
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => tree.refresh(), 300);
  };
  const watcher = vscode.workspace.createFileSystemWatcher(PIPELINE_GLOB);
  const isActive = (uri: vscode.Uri) => isPipelineFileName(uri.path) && uri.toString() === projects.active?.uri.toString();
  context.subscriptions.push(
    tree,
    view,
    watcher,
    watcher.onDidChange((uri) => isActive(uri) && soon()),
    watcher.onDidCreate((uri) => isActive(uri) && soon()),
    projects.onDidChange(() => soon()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => soon()),
    ...registerFeaturesCommands({ projects, tree, panels, log }),
    { dispose: () => clearTimeout(timer) },
    { dispose: () => FeaturesPanel.panels.forEach((p) => p.dispose()) },
    { dispose: () => session.dispose() },
  );
  return tree;
}
