/**
 * Bins for Jensen–Shannon, PSI and the report's histograms, as Evidently's get_binned_data:
 * a numerical column whose reference has more than 20 distinct values is cut into Sturges bins
 * over both samples (numpy.histogram_bin_edges(ref + cur, bins="sturges"), numpy's own float
 * steps); any other column gets one bin per value of either side.
 */
import { countDistinct, histogramSorted, valueCounts } from './stattests/sorted';

/** Numbers sorted ascending (finite only), or the counts of each value on each side. */
export type ColumnSample =
  | { kind: 'numbers'; ref: Float64Array; cur: Float64Array; integer: boolean }
  | { kind: 'values'; values: (string | number | boolean)[]; ref: number[]; cur: number[] };

export interface Binned {
  /** Sturges bin edges, or undefined for one bin per value */
  edges?: number[];
  /** the values of the bins when there is one bin per value */
  values?: (string | number | boolean)[];
  ref: number[];
  cur: number[];
}

/** Evidently: more distinct reference values than this and a numerical column is binned */
export const BINNING_MIN_UNIQUE = 20;

/** numpy.histogram_bin_edges(values, bins="sturges") from the count, extremes and dtype of the values */
export function sturgesEdges(n: number, min: number, max: number, integer: boolean): number[] {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const ptp = max - min; // numpy's _ptp: on the data, not on the widened edges
  let nBins = 1;
  let width = ptp / (Math.log2(n) + 1.0);
  if (width) {
    if (integer && width < 1) width = 1;
    nBins = Math.ceil((last - first) / width);
  }
  // np.linspace(first, last, nBins + 1): i·step + first, the last edge exactly `last`
  const step = (last - first) / nBins;
  const edges: number[] = [];
  for (let i = 0; i <= nBins; i++) edges.push(i * step + first);
  edges[nBins] = last;
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i - 1] < edges[i])) throw new Error(`too many bins for the data range: cannot make ${nBins} bins`);
  }
  return edges;
}

/** bins of a sample as get_binned_data makes them; `numericalBins` is false for a categorical override */
export function binSample(s: ColumnSample, numerical: boolean): Binned {
  if (s.kind === 'values') return { values: s.values, ref: s.ref, cur: s.cur };
  if (numerical && countDistinct(s.ref) > BINNING_MIN_UNIQUE) {
    const min = Math.min(s.ref[0], s.cur[0]);
    const max = Math.max(s.ref[s.ref.length - 1], s.cur[s.cur.length - 1]);
    const edges = sturgesEdges(s.ref.length + s.cur.length, min, max, s.integer);
    return { edges, ref: histogramSorted(s.ref, edges), cur: histogramSorted(s.cur, edges) };
  }
  const vc = valueCounts(s.ref, s.cur);
  return { values: vc.values, ref: vc.ref, cur: vc.cur };
}

/** counts / n on each side */
export function proportions(b: Binned): { ref: number[]; cur: number[] } {
  const nr = b.ref.reduce((x, y) => x + y, 0);
  const nc = b.cur.reduce((x, y) => x + y, 0);
  return { ref: b.ref.map((c) => c / nr), cur: b.cur.map((c) => c / nc) };
}

/** Evidently's feel_zeroes: an empty bin gets 0.0001, or the smallest share / 10^6 when that is ≤ 0.0001 */
export function fillEmptyBins(p: number[]): number[] {
  let min = Infinity;
  for (const x of p) if (x !== 0 && x < min) min = x;
  if (min === Infinity) return p;
  const fill = min <= 0.0001 ? min / 10 ** 6 : 0.0001;
  return p.map((x) => (x === 0 ? fill : x));
}
