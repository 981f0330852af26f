import * as vscode from 'vscode';
import type { ProjectStore } from '../project/ProjectStore';
import { ExperimentsTreeProvider } from './ExperimentsTreeProvider';
import { ModelsTreeProvider } from './ModelsTreeProvider';
import { registerTrackingCommands } from './TrackingCommands';
import { TrackingConnection } from './TrackingConnection';

/** MLflow in the sidebar: the Experiments and Models views, run panels and registry commands. */
export async function activateTracking(context: vscode.ExtensionContext, projects: ProjectStore, log: vscode.LogOutputChannel) {
  const tracking = new TrackingConnection(projects, context.secrets, log);
  const experiments = new ExperimentsTreeProvider(tracking);
  const models = new ModelsTreeProvider(tracking);
  const experimentsView = vscode.window.createTreeView('slipway.experiments', { treeDataProvider: experiments, canSelectMany: true });
  const modelsView = vscode.window.createTreeView('slipway.models', { treeDataProvider: models });
  context.subscriptions.push(tracking, experiments, models, experimentsView, modelsView, ...registerTrackingCommands({ context, tracking, experiments, models, experimentsView, log }));
  // the first check talks to the server: do not hold activation for it
  void tracking.refresh();
  return { tracking, experiments, models };
}
