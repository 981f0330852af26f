/**
 * computeDrift: read both sides, pick the columns, test each one, and say whether the data
 * set drifted. A problem with one column or one file becomes a message; only a side with no
 * readable data (or bad options) throws.
 */
import type { ColumnSample } from './binning';
import { displayHistogram } from './histogram';
import { planColumns, type ColumnPlan } from './load/columns';
import { DuckDb, literal } from './load/duckdb';
import { fetchSample, sideCounts, type RawCounts } from './load/samples';
import { resolveSource } from './load/sources';
import { duckMessage, loadSide } from './load/tables';
import { countDistinct } from './stattests/sorted';
import { defaultMethod, STAT_TESTS, uniqueValues } from './stattests/registry';
import {
  COLUMN_TYPES,
  DRIFT_METHODS,
  DriftInputError,
  type ColumnDrift,
  type DriftMessage,
  type DriftOptions,
  type DriftReport,
  type SideStats,
  type SkippedColumn,
} from './types';

const DEFAULT_SHARE = 0.5;
const DEFAULT_MAX_CATEGORIES = 30;
/** text-like: more distinct reference values than this, and more than half of them */
const TEXT_MIN_DISTINCT = 20;

function checkOptions(o: DriftOptions): void {
  const method = o.method ?? 'auto';
  if (method !== 'auto' && !DRIFT_METHODS.includes(method)) throw new DriftInputError(`unknown method "${method}": use auto, ${DRIFT_METHODS.join(', ')}`);
  if (o.threshold !== undefined && !(Number.isFinite(o.threshold) && o.threshold > 0)) throw new DriftInputError(`the threshold must be a positive number, not ${o.threshold}`);
  if (o.share !== undefined && !(o.share >= 0 && o.share <= 1)) throw new DriftInputError(`the drift share must be between 0 and 1, not ${o.share}`);
  for (const [name, type] of Object.entries(o.columnTypes ?? {})) {
    if (!COLUMN_TYPES.includes(type)) throw new DriftInputError(`${name}: unknown column type "${type}": use ${COLUMN_TYPES.join(', ')}`);
  }
}

function aborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('drift computation cancelled');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** messages about what was excluded from a side of a column */
function exclusions(name: string, side: string, c: RawCounts, messages: DriftMessage[]): void {
  const parts: string[] = [];
  if (c.nan) parts.push(plural(c.nan, 'NaN value'));
  if (c.inf) parts.push(plural(c.inf, 'infinite value'));
  if (c.invalid) parts.push(c.invalid === 1 ? '1 value that is not a number' : `${c.invalid} values that are not numbers`);
  if (parts.length) messages.push({ level: 'warning', column: name, text: `${name}: ${parts.join(', ')} in the ${side} excluded` });
}

function sideStats(c: RawCounts, unique: number): SideStats {
  return { rows: c.rows, count: c.count, nulls: c.nulls, nan: c.nan, inf: c.inf, invalid: c.invalid, unique };
}

function testColumn(plan: ColumnPlan, sample: ColumnSample, counts: { ref: RawCounts; cur: RawCounts }, o: DriftOptions, messages: DriftMessage[]): ColumnDrift {
  const unique = uniqueValues(sample);
  const auto = defaultMethod(plan.type, counts.ref.count, unique);
  let method = o.method && o.method !== 'auto' ? o.method : auto;
  const why = STAT_TESTS[method].unsupported(plan.type, unique);
  if (why) {
    messages.push({ level: 'warning', column: plan.name, text: `${plan.name}: ${why}; tested with ${auto}` });
    method = auto;
  }
  const test = STAT_TESTS[method];
  const threshold = o.threshold ?? test.defaultThreshold;
  const { score, statistic } = test.run(sample, plan.type);
  if (unique === 1) messages.push({ level: 'info', column: plan.name, text: `${plan.name}: constant, the same single value on both sides` });
  const refUnique = sample.kind === 'numbers' ? countDistinct(sample.ref) : sample.ref.filter((c) => c > 0).length;
  const curUnique = sample.kind === 'numbers' ? countDistinct(sample.cur) : sample.cur.filter((c) => c > 0).length;
  return {
    name: plan.name,
    type: plan.type,
    method,
    score,
    threshold,
    drifted: test.drifted(score, threshold),
    ...(statistic === undefined ? {} : { statistic }),
    scoreKind: test.scoreKind,
    referenceStats: sideStats(counts.ref, refUnique),
    currentStats: sideStats(counts.cur, curUnique),
    histogram: displayHistogram(sample, plan.type, o.maxCategories ?? DEFAULT_MAX_CATEGORIES),
  };
}

export async function computeDrift(options: DriftOptions): Promise<DriftReport> {
  checkOptions(options);
  aborted(options.signal);
  const messages: DriftMessage[] = [];
  const db = await DuckDb.open();
  const onAbort = () => db.interrupt();
  options.signal?.addEventListener('abort', onAbort);
  try {
    const ctx = {
      baseDir: options.baseDir ?? process.cwd(),
      fetchToLocal: options.fetchToLocal,
      signal: options.signal,
      glob: async (pattern: string) => (await db.rows(`SELECT file FROM glob(${literal(pattern)})`)).map((r) => String(r.file)),
    };
    const refSource = await resolveSource(options.reference, ctx);
    const curSource = await resolveSource(options.current, ctx);
    aborted(options.signal);
    const ref = await loadSide(db, 'ref', refSource, messages);
    const cur = await loadSide(db, 'cur', curSource, messages, options.currentWindow);
    aborted(options.signal);

    const planned = planColumns(ref, cur, options);
    messages.push(...planned.messages);
    const skipped: SkippedColumn[] = [...planned.skipped];
    const textCheck = (p: ColumnPlan) => p.type === 'categorical' && !p.explicitType && p.valueType === 'string';
    const refCounts = await sideCounts(db, 'ref', planned.plans, textCheck);
    const curCounts = await sideCounts(db, 'cur', planned.plans, () => false);

    const testable = planned.plans.filter((p) => {
      const r = refCounts.get(p.name)!;
      const c = curCounts.get(p.name)!;
      exclusions(p.name, 'reference', r, messages);
      exclusions(p.name, 'current', c, messages);
      const empty = [r.count ? '' : 'reference', c.count ? '' : 'current'].filter(Boolean);
      if (empty.length) {
        // nothing left because nothing parsed as a number: the sides disagree on the type
        const mismatch = (!r.count && r.invalid) || (!c.count && c.invalid);
        const reason = mismatch ? `type mismatch: no value of the ${empty.join(' and ')} is a number` : `no values to test in the ${empty.join(' and ')}`;
        skipped.push({ name: p.name, reason });
        messages.push({ level: 'error', column: p.name, text: `${p.name}: ${reason}` });
        return false;
      }
      if (textCheck(p) && r.approxDistinct! > TEXT_MIN_DISTINCT && r.approxDistinct! > 0.5 * r.count) {
        skipped.push({ name: p.name, reason: `text-like: about ${r.approxDistinct} distinct values in ${r.count} (set its type to categorical to test it)` });
        return false;
      }
      return true;
    });

    const columns: ColumnDrift[] = [];
    // one column ahead: DuckDB reads the next column while this one is tested
    const fetch = (i: number) => (i < testable.length ? fetchSample(db, testable[i]).then((s) => ({ s }), (e: unknown) => ({ e })) : undefined);
    let next = fetch(0);
    for (const [i, plan] of testable.entries()) {
      const got = (await next)!;
      next = fetch(i + 1);
      aborted(options.signal);
      const counts = { ref: refCounts.get(plan.name)!, cur: curCounts.get(plan.name)! };
      try {
        if ('e' in got) throw got.e;
        columns.push(testColumn(plan, got.s, counts, options, messages));
      } catch (e) {
        aborted(options.signal);
        skipped.push({ name: plan.name, reason: 'could not be computed' });
        messages.push({ level: 'error', column: plan.name, text: `${plan.name}: ${duckMessage(e)}` });
      }
    }

    if (!columns.length) messages.push({ level: 'warning', text: 'no column could be tested' });
    const shareThreshold = options.share ?? DEFAULT_SHARE;
    const drifted = columns.filter((c) => c.drifted).length;
    const driftShare = columns.length ? drifted / columns.length : 0;
    return {
      dataset_drift: columns.length > 0 && driftShare >= shareThreshold,
      drift_share: driftShare,
      drifted_columns: drifted,
      columns,
      shareThreshold,
      method: options.method ?? 'auto',
      reference: { source: refSource.source, files: ref.files, format: ref.format, rows: ref.rows },
      current: { source: curSource.source, files: cur.files, format: cur.format, rows: cur.rows, ...(options.currentWindow ? { window: options.currentWindow } : {}) },
      skipped,
      messages,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    db.close();
  }
}
