import * as vscode from 'vscode';
import type { JobRecord, JobStatus } from '../../core/training/types';
import type { JobsModel } from './JobsModel';

const ICONS: Record<JobStatus, vscode.ThemeIcon> = {
  PENDING: new vscode.ThemeIcon('clock'),
  RUNNING: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  SUCCEEDED: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  FAILED: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  STOPPED: new vscode.ThemeIcon('circle-slash'),
};

export function formatDuration(record: JobRecord, now = Date.now()): string {
  if (!record.startedAt) return '';
  const ms = Math.max(0, (record.endedAt ? Date.parse(record.endedAt) : now) - Date.parse(record.startedAt));
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const m = Math.floor(ms / 60_000);
  return m < 60 ? `${m}m ${Math.round((ms % 60_000) / 1000)}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** The Jobs view: one item per job, newest first, with status, target and duration. */
export class JobsTreeProvider implements vscode.TreeDataProvider<JobRecord>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly model: JobsModel) {
    this.subscription = model.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.changed.fire();
    // running jobs show a live duration
    const running = this.model.all.some((r) => r.status === 'RUNNING' || r.status === 'PENDING');
    if (running && !this.ticker) this.ticker = setInterval(() => this.changed.fire(), 1000);
    if (!running && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  getChildren(element?: JobRecord): JobRecord[] {
    return element ? [] : this.model.all;
  }

  getTreeItem(r: JobRecord): vscode.TreeItem {
    const script = r.spec.script.split('/').pop() ?? r.spec.script;
    const item = new vscode.TreeItem(`${script} · ${r.target}`, vscode.TreeItemCollapsibleState.None);
    item.id = r.id;
    item.iconPath = ICONS[r.status];
    item.description = `${r.status.toLowerCase()}${r.startedAt ? ` · ${formatDuration(r)}` : ''}`;
    const params = Object.entries(r.spec.params).map(([k, v]) => `${k}=${v}`).join(' ');
    item.tooltip = new vscode.MarkdownString(
      [
        `**${r.spec.script}** on **${r.target}** — ${r.status}`,
        `job \`${r.id}\`, submitted ${new Date(r.submittedAt).toLocaleString()}`,
        params && `params: \`${params}\``,
        r.exitCode !== undefined && `exit code ${r.exitCode}`,
        r.message && `reason: ${r.message}`,
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    item.contextValue = `slipway.job.${r.status === 'RUNNING' || r.status === 'PENDING' ? 'running' : 'final'}${r.mlflowRunId ? '.run' : ''}`;
    item.command = { command: 'slipway.jobs.showLogs', title: 'Show Logs', arguments: [r] };
    return item;
  }

  dispose(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.subscription.dispose();
    this.changed.dispose();
  }
}
