/**
 * Two-proportion Z-test (Evidently's proportions_diff_z_test): the share of values other than
 * the first (sorted) on each side, pooled variance, two-sided p = 2·norm.sf(|z|) = erfc(|z|/√2).
 */
import erfc from '@stdlib/math-base-special-erfc';

/** `ref`/`cur`: counts per value, the values sorted ascending */
export function zTestCounts(ref: readonly number[], cur: readonly number[]): { statistic: number; pValue: number } {
  const n1 = ref.reduce((a, b) => a + b, 0);
  const n2 = cur.reduce((a, b) => a + b, 0);
  const refOnly = ref.filter((c) => c > 0).length;
  const curOnly = cur.filter((c) => c > 0).length;
  // both sides hold one and the same value: nothing can differ
  if (refOnly === 1 && curOnly === 1 && ref.findIndex((c) => c > 0) === cur.findIndex((c) => c > 0)) return { statistic: 0, pValue: 1 };
  const p1 = (n1 - ref[0]) / n1;
  const p2 = (n2 - cur[0]) / n2;
  const P = (p1 * n1 + p2 * n2) / (n1 + n2);
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2));
  return { statistic: z, pValue: erfc(Math.abs(z) * Math.SQRT1_2) };
}
