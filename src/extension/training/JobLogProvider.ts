import * as vscode from 'vscode';
import { readFile, stat } from 'node:fs/promises';
import type { JobsModel } from './JobsModel';

export const JOB_LOG_SCHEME = 'slipway-job';
const MAX_SHOWN = 4 * 1024 * 1024;

export function jobLogUri(id: string, script: string): vscode.Uri {
  return vscode.Uri.from({ scheme: JOB_LOG_SCHEME, path: `/${id}/${script.split('/').pop() ?? 'job'}.log` });
}

/**
 * A job's output as a read-only document that follows the job live: the editor refreshes as
 * output arrives, and its end shows the outcome.
 */
export class JobLogProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly open = new Map<string, vscode.Uri>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly model: JobsModel) {
    this.subscriptions = [
      model.onDidOutput((id) => {
        const uri = this.open.get(id);
        if (uri) this.changed.fire(uri);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === JOB_LOG_SCHEME) this.open.delete(d.uri.path.split('/')[1]!);
      }),
    ];
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const id = uri.path.split('/')[1]!;
    this.open.set(id, uri);
    const record = this.model.get(id);
    const store = this.model.storeOf(id);
    if (!record || !store) return `No job ${id} in this workspace.`;
    let text = '';
    try {
      const path = store.logPath(id);
      const size = (await stat(path)).size;
      const all = await readFile(path, 'utf8');
      text = size > MAX_SHOWN ? `[… first ${size - MAX_SHOWN} bytes not shown …]\n${all.slice(-MAX_SHOWN)}` : all;
    } catch {
      text = '(no output yet)\n';
    }
    const footer =
      record.status === 'RUNNING' || record.status === 'PENDING'
        ? `\n── ${record.status.toLowerCase()} on ${record.target} · following live ──\n`
        : `\n── ${record.status}${record.exitCode !== undefined ? ` · exit code ${record.exitCode}` : ''}${record.message ? ` · ${record.message}` : ''} ──\n`;
    return text + footer;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
