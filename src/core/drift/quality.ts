/**
 * Model quality over time: the current data's predictions against ground truth, per hour, day
 * or week. Predictions are `outputs.label` of inference records (or a `prediction` column);
 * ground truth is a `label` column of the records themselves, or of a separate file joined by
 * `request_id` (and `row`, when both sides have it). Binary labels with a probability
 * (`outputs.probabilities`, `outputs.probability` or a `probability` column) also get a ROC AUC.
 * Also here: the time columns of the current data, which the drift panel offers as its window.
 */
import { DuckDb, ident, literal } from './load/duckdb';
import { resolveSource, type ResolvedSource } from './load/sources';
import { duckMessage } from './load/tables';
import { DriftInputError, type DataFormat, type FetchToLocal } from './types';

export const QUALITY_BUCKETS = ['hour', 'day', 'week'] as const;
export type QualityBucket = (typeof QUALITY_BUCKETS)[number];

export interface QualityWindow {
  /** default: the timestamp column */
  column?: string;
  from?: string | Date;
  to?: string | Date;
}

export interface QualityOptions {
  /** inference records (or any table with predictions): a path, glob, folder or s3:// URI, or several */
  current: string | readonly string[];
  /** ground truth in a separate file: `request_id` (+ optional `row`) and `label` */
  labels?: string | readonly string[];
  bucket: QualityBucket;
  /** the column whose time buckets the records (default `timestamp`, else the only time column) */
  timestampColumn?: string;
  window?: QualityWindow;
  /** relative paths resolve against this folder (default: process.cwd()) */
  baseDir?: string;
  fetchToLocal?: FetchToLocal;
  signal?: AbortSignal;
}

export interface QualityPoint {
  /** the bucket's start, ISO 8601 UTC (weeks start on Monday) */
  start: string;
  /** predictions with ground truth in the bucket */
  count: number;
  correct: number;
  accuracy: number;
  /** binary labels with a probability, both classes present in the bucket */
  auc?: number;
}

export interface QualityReport {
  bucket: QualityBucket;
  timestampColumn: string;
  points: QualityPoint[];
  overall: { count: number; correct: number; accuracy: number; auc?: number };
  /** where the ground truth came from */
  labelSource: 'records' | 'file';
  /** the expression the predictions were read from: `outputs.label` or `prediction` */
  predictionSource: string;
  /** the probability AUC was computed from, when it was */
  probabilitySource?: string;
  /** the class whose probability is scored (the larger of the two labels, as scikit-learn orders classes) */
  positiveLabel?: string;
  /** rows in the window, and how many of them had no ground truth or no prediction */
  rows: number;
  unlabeled: number;
  messages: string[];
}

/** The data has no ground truth, no predictions or no time: not an error, quality just cannot be shown. */
export class QualityUnavailable extends DriftInputError {}

export interface TimeColumn {
  /** a top-level column, or a field of the records' `inputs` */
  name: string;
  /** ISO 8601 UTC; undefined when the column has no values */
  min?: string;
  max?: string;
}

function reader(format: DataFormat, files: readonly string[]): string {
  const list = `[${files.map(literal).join(', ')}]`;
  if (format === 'parquet') return `read_parquet(${list}, union_by_name = true)`;
  if (format === 'csv') return `read_csv(${list}, union_by_name = true)`;
  return `read_json(${list}, format = 'auto', union_by_name = true)`;
}

const isTemporal = (t: string) => /^(DATE|TIMESTAMP)/i.test(t);
const isNumeric = (t: string) => /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|REAL|DECIMAL.*)$/i.test(t);
const isList = (t: string) => /\[\d*\]$/.test(t);

/** epoch seconds, ISO strings, dates and timestamps all compare as TIMESTAMPTZ (as the drift window does) */
function timestampExpr(expr: string, type: string): string {
  if (isNumeric(type)) return `to_timestamp(CAST(${expr} AS DOUBLE))`;
  return `CAST(${expr} AS TIMESTAMPTZ)`;
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
}

/** A DuckDB session with the current data as `cur` (and its `inputs`/`outputs` fields described). */
class Session {
  columns = new Map<string, string>();
  inputs = new Map<string, string>();
  outputs = new Map<string, string>();

  private constructor(readonly db: DuckDb, readonly source: ResolvedSource) {}

  static async open(current: string | readonly string[], o: { baseDir?: string; fetchToLocal?: FetchToLocal; signal?: AbortSignal }): Promise<Session> {
    const db = await DuckDb.open();
    try {
      const ctx = {
        baseDir: o.baseDir ?? process.cwd(),
        fetchToLocal: o.fetchToLocal,
        signal: o.signal,
        glob: async (pattern: string) => (await db.rows(`SELECT file FROM glob(${literal(pattern)})`)).map((r) => String(r.file)),
      };
      const source = await resolveSource(current, ctx);
      const s = new Session(db, source);
      await s.load('cur', source, 'current');
      s.columns = await s.describe('SELECT * FROM cur');
      if (s.columns.get('inputs')?.startsWith('STRUCT(')) s.inputs = await s.describe('SELECT unnest(inputs) FROM cur');
      if (s.columns.get('outputs')?.startsWith('STRUCT(')) s.outputs = await s.describe('SELECT unnest(outputs) FROM cur');
      return s;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  async load(name: string, source: ResolvedSource, label: string): Promise<void> {
    const kind = source.format === 'parquet' ? 'VIEW' : 'TABLE';
    try {
      await this.db.run(`CREATE OR REPLACE TEMP ${kind} ${name} AS SELECT * FROM ${reader(source.format, source.files)}`);
    } catch (e) {
      throw new DriftInputError(`cannot read the ${label} data (${source.source}): ${duckMessage(e)}`);
    }
  }

  async describe(sql: string): Promise<Map<string, string>> {
    const rows = await this.db.rows(`DESCRIBE ${sql}`);
    return new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
  }

  /** a column by name: top-level first, then a field of `inputs` */
  locate(name: string): { expr: string; type: string } | undefined {
    if (this.columns.has(name)) return { expr: `cur.${ident(name)}`, type: this.columns.get(name)! };
    if (this.inputs.has(name)) return { expr: `cur.inputs.${ident(name)}`, type: this.inputs.get(name)! };
    return undefined;
  }

  /** the time columns: temporal types, epoch-free text that parses as timestamps in every sampled row */
  async timeColumns(): Promise<{ name: string; expr: string }[]> {
    const out: { name: string; expr: string }[] = [];
    const candidates = [...[...this.columns].map(([n, t]) => ({ n, t, e: `cur.${ident(n)}` })), ...[...this.inputs].map(([n, t]) => ({ n, t, e: `cur.inputs.${ident(n)}` }))];
    for (const { n, t, e } of candidates) {
      if (out.some((c) => c.name === n)) continue;
      if (isTemporal(t)) out.push({ name: n, expr: timestampExpr(e, t) });
      else if (t === 'VARCHAR') {
        const row = (await this.db.rows(`SELECT count(v) AS n, count(TRY_CAST(v AS TIMESTAMPTZ)) AS ok FROM (SELECT ${e} AS v FROM cur LIMIT 1000)`))[0];
        if (Number(row.n) > 0 && Number(row.n) === Number(row.ok)) out.push({ name: n, expr: `TRY_CAST(${e} AS TIMESTAMPTZ)` });
      }
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}

const ISO = "'%Y-%m-%dT%H:%M:%S.%gZ'";
const iso = (expr: string) => `strftime(${expr}, ${ISO})`;

/** The time columns of the current data with their range: what a time window can be over. */
export async function currentTimeColumns(current: string | readonly string[], o: { baseDir?: string; fetchToLocal?: FetchToLocal; signal?: AbortSignal } = {}): Promise<TimeColumn[]> {
  aborted(o.signal);
  const s = await Session.open(current, o);
  const onAbort = () => s.db.interrupt();
  o.signal?.addEventListener('abort', onAbort);
  try {
    const out: TimeColumn[] = [];
    for (const c of await s.timeColumns()) {
      const r = (await s.db.rows(`SELECT ${iso(`min(${c.expr})`)} AS lo, ${iso(`max(${c.expr})`)} AS hi FROM cur`))[0];
      out.push({ name: c.name, ...(r.lo ? { min: String(r.lo) } : {}), ...(r.hi ? { max: String(r.hi) } : {}) });
    }
    return out;
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    s.close();
  }
}

function bound(v: string | Date): string {
  const text = v instanceof Date ? v.toISOString() : v;
  if (Number.isNaN(Date.parse(text))) throw new DriftInputError(`the time window bound "${text}" is not a date or timestamp`);
  return `CAST(${literal(text)} AS TIMESTAMPTZ)`;
}

/** The timestamp column: the one asked for, else `timestamp`, else the only time column. */
async function timestampOf(s: Session, asked: string | undefined): Promise<{ name: string; expr: string }> {
  const times = await s.timeColumns();
  if (asked) {
    const hit = times.find((t) => t.name === asked);
    if (hit) return hit;
    const col = s.locate(asked);
    if (col && isNumeric(col.type)) return { name: asked, expr: timestampExpr(col.expr, col.type) };
    throw new DriftInputError(`"${asked}" is not a time column of the current data (${s.source.source})${times.length ? `; time columns: ${times.map((t) => t.name).join(', ')}` : ''}`);
  }
  const ts = times.find((t) => t.name === 'timestamp') ?? (times.length === 1 ? times[0] : undefined);
  if (ts) return ts;
  if (!times.length) throw new QualityUnavailable(`the current data (${s.source.source}) has no timestamp column to put predictions in time`);
  throw new QualityUnavailable(`the current data has several time columns (${times.map((t) => t.name).join(', ')}): choose one`);
}

/** the predictions: `outputs.label` of inference records, else a `prediction` column */
function predictionOf(s: Session): { expr: string; source: string } {
  if (s.outputs.has('label')) return { expr: 'cur.outputs."label"', source: 'outputs.label' };
  if (s.columns.has('prediction')) return { expr: 'cur."prediction"', source: 'prediction' };
  throw new QualityUnavailable(`the current data (${s.source.source}) has no predictions: neither outputs.label (inference records) nor a prediction column`);
}

/** the positive-class probability candidates: a list of class probabilities, or one probability */
function probabilityOf(s: Session): { expr: string; source: string; list: boolean } | undefined {
  const p = s.outputs.get('probabilities');
  if (p && isList(p)) return { expr: 'cur.outputs.probabilities', source: 'outputs.probabilities', list: true };
  const one = s.outputs.get('probability');
  if (one && isNumeric(one)) return { expr: 'cur.outputs.probability', source: 'outputs.probability', list: false };
  const col = s.columns.get('probability');
  if (col && isNumeric(col)) return { expr: 'cur."probability"', source: 'probability', list: false };
  return undefined;
}

/** Accuracy (and ROC AUC for binary labels with probabilities) of the current data's predictions, per time bucket. */
export async function qualityOverTime(options: QualityOptions): Promise<QualityReport> {
  if (!QUALITY_BUCKETS.includes(options.bucket)) throw new DriftInputError(`the bucket must be ${QUALITY_BUCKETS.join(', ')}, not "${options.bucket}"`);
  aborted(options.signal);
  const s = await Session.open(options.current, options);
  const onAbort = () => s.db.interrupt();
  options.signal?.addEventListener('abort', onAbort);
  const db = s.db;
  const messages: string[] = [];
  try {
    const ts = await timestampOf(s, options.timestampColumn);
    const pred = predictionOf(s);

    // ground truth: a separate file joined by request_id (and row), else the records' own label
    let labelExpr: string;
    let join = '';
    let labelSource: QualityReport['labelSource'];
    if (options.labels !== undefined) {
      const source = await resolveSource(options.labels, {
        baseDir: options.baseDir ?? process.cwd(),
        fetchToLocal: options.fetchToLocal,
        signal: options.signal,
        glob: async (pattern: string) => (await db.rows(`SELECT file FROM glob(${literal(pattern)})`)).map((r) => String(r.file)),
      });
      await s.load('gt_raw', source, 'ground truth');
      const gtCols = await s.describe('SELECT * FROM gt_raw');
      for (const need of ['request_id', 'label']) {
        if (!gtCols.has(need)) throw new DriftInputError(`the ground truth (${source.source}) has no ${need} column: it needs request_id and label (and row for batched requests)`);
      }
      if (!s.columns.has('request_id')) throw new DriftInputError(`the current data (${s.source.source}) has no request_id to join the ground truth on`);
      const keys = ['request_id', ...(gtCols.has('row') && s.columns.has('row') ? ['row'] : [])];
      const keyList = keys.map(ident).join(', ');
      await db.run(`CREATE OR REPLACE TEMP TABLE gt AS SELECT ${keyList}, first("label") AS "label", count(*) AS n FROM gt_raw WHERE "label" IS NOT NULL GROUP BY ${keyList}`);
      const dup = Number((await db.rows('SELECT count_if(n > 1) AS d FROM gt'))[0].d);
      if (dup) messages.push(`${dup} request${dup === 1 ? ' has' : 's have'} more than one label in the ground truth; one of them is used`);
      // both sides as text: a request id written as a number on one side still matches
      join = `LEFT JOIN gt ON ${keys.map((k) => `CAST(cur.${ident(k)} AS VARCHAR) = CAST(gt.${ident(k)} AS VARCHAR)`).join(' AND ')}`;
      labelExpr = 'gt."label"';
      labelSource = 'file';
    } else if (s.columns.has('label')) {
      labelExpr = 'cur."label"';
      labelSource = 'records';
    } else {
      throw new QualityUnavailable(`no ground truth: the current data (${s.source.source}) has no label column, and no file of labels joined by request_id was given`);
    }

    const conds = ['TRUE'];
    const w = options.window;
    if (w && (w.from !== undefined || w.to !== undefined)) {
      let wexpr = ts.expr;
      if (w.column && w.column !== ts.name) wexpr = (await timestampOf(s, w.column)).expr;
      if (w.from !== undefined) conds.push(`${wexpr} >= ${bound(w.from)}`);
      if (w.to !== undefined) conds.push(`${wexpr} < ${bound(w.to)}`);
    }
    const prob = probabilityOf(s);
    await db.run(
      `CREATE OR REPLACE TEMP TABLE ev AS SELECT ${ts.expr} AS ts, ${pred.expr} AS pred, ${labelExpr} AS y` +
        `${prob ? `, ${prob.expr} AS p` : ''} FROM cur ${join} WHERE ${conds.join(' AND ')}`,
    );
    aborted(options.signal);
    const evCols = await s.describe('SELECT * FROM ev');
    // numbers and booleans compare as numbers (1 = 1.0 = true); anything else as text
    const numeric = (t: string) => isNumeric(t) || t === 'BOOLEAN';
    const as = numeric(evCols.get('pred')!) && numeric(evCols.get('y')!) ? 'DOUBLE' : 'VARCHAR';
    await db.run(`CREATE OR REPLACE TEMP TABLE ev2 AS SELECT ts, CAST(pred AS ${as}) AS pred, CAST(y AS ${as}) AS y${prob ? ', p' : ''} FROM ev`);

    const counts = (await db.rows('SELECT count(*) AS n, count_if(ts IS NULL) AS nots, count_if(y IS NULL OR pred IS NULL) AS nolabel FROM ev2'))[0];
    const rows = Number(counts.n);
    if (Number(counts.nots)) messages.push(`${counts.nots} rows without a ${ts.name} left out`);
    const scored = 'ts IS NOT NULL AND y IS NOT NULL AND pred IS NOT NULL';
    const trunc = `date_trunc('${options.bucket}', ts)`;
    const perBucket = await db.rows(`SELECT ${iso(trunc)} AS start, count(*) AS n, count_if(pred = y) AS ok FROM ev2 WHERE ${scored} GROUP BY ${trunc} ORDER BY ${trunc}`);
    const points: QualityPoint[] = perBucket.map((r) => ({ start: String(r.start), count: Number(r.n), correct: Number(r.ok), accuracy: Number(r.ok) / Number(r.n) }));
    const total = points.reduce((a, p) => a + p.count, 0);
    const correct = points.reduce((a, p) => a + p.correct, 0);
    const report: QualityReport = {
      bucket: options.bucket,
      timestampColumn: ts.name,
      points,
      overall: { count: total, correct, accuracy: total ? correct / total : NaN },
      labelSource,
      predictionSource: pred.source,
      rows,
      unlabeled: Number(counts.nolabel),
      messages,
    };
    if (!total) messages.push(rows ? 'no prediction in the window has ground truth yet' : 'no records in the window');

    // ROC AUC: binary labels and a probability of the positive (larger) class
    const classes = (await db.rows(`SELECT DISTINCT y FROM ev2 WHERE y IS NOT NULL ORDER BY y LIMIT 3`)).map((r) => r.y);
    if (prob && classes.length === 2) {
      let pExpr = 'p';
      if (prob.list) {
        const len = (await db.rows(`SELECT min(len(p)) AS lo, max(len(p)) AS hi FROM ev2 WHERE p IS NOT NULL`))[0];
        pExpr = Number(len.lo) === 2 && Number(len.hi) === 2 ? 'p[2]' : '';
        if (!pExpr) messages.push(`${prob.source} does not hold two class probabilities per row: no AUC`);
      }
      if (pExpr) {
        const positive = classes[1];
        const positiveSql = as === 'DOUBLE' ? String(Number(positive)) : literal(String(positive));
        await db.run(
          `CREATE OR REPLACE TEMP TABLE sc AS SELECT ${trunc} AS b, CAST(y = ${positiveSql} AS INTEGER) AS pos, CAST(${pExpr} AS DOUBLE) AS s ` +
            `FROM ev2 WHERE ${scored} AND ${pExpr} IS NOT NULL AND isfinite(CAST(${pExpr} AS DOUBLE))`,
        );
        // Mann–Whitney: AUC = (rank sum of positives − n1(n1+1)/2) / (n1·n0), ties at their mean rank
        const auc = async (from: string) =>
          db.rows(
            `SELECT ${iso('b')} AS start, sum(pos) AS n1, count(*) - sum(pos) AS n0, sum(CASE WHEN pos = 1 THEN rk ELSE 0 END) AS rs FROM (` +
              `SELECT b, pos, rank() OVER (PARTITION BY b ORDER BY s) + (count(*) OVER (PARTITION BY b, s) - 1) / 2.0 AS rk FROM ${from}` +
              `) GROUP BY b`,
          );
        const value = (r: Record<string, unknown>) => {
          const n1 = Number(r.n1);
          const n0 = Number(r.n0);
          return n1 && n0 ? (Number(r.rs) - (n1 * (n1 + 1)) / 2) / (n1 * n0) : undefined;
        };
        const byStart = new Map((await auc('sc')).map((r) => [String(r.start), value(r)]));
        for (const p of points) {
          const v = byStart.get(p.start);
          if (v !== undefined) p.auc = v;
        }
        const all = (await auc('(SELECT CAST(NULL AS TIMESTAMPTZ) AS b, pos, s FROM sc)'))[0];
        const v = all ? value(all) : undefined;
        if (v !== undefined) report.overall.auc = v;
        report.probabilitySource = prob.list ? `${prob.source}[1]` : prob.source;
        report.positiveLabel = String(positive);
      }
    }
    return report;
  } catch (e) {
    aborted(options.signal);
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    s.close();
  }
}
