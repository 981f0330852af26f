// The run panel: one run's details, or 2+ runs compared — metric histories on step charts,
// a param/metric table with the differences highlighted, and the runs' artifacts.
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip } from 'chart.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { FromWebview, RunsPanelData, ToWebview } from './protocol';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Title);

declare function acquireVsCodeApi(): { postMessage(msg: FromWebview): void };
const vscode = acquireVsCodeApi();
const root = document.getElementById('root')!;
let charts: Chart[] = [];
let differencesOnly = false;
let last: RunsPanelData | undefined;

const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const palette = () =>
  ['--vscode-charts-blue', '--vscode-charts-orange', '--vscode-charts-green', '--vscode-charts-red', '--vscode-charts-purple', '--vscode-charts-yellow'].map((v, i) =>
    css(v, ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700'][i]!),
  );

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function fmt(v: number | string | undefined): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : String(Math.round(v * 1e6) / 1e6);
}

function table(data: RunsPanelData): HTMLElement {
  const runs = data.runs;
  const rows: { section: string; key: string; values: (string | number | undefined)[] }[] = [];
  const keys = (pick: (r: (typeof runs)[number]) => Record<string, unknown>) => [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  for (const k of keys((r) => r.metrics)) rows.push({ section: 'metric', key: k, values: runs.map((r) => r.metrics[k]) });
  for (const k of keys((r) => r.params)) rows.push({ section: 'param', key: k, values: runs.map((r) => r.params[k]) });
  const head = el('tr', {}, el('th', {}, ''), ...runs.map((r) => el('th', { title: r.runId }, r.name)));
  const body = rows
    .map((row) => ({ row, differs: runs.length > 1 && new Set(row.values.map((v) => fmt(v))).size > 1 }))
    .filter(({ differs }) => !differencesOnly || differs)
    .map(({ row, differs }) => el('tr', differs ? { class: 'differs' } : {}, el('td', { class: 'key' }, el('span', { class: `badge ${row.section}` }, row.section), ` ${row.key}`), ...row.values.map((v) => el('td', {}, fmt(v)))));
  const t = el('table', { id: 'diff' }, el('thead', {}, head), el('tbody', {}, ...body));
  return t;
}

function render(data: RunsPanelData): void {
  last = data;
  for (const c of charts) c.destroy();
  charts = [];
  root.replaceChildren();
  const title = data.runs.length === 1 ? `Run ${data.runs[0]!.name}` : `Comparing ${data.runs.length} runs`;
  const toggle = el('vscode-checkbox' as 'div', { id: 'differences', label: 'Only differences' });
  if (differencesOnly) toggle.setAttribute('checked', '');
  toggle.addEventListener('change', () => {
    differencesOnly = !differencesOnly;
    if (last) render(last);
  });
  const refresh = el('vscode-button' as 'div', { secondary: '' }, 'Refresh');
  refresh.addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));
  root.append(el('header', {}, el('h1', {}, title), toggle, refresh));
  root.append(
    el(
      'p',
      { class: 'meta' },
      ...data.runs.flatMap((r, i) => [
        el('span', { class: 'swatch', style: `background:${palette()[i % 6]}` }),
        `${r.name} · ${r.status.toLowerCase()}${r.startTime ? ` · ${new Date(r.startTime).toLocaleString()}` : ''}${r.parentRunId ? ' · nested' : ''}`,
        el('br'),
      ]),
    ),
  );
  root.append(el('h2', {}, 'Parameters and metrics'), table(data));

  const metricKeys = [...new Set(data.runs.flatMap((r) => Object.keys(data.histories[r.runId] ?? {})))].sort();
  root.append(el('h2', {}, `Metric histories (${metricKeys.length})`));
  const grid = el('div', { class: 'charts' });
  root.append(grid);
  const colors = palette();
  const fg = css('--vscode-foreground', '#ccc');
  const gridColor = css('--vscode-panel-border', 'rgba(128,128,128,0.3)');
  for (const key of metricKeys) {
    const canvas = el('canvas', { 'aria-label': `history of ${key}`, role: 'img' });
    grid.append(el('div', { class: 'chart', 'data-metric': key }, canvas));
    charts.push(
      new Chart(canvas, {
        type: 'line',
        data: {
          datasets: data.runs.map((r, i) => ({
            label: r.name,
            data: (data.histories[r.runId]?.[key] ?? []).map((p) => ({ x: p.step, y: p.value })),
            borderColor: colors[i % colors.length],
            backgroundColor: colors[i % colors.length],
            pointRadius: (data.histories[r.runId]?.[key]?.length ?? 0) > 30 ? 0 : 2,
            borderWidth: 1.5,
            spanGaps: false,
          })),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          parsing: false,
          scales: {
            x: { type: 'linear', title: { display: true, text: 'step', color: fg }, ticks: { color: fg }, grid: { color: gridColor } },
            y: { ticks: { color: fg }, grid: { color: gridColor } },
          },
          plugins: { title: { display: true, text: key, color: fg }, legend: { display: data.runs.length > 1, labels: { color: fg } } },
        },
      }),
    );
  }
  root.append(el('h2', {}, 'Artifacts'));
  for (const r of data.runs) {
    const files = data.artifacts[r.runId] ?? [];
    const list = el('ul', { class: 'artifacts' });
    for (const f of files) {
      const a = el('a', { href: '#', 'data-run': r.runId, 'data-path': f.path }, `${f.path}${f.isDir ? '/' : ''}`);
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        vscode.postMessage({ type: 'openArtifact', runId: r.runId, path: f.path });
      });
      list.append(el('li', {}, a));
    }
    root.append(el('h3', {}, r.name), files.length ? list : el('p', { class: 'meta' }, 'no artifacts'));
  }
  document.body.dataset.ready = 'true';
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const msg = event.data;
  if (msg.type === 'data') render(msg.data);
  else if (msg.type === 'loading') root.replaceChildren(el('p', { class: 'meta' }, msg.text));
  else if (msg.type === 'error') root.replaceChildren(el('p', { class: 'error' }, msg.message));
});
vscode.postMessage({ type: 'ready' });
