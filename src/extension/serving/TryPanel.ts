import * as vscode from 'vscode';
import { webviewHtml } from '../webviewHtml';
import type { FromTryWebview, ToTryWebview, TryModelInfo, TryResult } from '../../../webview/try/protocol';

export interface TryTarget {
  /** http://host:port of an Open Inference Protocol v2 server */
  readonly endpoint: string;
  readonly modelName: string;
  readonly features?: readonly string[];
  readonly sample?: { readonly request: unknown; readonly source: string };
  /** called when the panel closes (e.g. to stop a server started just for it) */
  readonly onClose?: () => void;
}

/** Try a model: its signature from /v2/models/{name}, a request editor, and the response with its latency. */
export class TryPanel implements vscode.Disposable {
  private static readonly open = new Set<TryPanel>();
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  info: TryModelInfo | undefined;
  lastResult: TryResult | undefined;

  static get panels(): readonly TryPanel[] {
    return [...TryPanel.open];
  }

  constructor(private readonly extensionUri: vscode.Uri, readonly target: TryTarget) {
    this.panel = vscode.window.createWebviewPanel('slipway.try', `Try ${target.modelName}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'out', 'webview')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'slipway.svg');
    this.panel.webview.html = this.html();
    TryPanel.open.add(this);
    this.disposables.push(this.panel.onDidDispose(() => this.dispose()), this.panel.webview.onDidReceiveMessage((m: FromTryWebview) => void this.onMessage(m)));
  }

  private post(msg: ToTryWebview): void {
    void this.panel.webview.postMessage(msg);
  }

  private async onMessage(m: FromTryWebview): Promise<void> {
    if (m.type === 'ready') await this.load();
    else if (m.type === 'run') await this.run(m.request);
  }

  async load(): Promise<void> {
    try {
      const r = await fetch(`${this.target.endpoint}/v2/models/${encodeURIComponent(this.target.modelName)}`, { signal: AbortSignal.timeout(10_000) });
      if (!r.ok) throw new Error(`the server answered ${r.status}: ${(await r.text()).slice(0, 300)}`);
      const meta = (await r.json()) as { name: string; versions?: string[]; inputs: TryModelInfo['inputs']; outputs: TryModelInfo['outputs'] };
      const sample = this.target.sample ?? {
        request: { inputs: meta.inputs.map((i) => ({ name: i.name, shape: i.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1)), datatype: i.datatype, data: Array(i.shape.reduce<number>((a, d) => a * (typeof d === 'number' && d > 0 ? d : 1), 1)).fill(0) })) },
        source: 'zeros',
      };
      this.info = {
        endpoint: this.target.endpoint,
        modelName: meta.name,
        version: meta.versions?.[0] ?? '',
        inputs: meta.inputs,
        outputs: meta.outputs,
        ...(this.target.features ? { features: this.target.features } : {}),
        sample: JSON.stringify(sample.request, null, 2),
        sampleSource: sample.source,
      };
      this.post({ type: 'model', info: this.info });
    } catch (e) {
      this.post({ type: 'error', message: `Cannot reach the model at ${this.target.endpoint}: ${(e as Error).message}` });
    }
  }

  /** Sends a v2 infer request; the result is shown and kept (tests read it). */
  async run(requestText: string): Promise<TryResult> {
    const t0 = performance.now();
    let result: TryResult;
    try {
      const r = await fetch(`${this.target.endpoint}/v2/models/${encodeURIComponent(this.target.modelName)}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: requestText,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await r.text();
      let body = text;
      try {
        body = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        /* not JSON: show as it came */
      }
      result = { status: r.status, body, roundTripMs: performance.now() - t0 };
    } catch (e) {
      result = { status: 0, body: `The request failed: ${(e as Error).message}`, roundTripMs: performance.now() - t0 };
    }
    this.lastResult = result;
    this.post({ type: 'result', result });
    return result;
  }

  private html(): string {
    return webviewHtml(this.panel.webview, this.extensionUri, 'try', {
      loading: 'Loading the model…',
      style: `
.tables { display: flex; gap: 32px; flex-wrap: wrap; }
table { border-collapse: collapse; } caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { text-align: left; padding: 2px 10px; border-bottom: 1px solid var(--vscode-panel-border); }
textarea { width: 100%; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); }
pre { background: var(--vscode-textCodeBlock-background); padding: 8px; white-space: pre-wrap; font-family: var(--vscode-editor-font-family); }
.actions { margin: 8px 0; }
`,
    });
  }


  dispose(): void {
    if (!TryPanel.open.delete(this)) return;
    this.target.onClose?.();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}
