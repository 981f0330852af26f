/**
 * Point-in-time correct training sets (training.dataset → Parquet + lineage).
 *
 * Semantics, for each label row (keys, t) and each listed feature of view V:
 * - the V row with the same join keys and the greatest event timestamp ≤ t (never a later one:
 *   no leakage from the future);
 * - ties (several rows of one key at that timestamp): the last one in file order (files in
 *   path order, then rows), as a stable sort by timestamp + pandas' merge_asof picks it;
 * - null when there is no such row, when t − its timestamp > V's ttl (= ttl still matches), when
 *   t or a key is null; a null value in the chosen row stays null (no older row is used);
 * - rows with a null event timestamp are never chosen.
 * Output: the label set's columns as they are, then one column per feature, named `<feature>`,
 * or `<view>__<feature>` when two listed views share the name or a label column has it; values
 * in the declared type; rows in the label set's order. Timestamps compare at nanosecond
 * precision; zone-less timestamps are UTC.
 *
 * Implementation: DuckDB's ASOF LEFT JOIN, one per view, on the join keys and an order key that
 * makes (timestamp, row number) one comparable value, then the ttl as a filter, in one query
 * written straight to Parquet. The order key is a BIGINT packing the timestamp (in its coarsest
 * exact unit — s, ms, µs or ns — relative to the view's first event) above the row number when
 * both fit in 62 bits, else a STRUCT (about 40% slower to sort). The unit is guessed from a
 * sample and checked on every row; a wrong guess stops the query, which runs again with the
 * exact unit. Text and composite join keys are numbered into integers from the label set's
 * keys first (integers sort faster; events of keys no label has drop out).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { ident, literal, withDb, type FeatureDb } from './db';
import { timestampProblem } from './check';
import { defaultSchemaCache, orderedRelation, resolveFiles, ROW, type Relation, type ResolvedFiles, type Schema, type SchemaCache } from './sources';
import { FeatureInputError, type FeatureOptions, type FeatureProblem, type FeatureProject } from './types';
import { asDeclared, keyJoin, loadView, outputFeatures, throwOnErrors, type LoadedView, type OutputFeature } from './views';

export const DEFAULT_TRAINING_SET = 'data/training.parquet';

export const POINT_IN_TIME_RULE =
  'each feature: the latest row of the same entity with event timestamp <= the label timestamp (ties: last in file order), null when older than the view ttl or absent';

export interface BuildOptions extends FeatureOptions {
  /** output Parquet file, relative to the project folder (default data/training.parquet) */
  readonly out?: string;
  /** the data set's name in the lineage (default `<project name>-training`) */
  readonly name?: string;
  readonly cache?: SchemaCache;
  /** the order key: auto (packed when it fits), or forced, for tests */
  readonly orderKey?: 'auto' | 'packed' | 'struct';
  /** when the build happens (lineage `created`); default: now */
  readonly now?: Date;
  /** @internal rows sampled to guess each view's timestamp unit (tests) */
  readonly timeSample?: number;
}

export interface FileStat {
  readonly path: string;
  readonly bytes: number;
  readonly modified: string;
}

/** What a training run logs as its data lineage (also written next to the output as `<out>.lineage.json`). */
export interface TrainingSetLineage {
  readonly name: string;
  /** absolute path of the Parquet file */
  readonly path: string;
  readonly format: 'parquet';
  readonly rows: number;
  readonly bytes: number;
  /** sha256 of the file's bytes: the same inputs give the same file and digest */
  readonly digest: string;
  readonly created: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly labels: { readonly path: string; readonly label: string; readonly timestamp: string; readonly files: readonly FileStat[] };
  readonly features: readonly { readonly column: string; readonly view: string; readonly feature: string; readonly type: string; readonly ttlSeconds: number | null }[];
  readonly sources: readonly { readonly name: string; readonly path: string; readonly timestamp: string; readonly files: readonly FileStat[] }[];
  readonly pointInTime: string;
}

const keyKind = (t: string) => (/^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/i.test(t) ? 'integer' : /^VARCHAR$|^ENUM\(/i.test(t) ? 'string' : t.toUpperCase());

interface TimeScan {
  rows: bigint;
  lo: bigint | null;
  hi: bigint | null;
  unit: bigint;
  /** the unit was seen on every row, not guessed from a sample */
  exact: boolean;
}

/** rows of a view whose timestamps guess the unit; the build checks every row against the guess */
const TIME_SAMPLE = 10_000;
const FINER = 'slipway: an event timestamp is finer than the sampled resolution';

/**
 * Rows, first and last event (ns; Parquet statistics answer that without a scan) and the
 * coarsest unit (s, ms, µs, ns) the event timestamps are multiples of: seen on the first
 * `sample` rows, or on all of them.
 */
async function scanTimes(db: FeatureDb, source: string, ts: string, sample: number | undefined, signal?: AbortSignal): Promise<TimeScan> {
  const c = ident(ts);
  const [r] = await db.rows(`SELECT count(*) AS n, epoch_ns(min(${c})) AS lo, epoch_ns(max(${c})) AS hi FROM ${source}`, signal);
  const [u] = await db.rows(
    `SELECT max(CASE WHEN ns % 1000000000 = 0 THEN 0 WHEN ns % 1000000 = 0 THEN 1 WHEN ns % 1000 = 0 THEN 2 ELSE 3 END) AS level ` +
      `FROM (SELECT epoch_ns(${c}) AS ns FROM ${source} WHERE ${c} IS NOT NULL${sample === undefined ? '' : ` LIMIT ${sample}`})`,
    signal,
  );
  const unit = [1_000_000_000n, 1_000_000n, 1000n, 1n][Number(u!.level ?? 0)]!;
  return { rows: BigInt(r!.n as bigint), lo: (r!.lo as bigint | null) ?? null, hi: (r!.hi as bigint | null) ?? null, unit, exact: sample === undefined };
}

const bits = (n: bigint) => (n <= 0n ? 1 : n.toString(2).length);

/** The order-key expressions of a view (event side) and of the labels (label side, from their timestamp in ns). */
interface OrderKeys {
  /** the event side's order key */
  readonly event: string;
  /** the label side's, from its timestamp in ns */
  readonly label: string;
  /** the matched event's timestamp in ns, from its order key `k` */
  eventNs(k: string): string;
  readonly packed: boolean;
}

function orderKeys(scan: TimeScan, ts: string, labelNs: string, force: BuildOptions['orderKey']): OrderKeys {
  const eventNs = `epoch_ns(${ident(ts)})`;
  if (scan.lo !== null && scan.hi !== null && force !== 'struct') {
    const span = (scan.hi - scan.lo) / scan.unit;
    const rowBits = bits(scan.rows);
    if (bits(span + 2n) + rowBits <= 62 || force === 'packed') {
      const m = 1n << BigInt(rowBits);
      // labels before the first event sort below every event, after the last one above every event
      const q = `CASE WHEN ${labelNs} < ${scan.lo} THEN -1 WHEN ${labelNs} > ${scan.hi} THEN ${span + 1n} ELSE (${labelNs} - ${scan.lo}) // ${scan.unit} END`;
      const rel = `(${eventNs} - ${scan.lo})`;
      // a guessed unit is checked on every event; a finer timestamp stops the query, and the build runs again with the exact unit
      const q0 = scan.exact || scan.unit === 1n ? `${rel} // ${scan.unit}` : `CASE WHEN ${rel} % ${scan.unit} = 0 THEN ${rel} // ${scan.unit} ELSE error(${literal(FINER)}) END`;
      return {
        event: `(${q0}) * ${m} + ${ROW}`,
        label: `(${q}) * ${m} + ${m - 1n}`,
        // the timestamp is in the key: one column less to sort
        eventNs: (k) => `((${k} >> ${rowBits}) * ${scan.unit} + ${scan.lo})`,
        packed: true,
      };
    }
  }
  // a struct with a null field is not null: a label without a timestamp gets a null key
  return {
    event: `{'t': ${eventNs}, 'r': ${ROW}}`,
    label: `CASE WHEN ${labelNs} IS NOT NULL THEN {'t': ${labelNs}, 'r': ${1n << 62n}} END`,
    eventNs: (k) => `${k}.t`,
    packed: false,
  };
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

const fileStats = (r: ResolvedFiles): FileStat[] => r.stats.map((s) => ({ ...s }));

/** Builds the training set of training.dataset and returns (and writes next to it) its lineage. */
export async function buildTrainingSet(project: FeatureProject, options: BuildOptions = {}): Promise<TrainingSetLineage> {
  const dataset = project.pipeline.training?.dataset;
  if (!dataset) throw new FeatureInputError('slipway.yaml has no training.dataset: add labels, label, timestamp and features to build a training set');
  const out = resolve(project.dir, options.out ?? DEFAULT_TRAINING_SET);
  const cache = options.cache ?? defaultSchemaCache;
  return withDb(options, async (db) => {
    const { signal } = options;
    // the label set
    const labelFiles = await resolveFiles(dataset.labels, project.dir, undefined, options).catch((e: unknown) => {
      throw e instanceof FeatureInputError ? new FeatureInputError(`training.dataset.labels: ${e.message}`) : e;
    });
    const labelSchema = await cache.describe(async () => db, labelFiles, signal);
    const problems: FeatureProblem[] = [];
    const ts = timestampProblem(dataset.timestamp, labelSchema, `label set ${dataset.labels}`, ['training', 'dataset', 'timestamp']);
    if (ts) problems.push(ts);
    if (!labelSchema.has(dataset.label)) {
      problems.push({ code: 'missing-column', severity: 'error', column: dataset.label, path: ['training', 'dataset', 'label'], message: `label set ${dataset.labels} has no label column ${dataset.label}` });
    }
    const features = outputFeatures(project, dataset.features, new Set(labelSchema.keys()));
    const viewNames = [...new Set(features.map((f) => f.view))];
    const views: LoadedView[] = [];
    for (const name of viewNames) {
      const v = await loadView(db, project, name, { ...options, cache, features: features.filter((f) => f.view === name).map((f) => f.feature) });
      for (const key of v.entity.joinKeys) {
        const lt = labelSchema.get(key);
        if (lt === undefined) {
          problems.push({ code: 'missing-join-key', severity: 'error', view: name, column: key, path: ['training', 'dataset', 'labels'], message: `label set ${dataset.labels} has no column ${key}, the join key of entity ${v.view.entity} (view ${name})` });
        } else if (keyKind(lt) !== keyKind(v.schema.get(key)!)) {
          problems.push({ code: 'type-mismatch', severity: 'error', view: name, column: key, actual: lt, path: ['training', 'dataset', 'labels'], message: `join key ${key} is ${lt} in the label set but ${v.schema.get(key)} in source ${v.sourceName} (view ${name})` });
        }
      }
      views.push(v);
    }
    throwOnErrors(problems, 'cannot build the training set');

    const relations: Relation[] = [];
    try {
      const labels = await orderedRelation(db, labelFiles, labelSchema, signal);
      relations.push(labels);
      const rels: Relation[] = [];
      for (const v of views) rels.push(await orderedRelation(db, v.files, v.schema, signal));
      relations.push(...rels);
      await mkdir(dirname(out), { recursive: true });
      // DuckDB turns an ASOF join whose left side it estimates at ≤ 64 rows into a nested loop; its estimate of
      // a CTE can be ~0 rows, and a nested loop over a million labels never ends
      await db.run('SET asof_loop_join_threshold = 0', signal);
      // first with each view's timestamp unit guessed from a sample; when a row proves the guess wrong, with the exact unit
      let sample: number | undefined = options.timeSample ?? TIME_SAMPLE;
      for (;;) {
        const scans: TimeScan[] = [];
        for (const [i, v] of views.entries()) scans.push(await scanTimes(db, rels[i]!.source, v.source.timestamp, sample, signal));
        const sql = trainingSql(dataset.timestamp, labels, labelSchema, views, rels, scans, features, options.orderKey);
        const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
        try {
          await db.run(`COPY (${sql}) TO ${literal(tmp)} (FORMAT parquet)`, signal);
          await rename(tmp, out);
          break;
        } catch (e) {
          if (sample === undefined || !(e as Error).message.includes(FINER)) throw e;
          sample = undefined;
        } finally {
          await rm(tmp, { force: true });
        }
      }
    } finally {
      for (const r of relations) await r.dispose();
    }
    return writeLineage(db, project, out, labelFiles, views, features, options);
  });
}

/** The point-in-time join as one query: one ASOF LEFT JOIN per view, the ttl as a filter, rows in label order. */
function trainingSql(
  timestamp: string,
  labels: Relation,
  labelSchema: Schema,
  views: readonly LoadedView[],
  rels: readonly Relation[],
  scans: readonly TimeScan[],
  features: readonly OutputFeature[],
  force: BuildOptions['orderKey'],
): string {
  const labelCols = [...labelSchema.keys()];
  const ctes = [`l AS (SELECT ${labelCols.map(ident).join(', ')}, ${ROW} AS __slipway_r, epoch_ns(${ident(timestamp)}) AS __slipway_ns FROM ${labels.sql})`];
  const labelKeys: string[] = [];
  const joins: string[] = [];
  const selects = labelCols.map((c) => `lk.${ident(c)}`);
  // text and composite keys become dense integers first (integers sort faster), numbered from the label set's keys
  const dicts = new Map<string, number>();
  const labelDicts: string[] = [];
  for (const [i, v] of views.entries()) {
    const keys = orderKeys(scans[i]!, v.source.timestamp, 'l.__slipway_ns', force);
    const mine = features.filter((f) => f.view === v.name);
    const joinKeys = v.entity.joinKeys;
    const integerKey = joinKeys.length === 1 && keyKind(labelSchema.get(joinKeys[0]!)!) === 'integer';
    let d = dicts.get(v.view.entity);
    if (!integerKey && d === undefined) {
      d = dicts.size;
      dicts.set(v.view.entity, d);
      const list = joinKeys.map(ident).join(', ');
      ctes.push(`d${d} AS (SELECT ${list}, row_number() OVER () AS __slipway_kid FROM (SELECT DISTINCT ${list} FROM l WHERE ${joinKeys.map((k) => `${ident(k)} IS NOT NULL`).join(' AND ')}))`);
      labelDicts.push(`LEFT JOIN d${d} ON ${keyJoin(joinKeys, 'l', `d${d}`)}`);
      labelKeys.push(`d${d}.__slipway_kid AS __slipway_kid${d}`);
    }
    const cols = [
      ...(d === undefined ? joinKeys.map((k) => `s.${ident(k)}`) : [`d${d}.__slipway_kid`]),
      ...mine.map((f, j) => `${asDeclared(`s.${ident(f.feature)}`, f.declared, v.schema.get(f.feature)!)} AS __slipway_f${j}`),
      `${keys.event} AS __slipway_k`,
    ];
    // an event whose key no label has is never matched: the dictionary join drops it
    const from = d === undefined ? `${rels[i]!.sql} s` : `${rels[i]!.sql} s JOIN d${d} ON ${keyJoin(joinKeys, 's', `d${d}`)}`;
    ctes.push(`v${i} AS (SELECT ${cols.join(', ')} FROM ${from} WHERE s.${ident(v.source.timestamp)} IS NOT NULL)`);
    labelKeys.push(`${keys.label} AS __slipway_k${i}`);
    const on = d === undefined ? keyJoin(joinKeys, 'lk', `v${i}`) : `lk.__slipway_kid${d} = v${i}.__slipway_kid`;
    joins.push(`ASOF LEFT JOIN v${i} ON ${on} AND lk.__slipway_k${i} >= v${i}.__slipway_k`);
    const ttl = v.view.ttlSeconds;
    // DuckDB's ASOF matches a NULL struct key (a label without a timestamp) to the last row: the first condition undoes that
    const ns = keys.eventNs(`v${i}.__slipway_k`);
    const valid = `${ns} <= lk.__slipway_ns${ttl === undefined ? '' : ` AND lk.__slipway_ns - ${ns} <= ${BigInt(ttl) * 1_000_000_000n}`}`;
    mine.forEach((f, j) => selects.push(`CASE WHEN ${valid} THEN v${i}.__slipway_f${j} END AS ${ident(f.column)}`));
  }
  ctes.push(`lk AS (SELECT l.*, ${labelKeys.join(', ')} FROM l ${labelDicts.join(' ')})`);
  return `WITH ${ctes.join(',\n')}\nSELECT ${selects.join(', ')}\nFROM lk ${joins.join(' ')}\nORDER BY lk.__slipway_r`;
}

async function writeLineage(
  db: FeatureDb,
  project: FeatureProject,
  out: string,
  labelFiles: ResolvedFiles,
  views: readonly LoadedView[],
  features: readonly OutputFeature[],
  options: BuildOptions,
): Promise<TrainingSetLineage> {
  const dataset = project.pipeline.training!.dataset!;
  const columns = await db.rows(`DESCRIBE SELECT * FROM read_parquet(${literal(out)})`);
  const [count] = await db.rows(`SELECT count(*) AS n FROM read_parquet(${literal(out)})`);
  const digest = await fileDigest(out);
  const { size } = await stat(out);
  const typeOf = new Map(columns.map((c) => [String(c.column_name), String(c.column_type)]));
  const lineage: TrainingSetLineage = {
    name: options.name ?? `${project.pipeline.name}-training`,
    path: out,
    format: 'parquet',
    rows: Number(count!.n),
    bytes: size,
    digest,
    created: (options.now ?? new Date()).toISOString(),
    columns: columns.map((c) => ({ name: String(c.column_name), type: String(c.column_type) })),
    labels: { path: dataset.labels, label: dataset.label, timestamp: dataset.timestamp, files: fileStats(labelFiles) },
    features: features.map((f) => ({ column: f.column, view: f.view, feature: f.feature, type: typeOf.get(f.column) ?? f.declared, ttlSeconds: project.pipeline.features.views[f.view]?.ttlSeconds ?? null })),
    sources: views.map((v) => ({ name: v.sourceName, path: v.source.path, timestamp: v.source.timestamp, files: fileStats(v.files) })),
    pointInTime: POINT_IN_TIME_RULE,
  };
  await writeFile(`${out}.lineage.json`, `${JSON.stringify(lineage, null, 2)}\n`);
  return lineage;
}

/** Python that loads the training set built by `slipway features build` (paths relative to the project folder). */
export function pythonSnippet(project: FeatureProject, options: { out?: string } = {}): string {
  const dataset = project.pipeline.training?.dataset;
  const outAbs = resolve(project.dir, options.out ?? DEFAULT_TRAINING_SET);
  const out = isAbsolute(options.out ?? '') ? outAbs : relative(project.dir, outAbs).split('\\').join('/');
  const py = (s: string) => JSON.stringify(s);
  if (!dataset) {
    return [
      '# slipway.yaml has no training.dataset: add one, then `slipway features build` writes the training set.',
      'import pandas as pd',
      '',
      ...Object.entries(project.pipeline.features.sources).map(([name, s]) => `${name} = pd.read_parquet(${py(s.path)})  # source ${name}`),
      '',
    ].join('\n');
  }
  let columns: string[];
  try {
    const { views, entities } = project.pipeline.features;
    const keys = dataset.features.flatMap((r) => entities[views[r.view]?.entity ?? '']?.joinKeys ?? []);
    columns = outputFeatures(project, dataset.features, new Set([dataset.label, dataset.timestamp, ...keys])).map((f) => f.column);
  } catch {
    columns = dataset.features.map((f) => f.feature);
  }
  return [
    `# The point-in-time correct training set of ${project.pipeline.name}: \`slipway features build --out ${out}\` writes it.`,
    'import json',
    '',
    'import pandas as pd',
    '',
    `train = pd.read_parquet(${py(out)})`,
    `with open(${py(`${out}.lineage.json`)}) as f:`,
    '    lineage = json.load(f)  # name, path, rows, digest (sha256): the data set a run was trained on',
    '',
    `features = [${columns.map(py).join(', ')}]`,
    `X, y = train[features], train[${py(dataset.label)}]`,
    '',
    '# with MLflow, log the lineage with the run:',
    `# mlflow.log_input(mlflow.data.from_pandas(train, source=lineage["path"], name=lineage["name"], targets=${py(dataset.label)}), context="training")`,
    '# mlflow.set_tag("slipway.dataset.digest", lineage["digest"])',
    '',
  ].join('\n');
}

