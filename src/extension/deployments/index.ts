import * as vscode from 'vscode';
import { PIPELINE_GLOB } from '../../core/project/pipelineFiles';
import type { ProjectStore } from '../project/ProjectStore';
import { DeploymentLogProvider, DEPLOY_LOG_SCHEME } from './DeploymentLogProvider';
import { registerDeploymentsCommands } from './DeploymentsCommands';
import { DeploymentsTreeProvider } from './DeploymentsTreeProvider';

/**
 * The Deployments view: what the project serves on Kubernetes and KServe, per context and
 * namespace, with logs, a live Try panel, canary promotion, rollback and deletion.
 */
export function activateDeployments(context: vscode.ExtensionContext, projects: ProjectStore, log: vscode.LogOutputChannel): DeploymentsTreeProvider {
  const tree = new DeploymentsTreeProvider(projects, log);
  const logs = new DeploymentLogProvider(log);
  const view = vscode.window.createTreeView('slipway.deployments', { treeDataProvider: tree });
  tree.setVisible(view.visible);
  // a new deploy target in slipway.yaml shows at once
  const pipelineFiles = vscode.workspace.createFileSystemWatcher(PIPELINE_GLOB, true, false, true);
  context.subscriptions.push(
    tree,
    logs,
    view,
    pipelineFiles,
    view.onDidChangeVisibility((e) => tree.setVisible(e.visible)),
    vscode.workspace.registerTextDocumentContentProvider(DEPLOY_LOG_SCHEME, logs),
    ...registerDeploymentsCommands({ context, projects, tree, log }),
    projects.onDidChange(() => tree.refresh()),
    pipelineFiles.onDidChange((uri) => {
      if (uri.toString() === projects.active?.uri.toString()) tree.refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('slipway.deployments.namespaces')) tree.refresh();
    }),
  );
  return tree;
}
