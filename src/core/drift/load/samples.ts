/**
 * What the tests read from DuckDB: per-side counts of every planned column in one scan, then
 * each column's sample — the finite numbers of a numerical column, sorted; the count of each
 * value of a categorical one, ordered by value (byte order for text, as Python sorts strings).
 */
import type { ColumnSample } from '../binning';
import { sortNumbers } from '../stattests/sorted';
import type { SideStats } from '../types';
import type { DuckDb } from './duckdb';
import type { ColumnPlan } from './columns';
import type { SideName } from './tables';

/** SideStats without `unique`, which comes from the sample; plus the reference's approximate distinct count */
export type RawCounts = Omit<SideStats, 'unique'> & { approxDistinct?: number };

const exprOf = (p: ColumnPlan, side: SideName) => (side === 'ref' ? p.refExpr : p.curExpr);
const rawOf = (p: ColumnPlan) => `"${p.name.replace(/"/g, '""')}"`;

/** counts of every planned column on one side, in one scan */
export async function sideCounts(db: DuckDb, side: SideName, plans: readonly ColumnPlan[], textCheck: (p: ColumnPlan) => boolean): Promise<Map<string, RawCounts>> {
  const out = new Map<string, RawCounts>();
  if (!plans.length) return out;
  const parts = ['count(*) AS "rows"'];
  plans.forEach((p, i) => {
    const e = exprOf(p, side);
    parts.push(`count(${rawOf(p)}) AS "nn${i}"`, `count(${e}) AS "ok${i}"`);
    if (p.valueType === 'number') parts.push(`count_if(isnan(${e})) AS "nan${i}"`, `count_if(isinf(${e})) AS "inf${i}"`);
    if (side === 'ref' && textCheck(p)) parts.push(`approx_count_distinct(${e}) AS "ad${i}"`);
  });
  const row = (await db.rows(`SELECT ${parts.join(', ')} FROM ${side}`))[0];
  const n = (k: string) => Number(row[k] ?? 0);
  plans.forEach((p, i) => {
    const rows = n('rows');
    const nonNull = n(`nn${i}`);
    const ok = n(`ok${i}`);
    const nan = n(`nan${i}`);
    const inf = n(`inf${i}`);
    out.set(p.name, { rows, nulls: rows - nonNull, invalid: nonNull - ok, nan, inf, count: ok - nan - inf, approxDistinct: row[`ad${i}`] === undefined ? undefined : n(`ad${i}`) });
  });
  return out;
}

/** the values a test reads */
export async function fetchSample(db: DuckDb, p: ColumnPlan): Promise<ColumnSample> {
  const finite = (e: string) => (p.valueType === 'number' ? `${e} IS NOT NULL AND isfinite(${e})` : `${e} IS NOT NULL`);
  if (p.sample === 'numbers') {
    const side = async (s: SideName) => {
      const e = exprOf(p, s);
      return sortNumbers(await db.doubles(`SELECT ${e} FROM ${s} WHERE ${finite(e)}`));
    };
    const ref = await side('ref');
    const cur = await side('cur');
    return { kind: 'numbers', ref, cur, integer: p.integer };
  }
  const rows = await db.rows(
    `SELECT v, CAST(sum(r) AS DOUBLE) AS r, CAST(sum(c) AS DOUBLE) AS c FROM (` +
      `SELECT ${p.refExpr} AS v, 1 AS r, 0 AS c FROM ref WHERE ${finite(p.refExpr)} ` +
      `UNION ALL SELECT ${p.curExpr}, 0, 1 FROM cur WHERE ${finite(p.curExpr)}) GROUP BY v ORDER BY v`,
  );
  return {
    kind: 'values',
    values: rows.map((r) => r.v as string | number | boolean),
    ref: rows.map((r) => Number(r.r)),
    cur: rows.map((r) => Number(r.c)),
  };
}
