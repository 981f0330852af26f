import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

/** What every Slipway panel shares: the theme's text, headings, muted and error text, the header row. */
const BASE_STYLE = `body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 0 16px 24px; }
header { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h1 { font-size: 1.4em; font-weight: 600; margin-right: auto; }
h2 { font-size: 1.1em; margin-top: 24px; border-bottom: 1px solid var(--vscode-panel-border); padding-bottom: 4px; }
.meta { color: var(--vscode-descriptionForeground); }
.error { color: var(--vscode-errorForeground); white-space: pre-wrap; }`;

/**
 * A panel's page: a strict Content Security Policy (only the bundle `out/webview/<bundle>.js`
 * runs, by nonce; styles inline; images as data: URIs for the charts), the shared styles plus
 * the panel's own, and a placeholder shown until the bundle renders.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, bundle: string, page: { readonly style: string; readonly loading: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'out', 'webview', `${bundle}.js`));
  const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${webview.cspSource} 'unsafe-inline'`, `font-src ${webview.cspSource}`, `img-src ${webview.cspSource} data:`].join('; ');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style>
${BASE_STYLE}
${page.style.trim()}
</style></head>
<body><div id="root"><p class="meta">${page.loading}</p></div>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
}
