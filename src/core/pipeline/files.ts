import * as fs from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { FileCheck } from './schema';
import type { KeyPath } from './yaml/nav';

/** The file system as the validator sees it; tests and the language server pass their own. */
export interface FileHost {
  /** true when a file or folder exists at this absolute path */
  fileExists(path: string): boolean;
  /** true when at least one file matches a glob relative to baseDir; undefined: globs are not checked */
  globMatches?(pattern: string, baseDir: string): boolean;
}

/** A local path written in the file. */
export interface FileReference {
  /** as written */
  readonly value: string;
  readonly path: KeyPath;
  readonly check: FileCheck;
  readonly start: number;
  readonly end: number;
}

const GLOB_CHARS = /[*?[\]{}]/;

/** true for s3://, http:// and other URLs, which are never checked on disk */
export function isRemote(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path);
}

export function isGlob(path: string): boolean {
  return GLOB_CHARS.test(path);
}

/** An absolute path for a path written in the pipeline file. */
export function resolvePath(baseDir: string, value: string): string {
  return isAbsolute(value) ? value : resolve(baseDir, value);
}

/** What the disk says about one path; undefined when it is fine or not checked. */
export function fileProblem(ref: FileReference, baseDir: string, host: FileHost): string | undefined {
  const v = ref.value.trim();
  if (!v || isRemote(v)) return undefined;
  if (ref.check.kind === 'program' && !/[\\/]/.test(v)) return undefined; // a command on PATH
  if (ref.check.kind === 'glob' && isGlob(v)) {
    if (!host.globMatches) return undefined;
    return host.globMatches(v, baseDir) ? undefined : `no file matches '${v}' (relative to ${baseDir})`;
  }
  if (host.fileExists(resolvePath(baseDir, v))) return undefined;
  return `'${v}' does not exist (relative to ${baseDir})`;
}

/** Files and globs on the real disk. Globs stop after the first match. */
export const nodeFileHost: FileHost = {
  fileExists: (p) => fs.existsSync(p),
  globMatches(pattern, baseDir) {
    const glob = (fs as { globSync?: (p: string, o: { cwd: string }) => string[] }).globSync;
    if (!glob) return fs.existsSync(join(baseDir, pattern.replace(/[*?[{].*$/, '')));
    try {
      return glob(pattern, { cwd: baseDir }).length > 0;
    } catch {
      return true; // a pattern node cannot read is not the user's problem here
    }
  },
};
