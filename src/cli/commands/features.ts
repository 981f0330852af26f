import { relative, resolve } from 'node:path';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../io';
import { projectFor } from '../project';
import { ProjectError, type LoadedProject } from '../../core/project/loadProject';
import {
  DEFAULT_ONLINE_STORE,
  DEFAULT_TRAINING_SET,
  FeatureDb,
  FeatureInputError,
  OnlineStore,
  buildTrainingSet,
  checkFeatureTypes,
  featureStats,
  materialize,
  previewView,
  pythonSnippet,
  viewDef,
  viewFreshness,
  type DuckDbSettings,
  type FeatureProblem,
  type FeatureStats,
  type KeyValue,
} from '../../core/features/index';

const USAGE = [
  'slipway features <subcommand> [--file slipway.yaml]',
  '  list [--now ISO] [--format text|json]          views, features, types, freshness and data problems',
  '  check [--format text|json]                      the data against the definitions (exit 1 on errors)',
  '  build [--out data/training.parquet] [--name N] [--format text|json] [--threads N] [--memory-limit 4GB]',
  '                                                  the point-in-time training set of training.dataset + <out>.lineage.json',
  '  materialize [--store .slipway/online.duckdb] [--now ISO] [--format text|json] [--threads N] [--memory-limit 4GB]',
  '                                                  each entity\'s latest values (within ttl as of now) into the online store',
  '  get --entity E --key VALUE|--key NAME=VALUE... [--store PATH] [--format json|text]',
  '                                                  an entity\'s features from the online store (exit 1: not found)',
  '  stats VIEW [FEATURE] [--format text|json]       rows, nulls, distinct, min/max/mean/std or top values, histogram',
  '  preview VIEW [--limit 20] [--format text|json]  the first rows of a view',
  '  snippet [--out data/training.parquet]           Python that loads the training set',
].join('\n');

type Format = 'text' | 'json';

function format(v: string | undefined, fallback: Format = 'text'): Format {
  if (v === undefined) return fallback;
  if (v === 'text' || v === 'json') return v;
  throw new UsageError(`--format must be text or json, not ${JSON.stringify(v)}`);
}

function when(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (!v.trim() || Number.isNaN(d.getTime())) throw new UsageError(`--now must be an ISO 8601 date and time (2026-11-01T00:00:00Z), not ${JSON.stringify(v)}`);
  return d;
}

function duckdb(values: { threads?: string; 'memory-limit'?: string }): DuckDbSettings {
  const threads = values.threads;
  if (threads !== undefined && !/^[1-9]\d*$/.test(threads)) throw new UsageError(`--threads must be a positive whole number, not ${JSON.stringify(threads)}`);
  const memory = values['memory-limit'];
  if (memory !== undefined && !/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(memory)) throw new UsageError(`--memory-limit takes a size like 4GB or 512MiB, not ${JSON.stringify(memory)}`);
  return { ...(threads ? { threads: Number(threads) } : {}), ...(memory ? { memoryLimit: memory } : {}) };
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const fmtNum = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : v === null || v === undefined ? '-' : String(v));

function problemLine(p: FeatureProblem): string {
  return `${p.severity}: ${p.code} ${p.message}`;
}

function ttlText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return 'no ttl';
  for (const [unit, s] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60]] as const) if (seconds % s === 0) return `${seconds / s}${unit}`;
  return `${seconds}s`;
}

function ageText(seconds: number): string {
  const a = Math.abs(seconds);
  const text = a < 120 ? `${Math.round(a)}s` : a < 7200 ? `${Math.round(a / 60)}m` : a < 172800 ? `${Math.round(a / 3600)}h` : `${Math.round(a / 86400)}d`;
  return seconds < 0 ? `${text} in the future` : `${text} old`;
}

async function list(project: LoadedProject, values: { now?: string; format?: string }, io: CliIo): Promise<number> {
  const now = when(values.now) ?? new Date();
  const fmt = format(values.format);
  const db = await FeatureDb.open();
  try {
    const problems = await checkFeatureTypes(project, { db });
    const { views, entities, sources } = project.pipeline.features;
    const out = [];
    for (const [name, view] of Object.entries(views)) {
      let freshness: unknown = null;
      let error: string | undefined;
      try {
        freshness = await viewFreshness(project, name, now, { db });
      } catch (e) {
        if (!(e instanceof FeatureInputError)) throw e;
        error = e.message;
      }
      const source = sources[view.source];
      out.push({
        name,
        entity: view.entity,
        join_keys: entities[view.entity]?.joinKeys ?? [],
        source: view.source,
        path: source?.path ?? null,
        timestamp: source?.timestamp ?? null,
        ttl: view.ttl ?? null,
        ttl_seconds: view.ttlSeconds ?? null,
        features: Object.entries(view.features).map(([f, type]) => ({ name: f, type })),
        freshness,
        ...(error ? { error } : {}),
        problems: problems.filter((p) => p.view === name || (p.source === view.source && !p.view)),
      });
    }
    if (fmt === 'json') {
      io.out(json({ project: project.pipeline.name, now: now.toISOString(), views: out, problems }));
      return EXIT.ok;
    }
    if (!out.length) io.out('no feature views in slipway.yaml (features.views)\n');
    for (const v of out) {
      const f = v.freshness as { rows: number; latest: string | null; ageSeconds: number | null; stale: boolean } | null;
      const fresh = f ? (f.latest ? `${f.rows} rows, latest ${f.latest} (${ageText(f.ageSeconds!)})${f.stale ? ', STALE' : ''}` : `${f.rows} rows, no events, STALE`) : `unreadable: ${v.error}`;
      io.out(`${v.name}  entity ${v.entity} (${v.join_keys.join(', ')})  source ${v.source} ${v.path}  ${ttlText(v.ttl_seconds)}\n  ${fresh}\n`);
      for (const feature of v.features) io.out(`  ${feature.name}: ${feature.type}\n`);
    }
    for (const p of problems) io.err(`${problemLine(p)}\n`);
    return EXIT.ok;
  } finally {
    db.close();
  }
}

async function check(project: LoadedProject, values: { format?: string }, io: CliIo): Promise<number> {
  const problems = await checkFeatureTypes(project);
  if (format(values.format) === 'json') io.out(json(problems));
  else if (!problems.length) io.out('the data matches the feature definitions\n');
  else for (const p of problems) io.out(`${problemLine(p)}\n`);
  return problems.some((p) => p.severity === 'error') ? EXIT.failed : EXIT.ok;
}

type Flags = Partial<Record<'out' | 'name' | 'format' | 'store' | 'now' | 'threads' | 'memory-limit', string>>;

async function build(project: LoadedProject, values: Flags, io: CliIo): Promise<number> {
  const fmt = format(values.format);
  const started = Date.now();
  const lineage = await buildTrainingSet(project, { out: resolve(io.cwd, values.out ?? resolve(project.dir, DEFAULT_TRAINING_SET)), name: values.name, duckdb: duckdb(values) });
  if (fmt === 'json') io.out(json(lineage));
  else {
    const shown = relative(io.cwd, lineage.path) || lineage.path;
    io.out(`wrote ${shown}: ${lineage.rows} rows, ${lineage.columns.length} columns, ${lineage.digest} (${((Date.now() - started) / 1000).toFixed(1)} s)\nlineage: ${shown}.lineage.json\n`);
  }
  return EXIT.ok;
}

async function materializeCmd(project: LoadedProject, values: Flags, io: CliIo): Promise<number> {
  const fmt = format(values.format);
  const result = await materialize(project, { store: values.store && resolve(io.cwd, values.store), now: when(values.now), duckdb: duckdb(values) });
  if (fmt === 'json') io.out(json(result));
  else {
    io.out(`wrote ${relative(io.cwd, result.path) || result.path} as of ${result.asOf}\n`);
    for (const [name, e] of Object.entries(result.entities)) {
      io.out(`  ${name}: ${e.rows} keys, ${e.features.length} features (${e.views.map((v) => `${v.view} ${v.rows}`).join(', ')})\n`);
    }
  }
  return EXIT.ok;
}

/** --key 42, or --key name=value for each join key */
function keyArg(keys: readonly string[]): KeyValue | Record<string, KeyValue> {
  if (!keys.length) throw new UsageError('--key is required: the value of the entity\'s join key, or NAME=VALUE for each of its join keys');
  const named = keys.map((k) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(k));
  if (keys.length === 1 && !named[0]) return keys[0]!;
  if (named.some((m) => !m)) throw new UsageError('with several --key options, give each as NAME=VALUE');
  return Object.fromEntries(named.map((m) => [m![1]!, m![2]!]));
}

async function get(project: LoadedProject | undefined, values: Record<string, string | string[] | undefined>, io: CliIo): Promise<number> {
  const fmt = format(values.format as string | undefined, 'json');
  const entity = values.entity as string | undefined;
  if (!entity) throw new UsageError('--entity is required (an entity of features.entities)');
  const path = values.store ? resolve(io.cwd, values.store as string) : resolve(project?.dir ?? io.cwd, DEFAULT_ONLINE_STORE);
  const store = await OnlineStore.open(path);
  try {
    let key = keyArg((values.key as string[] | undefined) ?? []);
    const meta = store.meta.entities[entity];
    // a single NAME=VALUE for a one-key entity whose key is not NAME is a value with '='
    if (meta && typeof key === 'object' && meta.joinKeys.length === 1 && !(meta.joinKeys[0]! in key)) key = ((values.key as string[])[0])!;
    const r = await store.lookup(entity, key);
    const keyObj = meta ? Object.fromEntries(meta.joinKeys.map((k, i) => [k, typeof key === 'object' ? (key as Record<string, KeyValue>)[k] : i === 0 ? key : null])) : key;
    if (fmt === 'json') io.out(json({ entity, key: keyObj, found: r.found, as_of: store.meta.asOf, values: r.values, timestamps: r.timestamps }));
    else for (const [k, v] of Object.entries(r.values)) io.out(`${k}: ${v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
    if (!r.found) {
      io.err(`no online values for ${entity} ${JSON.stringify(keyObj)} (as of ${store.meta.asOf})\n`);
      return EXIT.failed;
    }
    return EXIT.ok;
  } finally {
    store.close();
  }
}

function statsText(s: FeatureStats): string {
  const lines = [`${s.feature} (${s.declared}, column ${s.actual}): ${s.rows} rows, ${s.nulls} null (${s.nullPercent.toFixed(2)}%), ${s.distinct} distinct`];
  if (s.min !== undefined) lines.push(`  min ${fmtNum(s.min)}  max ${fmtNum(s.max)}${s.mean !== undefined ? `  mean ${fmtNum(s.mean)}  std ${fmtNum(s.std)}` : ''}`);
  if (s.top) lines.push(`  top: ${s.top.map((t) => `${String(t.value)} ${t.count}`).join(', ')}`);
  if (s.histogram) {
    const peak = Math.max(1, ...s.histogram.map((b) => b.count));
    for (const b of s.histogram) lines.push(`  [${fmtNum(b.from)}, ${fmtNum(b.to)}) ${'#'.repeat(Math.round((b.count / peak) * 30))} ${b.count}`);
  }
  return `${lines.join('\n')}\n`;
}

async function stats(project: LoadedProject, positionals: string[], values: { format?: string }, io: CliIo): Promise<number> {
  const [view, feature, extra] = positionals;
  if (!view) throw new UsageError('give the view: slipway features stats VIEW [FEATURE]');
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const fmt = format(values.format);
  const def = viewDef(project, view);
  const names = feature ? [feature] : Object.keys(def.view.features);
  const db = await FeatureDb.open();
  try {
    const all: FeatureStats[] = [];
    for (const name of names) all.push(await featureStats(project, view, name, { db }));
    if (fmt === 'json') io.out(json({ view, features: all }));
    else for (const s of all) io.out(statsText(s));
    return EXIT.ok;
  } finally {
    db.close();
  }
}

async function preview(project: LoadedProject, positionals: string[], values: { format?: string; limit?: string }, io: CliIo): Promise<number> {
  const [view, extra] = positionals;
  if (!view) throw new UsageError('give the view: slipway features preview VIEW');
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const limit = values.limit ?? '20';
  if (!/^\d+$/.test(limit)) throw new UsageError(`--limit must be a whole number, not ${JSON.stringify(limit)}`);
  const p = await previewView(project, view, Number(limit));
  if (format(values.format) === 'json') io.out(json(p));
  else {
    io.out(`${p.columns.map((c) => c.name).join('\t')}\n`);
    for (const r of p.rows) io.out(`${p.columns.map((c) => (r[c.name] === null ? '' : String(r[c.name]))).join('\t')}\n`);
  }
  return EXIT.ok;
}

export const featuresCommand: CliCommand = {
  name: 'features',
  summary: 'the feature store: list and check views, build a point-in-time training set, materialize and read the online store, statistics',
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    const { values, positionals } = parse(rest, {
      file: { type: 'string' },
      format: { type: 'string' },
      now: { type: 'string' },
      out: { type: 'string' },
      name: { type: 'string' },
      store: { type: 'string' },
      entity: { type: 'string' },
      key: { type: 'string', multiple: true },
      limit: { type: 'string' },
      threads: { type: 'string' },
      'memory-limit': { type: 'string' },
    });
    const allowed: Record<string, string[]> = {
      list: ['file', 'format', 'now'],
      check: ['file', 'format'],
      build: ['file', 'format', 'out', 'name', 'threads', 'memory-limit'],
      materialize: ['file', 'format', 'store', 'now', 'threads', 'memory-limit'],
      get: ['file', 'format', 'store', 'entity', 'key'],
      stats: ['file', 'format'],
      preview: ['file', 'format', 'limit'],
      snippet: ['file', 'out'],
    };
    if (!sub) throw new UsageError('give a subcommand: list, check, build, materialize, get, stats, preview or snippet');
    if (!allowed[sub]) throw new UsageError(`unknown subcommand '${sub}' (list, check, build, materialize, get, stats, preview, snippet)`);
    const wrong = Object.keys(values).find((k) => !allowed[sub]!.includes(k));
    if (wrong) throw new UsageError(`features ${sub} takes no --${wrong}`);
    if (positionals.length && sub !== 'stats' && sub !== 'preview') throw new UsageError(`unexpected argument '${positionals[0]}'`);
    try {
      // get reads only the store: a project is optional there (--store)
      const project = sub === 'get' && values.store ? undefined : await projectFor(io.cwd, values.file);
      switch (sub) {
        case 'list':
          return await list(project!, values, io);
        case 'check':
          return await check(project!, values, io);
        case 'build':
          return await build(project!, values, io);
        case 'materialize':
          return await materializeCmd(project!, values, io);
        case 'get':
          return await get(project, values, io);
        case 'stats':
          return await stats(project!, positionals, values, io);
        case 'preview':
          return await preview(project!, positionals, values, io);
        default:
          io.out(pythonSnippet(project!, { out: values.out && relative(project!.dir, resolve(io.cwd, values.out)) }));
          return EXIT.ok;
      }
    } catch (e) {
      if (e instanceof FeatureInputError || e instanceof ProjectError) throw new UsageError(e.message);
      throw e;
    }
  },
};
