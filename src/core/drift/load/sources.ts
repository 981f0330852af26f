/**
 * From what the user wrote (a file, a folder, a glob, an s3:// URI, or a list of them) to the
 * list of local files to read and their format.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { DriftInputError, type DataFormat, type FetchToLocal } from '../types';

export interface ResolvedSource {
  source: string;
  files: string[];
  format: DataFormat;
}

const FORMATS: readonly [RegExp, DataFormat][] = [
  [/\.(parquet|pq)$/i, 'parquet'],
  [/\.(csv|tsv)(\.(gz|zst))?$/i, 'csv'],
  [/\.(jsonl|ndjson|json)(\.(gz|zst))?$/i, 'json'],
];

export function formatOf(path: string): DataFormat | undefined {
  return FORMATS.find(([re]) => re.test(path))?.[1];
}

const isGlob = (p: string) => /[*?[{]/.test(p);

export interface ResolveContext {
  baseDir: string;
  fetchToLocal?: FetchToLocal;
  signal?: AbortSignal;
  /** expands a glob to matching files (DuckDB's glob(), so patterns mean what they mean to read_parquet) */
  glob(pattern: string): Promise<string[]>;
}

/** every data file under a folder, skipping hidden and marker files (.crc, _SUCCESS) */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && formatOf(e.name) && !/^[._]/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !relative(dir, p).split(/[\\/]/).some((part) => /^[._]/.test(part)))
    .sort();
}

async function filesOf(spec: string, ctx: ResolveContext): Promise<string[]> {
  if (/^s3:\/\//i.test(spec)) {
    if (!ctx.fetchToLocal) {
      throw new DriftInputError(`${spec}: reading s3:// needs the artifact store, which is not available here yet; download the files and pass a local path`);
    }
    const local = await ctx.fetchToLocal(spec, ctx.signal);
    return filesOf(local, { ...ctx, fetchToLocal: undefined });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) throw new DriftInputError(`${spec}: only local paths and s3:// URIs can be read`);
  const path = isAbsolute(spec) ? spec : resolve(ctx.baseDir, spec);
  if (isGlob(spec)) {
    const files = (await ctx.glob(path)).sort();
    if (!files.length) throw new DriftInputError(`${spec}: no file matches`);
    return files;
  }
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new DriftInputError(`${spec}: no such file or folder`);
  if (info.isDirectory()) {
    const files = await filesUnder(path);
    if (!files.length) throw new DriftInputError(`${spec}: the folder holds no Parquet, CSV or JSON Lines file`);
    return files;
  }
  return [path];
}

export async function resolveSource(spec: string | readonly string[], ctx: ResolveContext): Promise<ResolvedSource> {
  const specs = typeof spec === 'string' ? [spec] : [...spec];
  if (!specs.length || specs.some((s) => !s.trim())) throw new DriftInputError('an empty path was given');
  const files = [...new Set((await Promise.all(specs.map((s) => filesOf(s.trim(), ctx)))).flat())];
  const formats = new Set(files.map(formatOf));
  const label = specs.join(', ');
  if (formats.has(undefined)) {
    const odd = files.find((f) => !formatOf(f));
    throw new DriftInputError(`${odd}: unknown format; use .parquet, .csv or .jsonl (or .ndjson, .json)`);
  }
  if (formats.size > 1) throw new DriftInputError(`${label}: mixes ${[...formats].join(' and ')} files; give one format per side`);
  return { source: label, files, format: [...formats][0]! };
}
