/**
 * From a path in slipway.yaml (a file, a folder, a glob, an s3:// URI) to the local files to
 * read, their format, their columns (cached by file size and mtime), and a relation that numbers
 * the rows in file order (files in path order, then rows), which breaks timestamp ties.
 */
import { glob, readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { formatFromPath, type SourceFormat } from '../pipeline/index';
import { ident, literal, type FeatureDb } from './db';
import { FeatureInputError, type FetchToLocal } from './types';

export interface ResolvedFiles {
  /** as written in slipway.yaml */
  readonly spec: string;
  readonly files: readonly string[];
  readonly format: SourceFormat;
  /** size and mtime of every file: equal signatures, equal contents (for caches) */
  readonly signature: string;
  readonly stats: readonly { readonly path: string; readonly bytes: number; readonly modified: string }[];
}

/** A path that matches nothing; `missing` tells the type check to report it as a warning, as validatePipeline does. */
export class MissingSourceError extends FeatureInputError {}

const isRemote = (p: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
const isGlob = (p: string) => /[*?[\]{}]/.test(p);
const isS3 = (p: string) => /^s3:\/\//i.test(p);

/** every data file under a folder, skipping hidden and marker files (.crc, _SUCCESS) */
async function filesUnder(dir: string, format: SourceFormat | undefined): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !/^[._]/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !relative(dir, p).split(/[\\/]/).some((part) => /^[._]/.test(part)))
    .filter((p) => (format ? formatFromPath(p) === format : formatFromPath(p) !== undefined))
    .sort();
}

async function localFiles(spec: string, path: string, globbing: boolean, baseDir: string, format: SourceFormat | undefined): Promise<string[]> {
  if (globbing) {
    const found: string[] = [];
    for await (const p of glob(path)) {
      const info = await stat(p).catch(() => undefined);
      if (info?.isFile()) found.push(p);
    }
    if (!found.length) throw new MissingSourceError(`${spec}: no file matches (relative to ${baseDir})`);
    return found.sort();
  }
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new MissingSourceError(`${spec}: no such file or folder (relative to ${baseDir})`);
  if (!info.isDirectory()) return [path];
  const files = await filesUnder(path, format);
  if (!files.length) throw new MissingSourceError(`${spec}: the folder holds no ${format ?? 'Parquet, CSV or JSON Lines'} file`);
  return files;
}

/** The files behind a path of slipway.yaml, relative to `baseDir`. */
export async function resolveFiles(
  spec: string,
  baseDir: string,
  declared: SourceFormat | undefined,
  options: { fetchToLocal?: FetchToLocal; signal?: AbortSignal },
): Promise<ResolvedFiles> {
  let path: string;
  if (isS3(spec)) {
    if (!options.fetchToLocal) {
      throw new FeatureInputError(`${spec}: reading s3:// needs the artifact store, which is not available here; download the data and use a local path`);
    }
    path = await options.fetchToLocal(spec, options.signal);
  } else if (isRemote(spec)) {
    throw new FeatureInputError(`${spec}: only local paths and s3:// URIs can be read`);
  } else {
    path = isAbsolute(spec) ? spec : resolve(baseDir, spec);
  }
  const files = await localFiles(spec, path, !isS3(spec) && isGlob(spec), baseDir, declared ?? formatFromPath(spec));
  const formats = new Set(files.map((f) => declared ?? formatFromPath(f)));
  if (formats.has(undefined)) {
    throw new FeatureInputError(`${spec}: cannot tell the format of ${files.find((f) => !formatFromPath(f))}; name the files .parquet, .csv or .jsonl, or set the source's format`);
  }
  if (formats.size > 1) throw new FeatureInputError(`${spec}: mixes ${[...formats].join(' and ')} files; a source has one format`);
  const stats = await Promise.all(
    files.map(async (f) => {
      const s = await stat(f);
      return { path: f, bytes: s.size, modified: s.mtime.toISOString(), ms: s.mtimeMs };
    }),
  );
  const fmt = [...formats][0]!;
  return {
    spec,
    files,
    format: fmt,
    signature: `${fmt}|${stats.map((s) => `${s.path}:${s.bytes}:${s.ms}`).join('|')}`,
    stats: stats.map(({ path: p, bytes, modified }) => ({ path: p, bytes, modified })),
  };
}

/** The table function that reads the files. */
export function readSql(r: Pick<ResolvedFiles, 'files' | 'format'>): string {
  const list = `[${r.files.map(literal).join(', ')}]`;
  if (r.format === 'parquet') return `read_parquet(${list})`;
  if (r.format === 'csv') return `read_csv(${list})`;
  return `read_json(${list}, format = 'newline_delimited')`;
}

/** Column name → DuckDB type, in file order. */
export type Schema = ReadonlyMap<string, string>;

type Cached = { schema: Schema } | { error: string };

/** Schemas by file signature: a file is described again only when its size or mtime changes. */
export class SchemaCache {
  private readonly entries = new Map<string, Cached>();
  constructor(private readonly max = 256) {}

  async describe(db: () => Promise<FeatureDb>, r: ResolvedFiles, signal?: AbortSignal): Promise<Schema> {
    let hit = this.entries.get(r.signature);
    if (!hit) {
      const session = await db(); // a failure to load DuckDB is not the file's problem
      try {
        // DESCRIBE reads only Parquet footers (CSV and JSON: a sample of rows)
        const rows = await session.rows(`DESCRIBE SELECT * FROM ${readSql(r)}`, signal);
        hit = { schema: new Map(rows.map((row) => [String(row.column_name), String(row.column_type)])) };
      } catch (e) {
        if (signal?.aborted) throw e;
        hit = { error: (e as Error).message.split('\n')[0]! };
      }
      if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(r.signature, hit);
    }
    if ('error' in hit) throw new FeatureInputError(`${r.spec}: cannot read it: ${hit.error}`);
    return hit.schema;
  }
}

/** The cache used when the caller brings none. */
export const defaultSchemaCache = new SchemaCache();

/** The name of the row-number column added by orderedRelation. */
export const ROW = '__slipway_row';

let tempTables = 0;

export interface Relation {
  /** a parenthesized SELECT: the files' columns and ROW */
  readonly sql: string;
  /** the plain scan (the table function or the temporary table), where Parquet statistics can answer min/max/count */
  readonly source: string;
  /** drops what the relation needed (a temporary table) */
  dispose(): Promise<void>;
}

/**
 * A relation over the files with a BIGINT column ROW numbering the rows 0, 1, ... in file order.
 * Parquet files are scanned in place (file_index, file_row_number); CSV and JSON Lines (and a
 * Parquet file with a column of those names) are loaded into a temporary table first.
 */
export async function orderedRelation(db: FeatureDb, r: ResolvedFiles, schema: Schema, signal?: AbortSignal): Promise<Relation> {
  const none = async () => {};
  const clash = ['file_index', 'file_row_number', ROW].some((c) => schema.has(c));
  if (r.format === 'parquet' && !clash) {
    if (r.files.length === 1) return { sql: `(SELECT *, file_row_number AS ${ROW} FROM ${readSql(r)})`, source: readSql(r), dispose: none };
    const meta = await db.rows(`SELECT file_name, num_rows FROM parquet_file_metadata(${readSql(r).slice('read_parquet('.length, -1)})`, signal);
    const rowsOf = new Map(meta.map((m) => [String(m.file_name), BigInt(m.num_rows as bigint)]));
    let offset = 0n;
    const offsets = r.files.map((f) => {
      const at = offset;
      offset += rowsOf.get(f) ?? 0n;
      return at;
    });
    return { sql: `(SELECT *, file_row_number + CAST([${offsets.join(', ')}] AS BIGINT[])[CAST(file_index AS BIGINT) + 1] AS ${ROW} FROM ${readSql(r)})`, source: readSql(r), dispose: none };
  }
  if (schema.has(ROW)) throw new FeatureInputError(`${r.spec}: a column is named ${ROW}, which the feature store uses itself`);
  const table = `__slipway_src_${++tempTables}`;
  // a table keeps the insertion order of the scan, which reads the files in order
  await db.run(`CREATE TEMP TABLE ${ident(table)} AS SELECT * FROM ${readSql(r)}`, signal);
  return { sql: `(SELECT *, rowid AS ${ROW} FROM ${ident(table)})`, source: ident(table), dispose: () => db.run(`DROP TABLE IF EXISTS ${ident(table)}`) };
}
