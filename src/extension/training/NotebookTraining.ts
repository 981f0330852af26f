import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { notebookToScript, pointTrainingScriptAt } from '../../core/training/notebook';
import type { ProjectStore } from '../project/ProjectStore';

export interface NotebookToScriptArgs {
  notebook?: vscode.Uri;
  /** where to write the script (default: <project>/src/train.py, asked when it exists) */
  target?: vscode.Uri;
  overwrite?: boolean;
}

/** `Slipway: Notebook to Training Script`: writes a parametrized script and points training.script at it. */
export function registerNotebookTraining(projects: ProjectStore, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const convert = async (arg?: NotebookToScriptArgs | vscode.Uri): Promise<vscode.Uri | undefined> => {
    const args: NotebookToScriptArgs = arg instanceof vscode.Uri ? { notebook: arg } : (arg ?? {});
    const project = projects.active;
    if (!project) {
      void vscode.window.showWarningMessage('This workspace has no slipway.yaml: create one with "Slipway: New Project" first.');
      return undefined;
    }
    const notebook = args.notebook ?? vscode.window.activeNotebookEditor?.notebook.uri;
    if (!notebook || !notebook.path.endsWith('.ipynb')) {
      void vscode.window.showWarningMessage('Open a Jupyter notebook (.ipynb) first, or run this from a notebook.');
      return undefined;
    }
    const projectDir = dirname(project.uri.fsPath);
    let target = args.target ?? vscode.Uri.file(`${projectDir}/src/train.py`);
    if (!args.target && existsSync(target.fsPath) && !args.overwrite) {
      const chosen = await vscode.window.showSaveDialog({
        defaultUri: target,
        filters: { Python: ['py'] },
        title: 'Save the training script (src/train.py exists)',
        saveLabel: 'Write Training Script',
      });
      if (!chosen) return undefined;
      target = chosen; // the save dialog already asked before replacing a file
    } else if (existsSync(target.fsPath) && !args.overwrite) {
      const ok = await vscode.window.showWarningMessage(`${relative(projectDir, target.fsPath)} exists. Overwrite it?`, { modal: true }, 'Overwrite');
      if (!ok) return undefined;
    }
    const scriptRel = relative(projectDir, target.fsPath).split('\\').join('/');
    const notebookRel = relative(projectDir, notebook.fsPath).split('\\').join('/');
    if (scriptRel.startsWith('..')) {
      void vscode.window.showErrorMessage(`The script must be inside the project folder ${projectDir}.`);
      return undefined;
    }
    try {
      // a notebook open in the editor may have unsaved cells: convert what the user sees
      const open = vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === notebook.toString());
      if (open?.isDirty) await open.save();
      const converted = notebookToScript(await readFile(notebook.fsPath, 'utf8'), { notebookPath: notebookRel, scriptPath: scriptRel });
      await mkdir(dirname(target.fsPath), { recursive: true });
      await writeFile(target.fsPath, converted.script);
      const pipeline = await readFile(project.uri.fsPath, 'utf8');
      await writeFile(project.uri.fsPath, pointTrainingScriptAt(pipeline, scriptRel));
      log.info(`notebook ${notebookRel} → ${scriptRel}: ${converted.params.length} params, ${converted.removed.length} IPython lines removed`);
      await vscode.window.showTextDocument(target, { preview: false });
      void vscode.window.showInformationMessage(
        `Wrote ${scriptRel} from ${notebookRel} (${converted.params.length ? `options ${converted.params.map((p) => `--${p.name}`).join(', ')}` : 'no parameters cell'}${converted.removed.length ? `; ${converted.removed.length} IPython line(s) removed` : ''}); training.script now points at it.`,
      );
      return target;
    } catch (e) {
      log.error(`notebook conversion failed: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`Slipway could not convert the notebook: ${(e as Error).message}`);
      return undefined;
    }
  };

  // one item per notebook: on the `parameters` cell, or the first code cell when none is tagged
  const statusBar: vscode.NotebookCellStatusBarItemProvider = {
    provideCellStatusBarItems(cell) {
      if (cell.kind !== vscode.NotebookCellKind.Code || !projects.active) return [];
      const cells = cell.notebook.getCells().filter((c) => c.kind === vscode.NotebookCellKind.Code);
      const tagged = cells.find((c) => Array.isArray(c.metadata?.metadata?.tags) && c.metadata.metadata.tags.includes('parameters'));
      if ((tagged ?? cells[0]) !== cell) return [];
      const item = new vscode.NotebookCellStatusBarItem('$(rocket) Slipway: to training script', vscode.NotebookCellStatusBarAlignment.Right);
      item.command = { command: 'slipway.training.notebookToScript', title: 'Notebook to Training Script', arguments: [cell.notebook.uri] };
      item.tooltip = tagged ? 'Write a training script whose options are this cell\'s parameters, and point training.script at it' : 'Write a training script from this notebook (tag a cell "parameters" to get options)';
      return [item];
    },
  };

  return [
    vscode.commands.registerCommand('slipway.training.notebookToScript', convert),
    vscode.notebooks.registerNotebookCellStatusBarItemProvider('jupyter-notebook', statusBar),
  ];
}
