// The Try panel: a model's inputs and outputs, a JSON editor for a v2 request (pre-filled from a
// row of the reference data), Run, and the outputs with their latency.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import type { FromTryWebview, ToTryWebview, TryModelInfo } from './protocol';

declare function acquireVsCodeApi(): { postMessage(msg: FromTryWebview): void };
const vscode = acquireVsCodeApi();
const root = document.getElementById('root')!;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

const tensorTable = (title: string, rows: TryModelInfo['inputs']) =>
  el('table', {}, el('caption', {}, title), el('tr', {}, el('th', {}, 'name'), el('th', {}, 'type'), el('th', {}, 'shape')), ...rows.map((t) => el('tr', {}, el('td', {}, t.name), el('td', {}, t.datatype), el('td', {}, `[${t.shape.join(', ')}]`))));

function render(info: TryModelInfo): void {
  const editor = el('textarea', { id: 'request', spellcheck: 'false', rows: '14' });
  editor.value = info.sample;
  const run = el('vscode-button' as 'button', { id: 'run' }, 'Run');
  const output = el('pre', { id: 'output', class: 'meta' }, 'Run the request to see the outputs.');
  const latency = el('p', { id: 'latency', class: 'meta' });
  run.addEventListener('click', () => {
    output.textContent = 'Running…';
    vscode.postMessage({ type: 'run', request: editor.value });
  });
  root.replaceChildren(
    el('h1', {}, `${info.modelName} `, el('span', { class: 'meta' }, `version ${info.version}`)),
    el('p', { class: 'meta' }, `Endpoint ${info.endpoint}/v2/models/${info.modelName}/infer`),
    el('div', { class: 'tables' }, tensorTable('Inputs', info.inputs), tensorTable('Outputs', info.outputs)),
    info.features?.length ? el('p', { class: 'meta' }, `Features, in order: ${info.features.join(', ')}`) : '',
    el('h2', {}, 'Request'),
    el('p', { class: 'meta' }, `Pre-filled from ${info.sampleSource}. Edit it freely.`),
    editor,
    el('div', { class: 'actions' }, run),
    el('h2', {}, 'Response'),
    latency,
    output,
  );
}

window.addEventListener('message', (event: MessageEvent<ToTryWebview>) => {
  const msg = event.data;
  if (msg.type === 'model') render(msg.info);
  else if (msg.type === 'result') {
    document.getElementById('output')!.textContent = msg.result.body;
    document.getElementById('output')!.className = msg.result.status === 200 ? '' : 'error';
    document.getElementById('latency')!.textContent = `HTTP ${msg.result.status} · ${msg.result.roundTripMs.toFixed(2)} ms round trip`;
    document.body.dataset.result = String(msg.result.status);
  } else root.replaceChildren(el('p', { class: 'error' }, msg.message));
});
vscode.postMessage({ type: 'ready' });
