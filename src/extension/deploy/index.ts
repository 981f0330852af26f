import * as vscode from 'vscode';
import type { S3CredentialsProvider } from '../../core/artifacts/index';
import type { ProjectStore } from '../project/ProjectStore';
import type { TrackingConnection } from '../tracking/TrackingConnection';
import { registerDeployCommands } from './DeployCommands';
import { EditorModels } from './EditorModels';
import { RegistryCredentials } from './RegistryCredentials';

export type { BuildImageArgs, BuildImageResult, DeployArgs, DeployResult } from './DeployCommands';
export { EditorModels } from './EditorModels';

/**
 * From a model version to a service: `Build Serving Image` (dockerode, streaming the build log,
 * push with SecretStorage credentials) and `Deploy Model` (gates, server-side apply, rollout
 * watch). Returns the registry resolver the serving commands use for models:/ URIs.
 */
export function activateDeploy(context: vscode.ExtensionContext, projects: ProjectStore, tracking: TrackingConnection, log: vscode.LogOutputChannel, credentials?: S3CredentialsProvider): EditorModels {
  const models = new EditorModels(tracking, credentials);
  const registryCredentials = new RegistryCredentials(context.secrets, log);
  const buildLog = vscode.window.createOutputChannel('Slipway: Image Build');
  context.subscriptions.push(buildLog, ...registerDeployCommands({ projects, tracking, models, registryCredentials, log, buildLog }));
  return models;
}
