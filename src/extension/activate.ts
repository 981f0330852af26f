import * as vscode from 'vscode';
import { ProjectStore } from './project/ProjectStore';
import { ProjectStatusBar } from './project/ProjectStatusBar';
import { registerProjectCommands } from './project/ProjectCommands';
import { registerInitCommand } from './project/InitCommand';
import { activateTraining } from './training';
import type { JobsModel } from './training/JobsModel';

/** What the extension hands to other extensions and to its integration tests. */
export interface SlipwayApi {
  readonly projects: Pick<ProjectStore, 'active' | 'all' | 'refresh' | 'onDidChange'>;
  readonly jobs: Pick<JobsModel, 'all' | 'get' | 'whenDone' | 'onDidChange'>;
}

/** The composition root: builds the services once and hands them to views and commands. */
export async function activate(context: vscode.ExtensionContext): Promise<SlipwayApi> {
  const log = vscode.window.createOutputChannel('Slipway', { log: true });
  context.subscriptions.push(log);
  log.info(`Slipway ${context.extension.packageJSON.version} activating (workspace trusted: ${vscode.workspace.isTrusted})`);

  const projects = new ProjectStore(log);
  context.subscriptions.push(projects, new ProjectStatusBar(projects), registerInitCommand(log), ...registerProjectCommands(projects, log));

  await projects.refresh();
  const jobs = await activateTraining(context, projects, log);
  return { projects, jobs };
}

export function deactivate(): void {}
