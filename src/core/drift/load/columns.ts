/**
 * Which columns are tested, and as what. The rules (README, "slipway drift"):
 * - only columns present on both sides are compared;
 * - by default, timestamps/dates/times, nested or binary values, and identifier-like names
 *   (`id`, `uuid`, `*_id`, `*Id`, pandas' `__index_level_0__`) are not tested; `columns` selects
 *   explicitly and then only the type rules apply;
 * - numbers are numerical, booleans boolean, strings categorical; a string column whose reference
 *   has more than 20 distinct values, more than half of its values, is text-like (free text or
 *   keys) and is not tested unless its type is overridden;
 * - an integer on one side and a float on the other is numerical; numbers against strings are
 *   numerical when the strings parse (the rest counted as invalid); booleans against numbers are
 *   0/1; any other mismatch is reported and the column skipped.
 */
import type { ColumnType, DriftMessage, SkippedColumn } from '../types';
import { ident } from './duckdb';
import type { SideTable } from './tables';

type Kind = 'integer' | 'float' | 'boolean' | 'string' | 'temporal' | 'other';

export function kindOf(duckType: string): Kind {
  const t = duckType.toUpperCase();
  if (/^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/.test(t)) return 'integer';
  if (/^(FLOAT|DOUBLE|REAL)$|^DECIMAL/.test(t)) return 'float';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'VARCHAR' || t.startsWith('ENUM(')) return 'string';
  if (/^(DATE|TIME|TIMESTAMP|INTERVAL)/.test(t)) return 'temporal';
  return 'other';
}

const isNumber = (k: Kind) => k === 'integer' || k === 'float';

export function identifierLike(name: string): boolean {
  return /^(id|uuid|guid|index|__index_level_\d+__)$/i.test(name) || /[_-](id|uuid|guid)$/i.test(name) || /[a-z0-9]Id$/.test(name);
}

/** How one column is read from each side and tested. */
export interface ColumnPlan {
  name: string;
  type: ColumnType;
  /** the type was set by the user: no text-like check */
  explicitType: boolean;
  /** numbers: each side's values as DOUBLE; values: each side's values as one comparable type */
  sample: 'numbers' | 'values';
  refExpr: string;
  curExpr: string;
  /** what the expressions yield */
  valueType: 'number' | 'string' | 'boolean';
  /** both sides are integers (NumPy's integer rule for Sturges bin widths) */
  integer: boolean;
  /** a side whose values go through TRY_CAST: those that fail count as invalid */
  casts: { ref: boolean; cur: boolean };
}

export interface PlanResult {
  plans: ColumnPlan[];
  skipped: SkippedColumn[];
  messages: DriftMessage[];
}

function expr(name: string, kind: Kind, to: 'DOUBLE' | 'VARCHAR' | 'native'): { sql: string; cast: boolean } {
  const col = ident(name);
  if (to === 'native') return { sql: col, cast: false };
  if (to === 'DOUBLE') {
    if (isNumber(kind) || kind === 'boolean') return { sql: `CAST(${col} AS DOUBLE)`, cast: false };
    return { sql: `TRY_CAST(${col} AS DOUBLE)`, cast: true };
  }
  return { sql: `CAST(${col} AS VARCHAR)`, cast: false };
}

type Planned = { plan: ColumnPlan; warn?: string } | { skip: string };

function planOne(name: string, refType: string, curType: string, override: ColumnType | undefined, explicit: boolean): Planned {
  const kr = kindOf(refType);
  const kc = kindOf(curType);
  const both = (k: Kind) => kr === k && kc === k;
  const mismatch = `reference is ${refType}, current is ${curType}`;
  for (const [k, t] of [[kr, refType], [kc, curType]] as const) {
    if (k === 'temporal') return { skip: `${t} values are not tested (timestamps and dates)` };
    if (k === 'other') return { skip: `${t} values are not tested` };
  }
  if (override === 'text') return { skip: 'text columns are not tested' };
  const base = { name, explicitType: !!override, integer: false, casts: { ref: false, cur: false } };
  const numbers = (warn?: string): Planned => {
    const r = expr(name, kr, 'DOUBLE');
    const c = expr(name, kc, 'DOUBLE');
    return { plan: { ...base, type: 'numerical', sample: 'numbers', valueType: 'number', refExpr: r.sql, curExpr: c.sql, integer: both('integer'), casts: { ref: r.cast, cur: c.cast } }, warn };
  };
  const values = (type: ColumnType, warn?: string): Planned => {
    // one comparable type: the native one when both sides agree, else text
    const same = kr === kc || (isNumber(kr) && isNumber(kc));
    const to = same ? (isNumber(kr) ? 'DOUBLE' : 'native') : 'VARCHAR';
    const valueType = to === 'DOUBLE' ? 'number' : to === 'VARCHAR' || kr === 'string' ? 'string' : 'boolean';
    return { plan: { ...base, type, sample: 'values', valueType, refExpr: expr(name, kr, to).sql, curExpr: expr(name, kc, to).sql }, warn };
  };
  if (override === 'numerical') return numbers();
  if (override === 'categorical' || override === 'boolean') return values(override);
  if (isNumber(kr) && isNumber(kc)) return numbers();
  if (both('boolean')) return values('boolean');
  if (both('string')) return values('categorical');
  if ((isNumber(kr) && kc === 'boolean') || (kr === 'boolean' && isNumber(kc))) return numbers(`${mismatch}: booleans are compared as 0 and 1`);
  if ((isNumber(kr) && kc === 'string') || (kr === 'string' && isNumber(kc))) return numbers(`${mismatch}: the strings are read as numbers`);
  if (explicit || kr === 'string' || kc === 'string') return values('categorical', `${mismatch}: values are compared as text`);
  return { skip: `type mismatch: ${mismatch}` };
}

/** the columns to test, from both sides' schemas and the options */
export function planColumns(ref: SideTable, cur: SideTable, opts: { columns?: readonly string[]; columnTypes?: Readonly<Record<string, ColumnType>> }): PlanResult {
  const plans: ColumnPlan[] = [];
  const skipped: SkippedColumn[] = [];
  const messages: DriftMessage[] = [];
  const explicit = opts.columns !== undefined;
  const names = explicit ? [...new Set(opts.columns)] : [...new Set([...ref.columns.keys(), ...cur.columns.keys()])];
  for (const name of Object.keys(opts.columnTypes ?? {})) {
    if (!ref.columns.has(name) && !cur.columns.has(name)) messages.push({ level: 'warning', column: name, text: `a type is set for ${name}, which is on neither side` });
  }
  for (const name of names) {
    const refType = ref.columns.get(name);
    const curType = cur.columns.get(name);
    if (refType === undefined || curType === undefined) {
      const missing = refType === undefined && curType === undefined ? 'is on neither side' : refType === undefined ? 'is only in the current data' : 'is only in the reference';
      skipped.push({ name, reason: `${name} ${missing}` });
      if (explicit) messages.push({ level: 'error', column: name, text: `${name} ${missing}` });
      continue;
    }
    if (!explicit && identifierLike(name)) {
      skipped.push({ name, reason: 'identifier-like name (select it with columns to test it)' });
      continue;
    }
    const planned = planOne(name, refType, curType, opts.columnTypes?.[name], explicit);
    if ('skip' in planned) {
      skipped.push({ name, reason: planned.skip });
      if (explicit || /mismatch/.test(planned.skip)) messages.push({ level: 'error', column: name, text: `${name}: ${planned.skip}` });
      continue;
    }
    if (planned.warn) messages.push({ level: 'warning', column: name, text: `${name}: ${planned.warn}` });
    plans.push(planned.plan);
  }
  return { plans, skipped, messages };
}
