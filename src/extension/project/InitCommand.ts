import * as vscode from 'vscode';
import { basename } from 'node:path';
import { writeScaffold, type ScaffoldResult } from '../../core/scaffold/scaffold';
import { projectNameProblem, suggestProjectName } from '../../core/scaffold/templates';

/** Arguments for running `slipway.init` without prompts (tests, other extensions, tasks). */
export interface InitArgs {
  folder?: vscode.Uri | string;
  name?: string;
  /** what to do with files that exist: ask (default), keep them, or overwrite them */
  overwrite?: 'ask' | 'never' | 'always';
  /** open slipway.yaml afterwards (default true) */
  open?: boolean;
}

async function pickFolder(given: InitArgs['folder']): Promise<vscode.Uri | undefined> {
  if (given) return typeof given === 'string' ? vscode.Uri.file(given) : given;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return folders[0]!.uri;
  if (folders.length > 1) {
    const pick = await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder for the new Slipway project' });
    return pick?.uri;
  }
  const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create Slipway Project Here' });
  return chosen?.[0];
}

/** `Slipway: New Project`: asks for a name and writes slipway.yaml, src/train.py and .gitignore entries. */
export function registerInitCommand(log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand('slipway.init', async (args?: InitArgs): Promise<ScaffoldResult | undefined> => {
    const folder = await pickFolder(args?.folder);
    if (!folder) return undefined;
    if (folder.scheme !== 'file') {
      void vscode.window.showErrorMessage(`Slipway can create projects on local folders only, not ${folder.scheme}: folders.`);
      return undefined;
    }
    let name = args?.name;
    if (name === undefined) {
      name = await vscode.window.showInputBox({
        title: 'Slipway: New Project',
        prompt: 'Project name (lower-case letters, digits and -; also the MLflow experiment and model name)',
        value: suggestProjectName(basename(folder.fsPath)) || 'my-model',
        validateInput: (v) => projectNameProblem(v.trim()),
        ignoreFocusOut: true,
      });
      if (name === undefined) return undefined;
      name = name.trim();
    }
    const problem = projectNameProblem(name);
    if (problem) {
      void vscode.window.showErrorMessage(`Slipway: "${name}" cannot name a project. ${problem}`);
      return undefined;
    }
    const mode = args?.overwrite ?? 'ask';
    try {
      const result = await writeScaffold(folder.fsPath, name, async (path) => {
        if (mode !== 'ask') return mode === 'always';
        const answer = await vscode.window.showWarningMessage(
          `${path} already exists in ${basename(folder.fsPath)}. Overwrite it with the Slipway template?`,
          { modal: true, detail: 'Keep leaves your file as it is; the other files are still created.' },
          'Overwrite',
          'Keep',
        );
        return answer === 'Overwrite' ? true : answer === 'Keep' ? false : 'cancel';
      });
      if (result.cancelled) {
        log.info(`init ${name}: cancelled${result.files.length ? ` after ${result.files.map((f) => `${f.outcome} ${f.path}`).join(', ')}` : ''}`);
        return result;
      }
      for (const f of result.files) log.info(`init ${name}: ${f.outcome} ${f.path}`);
      const written = result.files.filter((f) => f.outcome !== 'kept' && f.outcome !== 'unchanged').map((f) => f.path);
      const kept = result.files.filter((f) => f.outcome === 'kept').map((f) => f.path);
      void vscode.window.showInformationMessage(
        `Slipway project "${name}": ${written.length ? `wrote ${written.join(', ')}` : 'nothing to write'}${kept.length ? `; kept your ${kept.join(', ')}` : ''}.`,
      );
      if (args?.open !== false) await vscode.window.showTextDocument(vscode.Uri.joinPath(folder, 'slipway.yaml'));
      if (!vscode.workspace.getWorkspaceFolder(folder)) {
        // offered, not awaited: the command's result must not wait on a notification
        void vscode.window.showInformationMessage(`Open ${basename(folder.fsPath)} as the workspace?`, 'Open Folder').then((open) => {
          if (open) void vscode.commands.executeCommand('vscode.openFolder', folder);
        });
      }
      return result;
    } catch (e) {
      log.error(`init failed: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`Slipway could not create the project: ${(e as Error).message}`);
      return undefined;
    }
  });
}
