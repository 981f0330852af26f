/** The drift report as `slipway drift` prints it: the JSON contract, and a table for terminals. */
import type { ColumnType, DriftMessage, DriftMethod, DriftReport, SkippedColumn } from './types';

export interface DriftJson {
  dataset_drift: boolean;
  drift_share: number;
  drifted_columns: number;
  columns: { name: string; type: ColumnType; method: DriftMethod; score: number; threshold: number; drifted: boolean; statistic?: number }[];
  share_threshold: number;
  reference: { source: string; rows: number };
  current: { source: string; rows: number };
  skipped: SkippedColumn[];
  messages: DriftMessage[];
}

/** the JSON of `slipway drift --format json`; a statistic that is not finite (a category new in current makes chi-square infinite) is left out */
export function toJson(r: DriftReport): DriftJson {
  return {
    dataset_drift: r.dataset_drift,
    drift_share: r.drift_share,
    drifted_columns: r.drifted_columns,
    columns: r.columns.map((c) => ({
      name: c.name,
      type: c.type,
      method: c.method,
      score: c.score,
      threshold: c.threshold,
      drifted: c.drifted,
      ...(c.statistic !== undefined && Number.isFinite(c.statistic) ? { statistic: c.statistic } : {}),
    })),
    share_threshold: r.shareThreshold,
    reference: { source: r.reference.source, rows: r.reference.rows },
    current: { source: r.current.source, rows: r.current.rows },
    skipped: r.skipped,
    messages: r.messages,
  };
}

/** a score as people read it: small p-values in exponent form */
export function formatScore(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) < 1e-3 ? x.toExponential(2) : String(Number(x.toPrecision(4)));
}

const percent = (x: number) => `${Number((x * 100).toFixed(1))}%`;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

export function formatText(r: DriftReport): string {
  const tested = r.columns.length;
  const verdict = r.dataset_drift ? 'DATA SET DRIFT' : 'no data set drift';
  const lines = [
    `${verdict}: ${r.drifted_columns} of ${tested} columns drifted (${percent(r.drift_share)}; the data set drifts at ${percent(r.shareThreshold)})`,
    `reference  ${r.reference.source}  (${r.reference.rows} rows)`,
    `current    ${r.current.source}  (${r.current.rows} rows${r.current.window ? `, ${r.current.window.column} in [${r.current.window.from ?? '…'}, ${r.current.window.to ?? '…'})` : ''})`,
    '',
  ];
  if (tested) {
    const rows = [['column', 'type', 'method', 'score', 'threshold', 'drift']];
    for (const c of r.columns) rows.push([c.name, c.type, c.method, formatScore(c.score), String(c.threshold), c.drifted ? 'DRIFT' : '-']);
    lines.push(...table(rows), '');
  }
  if (r.skipped.length) lines.push('not tested:', ...r.skipped.map((s) => `  ${s.name}: ${s.reason}`), '');
  const notes = r.messages.filter((m) => m.level !== 'info');
  if (notes.length) lines.push(...notes.map((m) => `${m.level}: ${m.text}`), '');
  return lines.join('\n');
}
