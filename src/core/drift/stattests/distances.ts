/** Jensen–Shannon distance and PSI on binned proportions (scipy.spatial.distance.jensenshannon, Evidently's psi). */
import { pairwiseSum } from './numeric';

/** scipy.special.rel_entr */
function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/** scipy.spatial.distance.jensenshannon(p, q), natural log; a rounding-negative divergence counts as 0 */
export function jensenShannon(p0: readonly number[], q0: readonly number[]): number {
  const sp = pairwiseSum(p0);
  const sq = pairwiseSum(q0);
  const p = p0.map((x) => x / sp);
  const q = q0.map((x) => x / sq);
  const m = p.map((x, i) => (x + q[i]) / 2.0);
  const js = pairwiseSum(p.map((x, i) => relEntr(x, m[i]))) + pairwiseSum(q.map((x, i) => relEntr(x, m[i])));
  return Math.sqrt(Math.max(js, 0) / 2.0);
}

/** Σ (ref - cur)·ln(ref / cur), on proportions whose empty bins were filled */
export function psi(ref: readonly number[], cur: readonly number[]): number {
  return pairwiseSum(ref.map((r, i) => (r - cur[i]) * Math.log(r / cur[i])));
}
