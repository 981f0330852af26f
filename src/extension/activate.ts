import * as vscode from 'vscode';
import { ProjectStore } from './project/ProjectStore';
import { ProjectStatusBar } from './project/ProjectStatusBar';
import { registerProjectCommands } from './project/ProjectCommands';
import { registerInitCommand } from './project/InitCommand';
import { activateTraining } from './training';
import { activateTracking } from './tracking';
import { activateDrift } from './drift';
import { activateFeatures, type FeaturesTreeProvider } from './features';
import { findRunOfJob } from '../core/tracking/index';
import { ArtifactCredentials } from './artifactCredentials';
import { activateServing } from './serving';
import { activateDeploy } from './deploy';
import { activateDeployments } from './deployments';
import type { TrackingConnection } from './tracking/TrackingConnection';
import type { ExperimentsTreeProvider } from './tracking/ExperimentsTreeProvider';
import { startPipelineLanguageClient } from './language/PipelineLanguageClient';
import type { JobsModel } from './training/JobsModel';

/** What the extension hands to other extensions and to its integration tests. */
export interface SlipwayApi {
  readonly projects: Pick<ProjectStore, 'active' | 'all' | 'refresh' | 'onDidChange'>;
  readonly jobs: Pick<JobsModel, 'all' | 'get' | 'whenDone' | 'onDidChange' | 'linkRun'>;
  readonly tracking: Pick<TrackingConnection, 'state' | 'onDidChange' | 'refresh' | 'configured'>;
  readonly experiments: Pick<ExperimentsTreeProvider, 'loadedRuns' | 'getChildren' | 'refresh'>;
  readonly features: Pick<FeaturesTreeProvider, 'getChildren' | 'getTreeItem' | 'whenLoaded' | 'freshnessOf' | 'nodeOf' | 'refresh'>;
  readonly deployments: Pick<ReturnType<typeof activateDeployments>, 'getChildren' | 'getTreeItem' | 'refresh' | 'load' | 'snapshot' | 'workloads' | 'onDidLoad'>;
}

/** The composition root: builds the services once and hands them to views and commands. */
export async function activate(context: vscode.ExtensionContext): Promise<SlipwayApi> {
  const log = vscode.window.createOutputChannel('Slipway', { log: true });
  context.subscriptions.push(log);
  log.info(`Slipway ${context.extension.packageJSON.version} activating (workspace trusted: ${vscode.workspace.isTrusted})`);

  const projects = new ProjectStore(log);
  context.subscriptions.push(projects, new ProjectStatusBar(projects), registerInitCommand(log), ...registerProjectCommands(projects, log));

  // the language server checks pipeline files as they are typed; a failure to start it must not take the rest down
  startPipelineLanguageClient(context, log).then(
    (client) => context.subscriptions.push({ dispose: () => void client.stop() }),
    (e) => log.error(`the pipeline language server did not start: ${(e as Error).message}`),
  );
  await projects.refresh();
  const jobs = await activateTraining(context, projects, log);
  const { tracking, experiments } = await activateTracking(context, projects, log);
  const artifactCredentials = new ArtifactCredentials(context.secrets, log);
  await artifactCredentials.load();
  context.subscriptions.push(artifactCredentials, vscode.commands.registerCommand('slipway.artifacts.setCredentials', () => artifactCredentials.prompt()));
  // drift: the panel and the on_drift check (s3:// monitoring data uses the artifact store's credentials)
  activateDrift(context, projects, log, artifactCredentials.provider);
  const features = activateFeatures(context, projects, log, artifactCredentials.provider);
  // models:/ URIs resolve through the registry of the tracking connection (serve, try, build, deploy)
  const models = activateDeploy(context, projects, tracking, log, artifactCredentials.provider);
  activateServing(context, projects, log, (project, uri) => models.serveModel(project, uri));
  const deployments = activateDeployments(context, projects, log);
  // a finished job links to the MLflow run its script logged (tag slipway.job)
  jobs.linkRun = (record) => (tracking.configured ? findRunOfJob(tracking.api.mlflow, record.spec.experiment, record.id, { timeoutMs: 5000 }) : Promise.resolve(undefined));
  return { projects, jobs, tracking, experiments, features, deployments };
}

export function deactivate(): void {}
