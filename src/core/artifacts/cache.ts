/**
 * fetchToLocal's cache: remote files mirrored under `<cacheDir>/<bucket>/<key>`, each with a
 * note of the ETag and size it was downloaded at (`<cacheDir>/.slipway-cache/<bucket>/<key>.json`,
 * outside the mirror so globs over it see only data). A file is downloaded again only when the
 * store lists another ETag or size; files gone from the store are removed from the mirror.
 */
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ArtifactError, fileError } from './errors';
import { globBase, globRegExp, hasGlob, type S3Location } from './paths';
import { collectEntries, downloadFiles, treeDestinations } from './transfer';
import type { ArtifactEntry, ArtifactStore, FetchOptions } from './types';

export const CACHE_META_DIR = '.slipway-cache';

interface Note {
  readonly etag?: string;
  readonly size: number;
  readonly lastModified?: number;
}

const noteOf = (e: ArtifactEntry): Note => ({ ...(e.etag ? { etag: e.etag } : {}), size: e.size, ...(e.lastModified ? { lastModified: e.lastModified.getTime() } : {}) });

/** same content: by ETag when the store gives one, else by size and modification time */
const sameNote = (a: Note, b: Note): boolean => a.size === b.size && (a.etag || b.etag ? a.etag === b.etag : a.lastModified === b.lastModified);

/**
 * Downloads `loc` from `store` (rooted at the bucket's root) into the cache: an object gives a
 * file, a prefix a folder, a glob the same glob under the mirror.
 */
export async function fetchCached(store: ArtifactStore, loc: S3Location, cacheDir: string, options: FetchOptions = {}): Promise<string> {
  const root = join(resolve(cacheDir), loc.bucket);
  const notes = join(resolve(cacheDir), CACHE_META_DIR, loc.bucket);
  const uri = `s3://${loc.bucket}/${loc.key}`;
  const local = (key: string) => (key ? join(root, ...key.split('/')) : root);
  if (hasGlob(loc.key)) {
    const base = globBase(loc.key);
    const re = globRegExp(loc.key);
    const entries = (await collectEntries(store.list(base, { ...options, recursive: true }))).filter((e) => re.test(e.path));
    if (!entries.length) throw new ArtifactError('not-found', `no object matches ${uri} (${store.description})`);
    await mirror(store, entries, root, notes, options);
    await prune(root, notes, base, entries, (p) => re.test(p));
    return local(loc.key);
  }
  const entry = loc.key ? await store.stat(loc.key, options) : { path: '', size: 0, isDir: true };
  if (!entry) throw new ArtifactError('not-found', `${uri} does not exist (${store.description})`);
  if (!entry.isDir) {
    await mirror(store, [entry], root, notes, options);
    return local(entry.path);
  }
  const entries = await collectEntries(store.list(loc.key, { ...options, recursive: true }));
  await mirror(store, entries, root, notes, options);
  await prune(root, notes, loc.key, entries, () => true);
  await mkdir(local(loc.key), { recursive: true }).catch((e: unknown) => {
    throw fileError(e, `cannot create ${local(loc.key)}`);
  });
  return local(loc.key);
}

const noteFile = (notes: string, path: string) => `${join(notes, ...path.split('/'))}.json`;

async function readNote(file: string): Promise<Note | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Note;
  } catch {
    return undefined;
  }
}

/** Downloads the entries whose cached copy is missing or stale. */
async function mirror(store: ArtifactStore, entries: readonly ArtifactEntry[], root: string, notes: string, options: FetchOptions): Promise<void> {
  const files = treeDestinations(root, entries);
  const stale: number[] = [];
  await Promise.all(
    entries.map(async (e, i) => {
      const [note, have] = await Promise.all([readNote(noteFile(notes, e.path)), stat(files[i]!).catch(() => undefined)]);
      if (!note || !have?.isFile() || have.size !== e.size || !sameNote(note, noteOf(e))) stale.push(i);
    }),
  );
  stale.sort((a, b) => a - b);
  await downloadFiles(
    stale.map((i) => ({
      entry: entries[i]!,
      file: files[i]!,
      fetch: async (signal, onBytes) => {
        const e = entries[i]!;
        const r = await store.download(e.path, root, { signal, ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}), onProgress: (p) => onBytes(p.bytes) });
        const file = noteFile(notes, e.path);
        try {
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, JSON.stringify(noteOf(e)));
        } catch (err) {
          throw fileError(err, `cannot write the cache note ${file}`);
        }
        return r.bytes;
      },
    })),
    options,
  );
}

/** Removes mirrored files under `prefix` that are in scope (match the glob) but no longer listed. */
async function prune(root: string, notes: string, prefix: string, entries: readonly ArtifactEntry[], inScope: (path: string) => boolean): Promise<void> {
  const listed = new Set(entries.map((e) => e.path));
  const folder = prefix ? join(root, ...prefix.split('/')) : root;
  const found = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const d of found) {
    if (!d.isFile() || d.name.endsWith('.partial')) continue;
    const path = relative(root, join(d.parentPath, d.name)).split(sep).join('/');
    if (listed.has(path) || !inScope(path)) continue;
    await rm(join(d.parentPath, d.name), { force: true });
    await rm(noteFile(notes, path), { force: true });
  }
}
