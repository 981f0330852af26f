// The feature view panel: the view's first rows with their column types, and a feature's
// statistics (measures, top values, a histogram). Every value goes in as text, never as HTML.
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { FeaturesPanelState, FromWebview, Loadable, PreviewView, StatsView, ToWebview } from './protocol';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

declare function acquireVsCodeApi(): { postMessage(msg: FromWebview): void };
const vscode = acquireVsCodeApi();
const root = document.getElementById('root')!;
const post = (msg: FromWebview) => vscode.postMessage(msg);

let chart: Chart | undefined;
let last: FeaturesPanelState | undefined;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function button(label: string, onClick: () => void, attrs: Record<string, string> = {}): HTMLElement {
  const b = el('vscode-button' as 'button', attrs, label);
  b.addEventListener('click', onClick);
  return b;
}

const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

function loading(text: string, cancel: boolean): HTMLElement {
  const box = el('div', { class: 'status' }, el('vscode-progress-ring' as 'div'), el('span', { class: 'meta' }, text));
  if (cancel) box.append(button('Cancel', () => post({ type: 'cancel' }), { secondary: '', id: 'cancel' }));
  return box;
}

function problem<T>(l: Loadable<T>, id: string): HTMLElement | undefined {
  if (l.state === 'loading') return loading(l.text, true);
  if (l.state === 'error') return el('p', { class: 'error', id }, l.message);
  return undefined;
}

// ---- preview -------------------------------------------------------------------------------

const ROLE_TITLES = { 'join-key': 'join key of the entity', timestamp: 'event timestamp of the source', feature: 'feature' } as const;

function previewTable(p: PreviewView): HTMLElement {
  const head = el(
    'tr',
    {},
    ...p.columns.map((c) =>
      el('th', { class: c.role, title: `${ROLE_TITLES[c.role]}${c.declared ? `, declared ${c.declared}` : ''}` }, c.name, el('span', { class: 'type' }, c.declared ? `${c.declared} · ${c.type}` : c.type)),
    ),
  );
  const rows = p.rows.map((r) => el('tr', {}, ...r.map((cell) => el('td', { class: cell.kind }, cell.text))));
  return el('div', { class: 'scroll' }, el('table', { id: 'preview' }, el('thead', {}, head), el('tbody', {}, ...rows)));
}

function previewSection(s: FeaturesPanelState): HTMLElement {
  const box = el('section', {}, el('h2', {}, 'First rows'));
  const wait = problem(s.preview, 'preview-error');
  if (wait) box.append(wait);
  else if (s.preview.state === 'ok') {
    const p = s.preview.data;
    box.append(
      el('p', { class: 'meta', id: 'preview-meta' }, p.rows.length < p.limit ? `all ${p.rows.length} rows of the source, in file order` : `the first ${p.rows.length} rows, in file order`),
      p.rows.length ? previewTable(p) : el('p', { class: 'meta' }, 'The source has no rows.'),
    );
  }
  return box;
}

// ---- statistics ----------------------------------------------------------------------------

function drawHistogram(canvas: HTMLCanvasElement, s: StatsView): void {
  const bins = s.histogram ?? [];
  const fg = css('--vscode-foreground', '#cccccc');
  const bar = css('--vscode-charts-blue', '#3794ff');
  chart = new Chart(canvas, {
    type: 'bar',
    data: { labels: bins.map((b) => b.label), datasets: [{ label: 'rows', data: bins.map((b) => b.count), backgroundColor: bar, barPercentage: 1, categoryPercentage: 0.95 }] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { ticks: { color: fg, maxRotation: 60, autoSkip: true }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: fg }, grid: { color: css('--vscode-panel-border', 'rgba(128,128,128,0.35)') }, title: { display: true, text: 'rows', color: fg } },
      },
      plugins: { tooltip: { callbacks: { label: (item) => `${Number(item.raw).toLocaleString('en-US')} rows` } } },
    },
  });
}

function statsSection(s: FeaturesPanelState): HTMLElement {
  const box = el('section', { id: 'stats-section' }, el('h2', {}, 'Statistics'));
  const chips = el(
    'div',
    { class: 'chips', role: 'toolbar', 'aria-label': 'features' },
    ...s.features.map((f) =>
      button(f.name, () => post({ type: 'stats', feature: f.name }), { secondary: '', title: `${f.type}: compute its statistics`, 'data-feature': f.name, 'aria-pressed': String(f.name === s.selected) }),
    ),
  );
  box.append(chips);
  if (s.stats.state === 'idle') {
    box.append(el('p', { class: 'meta' }, 'Choose a feature: its statistics are computed over every row of the source.'));
    return box;
  }
  const wait = problem(s.stats, 'stats-error');
  if (wait) {
    box.append(wait);
    return box;
  }
  if (s.stats.state !== 'ok') return box;
  const st = s.stats.data;
  const name = el('a', { title: 'go to its definition in slipway.yaml' }, st.feature);
  name.addEventListener('click', () => post({ type: 'goToDefinition', feature: st.feature }));
  const metrics = el('table', { id: 'metrics' }, el('tbody', {}, ...st.metrics.map((m) => el('tr', {}, el('th', m.title ? { title: m.title } : {}, m.label), el('td', {}, m.value)))));
  const side = el('div', {});
  if (st.histogram?.length) {
    const canvas = el('canvas', { role: 'img', 'aria-label': `histogram of ${st.feature}` });
    side.append(el('div', { class: 'chart', id: 'histogram' }, canvas));
    queueMicrotask(() => drawHistogram(canvas, st));
  } else if (st.top?.length) {
    side.append(
      el(
        'table',
        { id: 'top' },
        el('thead', {}, el('tr', {}, el('th', {}, 'most frequent'), el('th', {}, 'rows'), el('th', {}, 'share'))),
        el('tbody', {}, ...st.top.map((t) => el('tr', {}, el('td', {}, t.value), el('td', { class: 'number' }, t.count.toLocaleString('en-US')), el('td', { class: 'number' }, t.share)))),
      ),
    );
  } else side.append(el('p', { class: 'meta' }, 'No values to chart.'));
  box.append(
    el('h3', {}, name, ' ', el('span', { class: 'meta' }, st.summary)),
    el('div', { class: 'stats' }, metrics, side),
    el('p', { class: 'meta' }, `computed in ${(st.elapsedMs / 1000).toFixed(2)} s`),
  );
  return box;
}

// ---- the page ------------------------------------------------------------------------------

function render(s: FeaturesPanelState): void {
  last = s;
  chart?.destroy();
  chart = undefined;
  const title = el('a', { title: 'go to its definition in slipway.yaml' }, s.view);
  title.addEventListener('click', () => post({ type: 'goToDefinition' }));
  const header = el('header', {}, el('h1', {}, title), button('Refresh', () => post({ type: 'refresh' }), { secondary: '', id: 'refresh' }));
  const about = s.entity ? `entity ${s.entity} (${s.joinKeys.join(', ') || 'undeclared'}) · source ${s.source} (${s.sourcePath || 'undeclared'}) · ${s.features.length} features` : '';
  root.replaceChildren(header, el('p', { class: 'meta' }, about), previewSection(s), statsSection(s));
  const busy = s.preview.state === 'loading' || s.stats.state === 'loading';
  if (busy) delete document.body.dataset.ready;
  else document.body.dataset.ready = 'true';
}

// theme changes repaint the chart with the new colors
new MutationObserver(() => last && render(last)).observe(document.body, { attributes: true, attributeFilter: ['class'] });

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  if (event.data.type === 'state') render(event.data.state);
});
post({ type: 'ready' });
