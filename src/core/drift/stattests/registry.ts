/**
 * The drift tests by name, their defaults, and Evidently's automatic choice
 * (legacy/calculations/stattests/registry.py, Evidently 0.7).
 */
import { binSample, fillEmptyBins, proportions, type ColumnSample } from '../binning';
import type { ColumnType, DriftMethod, ScoreKind } from '../types';
import { chiSquareCounts } from './chisquare';
import { jensenShannon, psi } from './distances';
import { ks2samp } from './ks';
import { mergeSorted, populationStd, valueCounts, type MergedStats } from './sorted';
import { zTestCounts } from './ztest';

export interface TestOutcome {
  score: number;
  statistic?: number;
}

export interface StatTest {
  name: DriftMethod;
  scoreKind: ScoreKind;
  defaultThreshold: number;
  drifted(score: number, threshold: number): boolean;
  /** why the test does not apply to a column, if it does not */
  unsupported(type: ColumnType, uniqueValues: number): string | undefined;
  run(sample: ColumnSample, type: ColumnType): TestOutcome;
}

const numericalOnly = (name: string) => (type: ColumnType) => (type === 'numerical' ? undefined : `${name} needs a numerical column`);

/** per-value counts of any sample */
function counts(s: ColumnSample): { ref: number[]; cur: number[] } {
  return s.kind === 'values' ? s : valueCounts(s.ref, s.cur);
}

function numbers(s: ColumnSample): { ref: Float64Array; cur: Float64Array } {
  if (s.kind !== 'numbers') throw new Error('this test needs numbers');
  return s;
}

const mergedCache = new WeakMap<object, MergedStats>();

/** the merge pass over a numerical sample, done once per sample */
export function merged(s: ColumnSample & { kind: 'numbers' }): MergedStats {
  let m = mergedCache.get(s);
  if (!m) mergedCache.set(s, (m = mergeSorted(s.ref, s.cur)));
  return m;
}

/** distinct values of reference and current together */
export function uniqueValues(s: ColumnSample): number {
  return s.kind === 'numbers' ? merged(s).unique : s.values.length;
}

export const STAT_TESTS: Record<DriftMethod, StatTest> = {
  ks: {
    name: 'ks',
    scoreKind: 'p_value',
    defaultThreshold: 0.05,
    drifted: (p, t) => p <= t,
    unsupported: numericalOnly('ks'),
    run(s) {
      const { ref, cur } = numbers(s);
      const m = merged(s as ColumnSample & { kind: 'numbers' });
      const r = ks2samp(ref.length, cur.length, m.maxDiff, Math.min(Math.max(-m.minDiff, 0), 1));
      return { score: r.pValue, statistic: r.statistic };
    },
  },
  chisquare: {
    name: 'chisquare',
    scoreKind: 'p_value',
    defaultThreshold: 0.05,
    drifted: (p, t) => p < t,
    unsupported: () => undefined,
    run(s) {
      const c = counts(s);
      const r = chiSquareCounts(c.ref, c.cur);
      return { score: r.pValue, statistic: r.statistic };
    },
  },
  ztest: {
    name: 'ztest',
    scoreKind: 'p_value',
    defaultThreshold: 0.05,
    drifted: (p, t) => p < t,
    unsupported: (_type, unique) => (unique > 2 ? `ztest compares two values and the column has ${unique}` : undefined),
    run(s) {
      const c = counts(s);
      const r = zTestCounts(c.ref, c.cur);
      return { score: r.pValue, statistic: r.statistic };
    },
  },
  wasserstein: {
    name: 'wasserstein',
    scoreKind: 'distance',
    defaultThreshold: 0.1,
    drifted: (d, t) => d >= t,
    unsupported: numericalOnly('wasserstein'),
    run(s) {
      const { ref } = numbers(s);
      // normed by the reference's spread so that one threshold fits every scale
      return { score: merged(s as ColumnSample & { kind: 'numbers' }).wasserstein / Math.max(populationStd(ref), 0.001) };
    },
  },
  jensenshannon: {
    name: 'jensenshannon',
    scoreKind: 'distance',
    defaultThreshold: 0.1,
    drifted: (d, t) => d >= t,
    unsupported: () => undefined,
    run(s, type) {
      const p = proportions(binSample(s, type === 'numerical'));
      return { score: jensenShannon(p.ref, p.cur) };
    },
  },
  psi: {
    name: 'psi',
    scoreKind: 'distance',
    defaultThreshold: 0.1,
    drifted: (d, t) => d >= t,
    unsupported: () => undefined,
    run(s, type) {
      const p = proportions(binSample(s, type === 'numerical'));
      return { score: psi(fillEmptyBins(p.ref), fillEmptyBins(p.cur)) };
    },
  },
};

/**
 * Evidently's default test. `referenceCount`: the reference's tested values; `uniqueValues`:
 * distinct values of reference and current together.
 */
export function defaultMethod(type: ColumnType, referenceCount: number, uniqueValues: number): DriftMethod {
  const numerical = type === 'numerical' && uniqueValues > 5;
  if (referenceCount <= 1000) return numerical ? 'ks' : uniqueValues > 2 ? 'chisquare' : 'ztest';
  return numerical ? 'wasserstein' : 'jensenshannon';
}
