/**
 * What the Features view shows on demand: a feature's statistics over every row of its source,
 * a view's freshness, its first rows. Each is one or two scans of the source.
 */
import { ident, isoFromMicros, isTemporal, jsonValue, withDb, type FeatureDb } from './db';
import { readSql } from './sources';
import { FeatureInputError, type FeatureOptions, type FeatureProject, type FeatureStats, type FeatureValue, type HistogramBin, type ViewFreshness, type ViewPreview, type PreviewColumn } from './types';
import { loadView, type LoadViewOptions } from './views';

const BINS = 10;
const TOP = 10;

type Kind = 'integer' | 'float' | 'boolean' | 'string' | 'temporal' | 'other';

function kindOf(duckType: string): Kind {
  const t = duckType.trim().toUpperCase();
  if (/^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/.test(t)) return 'integer';
  if (/^(FLOAT|DOUBLE|REAL)$|^DECIMAL/.test(t)) return 'float';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'VARCHAR' || t === 'UUID' || t.startsWith('ENUM(')) return 'string';
  if (isTemporal(t)) return 'temporal';
  return 'other';
}

/** SQL for µs since the epoch of a timestamp or date column */
const micros = (expr: string, duckType: string) => (duckType.trim().toUpperCase() === 'DATE' ? `epoch_us(CAST(${expr} AS TIMESTAMP))` : `epoch_us(${expr})`);

/** a double as a DuckDB DOUBLE literal that parses back to the same double */
const dbl = (x: number) => `CAST('${x}' AS DOUBLE)`;

const num = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));

/** NumPy's histogram edges: linspace(lo, hi, bins + 1), widened by 0.5 each side when lo == hi. */
export function histogramEdges(lo: number, hi: number, bins = BINS): number[] {
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const step = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step + lo);
  edges[bins] = hi;
  return edges;
}

/** Counts per bin of `x` (a DOUBLE expression, finite values), NumPy's rule: the last bin includes its right edge. */
async function histogram(db: FeatureDb, from: string, x: string, edges: number[], signal?: AbortSignal): Promise<number[]> {
  const n = edges.length - 1;
  const [lo, hi] = [edges[0]!, edges[n]!];
  const list = `[${edges.map(dbl).join(', ')}]`;
  // the index as NumPy computes it, then its one-ULP corrections against the edges
  const rows = await db.rows(
    `WITH b AS (SELECT x, least(CAST(trunc(((x - ${dbl(lo)}) / ${dbl(hi - lo)}) * ${n}) AS BIGINT), ${n - 1}) AS i, ${list} AS e ` +
      `FROM (SELECT ${x} AS x FROM ${from}) WHERE x IS NOT NULL AND isfinite(x)) ` +
      `SELECT CASE WHEN x < e[i + 1] THEN i - 1 WHEN i <> ${n - 1} AND x >= e[i + 2] THEN i + 1 ELSE i END AS bin, count(*) AS c FROM b GROUP BY bin`,
    signal,
  );
  const counts = new Array<number>(n).fill(0);
  for (const r of rows) counts[Number(r.bin)]! += Number(r.c);
  return counts;
}

/** Statistics of one feature over every row of its source. */
export async function featureStats(project: FeatureProject, view: string, feature: string, options: FeatureOptions = {}): Promise<FeatureStats> {
  return withDb(options, async (db) => {
    const v = await loadView(db, project, view, { ...options, features: [feature], types: false } satisfies LoadViewOptions);
    const declared = v.view.features[feature];
    if (!declared) throw new FeatureInputError(`view ${view} has no feature '${feature}' (features: ${Object.keys(v.view.features).join(', ')})`);
    const actual = v.schema.get(feature)!;
    const kind = kindOf(actual);
    const from = readSql(v.files);
    const col = ident(feature);
    const { signal } = options;
    const base = { view, feature, declared, actual };
    const parts = [`count(*) AS n`, `count(${col}) AS nn`, `count(DISTINCT ${col}) AS d`];
    if (kind === 'integer' || kind === 'float') {
      const x = `CAST(${col} AS DOUBLE)`;
      const finite = kind === 'float' ? ` FILTER (WHERE isfinite(${x}))` : '';
      parts.push(`min(${kind === 'integer' ? col : x})${finite} AS lo`, `max(${kind === 'integer' ? col : x})${finite} AS hi`, `avg(${x})${finite} AS mean`, `stddev_samp(${x})${finite} AS std`);
      if (kind === 'float') parts.push(`count_if(NOT isfinite(${x})) AS nf`);
    } else if (kind === 'temporal') {
      parts.push(`min(${micros(col, actual)}) AS lo`, `max(${micros(col, actual)}) AS hi`);
    }
    const [r] = await db.rows(`SELECT ${parts.join(', ')} FROM ${from}`, signal);
    const rows = num(r!.n);
    const nulls = rows - num(r!.nn);
    const stats: FeatureStats = { ...base, rows, nulls, nullPercent: rows ? (nulls / rows) * 100 : 0, distinct: num(r!.d) };
    if (kind === 'integer' || kind === 'float') {
      const lo = r!.lo as number | bigint | null;
      const hi = r!.hi as number | bigint | null;
      const out: FeatureStats = { ...stats, min: lo === null ? null : (jsonValue(lo) as number), max: hi === null ? null : (jsonValue(hi) as number), mean: (r!.mean as number | null) ?? null, std: (r!.std as number | null) ?? null };
      if (kind === 'float') Object.assign(out, { nonFinite: num(r!.nf) });
      if (lo === null || hi === null) return out;
      const edges = histogramEdges(Number(lo), Number(hi));
      const counts = await histogram(db, from, `CAST(${col} AS DOUBLE)`, edges, signal);
      return { ...out, histogram: counts.map((count, i) => ({ from: edges[i]!, to: edges[i + 1]!, count })) };
    }
    if (kind === 'temporal') {
      const lo = r!.lo as bigint | null;
      const hi = r!.hi as bigint | null;
      const out: FeatureStats = { ...stats, min: lo === null ? null : isoFromMicros(lo), max: hi === null ? null : isoFromMicros(hi) };
      if (lo === null || hi === null) return out;
      const edges = histogramEdges(Number(lo), Number(hi));
      const counts = await histogram(db, from, `CAST(${micros(col, actual)} AS DOUBLE)`, edges, signal);
      const iso = (us: number) => isoFromMicros(BigInt(Math.round(us)));
      return { ...out, histogram: counts.map((count, i): HistogramBin => ({ from: iso(edges[i]!), to: iso(edges[i + 1]!), count })) };
    }
    if (kind === 'string' || kind === 'boolean') {
      const top = await db.rows(`SELECT ${col} AS v, count(*) AS c FROM ${from} WHERE ${col} IS NOT NULL GROUP BY ALL ORDER BY c DESC, v LIMIT ${TOP}`, signal);
      return { ...stats, top: top.map((t) => ({ value: jsonValue(t.v), count: num(t.c) })) };
    }
    return stats;
  });
}

/** How recent a view is at `now`: its latest event against the ttl. */
export async function viewFreshness(project: FeatureProject, view: string, now: Date, options: FeatureOptions = {}): Promise<ViewFreshness> {
  return withDb(options, async (db) => {
    const v = await loadView(db, project, view, { ...options, features: [], types: false });
    const ts = v.source.timestamp;
    const t = micros(ident(ts), v.schema.get(ts)!);
    const [r] = await db.rows(`SELECT count(*) AS n, max(${t}) AS hi, min(${t}) AS lo FROM ${readSql(v.files)}`, options.signal);
    const hi = (r!.hi as bigint | null) ?? null;
    const lo = (r!.lo as bigint | null) ?? null;
    const ageSeconds = hi === null ? null : (now.getTime() * 1000 - Number(hi)) / 1e6;
    const ttlSeconds = v.view.ttlSeconds ?? null;
    return {
      view,
      source: v.sourceName,
      rows: num(r!.n),
      latest: hi === null ? null : isoFromMicros(hi),
      oldest: lo === null ? null : isoFromMicros(lo),
      now: now.toISOString(),
      ageSeconds,
      ttlSeconds,
      stale: ageSeconds === null || (ttlSeconds !== null && ageSeconds > ttlSeconds),
    };
  });
}

/** The first rows of a view (in file order): join keys, timestamp, features. */
export async function previewView(project: FeatureProject, view: string, limit = 20, options: FeatureOptions = {}): Promise<ViewPreview> {
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a whole number ≥ 0, not ${limit}`);
  return withDb(options, async (db) => {
    const v = await loadView(db, project, view, { ...options, types: false });
    const columns: PreviewColumn[] = [];
    const add = (name: string, role: PreviewColumn['role']) => {
      if (!columns.some((c) => c.name === name)) columns.push({ name, type: v.schema.get(name)!, role });
    };
    v.entity.joinKeys.forEach((k) => add(k, 'join-key'));
    add(v.source.timestamp, 'timestamp');
    Object.keys(v.view.features).forEach((f) => add(f, 'feature'));
    const select = columns.map((c, i) => `${kindOf(c.type) === 'temporal' ? micros(ident(c.name), c.type) : ident(c.name)} AS c${i}`);
    const rows = await db.rows(`SELECT ${select.join(', ')} FROM ${readSql(v.files)} LIMIT ${limit}`, options.signal);
    return {
      view,
      columns,
      rows: rows.map((r) =>
        Object.fromEntries(
          columns.map((c, i): [string, FeatureValue] => {
            const value = r[`c${i}`];
            return [c.name, kindOf(c.type) === 'temporal' && value !== null && value !== undefined ? isoFromMicros(value as bigint) : jsonValue(value)];
          }),
        ),
      ),
    };
  });
}
