/**
 * Paths are never trusted, whether the caller's or the store's: a path must stay inside the
 * store's root, and on disk inside the destination, through symbolic links too. The lexical
 * checks are the tracking client's (one rule for every artifact path in Slipway).
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cleanArtifactPath, safeDestination } from '../tracking';
import { symlinkEscape } from '../tracking/artifacts';
import { ArtifactError, fileError } from './errors';

/** Who gave a path: the caller, or the store's listing (a key in a bucket is data, not a path). */
export type PathSource = 'caller' | 'store';

function unsafe(e: unknown): ArtifactError {
  return new ArtifactError('unsafe-path', (e as Error).message.replace('the server listed', 'the path the store listed'), { cause: e });
}

/** `path` made relative, `/`-separated, without `.`, empty parts or trailing `/`; refuses `..`, absolute paths, drive letters and NUL. */
export function cleanPath(path: string, source: PathSource = 'caller'): string {
  try {
    return cleanArtifactPath(path, source === 'store' ? 'server' : 'caller');
  } catch (e) {
    throw unsafe(e);
  }
}

/** The file under destDir that `path` goes to; refuses a path that would land outside it (or on destDir itself). */
export function destinationFor(destDir: string, path: string, source: PathSource = 'caller'): string {
  try {
    return safeDestination(destDir, path, source === 'store' ? 'server' : 'caller');
  } catch (e) {
    throw unsafe(e);
  }
}

/** Joins clean path pieces with `/`, skipping empty ones. */
export function joinPath(...parts: string[]): string {
  return parts.filter(Boolean).join('/');
}

/** Refuses a folder under root that leads out of it through a symbolic link (the path checks are only lexical). */
async function checkInside(root: string, folder: string): Promise<void> {
  const real = await symlinkEscape(root, folder);
  if (real) throw new ArtifactError('unsafe-path', `refused to write into ${folder}: it leads out of ${root} (a symbolic link to ${real})`);
}

/**
 * Creates the folders of `file` under root, checking before (a symlinked folder would make
 * mkdir create folders elsewhere) and after (a link swapped in meanwhile).
 */
export async function prepareFolder(root: string, file: string): Promise<void> {
  try {
    await mkdir(root, { recursive: true });
    await checkInside(root, dirname(file));
    await mkdir(dirname(file), { recursive: true });
    await checkInside(root, dirname(file));
  } catch (e) {
    throw fileError(e, `cannot create the folder of ${file}`);
  }
}

export interface S3Location {
  readonly bucket: string;
  /** the key or key prefix: clean, no leading or trailing `/`; '' for the whole bucket */
  readonly key: string;
}

export const isS3Uri = (uri: string): boolean => /^s3:\/\//i.test(uri);

/** `s3://bucket/some/prefix` → { bucket, key: 'some/prefix' }. Refuses other schemes, bad bucket names and `..`. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/i.exec(uri);
  if (!m) throw new ArtifactError('invalid', `${JSON.stringify(uri)} is not an s3:// URI: write s3://bucket/prefix`);
  const bucket = m[1]!;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ArtifactError('invalid', `'${bucket}' in ${uri} is not an S3 bucket name: 3–63 lower-case letters, digits, '.' and '-'`);
  }
  return { bucket, key: cleanPath(m[2] ?? '') };
}

const GLOB_CHARS = /[*?[{]/;

export const hasGlob = (path: string): boolean => GLOB_CHARS.test(path);

/** The folder part of a glob before its first wildcard: `data/2024/*.parquet` → `data/2024`. */
export function globBase(pattern: string): string {
  const parts = pattern.split('/');
  const first = parts.findIndex((p) => GLOB_CHARS.test(p));
  return parts.slice(0, first < 0 ? parts.length : first).join('/');
}

/** A glob as a RegExp on whole `/`-separated paths: `*` and `?` stay in one folder, `**` crosses folders, `[...]` and `{a,b}` as in a shell. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` anything
      if (pattern[i + 2] === '/') {
        re += '(?:[^/]*/)*';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${pattern.slice(i + 1, end).split(',').map(escapeRe).join('|')})`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
