/**
 * The Features view's pure logic, without the editor (unit-tested in Node): the tree's shape from
 * slipway.yaml's `features`, freshness and statistics as text, preview values as cells.
 */
import type { FeatureStats, FeatureValue, ViewFreshness, ViewPreview } from '../../core/features/index';
import type { FeatureType, Features, KeyPath } from '../../core/pipeline/index';
import type { CellView, MetricView, PreviewView, StatsView } from '../../../webview/features/protocol';

export interface ViewInfo {
  readonly name: string;
  readonly entity: string;
  readonly source: string;
  /** the source's path; undefined when the source is not declared */
  readonly sourcePath?: string;
  /** as written, e.g. '30d' */
  readonly ttl?: string;
  readonly features: readonly { readonly name: string; readonly type: FeatureType }[];
}

export interface EntityGroup {
  readonly name: string;
  /** undefined: the entity is used by a view but not declared under features.entities */
  readonly joinKeys?: readonly string[];
  readonly views: readonly ViewInfo[];
}

/**
 * Declared entities in file order, each with its views; then, for views naming an entity that is
 * not declared, one group per such entity (no view is left out).
 */
export function shapeFeatures(features: Features): EntityGroup[] {
  const byEntity = new Map<string, ViewInfo[]>();
  for (const [name, view] of Object.entries(features.views)) {
    const source = features.sources[view.source];
    const info: ViewInfo = {
      name,
      entity: view.entity,
      source: view.source,
      ...(source ? { sourcePath: source.path } : {}),
      ...(view.ttl !== undefined ? { ttl: view.ttl } : {}),
      features: Object.entries(view.features).map(([f, type]) => ({ name: f, type })),
    };
    byEntity.set(view.entity, [...(byEntity.get(view.entity) ?? []), info]);
  }
  const groups: EntityGroup[] = Object.entries(features.entities).map(([name, e]) => ({ name, joinKeys: e.joinKeys, views: byEntity.get(name) ?? [] }));
  for (const [name, views] of byEntity) if (!Object.hasOwn(features.entities, name)) groups.push({ name, views });
  return groups;
}

/** Where a tree node is declared in slipway.yaml (the key to go to). */
export type DefinitionTarget =
  | { readonly kind: 'entity'; readonly entity: string; readonly declared: boolean; readonly firstView?: string }
  | { readonly kind: 'view'; readonly view: string }
  | { readonly kind: 'feature'; readonly view: string; readonly feature: string };

/** The key path and the part of it to select; an undeclared entity goes to the first view's `entity:` value. */
export function definitionPath(t: DefinitionTarget): { path: KeyPath; part: 'key' | 'value' } | undefined {
  switch (t.kind) {
    case 'entity':
      if (t.declared) return { path: ['features', 'entities', t.entity], part: 'key' };
      return t.firstView ? { path: ['features', 'views', t.firstView, 'entity'], part: 'value' } : undefined;
    case 'view':
      return { path: ['features', 'views', t.view], part: 'key' };
    case 'feature':
      return { path: ['features', 'views', t.view, 'features', t.feature], part: 'key' };
  }
}

/** "3 h ago", "40 d ago", "in 2 h" (data from the future) */
export function ageText(seconds: number): string {
  const a = Math.abs(seconds);
  const text = a < 90 ? `${Math.round(a)} s` : a < 5400 ? `${Math.round(a / 60)} min` : a < 172_800 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86_400)} d`;
  return seconds < 0 ? `in ${text}` : `${text} ago`;
}

export const ttlText = (ttl: string | undefined): string => (ttl === undefined ? 'no ttl' : `ttl ${ttl}`);

/** The view's description: "latest 3 h ago · ttl 30d", "stale · latest 40 d ago · ttl 30d", "no events · stale". */
export function freshnessText(f: ViewFreshness, ttl: string | undefined): string {
  if (f.latest === null || f.ageSeconds === null) return `no events · stale · ${ttlText(ttl)}`;
  return `${f.stale ? 'stale · ' : ''}latest ${ageText(f.ageSeconds)} · ${ttlText(ttl)}`;
}

/** The view's tooltip lines (Markdown). */
export function freshnessTooltip(view: ViewInfo, f: ViewFreshness): string[] {
  const lines = [`**${view.name}** · entity \`${view.entity}\` · source \`${view.source}\` (${view.sourcePath ?? '?'})`, `${count(f.rows)} rows`];
  if (f.latest && f.oldest) lines.push(`events from ${f.oldest} to ${f.latest}`);
  if (f.latest === null) lines.push('**stale**: the source has no event, so a lookup finds nothing');
  else if (f.stale) lines.push(`**stale**: the latest event is ${ageText(f.ageSeconds!)}, older than the ${ttlText(view.ttl)}: a lookup now finds nothing`);
  else lines.push(`latest event ${ageText(f.ageSeconds!)} (${ttlText(view.ttl)})`);
  return lines;
}

/** A short description of why a view's data cannot be read (the tooltip has the whole message). */
export function errorDescription(message: string): string {
  if (/no such file|no file matches|holds no /.test(message)) return 'source not found';
  if (/unknown source/.test(message)) return 'unknown source';
  if (/unknown entity/.test(message)) return 'unknown entity';
  if (/does not match its data/.test(message)) return 'data does not match';
  if (/timed out|took longer/.test(message)) return 'timed out';
  if (/s3:\/\//.test(message)) return 'cannot read s3:// source';
  return 'cannot read source';
}

export const count = (n: number): string => n.toLocaleString('en-US');

/** A statistic as people read it: whole numbers with separators, others to 5 significant digits. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return count(x);
  const a = Math.abs(x);
  if (a >= 1e9 || a < 1e-4) return x.toExponential(3);
  return String(Number(x.toPrecision(5)));
}

export function percentText(p: number): string {
  if (p === 0) return '0%';
  if (p < 0.01) return '<0.01%';
  if (p > 99.99 && p < 100) return '>99.99%';
  return `${Number(p.toFixed(2))}%`;
}

const valueText = (v: number | string | null | undefined): string => (v === null || v === undefined ? '—' : typeof v === 'number' ? formatNumber(v) : v);

/** A value as display text: strings as they are, everything else as JSON. */
export function cellOf(v: FeatureValue | undefined): CellView {
  if (v === null || v === undefined) return { text: 'null', kind: 'null' };
  if (typeof v === 'number') return { text: String(v), kind: 'number' };
  if (typeof v === 'boolean') return { text: String(v), kind: 'bool' };
  if (typeof v === 'string') return { text: v, kind: 'string' };
  return { text: JSON.stringify(v), kind: 'json' };
}

/** The one line a feature's statistics come down to (the tree's description shows it). */
export function statsSummary(s: FeatureStats): string {
  const parts = [`${count(s.rows)} rows`, `${percentText(s.nullPercent)} null`, `${count(s.distinct)} distinct`];
  if (s.mean !== undefined && s.mean !== null) parts.push(`mean ${formatNumber(s.mean)}`);
  else if (s.min !== undefined && s.min !== null && typeof s.min === 'string') parts.push(`${s.min.slice(0, 10)} … ${String(s.max).slice(0, 10)}`);
  else if (s.top?.length) parts.push(`top ${cellOf(s.top[0]!.value).text}`);
  return parts.join(' · ');
}

/** The statistics table: one row per measure that applies to the feature's type. */
export function statsMetrics(s: FeatureStats): MetricView[] {
  const m: MetricView[] = [
    { label: 'Rows', value: count(s.rows) },
    { label: 'Nulls', value: `${count(s.nulls)} (${percentText(s.nullPercent)})` },
    { label: 'Distinct', value: count(s.distinct), title: 'distinct non-null values' },
  ];
  if (s.min !== undefined) m.push({ label: 'Min', value: valueText(s.min) }, { label: 'Max', value: valueText(s.max) });
  if (s.mean !== undefined) m.push({ label: 'Mean', value: valueText(s.mean) });
  if (s.std !== undefined) m.push({ label: 'Std', value: valueText(s.std), title: 'sample standard deviation (n − 1)' });
  if (s.nonFinite !== undefined) m.push({ label: 'NaN / ±Inf', value: count(s.nonFinite), title: 'not counted in min, max, mean, std or the histogram' });
  m.push({ label: 'Type', value: `${s.declared} (column ${s.actual})`, title: 'as declared in slipway.yaml, and the column type in the data' });
  return m;
}

/** Bin labels: numbers as "1 – 2.3"; timestamps as dates, or dates and minutes when the range is under 3 days. */
export function histogramLabels(bins: FeatureStats['histogram']): string[] {
  if (!bins?.length) return [];
  if (typeof bins[0]!.from === 'string') {
    const span = Date.parse(String(bins[bins.length - 1]!.to)) - Date.parse(String(bins[0]!.from));
    const short = (iso: string | number) => (span < 3 * 86_400_000 ? String(iso).slice(0, 16).replace('T', ' ') : String(iso).slice(0, 10));
    return bins.map((b) => `${short(b.from)} – ${short(b.to)}`);
  }
  return bins.map((b) => `${formatNumber(Number(b.from))} – ${formatNumber(Number(b.to))}`);
}

export function statsView(s: FeatureStats, elapsedMs: number): StatsView {
  const nonNull = s.rows - s.nulls;
  return {
    feature: s.feature,
    declared: s.declared,
    actual: s.actual,
    summary: statsSummary(s),
    metrics: statsMetrics(s),
    ...(s.top ? { top: s.top.map((t) => ({ value: cellOf(t.value).text, count: t.count, share: percentText(nonNull ? (t.count / nonNull) * 100 : 0) })) } : {}),
    ...(s.histogram ? { histogram: histogramLabels(s.histogram).map((label, i) => ({ label, count: s.histogram![i]!.count })) } : {}),
    elapsedMs,
  };
}

export function previewViewOf(p: ViewPreview, declared: Readonly<Record<string, string>>, limit: number): PreviewView {
  return {
    columns: p.columns.map((c) => ({ name: c.name, type: c.type, role: c.role, ...(c.role === 'feature' && declared[c.name] ? { declared: declared[c.name] } : {}) })),
    rows: p.rows.map((r) => p.columns.map((c) => cellOf(r[c.name]))),
    limit,
  };
}
