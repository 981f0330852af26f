import * as vscode from 'vscode';
import { detectTrainingScript } from '../../core/training/scriptDetection';
import type { ProjectStore } from '../project/ProjectStore';
import { trainingScriptUri } from './TrainingCommands';

/**
 * `Run locally | Run on Ray | Run on Kubernetes | Debug` above training scripts: the file named by
 * training.script, and Python files that call mlflow.start_run or have a __main__ block.
 */
export class TrainingCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly projects: ProjectStore) {
    this.subscription = projects.onDidChange(() => this.changed.fire());
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const project = this.projects.active;
    if (!project) return [];
    const script = await trainingScriptUri(project.uri);
    const info = detectTrainingScript(document.getText(), script?.toString() === document.uri.toString());
    if (!info) return [];
    const range = new vscode.Range(info.line, 0, info.line, 0);
    const lens = (title: string, command: string, tooltip: string) => new vscode.CodeLens(range, { title, command, tooltip, arguments: [document.uri] });
    return [
      lens('$(play) Run locally', 'slipway.training.runLocal', 'Run with the project\'s Python and training.params; logs in the Jobs view'),
      lens('$(cloud) Run on Ray', 'slipway.training.runRay', 'Submit to the Ray cluster of training.targets.ray'),
      lens('$(server-environment) Run on Kubernetes', 'slipway.training.runKubernetes', 'Run as a Kubernetes Job with training.targets.kubernetes'),
      lens('$(debug-alt) Debug', 'slipway.training.debug', 'Start the Python debugger with training.params'),
    ];
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
