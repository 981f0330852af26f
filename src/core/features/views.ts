/**
 * A feature view with its data: the definitions from slipway.yaml, the source's files and
 * schema, checked (an error-level problem stops the operation with a FeatureInputError).
 */
import type { Entity, FeatureType, FeatureView, Source } from '../pipeline/index';
import { ident, type FeatureDb } from './db';
import { timestampProblem, viewProblems } from './check';
import { defaultSchemaCache, resolveFiles, type ResolvedFiles, type Schema, type SchemaCache } from './sources';
import { FeatureInputError, type FeatureOptions, type FeatureProblem, type FeatureProject } from './types';

export interface ViewDef {
  readonly name: string;
  readonly view: FeatureView;
  readonly entity: Entity;
  readonly sourceName: string;
  readonly source: Source;
}

export interface LoadedView extends ViewDef {
  readonly files: ResolvedFiles;
  readonly schema: Schema;
}

const list = (names: string[]) => (names.length ? names.join(', ') : 'none');

/** The definitions of a view; a FeatureInputError names the views there are when it is unknown. */
export function viewDef(project: FeatureProject, name: string): ViewDef {
  const { views, entities, sources } = project.pipeline.features;
  const view = views[name];
  if (!view) throw new FeatureInputError(`unknown feature view '${name}' (views: ${list(Object.keys(views))})`);
  const entity = entities[view.entity];
  if (!entity) throw new FeatureInputError(`view ${name}: unknown entity '${view.entity}'`);
  const source = sources[view.source];
  if (!source) throw new FeatureInputError(`view ${name}: unknown source '${view.source}'`);
  return { name, view, entity, sourceName: view.source, source };
}

/** Throws a FeatureInputError listing the error-level problems, if any. */
export function throwOnErrors(problems: readonly FeatureProblem[], what: string): void {
  const errors = problems.filter((p) => p.severity === 'error');
  if (!errors.length) return;
  const shown = errors.slice(0, 5).map((p) => `  ${p.message}`);
  throw new FeatureInputError(`${what}:\n${shown.join('\n')}${errors.length > 5 ? `\n  … and ${errors.length - 5} more` : ''}`, errors);
}

export interface LoadViewOptions extends FeatureOptions {
  readonly cache?: SchemaCache;
  /** the features that must be valid (default: all of the view's) */
  readonly features?: readonly string[];
  /** false: a feature's column must exist, its type does not matter (statistics, previews) */
  readonly types?: boolean;
}

/** A view, its files and schema, checked against its definitions (join keys, timestamp, the features asked for). */
export async function loadView(db: FeatureDb, project: FeatureProject, name: string, options: LoadViewOptions = {}): Promise<LoadedView> {
  const def = viewDef(project, name);
  const files = await resolveFiles(def.source.path, project.dir, def.source.format, options);
  const schema = await (options.cache ?? defaultSchemaCache).describe(async () => db, files, options.signal);
  const wanted = options.features && new Set(options.features);
  const problems = viewProblems(name, def.view, def.entity, schema).filter(
    (p) => (!p.feature || !wanted || wanted.has(p.feature)) && (options.types !== false || p.code !== 'type-mismatch'),
  );
  const ts = timestampProblem(def.source.timestamp, schema, `source ${def.sourceName}`, ['features', 'sources', def.sourceName, 'timestamp']);
  if (ts) problems.push(ts);
  throwOnErrors(problems, `view ${name} does not match its data`);
  return { ...def, files, schema };
}

/** SQL turning a column of type `actual` into the declared type (the training set and the online store hold declared types). */
export function asDeclared(expr: string, declared: FeatureType, actual: string): string {
  const t = actual.toUpperCase();
  switch (declared) {
    case 'int64':
      return t === 'BIGINT' ? expr : `CAST(${expr} AS BIGINT)`;
    case 'float64':
      return t === 'DOUBLE' ? expr : `CAST(${expr} AS DOUBLE)`;
    case 'string':
      return t === 'VARCHAR' ? expr : `CAST(${expr} AS VARCHAR)`;
    case 'bool':
      return expr;
    case 'timestamp':
      return t === 'DATE' ? `CAST(${expr} AS TIMESTAMP)` : expr;
  }
}

export interface OutputFeature {
  readonly view: string;
  readonly feature: string;
  readonly declared: FeatureType;
  /** the column name in the training set / the key in an online lookup */
  readonly column: string;
}

/**
 * Output names of features: the feature's name, or `<view>__<feature>` when two of the listed
 * views share that name or it is taken (by a label set column). The same feature listed twice
 * (or by `view:*` and by name) is kept once, where it first appears.
 */
export function outputFeatures(project: FeatureProject, refs: readonly { view: string; feature: string }[], taken: ReadonlySet<string> = new Set()): OutputFeature[] {
  const expanded: { view: string; feature: string; declared: FeatureType }[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    const def = viewDef(project, ref.view);
    const names = ref.feature === '*' ? Object.keys(def.view.features) : [ref.feature];
    for (const feature of names) {
      const declared = def.view.features[feature];
      if (!declared) throw new FeatureInputError(`view ${ref.view} has no feature '${feature}' (features: ${list(Object.keys(def.view.features))})`);
      const key = `${ref.view}\u0000${feature}`;
      if (seen.has(key)) continue;
      seen.add(key);
      expanded.push({ view: ref.view, feature, declared });
    }
  }
  const viewsOf = new Map<string, Set<string>>();
  for (const f of expanded) viewsOf.set(f.feature, (viewsOf.get(f.feature) ?? new Set()).add(f.view));
  const out = expanded.map((f) => ({ ...f, column: viewsOf.get(f.feature)!.size > 1 || taken.has(f.feature) ? `${f.view}__${f.feature}` : f.feature }));
  const columns = new Set<string>(taken);
  for (const f of out) {
    if (columns.has(f.column)) throw new FeatureInputError(`two columns would be named ${f.column}; rename a feature or a label set column`);
    columns.add(f.column);
  }
  return out;
}

/** `"a" = "b"`-style conditions joining two relations on the entity's keys. */
export const keyJoin = (keys: readonly string[], left: string, right: string): string => keys.map((k) => `${left}.${ident(k)} = ${right}.${ident(k)}`).join(' AND ');
