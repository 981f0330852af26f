/** The reference/current histogram of a column, as the report and the panel draw it. */
import { binSample, sturgesEdges, type ColumnSample } from './binning';
import { histogramSorted } from './stattests/sorted';
import type { ColumnType, Histogram } from './types';

/** more distinct numbers than this are drawn as Sturges bins even when the reference has few */
const MAX_NUMBER_BARS = 50;

const label = (v: string | number | boolean) => String(v);

function categories(values: readonly (string | number | boolean)[], ref: readonly number[], cur: readonly number[], max: number): Histogram {
  if (values.length <= max) return { kind: 'categories', labels: values.map(label), reference: [...ref], current: [...cur] };
  // keep the categories with the largest share on either side, in value order; sum the rest
  const nr = ref.reduce((a, b) => a + b, 0) || 1;
  const nc = cur.reduce((a, b) => a + b, 0) || 1;
  const weight = values.map((_, i) => Math.max(ref[i] / nr, cur[i] / nc));
  const keep = new Set(
    weight
      .map((w, i) => [w, i] as const)
      .sort((a, b) => b[0] - a[0] || a[1] - b[1])
      .slice(0, max)
      .map(([, i]) => i),
  );
  const h: Histogram = { kind: 'categories', labels: [], reference: [], current: [], other: { categories: 0, reference: 0, current: 0 } };
  values.forEach((v, i) => {
    if (keep.has(i)) {
      h.labels.push(label(v));
      h.reference.push(ref[i]);
      h.current.push(cur[i]);
    } else {
      h.other!.categories++;
      h.other!.reference += ref[i];
      h.other!.current += cur[i];
    }
  });
  return h;
}

/** Evidently's binning (binning.ts) where it is readable; Sturges bins for many distinct numbers; top categories */
export function displayHistogram(sample: ColumnSample, type: ColumnType, maxCategories: number): Histogram {
  if (sample.kind === 'values') return categories(sample.values, sample.ref, sample.cur, maxCategories);
  const b = binSample(sample, type === 'numerical');
  if (b.edges) return { kind: 'bins', edges: b.edges, reference: b.ref, current: b.cur };
  if (type !== 'numerical' || b.values!.length <= MAX_NUMBER_BARS) return categories(b.values!, b.ref, b.cur, type === 'numerical' ? MAX_NUMBER_BARS : maxCategories);
  const { ref, cur } = sample;
  const edges = sturgesEdges(ref.length + cur.length, Math.min(ref[0], cur[0]), Math.max(ref[ref.length - 1], cur[cur.length - 1]), sample.integer);
  return { kind: 'bins', edges, reference: histogramSorted(ref, edges), current: histogramSorted(cur, edges) };
}
