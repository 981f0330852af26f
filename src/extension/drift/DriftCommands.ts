import * as vscode from 'vscode';
import { computeDrift, DriftInputError, type DriftReport } from '../../core/drift/index';
import { driftInputs, inputProblem, isProblem, runFix, type DriftProblem } from './inputs';
import { DriftPanel, type DriftPanelDeps } from './DriftPanel';

/** What `slipway.drift.check` did (the integration tests read it). */
export interface DriftCheckResult {
  /** undefined when drift could not be computed */
  readonly drifted?: boolean;
  /** none: no drift; notified: a warning; offered: retraining offered; untrusted: retraining explained, not offered; failed / cancelled: no verdict */
  readonly action: 'none' | 'notified' | 'offered' | 'untrusted' | 'failed' | 'cancelled';
}

const OPEN_PANEL = 'Open Drift Panel';
const START_RETRAINING = 'Start Retraining';

function summary(r: DriftReport): string {
  const names = r.columns.filter((c) => c.drifted).map((c) => c.name);
  const shown = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
  return `${r.drifted_columns} of ${r.columns.length} features drifted${shown ? ` (${shown})` : ''}`;
}

async function showProblem(p: DriftProblem): Promise<void> {
  const pick = await (p.action ? vscode.window.showWarningMessage(`${p.message}${p.fix ? ` ${p.fix}` : ''}`, p.actionLabel ?? 'Fix') : vscode.window.showWarningMessage(`${p.message}${p.fix ? ` ${p.fix}` : ''}`));
  if (pick) await runFix(p.action, () => vscode.commands.executeCommand('slipway.drift.check'));
}

/** Computes drift on the whole current data and does what monitoring.on_drift says. */
async function check(deps: DriftPanelDeps): Promise<DriftCheckResult> {
  const inputs = await driftInputs(deps);
  if (isProblem(inputs)) {
    void showProblem(inputs);
    return { action: 'failed' };
  }
  let report: DriftReport;
  const ac = new AbortController();
  try {
    report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Checking ${inputs.current} for drift…`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(() => ac.abort(new Error('drift check cancelled')));
        return computeDrift({ ...inputs.options, signal: ac.signal });
      },
    );
  } catch (e) {
    if (ac.signal.aborted) return { action: 'cancelled' };
    deps.log.error(`drift check: ${(e as Error).message}`);
    void showProblem(e instanceof DriftInputError ? inputProblem(inputs, e.message) : { message: `Slipway could not compute drift: ${(e as Error).message}` });
    return { action: 'failed' };
  }
  deps.log.info(`drift check: ${report.dataset_drift ? 'data set drift' : 'no data set drift'}, ${summary(report)}; on_drift: ${inputs.onDrift}`);
  const openPanel = () => DriftPanel.show(deps);
  if (!report.dataset_drift) {
    void vscode.window.showInformationMessage(`No data set drift: ${summary(report)}.`, OPEN_PANEL).then((pick) => pick && openPanel());
    return { drifted: false, action: 'none' };
  }
  const text = `Data set drift in ${inputs.relativePath}: ${summary(report)}.`;
  if (inputs.onDrift === 'notify') {
    // not awaited: the notification stays until dismissed, the command returns now
    void vscode.window.showWarningMessage(text, OPEN_PANEL).then((pick) => pick && openPanel());
    return { drifted: true, action: 'notified' };
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window
      .showWarningMessage(`${text} monitoring.on_drift is retrain, but Slipway runs training only in a trusted workspace: a training script is code from this folder.`, 'Manage Workspace Trust', OPEN_PANEL)
      .then(async (pick) => {
        if (pick === OPEN_PANEL) openPanel();
        else if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      });
    return { drifted: true, action: 'untrusted' };
  }
  void vscode.window.showWarningMessage(`${text} Retrain the model (monitoring.on_drift: retrain)?`, START_RETRAINING, OPEN_PANEL).then(async (pick) => {
    if (pick === OPEN_PANEL) openPanel();
    // the training runner's command: trust, the project's training section and the Python interpreter are checked there
    else if (pick === START_RETRAINING) await vscode.commands.executeCommand('slipway.training.runLocal');
  });
  return { drifted: true, action: 'offered' };
}

/** slipway.drift.*: the drift panel and the on_drift check. */
export function registerDriftCommands(deps: DriftPanelDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('slipway.drift.show', () => DriftPanel.show(deps)),
    vscode.commands.registerCommand('slipway.drift.check', () => check(deps)),
  ];
}

export { check as checkDrift };
