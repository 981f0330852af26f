import * as vscode from 'vscode';
import type { S3CredentialsProvider } from '../../core/artifacts/index';
import type { ProjectStore } from '../project/ProjectStore';
import { checkDrift, registerDriftCommands, type DriftCheckResult } from './DriftCommands';
import { DriftPanel, type DriftPanelDeps } from './DriftPanel';

export type { DriftCheckResult } from './DriftCommands';
export { DriftPanel } from './DriftPanel';

/** What the composition root gets back: the panel and the on_drift check, for the API and other areas. */
export interface DriftFeature {
  show(): DriftPanel;
  check(): Promise<DriftCheckResult>;
}

/**
 * Drift monitoring in the editor: `slipway.drift.show` (the panel) and `slipway.drift.check`
 * (applies monitoring.on_drift). `credentials` are the artifact store's, for s3:// monitoring data.
 */
export function activateDrift(context: vscode.ExtensionContext, projects: ProjectStore, log: vscode.LogOutputChannel, credentials?: S3CredentialsProvider): DriftFeature {
  const deps: DriftPanelDeps = {
    projects,
    log,
    extensionUri: context.extensionUri,
    state: context.workspaceState,
    cacheDir: vscode.Uri.joinPath(context.globalStorageUri, 'drift-data').fsPath,
    ...(credentials ? { credentials } : {}),
  };
  context.subscriptions.push(...registerDriftCommands(deps), { dispose: () => DriftPanel.panels.forEach((p) => p.dispose()) });
  return { show: () => DriftPanel.show(deps), check: () => checkDrift(deps) };
}
