import * as vscode from 'vscode';
import { filterLiteral, type ModelVersion, type RegisteredModel } from '../../core/registry/index';
import type { TrackingConnection } from './TrackingConnection';

export type ModelsNode =
  | { kind: 'message'; text: string; detail?: string; error?: boolean }
  | { kind: 'model'; model: RegisteredModel }
  | { kind: 'version'; version: ModelVersion };

/** Registered models → versions, with their aliases as badges, status and source run. */
export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private cancel = new AbortController();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly tracking: TrackingConnection) {
    this.subscription = tracking.onDidChange((s) => s.kind !== 'checking' && this.refresh());
  }

  refresh(): void {
    this.cancel.abort();
    this.cancel = new AbortController();
    this.changed.fire(undefined);
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
      item.iconPath = new vscode.ThemeIcon(node.error ? 'error' : 'info');
      item.tooltip = node.detail ?? node.text;
      if (node.error) {
        item.description = 'click to retry';
        item.command = { command: 'slipway.models.refresh', title: 'Retry' };
      }
      return item;
    }
    if (node.kind === 'model') {
      const m = node.model;
      const project = this.tracking.model.name === m.name;
      const item = new vscode.TreeItem(m.name, project ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `model:${m.name}`;
      item.iconPath = new vscode.ThemeIcon(project ? 'star-full' : 'library');
      item.description = [project ? 'this project' : '', m.aliases.map((a) => `@${a.alias}→v${a.version}`).join(' ')].filter(Boolean).join(' · ');
      item.tooltip = m.description ?? m.name;
      item.contextValue = 'slipway.model';
      return item;
    }
    const v = node.version;
    const item = new vscode.TreeItem(`v${v.version}`, vscode.TreeItemCollapsibleState.None);
    item.id = `version:${v.name}:${v.version}`;
    item.iconPath = new vscode.ThemeIcon(v.aliases.length ? 'bookmark' : 'versions');
    item.description = [v.aliases.map((a) => `@${a}`).join(' '), v.status && v.status !== 'READY' ? v.status.toLowerCase() : '', v.runId ? `run ${v.runId.slice(0, 8)}` : ''].filter(Boolean).join(' · ');
    const tags = Object.entries(v.tags).map(([k, val]) => `\`${k}\` = ${val}`).join('\n\n');
    item.tooltip = new vscode.MarkdownString(`**${v.name} v${v.version}**${v.aliases.length ? ` ${v.aliases.map((a) => `@${a}`).join(' ')}` : ''}\n\nsource: \`${v.source ?? '?'}\`${v.runId ? `\n\nrun \`${v.runId}\`` : ''}${tags ? `\n\n${tags}` : ''}`);
    item.contextValue = `slipway.version${v.aliases.length ? '.aliased' : ''}${v.runId ? '.run' : ''}`;
    return item;
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    try {
      if (!node) {
        if (!this.tracking.configured) return [];
        const page = await this.tracking.api.registry.searchRegisteredModels({ maxResults: 100, orderBy: ['name ASC'] }, { signal: this.cancel.signal });
        const own = this.tracking.model.name;
        const models = [...page.items].sort((a, b) => Number(b.name === own) - Number(a.name === own));
        if (!models.length) return [{ kind: 'message', text: own ? `No registered models yet: register a run's model as "${own}"` : 'No registered models yet' }];
        return models.map((model) => ({ kind: 'model', model }));
      }
      if (node.kind === 'model') {
        const page = await this.tracking.api.registry.searchModelVersions({ filter: `name = ${filterLiteral(node.model.name)}`, maxResults: 200 }, { signal: this.cancel.signal });
        return [...page.items].sort((a, b) => Number(b.version) - Number(a.version)).map((version) => ({ kind: 'version', version }));
      }
      return [];
    } catch (e) {
      if (this.cancel.signal.aborted) return [];
      return [{ kind: 'message', text: (e as Error).message.split('\n')[0]!, detail: (e as Error).message, error: true }];
    }
  }

  dispose(): void {
    this.cancel.abort();
    this.subscription.dispose();
    this.changed.dispose();
  }
}
