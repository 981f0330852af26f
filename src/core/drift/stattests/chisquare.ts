/**
 * Pearson's chi-square test of current counts against reference counts scaled to the current
 * size (Evidently's chisquare), with SciPy's chisquare statistic and chi2.sf p-value.
 */
import gammainc from '@stdlib/math-base-special-gammainc';
import { pairwiseSum } from './numeric';

/** chi2.sf(x, df): the regularized upper incomplete gamma Q(df/2, x/2), precise for tiny p-values */
export function chi2Sf(x: number, df: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return gammainc(x / 2, df / 2, true, true);
}

/** scipy.stats.chisquare(fObs, fExp); one category: statistic 0, p-value 1 (SciPy: NaN) */
export function chiSquare(fObs: readonly number[], fExp: readonly number[]): { statistic: number; pValue: number } {
  const terms = fObs.map((o, i) => (o - fExp[i]) ** 2 / fExp[i]);
  const statistic = pairwiseSum(terms);
  if (fObs.length < 2) return { statistic, pValue: 1 };
  return { statistic, pValue: chi2Sf(statistic, fObs.length - 1) };
}

/** Evidently's chisquare: expected = reference counts · n_current / n_reference */
export function chiSquareCounts(ref: readonly number[], cur: readonly number[]): { statistic: number; pValue: number } {
  const nRef = ref.reduce((a, b) => a + b, 0);
  const nCur = cur.reduce((a, b) => a + b, 0);
  const k = nCur / nRef;
  return chiSquare(cur, ref.map((c) => c * k));
}
