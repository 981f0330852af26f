/**
 * The data against the definitions: every source readable, its timestamp a timestamp, the
 * entity's join keys present, each feature a column whose type holds the declared type; the
 * label set of training.dataset likewise. Cheap enough for the language server: only file
 * metadata is read (Parquet footers), and schemas are cached by file size and mtime.
 *
 * Type rules (declared ← DuckDB column type):
 * - int64 ← any signed integer, UTINYINT/USMALLINT/UINTEGER, DECIMAL(p≤18, 0): widened, fine.
 *   UBIGINT/HUGEINT/UHUGEINT: a warning (values past 2^63−1 do not fit). Anything else: an error.
 * - float64 ← DOUBLE, FLOAT, DECIMAL, any integer (read as 64-bit floats; exact to 2^53).
 * - string ← VARCHAR, ENUM, UUID.
 * - bool ← BOOLEAN only (0/1 integers are an error: declare int64).
 * - timestamp ← TIMESTAMP (any precision), TIMESTAMP WITH TIME ZONE, DATE.
 */
import type { Entity, FeatureType, FeatureView, KeyPath, Severity, Source } from '../pipeline/index';
import { FeatureDb, isTemporal } from './db';
import { MissingSourceError, defaultSchemaCache, resolveFiles, type ResolvedFiles, type Schema, type SchemaCache } from './sources';
import { FeatureInputError, type FeatureOptions, type FeatureProblem, type FeatureProject } from './types';

export interface CheckOptions extends FeatureOptions {
  /** schemas by file signature (default: one cache per process) */
  readonly cache?: SchemaCache;
}

/** Why a column of type `actual` cannot hold a `declared` feature; undefined when it can. */
export function typeProblem(declared: FeatureType, actual: string): { severity: Severity; message: string } | undefined {
  const t = actual.trim().toUpperCase();
  const mismatch = (extra = '') => ({ severity: 'error' as const, message: `declared ${declared}, but the column is ${actual}${extra}` });
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(t);
  switch (declared) {
    case 'int64':
      if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER)$/.test(t)) return undefined;
      if (decimal && decimal[2] === '0' && Number(decimal[1]) <= 18) return undefined;
      if (/^(UBIGINT|HUGEINT|UHUGEINT)$/.test(t)) return { severity: 'warning', message: `declared int64, but the column is ${actual}: values past 2^63−1 do not fit` };
      return mismatch(/^(DOUBLE|FLOAT|DECIMAL)/.test(t) ? ' (declare float64)' : '');
    case 'float64':
      if (/^(DOUBLE|FLOAT|REAL|DECIMAL.*|U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT))$/.test(t)) return undefined;
      return mismatch();
    case 'string':
      if (t === 'VARCHAR' || t === 'UUID' || t.startsWith('ENUM(')) return undefined;
      return mismatch();
    case 'bool':
      return t === 'BOOLEAN' ? undefined : mismatch(/INT/.test(t) ? ' (declare int64 for 0/1 values)' : '');
    case 'timestamp':
      return isTemporal(t) ? undefined : mismatch(t === 'VARCHAR' ? ' (text: parse it into a timestamp in the source, or declare string)' : '');
  }
}

/** The problems of one view against its source's schema (the source's timestamp is checked once per source). */
export function viewProblems(name: string, view: FeatureView, entity: Entity | undefined, schema: Schema): FeatureProblem[] {
  const out: FeatureProblem[] = [];
  const base = { view: name, source: view.source };
  for (const key of entity?.joinKeys ?? []) {
    if (!schema.has(key)) {
      out.push({ ...base, code: 'missing-join-key', severity: 'error', column: key, path: ['features', 'views', name, 'entity'], message: `join key ${key} of entity ${view.entity} is not a column of source ${view.source}` });
    }
  }
  for (const [feature, declared] of Object.entries(view.features)) {
    const path: KeyPath = ['features', 'views', name, 'features', feature];
    const actual = schema.get(feature);
    if (actual === undefined) {
      out.push({ ...base, feature, declared, column: feature, code: 'missing-column', severity: 'error', path, message: `${name}.${feature}: source ${view.source} has no column ${feature}${near(feature, schema)}` });
      continue;
    }
    const p = typeProblem(declared, actual);
    if (p) out.push({ ...base, feature, declared, actual, column: feature, code: 'type-mismatch', severity: p.severity, path, message: `${name}.${feature}: ${p.message}` });
  }
  return out;
}

/** The problems of a timestamp column. */
export function timestampProblem(column: string, schema: Schema, where: string, path: KeyPath, extra: Partial<FeatureProblem> = {}): FeatureProblem | undefined {
  const actual = schema.get(column);
  if (actual === undefined) return { ...extra, column, code: 'missing-timestamp', severity: 'error', path, message: `${where} has no timestamp column ${column}${near(column, schema)}` };
  if (!isTemporal(actual)) return { ...extra, column, actual, code: 'bad-timestamp', severity: 'error', path, message: `${where}: timestamp column ${column} is ${actual}, not a timestamp or a date` };
  return undefined;
}

/** ", columns: a, b, c" to help find a typo */
function near(_name: string, schema: Schema): string {
  const names = [...schema.keys()];
  return names.length ? ` (columns: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})` : '';
}

/** Problems of reading a path: missing (a warning, as validatePipeline reports it), unreadable, s3 without the artifact store. */
function readProblem(e: unknown, path: KeyPath, extra: Partial<FeatureProblem>, remote: boolean): FeatureProblem {
  if (!(e instanceof FeatureInputError)) throw e;
  if (e instanceof MissingSourceError) return { ...extra, code: 'missing-source', severity: 'warning', path, message: e.message };
  if (remote && /needs the artifact store/.test(e.message)) return { ...extra, code: 'unchecked-source', severity: 'information', path, message: e.message };
  return { ...extra, code: 'unreadable-source', severity: 'error', path, message: e.message };
}

/**
 * Checks every source, view and the training set's labels against the data. Never throws for
 * data problems (they are returned); opens DuckDB only when a schema is not cached.
 */
export async function checkFeatureTypes(project: FeatureProject, options: CheckOptions = {}): Promise<FeatureProblem[]> {
  const cache = options.cache ?? defaultSchemaCache;
  let db: FeatureDb | undefined = options.db;
  let opened: FeatureDb | undefined;
  const getDb = async () => (db ??= opened = await FeatureDb.open(options.duckdb));
  const problems: FeatureProblem[] = [];
  const { features, training } = project.pipeline;
  const schemaOf = async (spec: string, format: Source['format'], path: KeyPath, extra: Partial<FeatureProblem>): Promise<Schema | undefined> => {
    let files: ResolvedFiles;
    try {
      files = await resolveFiles(spec, project.dir, format, options);
      return await cache.describe(getDb, files, options.signal);
    } catch (e) {
      problems.push(readProblem(e, path, extra, /^s3:\/\//i.test(spec)));
      return undefined;
    }
  };
  try {
    const schemas = new Map<string, Schema | undefined>();
    for (const [name, source] of Object.entries(features.sources)) {
      const schema = await schemaOf(source.path, source.format, ['features', 'sources', name, 'path'], { source: name });
      schemas.set(name, schema);
      if (!schema) continue;
      const p = timestampProblem(source.timestamp, schema, `source ${name}`, ['features', 'sources', name, 'timestamp'], { source: name });
      if (p) problems.push(p);
    }
    for (const [name, view] of Object.entries(features.views)) {
      const schema = schemas.get(view.source);
      if (schema) problems.push(...viewProblems(name, view, features.entities[view.entity], schema));
    }
    const dataset = training?.dataset;
    if (dataset?.labels) {
      const at = (key: string): KeyPath => ['training', 'dataset', key];
      const schema = await schemaOf(dataset.labels, undefined, at('labels'), {});
      if (schema) {
        const ts = timestampProblem(dataset.timestamp, schema, `label set ${dataset.labels}`, at('timestamp'));
        if (ts) problems.push(ts);
        if (dataset.label && !schema.has(dataset.label)) {
          problems.push({ code: 'missing-column', severity: 'error', column: dataset.label, path: at('label'), message: `label set ${dataset.labels} has no label column ${dataset.label}${near(dataset.label, schema)}` });
        }
        const seen = new Set<string>();
        for (const ref of dataset.features) {
          const view = features.views[ref.view];
          const entity = view && features.entities[view.entity];
          for (const key of entity?.joinKeys ?? []) {
            if (schema.has(key) || seen.has(key)) continue;
            seen.add(key);
            problems.push({ code: 'missing-join-key', severity: 'error', view: ref.view, column: key, path: at('labels'), message: `label set ${dataset.labels} has no column ${key}, the join key of entity ${view!.entity} (view ${ref.view})` });
          }
        }
      }
    }
  } finally {
    opened?.close();
  }
  return problems;
}
