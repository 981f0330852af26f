// The drift panel: the data set's verdict, a sortable table of the features' tests, reference vs
// current distributions of the selected feature, a time window over the current data, and model
// quality over time when the data carries ground truth.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Title, Tooltip, type ChartDataset } from 'chart.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { WINDOW_PRESETS, type DriftPanelData, type FeatureView, type FromWebview, type QualityBucket, type ToWebview, type WindowChoice, type WindowPreset } from './protocol';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip, Title);

declare function acquireVsCodeApi(): { postMessage(msg: FromWebview): void; getState(): unknown; setState(state: unknown): void };
const vscode = acquireVsCodeApi();
const root = document.getElementById('root')!;

type SortKey = 'name' | 'type' | 'method' | 'score' | 'threshold' | 'drifted';
interface UiState {
  sort?: { key: SortKey; dir: 1 | -1 };
  selected?: string;
  /** the custom window being edited, before Apply */
  custom?: { from: string; to: string };
}
const ui: UiState = (vscode.getState() as UiState | undefined) ?? {};
const save = () => vscode.setState(ui);

let last: DriftPanelData | undefined;
let featureChart: Chart | undefined;
let qualityChart: Chart | undefined;

// ---- helpers -------------------------------------------------------------------------------

const css = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
const colors = () => ({
  reference: css('--vscode-charts-blue', '#3794ff'),
  current: css('--vscode-charts-orange', '#d18616'),
  green: css('--vscode-charts-green', '#89d185'),
  fg: css('--vscode-foreground', '#cccccc'),
  grid: css('--vscode-panel-border', 'rgba(128,128,128,0.35)'),
});

/** a theme color with transparency, so overlaid bars show each other */
function alpha(color: string, a: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${a})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/i.exec(color)?.[1]?.split(',').slice(0, 3).join(',');
  return rgb ? `rgba(${rgb}, ${a})` : color;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

/** a @vscode-elements control (custom element) */
function control(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement & { value: string } {
  return el(tag as 'div', attrs, ...children) as unknown as HTMLElement & { value: string };
}

function button(label: string, onClick: () => void, secondary = false, id?: string): HTMLElement {
  const b = control('vscode-button', { ...(secondary ? { secondary: '' } : {}), ...(id ? { id } : {}) }, label);
  b.addEventListener('click', onClick);
  return b;
}

function select(id: string, options: readonly { value: string; label: string }[], value: string, onChange: (v: string) => void): HTMLElement {
  const s = control('vscode-single-select', { id }, ...options.map((o) => control('vscode-option', { value: o.value, ...(o.value === value ? { selected: '' } : {}) }, o.label)));
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

const num = (x: number) => (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2) : String(Number(x.toPrecision(4))));
const pct = (x: number) => `${Number((x * 100).toFixed(1))}%`;
const count = (n: number) => n.toLocaleString('en-US');
/** ISO 8601 as people read it, in UTC (the data's time zone) */
const when = (iso: string | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '…');
const post = (msg: FromWebview) => vscode.postMessage(msg);

// ---- the time window -----------------------------------------------------------------------

function windowControls(data: DriftPanelData): HTMLElement {
  const box = el('div', { class: 'controls', id: 'window' });
  if (!data.timeColumns.length) {
    box.append(el('p', { class: 'meta' }, 'The current data has no time column (a timestamp or a date): all of it is compared.'));
    return box;
  }
  const column = data.applied?.column ?? data.window.column ?? (data.timeColumns.find((c) => c.name === 'timestamp') ?? data.timeColumns[0]!).name;
  const info = data.timeColumns.find((c) => c.name === column);
  const choose = (w: WindowChoice) => post({ type: 'setWindow', window: w });
  box.append(
    el(
      'label',
      {},
      'Time column',
      select('window-column', data.timeColumns.map((c) => ({ value: c.name, label: c.name })), column, (v) => choose({ ...data.window, column: v })),
    ),
    el(
      'label',
      {},
      'Window',
      select('window-preset', WINDOW_PRESETS.map((p) => ({ value: p.preset, label: p.label })), data.window.preset, (v) => {
        const preset = v as WindowPreset;
        if (preset === 'custom') {
          // empty To: up to the newest record, included
          ui.custom = { from: (data.applied?.from ?? info?.min ?? '').slice(0, 16), to: (data.applied?.to ?? '').slice(0, 16) };
          save();
          if (last) render(last, { ...data.window, preset: 'custom' });
        } else choose({ preset, column });
      }),
    ),
  );
  if (data.window.preset === 'custom') {
    const from = control('vscode-textfield', { id: 'window-from', type: 'datetime-local', value: ui.custom?.from ?? data.window.from?.slice(0, 16) ?? '' });
    const to = control('vscode-textfield', { id: 'window-to', type: 'datetime-local', value: ui.custom?.to ?? data.window.to?.slice(0, 16) ?? '' });
    // the inputs are read as UTC, the data's time zone
    const iso = (v: string) => (v ? new Date(`${v}${v.length === 16 ? ':00' : ''}Z`).toISOString() : undefined);
    box.append(
      el('label', {}, 'From (UTC)', from),
      el('label', { title: 'excluded; empty: up to the newest record' }, 'To (UTC)', to),
      button('Apply', () => {
        ui.custom = { from: from.value, to: to.value };
        save();
        const [f, t] = [iso(from.value), iso(to.value)];
        choose({ preset: 'custom', column, ...(f ? { from: f } : {}), ...(t ? { to: t } : {}) });
      }, false, 'window-apply'),
    );
  }
  const applied = data.applied;
  box.append(
    el(
      'span',
      { class: 'meta' },
      applied && (applied.from || applied.to)
        ? `${applied.column} in [${when(applied.from)}, ${when(applied.to)}) · ${count(data.drift.current.rows)} rows`
        : `${column}: ${when(info?.min)} to ${when(info?.max)}`,
    ),
  );
  return box;
}

// ---- verdict, table, chart -----------------------------------------------------------------

function banner(data: DriftPanelData): HTMLElement {
  const d = data.drift;
  const tested = d.features.length;
  const text = d.datasetDrift ? 'Data set drift' : 'No data set drift';
  const box = el(
    'div',
    { class: `banner ${d.datasetDrift ? 'drift' : 'nodrift'}`, id: 'verdict', role: 'status' },
    el('span', { class: 'verdict' }, text),
    el('span', { class: 'grow' }, `${d.driftedColumns} of ${tested} features drifted (${pct(d.driftShare)}; the data set drifts at ${pct(d.shareThreshold)}) · reference ${count(d.reference.rows)} rows, current ${count(d.current.rows)} rows`),
  );
  if (d.datasetDrift) box.append(button('Start Retraining', () => post({ type: 'retrain' }), data.onDrift !== 'retrain', 'retrain'));
  return box;
}

const SORTERS: Record<SortKey, (a: FeatureView, b: FeatureView) => number> = {
  name: (a, b) => a.name.localeCompare(b.name),
  type: (a, b) => a.type.localeCompare(b.type),
  method: (a, b) => a.method.localeCompare(b.method),
  score: (a, b) => (a.score ?? Infinity) - (b.score ?? Infinity),
  threshold: (a, b) => a.threshold - b.threshold,
  drifted: (a, b) => Number(a.drifted) - Number(b.drifted),
};

function featureTable(data: DriftPanelData): HTMLElement {
  const features = [...data.drift.features];
  if (ui.sort) {
    const { key, dir } = ui.sort;
    features.sort((a, b) => dir * SORTERS[key](a, b) || a.name.localeCompare(b.name));
  }
  const heads: [SortKey, string, string][] = [
    ['name', 'Feature', ''],
    ['type', 'Type', ''],
    ['method', 'Test', 'the statistical test (auto: KS for numbers, chi-square or z-test for categories)'],
    ['score', 'Score', 'a p-value drifts below its threshold; a distance (wasserstein, jensenshannon, psi) above it'],
    ['threshold', 'Threshold', ''],
    ['drifted', 'Drift', ''],
  ];
  const head = el(
    'tr',
    {},
    ...heads.map(([key, label, title]) => {
      const th = el('th', { 'data-sort': key, ...(title ? { title } : {}), ...(ui.sort?.key === key ? { 'aria-sort': ui.sort.dir === 1 ? 'ascending' : 'descending' } : {}) }, label);
      th.addEventListener('click', () => {
        ui.sort = { key, dir: ui.sort?.key === key ? (-ui.sort.dir as 1 | -1) : key === 'drifted' ? -1 : 1 };
        save();
        rerenderTable(data);
      });
      return th;
    }),
  );
  const rows = features.map((f) => {
    const tr = el(
      'tr',
      { 'data-feature': f.name, tabindex: '0', ...(f.name === ui.selected ? { class: 'selected', 'aria-selected': 'true' } : {}) },
      el('td', {}, f.name),
      el('td', {}, f.type),
      el('td', {}, f.method),
      el('td', { class: 'num', title: f.scoreKind === 'p_value' ? 'p-value' : 'distance' }, f.scoreText),
      el('td', { class: 'num' }, num(f.threshold)),
      el('td', {}, el('span', { class: `pill ${f.drifted ? 'drift' : 'ok'}` }, f.drifted ? 'drift' : 'no')),
    );
    const pick = () => {
      ui.selected = f.name;
      save();
      rerenderTable(data);
      showFeature(data);
    };
    tr.addEventListener('click', pick);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        pick();
      }
    });
    return tr;
  });
  return el('table', { id: 'features' }, el('thead', {}, head), el('tbody', {}, ...rows));
}

function rerenderTable(data: DriftPanelData): void {
  document.getElementById('features')?.replaceWith(featureTable(data));
}

function showFeature(data: DriftPanelData): void {
  featureChart?.destroy();
  featureChart = undefined;
  const box = document.getElementById('feature')!;
  const f = data.drift.features.find((x) => x.name === ui.selected);
  if (!f) {
    box.replaceChildren(el('p', { class: 'meta' }, data.drift.features.length ? 'Select a feature to see its distributions.' : 'No feature was tested.'));
    return;
  }
  const h = f.histogram;
  const labels = h.kind === 'bins' ? h.reference.map((_, i) => `${num(h.edges[i]!)} – ${num(h.edges[i + 1]!)}`) : [...h.labels];
  const ref = [...h.reference];
  const cur = [...h.current];
  if (h.kind === 'categories' && h.other) {
    labels.push(`other (${h.other.categories} categories)`);
    ref.push(h.other.reference);
    cur.push(h.other.current);
  }
  const share = (xs: number[]) => {
    const total = xs.reduce((a, b) => a + b, 0) || 1;
    return xs.map((x) => x / total);
  };
  const c = colors();
  const dataset = (label: string, counts: number[], color: string): ChartDataset<'bar'> => ({
    label,
    data: share(counts),
    backgroundColor: alpha(color, 0.45),
    borderColor: color,
    borderWidth: 1,
    grouped: false, // overlaid: both sides share each bin
    barPercentage: h.kind === 'bins' ? 1 : 0.8,
    categoryPercentage: h.kind === 'bins' ? 1 : 0.8,
  });
  const canvas = el('canvas', { role: 'img', 'aria-label': `reference and current distributions of ${f.name}` });
  const verdict = `${f.method} ${f.scoreKind === 'p_value' ? 'p' : 'distance'} = ${f.scoreText}, threshold ${num(f.threshold)}: ${f.drifted ? 'drift' : 'no drift'}`;
  box.replaceChildren(el('h3', {}, f.name), el('p', { class: 'meta' }, verdict), el('div', { class: 'chart', 'data-feature': f.name }, canvas));
  featureChart = new Chart(canvas, {
    type: 'bar',
    data: { labels, datasets: [dataset(`reference (${count(f.referenceCount)})`, ref, c.reference), dataset(`current (${count(f.currentCount)})`, cur, c.current)] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { ticks: { color: c.fg, maxRotation: 60, autoSkip: true }, grid: { display: false } },
        y: { beginAtZero: true, ticks: { color: c.fg, callback: (v) => pct(Number(v)) }, grid: { color: c.grid }, title: { display: true, text: 'share of rows', color: c.fg } },
      },
      plugins: {
        legend: { labels: { color: c.fg } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const counts = item.datasetIndex === 0 ? ref : cur;
              return `${item.dataset.label?.split(' ')[0]}: ${pct(Number(item.raw))} (${count(counts[item.dataIndex] ?? 0)} rows)`;
            },
          },
        },
      },
    },
  });
}

// ---- model quality over time ---------------------------------------------------------------

const BUCKET_MS: Record<QualityBucket, number> = { hour: 3_600_000, day: 86_400_000, week: 604_800_000 };

function qualitySection(data: DriftPanelData): HTMLElement {
  const box = el('section', { id: 'quality' });
  const q = data.quality;
  const controls = el(
    'div',
    { class: 'controls' },
    el(
      'label',
      {},
      'Per',
      select('quality-bucket', (['hour', 'day', 'week'] as const).map((b) => ({ value: b, label: b })), data.bucket, (v) => post({ type: 'setBucket', bucket: v as QualityBucket })),
    ),
    button(data.groundTruth ? 'Change Ground Truth…' : 'Choose Ground Truth File…', () => post({ type: 'chooseGroundTruth' }), true, 'ground-truth'),
  );
  if (data.groundTruth) controls.append(el('span', { class: 'meta' }, `labels from ${data.groundTruth}`), button('Clear', () => post({ type: 'clearGroundTruth' }), true));
  box.append(el('h2', {}, 'Model quality over time'), controls);
  if (q.kind === 'unavailable') {
    box.append(
      el('p', { class: 'meta' }, `Not shown: ${q.reason}.`),
      el('p', { class: 'meta' }, 'Ground truth is a label column in the records, or a file of request_id (and row) with label, joined to the inference log. Predictions are outputs.label or a prediction column.'),
    );
    return box;
  }
  if (q.kind === 'error') {
    box.append(el('p', { class: 'error' }, q.message));
    return box;
  }
  const v = q.view;
  const auc = v.overall.auc !== undefined ? `; ROC AUC ${v.overall.auc.toFixed(3)} (${v.probabilitySource}, positive class ${v.positiveLabel})` : '';
  box.append(
    el(
      'p',
      { class: 'meta', id: 'quality-summary' },
      `Accuracy ${v.overall.accuracy === null ? '—' : pct(v.overall.accuracy)} on ${count(v.overall.count)} predictions with ground truth (${count(v.unlabeled)} without)${auc}; labels from ${v.labelSource === 'file' ? 'the ground truth file' : 'the records'}, predictions from ${v.predictionSource}, by ${v.timestampColumn}.`,
    ),
  );
  if (v.messages.length) box.append(el('ul', { class: 'messages' }, ...v.messages.map((m) => el('li', { class: 'warning' }, m))));
  if (!v.points.length) return box;
  const canvas = el('canvas', { role: 'img', 'aria-label': 'model quality over time' });
  box.append(el('div', { class: 'chart' }, canvas));
  // a missing bucket breaks the line (null), rather than joining its neighbours
  const series = (pick: (p: (typeof v.points)[number]) => number | undefined) => {
    const out: { x: number; y: number | null }[] = [];
    let prev: number | undefined;
    for (const p of v.points) {
      const x = Date.parse(p.start);
      if (prev !== undefined && x - prev > BUCKET_MS[v.bucket] * 1.5) out.push({ x: prev + BUCKET_MS[v.bucket], y: null });
      out.push({ x, y: pick(p) ?? null });
      prev = x;
    }
    return out;
  };
  const c = colors();
  const counts = new Map(v.points.map((p) => [Date.parse(p.start), p.count]));
  const xs = [...counts.keys()];
  const datasets: ChartDataset<'line', { x: number; y: number | null }[]>[] = [
    { label: 'accuracy', data: series((p) => p.accuracy), borderColor: c.reference, backgroundColor: c.reference, pointRadius: v.points.length > 60 ? 0 : 3, borderWidth: 1.5, spanGaps: false },
  ];
  if (v.points.some((p) => p.auc !== undefined)) {
    datasets.push({ label: 'ROC AUC', data: series((p) => p.auc), borderColor: c.green, backgroundColor: c.green, pointRadius: v.points.length > 60 ? 0 : 3, borderWidth: 1.5, spanGaps: false });
  }
  const tick = (ms: number) => {
    const iso = new Date(ms).toISOString();
    return v.bucket === 'hour' ? iso.slice(5, 16).replace('T', ' ') : iso.slice(0, 10);
  };
  qualityChart = new Chart(canvas, {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      scales: {
        x: {
          type: 'linear',
          min: xs[0]! - BUCKET_MS[v.bucket] / 2,
          max: xs[xs.length - 1]! + BUCKET_MS[v.bucket] / 2,
          // one tick per bucket with data (thinned by autoSkip), at its start
          afterBuildTicks: (scale) => {
            scale.ticks = xs.map((value) => ({ value }));
          },
          ticks: { color: c.fg, callback: (val) => tick(Number(val)), maxRotation: 45, autoSkip: true },
          grid: { color: c.grid },
          title: { display: true, text: `${v.bucket} (UTC)`, color: c.fg },
        },
        y: { min: 0, max: 1, ticks: { color: c.fg, callback: (val) => pct(Number(val)) }, grid: { color: c.grid } },
      },
      plugins: {
        legend: { labels: { color: c.fg } },
        tooltip: {
          callbacks: {
            title: (items) => (items[0] ? `${tick(Number(items[0].parsed.x))} · ${count(counts.get(Number(items[0].parsed.x)) ?? 0)} labeled` : ''),
            label: (item) => `${item.dataset.label}: ${item.parsed.y === null ? '—' : (item.parsed.y as number).toFixed(3)}`,
          },
        },
      },
    },
  });
  return box;
}

// ---- the page ------------------------------------------------------------------------------

function render(data: DriftPanelData, editing?: WindowChoice): void {
  last = data;
  featureChart?.destroy();
  qualityChart?.destroy();
  featureChart = qualityChart = undefined;
  const d = data.drift;
  if (!d.features.some((f) => f.name === ui.selected)) {
    ui.selected = (d.features.find((f) => f.drifted) ?? d.features[0])?.name;
    save();
  }
  const header = el(
    'header',
    {},
    el('h1', {}, `Drift · ${data.projectName}`),
    el('span', { class: 'meta' }, `${d.method} tests · computed ${new Date(data.computedAt).toLocaleTimeString()} in ${(data.elapsedMs / 1000).toFixed(1)} s`),
    button('Refresh', () => post({ type: 'refresh' }), true, 'refresh'),
  );
  const windowBox = windowControls(editing ? { ...data, window: editing } : data);
  const layout = el('div', { class: 'layout' }, el('div', {}, featureTable(data)), el('div', { id: 'feature' }));
  const notes: HTMLElement[] = [];
  if (d.skipped.length) notes.push(el('h2', {}, `Not tested (${d.skipped.length})`), el('ul', { class: 'messages' }, ...d.skipped.map((s) => el('li', {}, `${s.name}: ${s.reason}`))));
  const msgs = d.messages.filter((m) => m.level !== 'info');
  if (msgs.length) notes.push(el('h2', {}, 'Messages'), el('ul', { class: 'messages' }, ...msgs.map((m) => el('li', { class: m.level }, m.text))));
  content.replaceChildren(
    header,
    el('p', { class: 'meta' }, `${data.project} · reference ${d.reference.source} · current ${d.current.source}`),
    windowBox,
    banner(data),
    el('h2', {}, `Features (${d.features.length})`),
    layout,
    qualitySection(data),
    ...notes,
  );
  showFeature(data);
  document.body.dataset.ready = 'true';
}

const status = el('div', { id: 'status', class: 'controls' });
const content = el('div', { id: 'content' });
root.replaceChildren(status, content);

function showError(msg: Extract<ToWebview, { type: 'error' }>): void {
  featureChart?.destroy();
  qualityChart?.destroy();
  featureChart = qualityChart = undefined;
  const box = el('div', { id: 'problem' }, el('h1', {}, 'Drift'), el('p', { class: 'error' }, msg.message));
  if (msg.fix) box.append(el('p', {}, msg.fix));
  if (msg.action) box.append(button(msg.actionLabel ?? 'Fix', () => post({ type: 'fix', action: msg.action! }), false, 'fix'));
  content.replaceChildren(box);
  document.body.dataset.ready = 'true';
}

// theme changes repaint the charts with the new colors
new MutationObserver(() => last && content.querySelector('#features') && render(last)).observe(document.body, { attributes: true, attributeFilter: ['class'] });

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const msg = event.data;
  if (msg.type === 'loading') {
    status.replaceChildren(control('vscode-progress-ring'), el('span', { class: 'meta' }, msg.text), button('Cancel', () => post({ type: 'cancel' }), true, 'cancel'));
    content.style.opacity = '0.6';
    delete document.body.dataset.ready;
    return;
  }
  status.replaceChildren();
  content.style.opacity = '';
  if (msg.type === 'data') render(msg.data);
  else showError(msg);
});
post({ type: 'ready' });
