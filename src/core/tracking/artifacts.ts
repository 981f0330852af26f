/**
 * Artifact paths and downloads. A path, whether the caller's or the server's, is never trusted:
 * it must stay inside the artifact root on the server and inside the destination on disk.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { MlflowError } from './errors';
import type { CallOptions, MlflowHttp, Query } from './http';

export interface DownloadProgress {
  /** the artifact path being written */
  readonly path: string;
  /** bytes of this file written so far */
  readonly bytes: number;
  /** from content-length, when the server sends one */
  readonly totalBytes?: number;
  /** for multi-file downloads: files finished, and how many there are */
  readonly filesDone?: number;
  readonly filesTotal?: number;
}

export interface DownloadOptions extends CallOptions {
  readonly onProgress?: (p: DownloadProgress) => void;
}

export interface DownloadedFile {
  /** the artifact path, relative to what was asked for */
  readonly path: string;
  /** where it was written */
  readonly file: string;
  readonly bytes: number;
}

/**
 * An artifact path made safe to put in a URL: relative, `/`-separated, no `..`, no NUL.
 * `source` says who gave it, for the message.
 */
export function cleanArtifactPath(path: string, source: 'caller' | 'server' = 'caller'): string {
  const kind = source === 'server' ? 'protocol' : 'bad-request';
  const who = source === 'server' ? 'the server listed' : 'artifact path';
  if (path.includes('\0')) throw new MlflowError(kind, `refused ${who} ${JSON.stringify(path)}: it contains a NUL character`);
  const parts = path.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.');
  if (path.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(path) || parts.includes('..')) {
    throw new MlflowError(kind, `refused ${who} ${JSON.stringify(path)}: an artifact path must stay inside the artifact root (no absolute paths, no "..")`);
  }
  return parts.join('/');
}

/** The file under destDir that an artifact path goes to; refuses a path that would land outside it. */
export function safeDestination(destDir: string, artifactPath: string, source: 'caller' | 'server' = 'caller'): string {
  const clean = cleanArtifactPath(artifactPath, source);
  const root = resolve(destDir);
  const file = resolve(root, ...clean.split('/'));
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new MlflowError(source === 'server' ? 'protocol' : 'bad-request', `refused artifact path ${JSON.stringify(artifactPath)}: it does not name a file inside ${root}`);
  }
  return file;
}

/** `mlflow-artifacts:/1/<run>/artifacts` (or `mlflow-artifacts://host:port/...`) → `1/<run>/artifacts`; else undefined. */
export function proxyPathOf(uri: string | undefined): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri ?? '');
  return m ? m[1]!.replace(/\/+$/, '') : undefined;
}

/** Joins artifact path pieces with `/`, skipping empty ones. */
export function joinArtifactPath(...parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => !!p).map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean).join('/');
}

/** The URL path of the proxy download of `proxyPath`, each segment encoded. */
export function proxyDownloadPath(proxyPath: string): string {
  return `/api/2.0/mlflow-artifacts/artifacts/${proxyPath.split('/').map(encodeURIComponent).join('/')}`;
}

/** the real path of `p`, or of its nearest ancestor that exists */
async function realExisting(p: string): Promise<string> {
  for (let d = p; ; d = dirname(d)) {
    try {
      return await realpath(d);
    } catch (e) {
      if (dirname(d) === d || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/**
 * Where `folder` (under `root`) really is, when a symbolic link leads it out of `root`; undefined
 * when it stays inside. Path checks are only lexical: this is the check of what is on disk.
 * (The artifact stores use it too.)
 */
export async function symlinkEscape(root: string, folder: string): Promise<string | undefined> {
  const [realRoot, real] = await Promise.all([realpath(root), realExisting(folder)]);
  const rel = relative(realRoot, real);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? real : undefined;
}

/** Refuses a folder under destDir that leads out of it through a symlink. */
async function checkInside(destDir: string, folder: string): Promise<void> {
  if (await symlinkEscape(destDir, folder)) throw new MlflowError('bad-request', `refused to write into ${folder}: it leads out of ${destDir} (a symbolic link)`);
}

/**
 * Streams one GET to `file` under `destDir` (through a temporary name, renamed when complete,
 * removed on failure or cancellation).
 */
export async function downloadToFile(
  http: MlflowHttp,
  request: { readonly path: string; readonly query?: Query },
  destDir: string,
  file: string,
  artifactPath: string,
  opts: DownloadOptions = {},
): Promise<DownloadedFile> {
  await mkdir(destDir, { recursive: true });
  // checked before creating folders (a symlinked one would create them elsewhere) and after
  await checkInside(destDir, dirname(file));
  await mkdir(dirname(file), { recursive: true });
  await checkInside(destDir, dirname(file));
  const res = await http.open('GET', request.path, request.query, undefined, opts);
  const part = join(dirname(file), `.${randomBytes(6).toString('hex')}.part`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let bytes = 0;
  try {
    handle = await open(part, 'wx');
    const total = Number(res.headers.get('content-length'));
    const totalBytes = Number.isFinite(total) && total >= 0 && res.headers.has('content-length') ? total : undefined;
    opts.onProgress?.({ path: artifactPath, bytes: 0, ...(totalBytes !== undefined ? { totalBytes } : {}) });
    try {
      for await (const chunk of res.body) {
        await handle.write(chunk);
        bytes += chunk.length;
        opts.onProgress?.({ path: artifactPath, bytes, ...(totalBytes !== undefined ? { totalBytes } : {}) });
      }
    } catch (e) {
      throw res.failure(e);
    }
    await handle.close();
    handle = undefined;
    await rename(part, file);
    return { path: artifactPath, file, bytes };
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await rm(part, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    res.close();
  }
}
