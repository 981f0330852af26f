/**
 * A self-contained HTML drift report: one file, inline CSS and SVG, nothing fetched (its CSP
 * forbids it), readable in any browser or attached to a CI run.
 */
import { formatScore } from './report';
import type { ColumnDrift, DriftReport, Histogram, SideStats } from './types';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number) => `${Number((x * 100).toFixed(1))}%`;

const W = 640;
const H = 220;
const M = { top: 12, right: 12, bottom: 46, left: 44 };
const REF = '#3b7dd8';
const CUR = '#e8772e';

function shortNumber(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e5 || a < 1e-3 ? x.toExponential(1) : String(Number(x.toPrecision(3)));
}

/** bars of reference and current shares: overlaid on bin edges, side by side per category */
function chart(h: Histogram): string {
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0) || 1;
  const nr = total(h.reference) + (h.kind === 'categories' && h.other ? h.other.reference : 0);
  const nc = total(h.current) + (h.kind === 'categories' && h.other ? h.other.current : 0);
  const labels = h.kind === 'categories' ? [...h.labels, ...(h.other ? [`other (${h.other.categories})`] : [])] : [];
  const ref = h.kind === 'categories' && h.other ? [...h.reference, h.other.reference] : h.reference;
  const cur = h.kind === 'categories' && h.other ? [...h.current, h.other.current] : h.current;
  const sr = ref.map((c) => c / nr);
  const sc = cur.map((c) => c / nc);
  const max = Math.max(...sr, ...sc, 1e-12);
  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const y = (s: number) => M.top + ih - (s / max) * ih;
  const parts: string[] = [];
  for (const t of [0, 0.5, 1]) {
    const yy = y(max * t).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}" class="grid"/><text x="${M.left - 4}" y="${yy}" class="ytick">${pct(max * t)}</text>`);
  }
  const bar = (x: number, w: number, s: number, count: number, color: string, what: string, cls = '') =>
    `<rect x="${x.toFixed(1)}" y="${y(s).toFixed(1)}" width="${Math.max(w, 0.5).toFixed(1)}" height="${(M.top + ih - y(s)).toFixed(1)}" fill="${color}"${cls}><title>${esc(what)}: ${count} (${pct(s)})</title></rect>`;
  if (h.kind === 'bins') {
    const lo = h.edges[0];
    const hi = h.edges[h.edges.length - 1];
    const x = (v: number) => M.left + ((v - lo) / (hi - lo || 1)) * iw;
    h.edges.slice(0, -1).forEach((e, i) => {
      const x0 = x(e);
      const w = x(h.edges[i + 1]) - x0 - 1;
      const range = `[${shortNumber(e)}, ${shortNumber(h.edges[i + 1])}${i === h.edges.length - 2 ? ']' : ')'}`;
      parts.push(bar(x0, w, sr[i], ref[i], REF, `reference ${range}`, ' opacity="0.55"'), bar(x0, w, sc[i], cur[i], CUR, `current ${range}`, ' opacity="0.55"'));
    });
    const ticks = 5;
    for (let t = 0; t <= ticks; t++) {
      const v = lo + ((hi - lo) * t) / ticks;
      parts.push(`<text x="${x(v).toFixed(1)}" y="${H - M.bottom + 16}" class="xtick">${esc(shortNumber(v))}</text>`);
    }
  } else {
    const band = iw / Math.max(labels.length, 1);
    const w = Math.max(band / 2 - 2, 0.5);
    const rotate = labels.length > 8;
    labels.forEach((l, i) => {
      const x0 = M.left + i * band + 1;
      parts.push(bar(x0, w, sr[i], ref[i], REF, `reference ${l}`), bar(x0 + w, w, sc[i], cur[i], CUR, `current ${l}`));
      const text = l.length > 14 ? `${l.slice(0, 13)}…` : l;
      const cx = (x0 + w).toFixed(1);
      const cy = H - M.bottom + 14;
      parts.push(
        `<text x="${cx}" y="${cy}" class="${rotate ? 'xlabel rot' : 'xtick'}"${rotate ? ` transform="rotate(-40 ${cx} ${cy})"` : ''}><title>${esc(l)}</title>${esc(text)}</text>`,
      );
    });
  }
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${parts.join('')}<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + ih}" y2="${M.top + ih}" class="axis"/></svg>`;
}

function sideLine(what: string, s: SideStats): string {
  const extra = [s.nulls && `${s.nulls} missing`, s.nan && `${s.nan} NaN`, s.inf && `${s.inf} infinite`, s.invalid && `${s.invalid} invalid`].filter(Boolean);
  return `${what}: ${s.count} values, ${s.unique} distinct${extra.length ? ` (${extra.join(', ')} excluded)` : ''}`;
}

function column(c: ColumnDrift): string {
  const stat = c.statistic !== undefined ? `, statistic ${esc(formatScore(c.statistic))}` : '';
  return `<section id="col-${esc(c.name)}"><h2>${esc(c.name)} <span class="chip ${c.drifted ? 'drift' : 'ok'}">${c.drifted ? 'drift' : 'no drift'}</span></h2>
<p class="meta">${esc(c.type)} · ${esc(c.method)} ${c.scoreKind === 'p_value' ? 'p-value' : 'distance'} ${esc(formatScore(c.score))} (threshold ${c.threshold}${stat})</p>
<p class="meta">${esc(sideLine('reference', c.referenceStats))}; ${esc(sideLine('current', c.currentStats))}</p>
${chart(c.histogram)}</section>`;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:760px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 2px}table{border-collapse:collapse;width:100%;margin:12px 0}
td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #d8dee4}th{font-weight:600}td.num{font-variant-numeric:tabular-nums}
.chip{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600}.drift{background:#ffd8d3;color:#a40e26}.ok{background:#d2f4d3;color:#116329}
.meta{margin:2px 0;color:#59636e}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 12px}
svg text{font-size:11px;fill:#59636e}.ytick{text-anchor:end;dominant-baseline:middle}.xtick{text-anchor:middle}.xlabel{text-anchor:end}
.grid{stroke:#eaeef2}.axis{stroke:#8c959f}ul{padding-left:20px}.error{color:#a40e26}.warning{color:#9a6700}`;

export function renderHtml(r: DriftReport, title = 'Drift report'): string {
  const rows = r.columns
    .map((c) => `<tr><td><a href="#col-${esc(c.name)}">${esc(c.name)}</a></td><td>${c.type}</td><td>${c.method}</td><td class="num">${esc(formatScore(c.score))}</td><td class="num">${c.threshold}</td><td><span class="chip ${c.drifted ? 'drift' : 'ok'}">${c.drifted ? 'drift' : 'no'}</span></td></tr>`)
    .join('\n');
  const notes = r.messages.filter((m) => m.level !== 'info');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)} <span class="chip ${r.dataset_drift ? 'drift' : 'ok'}">${r.dataset_drift ? 'data set drift' : 'no data set drift'}</span></h1>
<p class="meta">${r.drifted_columns} of ${r.columns.length} columns drifted (${pct(r.drift_share)}); the data set drifts at ${pct(r.shareThreshold)}. Method: ${esc(r.method)}.</p>
<p class="meta">Reference: ${esc(r.reference.source)} (${r.reference.rows} rows). Current: ${esc(r.current.source)} (${r.current.rows} rows${r.current.window ? `, ${esc(r.current.window.column)} in [${esc(String(r.current.window.from ?? '…'))}, ${esc(String(r.current.window.to ?? '…'))})` : ''}).</p>
<p class="legend"><span style="background:${REF}"></span>reference<span style="background:${CUR}"></span>current</p>
${r.columns.length ? `<table><thead><tr><th>column</th><th>type</th><th>method</th><th>score</th><th>threshold</th><th>drift</th></tr></thead><tbody>\n${rows}\n</tbody></table>` : '<p>No column could be tested.</p>'}
${notes.length ? `<h2>Problems</h2><ul>${notes.map((m) => `<li class="${m.level}">${esc(m.text)}</li>`).join('')}</ul>` : ''}
${r.skipped.length ? `<h2>Not tested</h2><ul>${r.skipped.map((s) => `<li>${esc(s.name)}: ${esc(s.reason)}</li>`).join('')}</ul>` : ''}
${r.columns.map(column).join('\n')}
</body></html>
`;
}
