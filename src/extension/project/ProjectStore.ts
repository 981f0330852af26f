import * as vscode from 'vscode';
import { PIPELINE_GLOB, chooseActiveProject, isPipelineFileName, projectNameFromText } from '../../core/project/pipelineFiles';

export interface ActiveProject {
  readonly uri: vscode.Uri;
  readonly folder: vscode.WorkspaceFolder;
  /** path relative to the workspace folder, '/'-separated */
  readonly relativePath: string;
  /** `name:` of the file, when it has a readable one */
  readonly name: string | undefined;
}

/**
 * Knows the workspace's pipeline files and which one is active; fires onDidChange when either
 * changes. The active file is the `slipway.project.file` setting of its folder when that file
 * exists, else the shallowest one.
 */
export class ProjectStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ActiveProject | undefined>();
  readonly onDidChange = this.changed.event;
  private files: vscode.Uri[] = [];
  private current: ActiveProject | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher(PIPELINE_GLOB);
    const onFs = (uri: vscode.Uri) => {
      if (isPipelineFileName(uri.path)) void this.refresh();
    };
    this.disposables.push(
      watcher,
      watcher.onDidCreate(onFs),
      watcher.onDidDelete(onFs),
      watcher.onDidChange((uri) => {
        if (this.current && uri.toString() === this.current.uri.toString()) void this.refresh();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('slipway.project.file')) void this.refresh();
      }),
    );
  }

  get active(): ActiveProject | undefined {
    return this.current;
  }

  get all(): readonly vscode.Uri[] {
    return this.files;
  }

  /** Re-reads the workspace; concurrent calls coalesce into one extra pass. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.scan();
      } while (this.refreshAgain);
    })().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async scan(): Promise<void> {
    const found = await vscode.workspace.findFiles(PIPELINE_GLOB, '**/{node_modules,.git,.venv,out}/**', 200);
    this.files = found.filter((u) => isPipelineFileName(u.path)).sort((a, b) => a.path.localeCompare(b.path));
    let next: ActiveProject | undefined;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const inFolder = this.files.filter((u) => vscode.workspace.getWorkspaceFolder(u)?.uri.toString() === folder.uri.toString());
      const rel = inFolder.map((u) => vscode.workspace.asRelativePath(u, false));
      const preferred = vscode.workspace.getConfiguration('slipway', folder.uri).get<string>('project.file') || undefined;
      const chosen = chooseActiveProject(rel, preferred);
      if (!chosen) continue;
      const uri = inFolder[rel.indexOf(chosen)]!;
      next = { uri, folder, relativePath: chosen, name: await this.readName(uri) };
      break;
    }
    const before = this.current;
    this.current = next;
    if (before?.uri.toString() !== next?.uri.toString() || before?.name !== next?.name) {
      this.log.info(next ? `active project: ${next.relativePath} (${next.name ?? 'no name'})` : 'no slipway.yaml in this workspace');
      await vscode.commands.executeCommand('setContext', 'slipway.hasProject', Boolean(next));
      this.changed.fire(next);
    }
  }

  private async readName(uri: vscode.Uri): Promise<string | undefined> {
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      return projectNameFromText(new TextDecoder().decode(bytes));
    } catch (e) {
      this.log.warn(`cannot read ${uri.fsPath}: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Remembers the user's choice in the folder's settings (`slipway.project.file`). */
  async choose(uri: vscode.Uri): Promise<void> {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) throw new Error(`${uri.fsPath} is not in an open workspace folder`);
    const rel = vscode.workspace.asRelativePath(uri, false);
    const target = (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace;
    await vscode.workspace.getConfiguration('slipway', folder.uri).update('project.file', rel, target);
    await this.refresh();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
