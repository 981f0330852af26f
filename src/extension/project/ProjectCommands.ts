import * as vscode from 'vscode';
import { findKeyRange } from '../../core/pipeline/locate';
import type { ProjectStore } from './ProjectStore';

const NO_PROJECT = 'This workspace has no slipway.yaml. Create one with "Slipway: New Project".';

async function offerNewProject(): Promise<void> {
  const pick = await vscode.window.showInformationMessage(NO_PROJECT, 'New Project');
  if (pick) await vscode.commands.executeCommand('slipway.init');
}

/** slipway.project.*: open, choose and navigate the active pipeline file. */
export function registerProjectCommands(store: ProjectStore, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('slipway.project.open', async () => {
      const project = store.active;
      if (!project) return offerNewProject();
      await vscode.window.showTextDocument(project.uri);
    }),

    vscode.commands.registerCommand('slipway.project.select', async () => {
      if (store.all.length === 0) return offerNewProject();
      const items = store.all.map((uri) => ({
        label: vscode.workspace.asRelativePath(uri, true),
        description: uri.toString() === store.active?.uri.toString() ? 'active' : undefined,
        uri,
      }));
      const pick = await vscode.window.showQuickPick(items, { title: 'Slipway: choose the active pipeline file' });
      if (!pick) return;
      await store.choose(pick.uri);
    }),

    // Used by the views' welcome content: jump to a section (e.g. "tracking") of slipway.yaml.
    vscode.commands.registerCommand('slipway.project.reveal', async (section?: unknown) => {
      const project = store.active;
      if (!project) return offerNewProject();
      const path = typeof section === 'string' ? section.split('.').filter(Boolean) : [];
      const document = await vscode.workspace.openTextDocument(project.uri);
      const range = path.length ? findKeyRange(document.getText(), path) : undefined;
      const editor = await vscode.window.showTextDocument(document);
      if (range) {
        const r = new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
        editor.selection = new vscode.Selection(r.start, r.end);
        editor.revealRange(r, vscode.TextEditorRevealType.AtTop);
      } else if (path.length) {
        log.info(`slipway.yaml has no '${path.join('.')}' section yet`);
        void vscode.window.showInformationMessage(`${project.relativePath} has no '${path.join('.')}' section yet. Add one; the reference lists its keys.`);
      }
    }),

    vscode.commands.registerCommand('slipway.showLog', () => log.show(true)),
  ];
}
