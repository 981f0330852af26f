import * as vscode from 'vscode';
import type { ActiveProject, ProjectStore } from './ProjectStore';

/** Shows the active pipeline file in the status bar; a click opens it (or offers a choice when there are several). */
export class ProjectStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('slipway.project', vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: ProjectStore) {
    this.item.name = 'Slipway Project';
    this.subscription = store.onDidChange((p) => this.render(p));
    this.render(store.active);
  }

  private render(project: ActiveProject | undefined): void {
    if (!project) {
      this.item.hide();
      return;
    }
    const several = this.store.all.length > 1;
    this.item.text = `$(rocket) ${project.name ?? project.relativePath}`;
    const tip = new vscode.MarkdownString(`**Slipway project** ${project.name ? `\`${project.name}\`` : ''}\n\n${project.relativePath}\n\n`);
    tip.appendMarkdown(several ? 'Click to choose another pipeline file.' : 'Click to open the pipeline file.');
    this.item.tooltip = tip;
    this.item.command = several ? 'slipway.project.select' : 'slipway.project.open';
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
