/**
 * The project folder as a Ray working_dir package: a zip, content-addressed
 * (`gcs://_ray_pkg_<hash>.zip`), so the same tree gives the same bytes and the same name and an
 * unchanged project is not uploaded twice. Deterministic: entries sorted, fixed timestamps,
 * only the executable bit of the mode kept.
 *
 * Left out, and reported so the UI can say so: `.git`, node_modules, .venv, __pycache__,
 * what .gitignore / .rayignore files say (the root's and nested ones, as Ray does), extra
 * patterns of the caller, and files over the per-file limit (default 10 MiB: Ray's own
 * "very large file" warning threshold).
 *
 * Total cap: Ray refuses a package of 512 MiB or more (GCS_STORAGE_MAX_SIZE, the gRPC message
 * limit, in ray/_private/runtime_env/packaging.py). The default here is 100 MiB of zip: the
 * package is built in memory and sent in one PUT from the editor, and a project that large
 * almost always carries data that belongs in storage the job reads, not in the upload.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Zip, ZipDeflate } from 'fflate';
import ignore, { type Ignore } from 'ignore';

export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_PACKAGE_BYTES = 100 * 1024 * 1024;
/** Ray's hard limit: a package must be smaller than this */
export const RAY_MAX_PACKAGE_BYTES = 512 * 1024 * 1024;
/** never uploaded, wherever they are */
export const ALWAYS_EXCLUDED = ['.git', 'node_modules', '.venv', '__pycache__'] as const;

export type ExclusionReason = 'git' | 'default' | 'gitignore' | 'rayignore' | 'pattern' | 'too-large' | 'symlink' | 'unreadable';

export interface Exclusion {
  /** relative to the project, `/`-separated; folders end with `/` */
  readonly path: string;
  readonly reason: ExclusionReason;
  /** the rule's file and pattern (`data/.gitignore: *.csv`), or the size and limit */
  readonly detail?: string;
  readonly bytes?: number;
}

export interface PackageOptions {
  /** files above this are left out (default 10 MiB) */
  readonly maxFileBytes?: number;
  /** the zip may not exceed this (default 100 MiB; at most Ray's 512 MiB) */
  readonly maxPackageBytes?: number;
  /** more gitignore-style patterns, relative to the project (e.g. the job store's folder) */
  readonly exclude?: readonly string[];
  readonly signal?: AbortSignal;
}

export interface ProjectPackage {
  /** `_ray_pkg_<16 hex>.zip` */
  readonly name: string;
  /** `gcs://_ray_pkg_<16 hex>.zip`: runtime_env.working_dir */
  readonly uri: string;
  readonly bytes: Uint8Array;
  /** what went in, sorted, with sizes before compression */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly excluded: readonly Exclusion[];
}

export class PackageError extends Error {
  override readonly name = 'PackageError';
  constructor(
    readonly kind: 'too-large' | 'empty' | 'unreadable' | 'cancelled',
    message: string,
  ) {
    super(message);
  }
}

interface Rules {
  /** the folder the rules are relative to, '' for the project */
  readonly base: string;
  readonly file: string;
  readonly reason: ExclusionReason;
  readonly ig: Ignore;
}

/** MiB with one decimal, as people read sizes */
export function mib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
}

// local-time fields of 1980-01-01 00:00 (the DOS epoch), whatever the time zone: same bytes everywhere
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function readRules(dir: string, base: string, name: '.gitignore' | '.rayignore'): Promise<Rules | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, name), 'utf8');
  } catch {
    return undefined;
  }
  return { base, file: base ? `${base}/${name}` : name, reason: name === '.gitignore' ? 'gitignore' : 'rayignore', ig: ignore({ ignorecase: false }).add(text) };
}

/** The deepest rule file that decides wins, as in git: a nested `!pattern` can re-include. */
function ignoredBy(rules: readonly Rules[], rel: string, isDir: boolean): { reason: ExclusionReason; detail: string } | undefined {
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    const local = (r.base ? rel.slice(r.base.length + 1) : rel) + (isDir ? '/' : '');
    const t = r.ig.test(local);
    if (t.ignored) return { reason: r.reason, detail: `${r.file}: ${t.rule?.pattern ?? ''}`.trim() };
    if (t.unignored) return undefined;
  }
  return undefined;
}

/** Zips `dir` for Ray (see the file comment for what is left out and why). */
export async function packageProject(dir: string, options: PackageOptions = {}): Promise<ProjectPackage> {
  const maxFile = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxPackage = Math.min(options.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES, RAY_MAX_PACKAGE_BYTES - 1);
  const excluded: Exclusion[] = [];
  const files: { path: string; abs: string; bytes: number; executable: boolean }[] = [];
  const extra: Rules[] = options.exclude?.length ? [{ base: '', file: 'excluded by Slipway', reason: 'pattern', ig: ignore({ ignorecase: false }).add([...options.exclude]) }] : [];

  const walk = async (abs: string, rel: string, inherited: readonly Rules[]): Promise<void> => {
    if (options.signal?.aborted) throw new PackageError('cancelled', 'packaging was cancelled');
    const rules = [...inherited];
    for (const name of ['.gitignore', '.rayignore'] as const) {
      const r = await readRules(abs, rel, name);
      if (r) rules.push(r);
    }
    let names: string[];
    try {
      names = (await readdir(abs)).sort(byName);
    } catch (e) {
      if (!rel) throw new PackageError('unreadable', `cannot read the project folder ${dir}: ${(e as Error).message}`);
      excluded.push({ path: `${rel}/`, reason: 'unreadable', detail: (e as Error).message });
      return;
    }
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const childAbs = join(abs, name);
      let info = await lstat(childAbs).catch((e: Error) => e);
      if (info instanceof Error) {
        excluded.push({ path: childRel, reason: 'unreadable', detail: info.message });
        continue;
      }
      if (info.isSymbolicLink()) {
        const target = await stat(childAbs).catch((e: Error) => e);
        if (target instanceof Error) {
          excluded.push({ path: childRel, reason: 'unreadable', detail: `broken symbolic link (${target.message})` });
          continue;
        }
        // a linked folder could point anywhere, even at an ancestor: left out; a linked file is copied
        if (target.isDirectory()) {
          excluded.push({ path: `${childRel}/`, reason: 'symlink', detail: 'a symbolic link to a folder' });
          continue;
        }
        info = target;
      }
      const isDir = info.isDirectory();
      const shown = isDir ? `${childRel}/` : childRel;
      if (name === '.git') {
        excluded.push({ path: shown, reason: 'git' });
        continue;
      }
      if ((ALWAYS_EXCLUDED as readonly string[]).includes(name)) {
        excluded.push({ path: shown, reason: 'default' });
        continue;
      }
      const hit = ignoredBy([...rules, ...extra], childRel, isDir); // the caller's patterns are asked first
      if (hit) {
        excluded.push({ path: shown, reason: hit.reason, detail: hit.detail });
        continue;
      }
      if (isDir) {
        await walk(childAbs, childRel, rules);
      } else if (info.isFile()) {
        if (info.size > maxFile) {
          excluded.push({ path: childRel, reason: 'too-large', bytes: info.size, detail: `${mib(info.size)} > ${mib(maxFile)}` });
          continue;
        }
        files.push({ path: childRel, abs: childAbs, bytes: info.size, executable: (info.mode & 0o111) !== 0 });
      }
      // sockets, fifos, devices: nothing to upload
    }
  };
  await walk(dir, '', []);
  if (!files.length) throw new PackageError('empty', `nothing to upload from ${dir}: every file is excluded (${describeExclusions(excluded, 5)})`);

  const chunks: Uint8Array[] = [];
  let size = 0;
  let failure: Error | undefined;
  const zip = new Zip((err, data) => {
    if (err) failure = err;
    else {
      chunks.push(data);
      size += data.length;
    }
  });
  for (const f of files) {
    if (options.signal?.aborted) throw new PackageError('cancelled', 'packaging was cancelled');
    let data: Uint8Array;
    try {
      data = await readFile(f.abs);
    } catch (e) {
      throw new PackageError('unreadable', `cannot read ${f.path}: ${(e as Error).message}`);
    }
    const entry = new ZipDeflate(f.path, { level: 6 });
    entry.mtime = FIXED_MTIME;
    entry.os = 3; // Unix: Ray restores the mode from the upper 16 bits of the attributes
    entry.attrs = ((f.executable ? 0o100755 : 0o100644) << 16) >>> 0;
    zip.add(entry);
    entry.push(data, true);
    if (failure) throw new PackageError('unreadable', `cannot zip ${f.path}: ${failure.message}`);
    if (size > maxPackage) throw tooLarge(size, maxPackage, files);
  }
  zip.end();
  if (failure) throw new PackageError('unreadable', `cannot zip the project: ${(failure as Error).message}`);
  if (size > maxPackage) throw tooLarge(size, maxPackage, files);
  const bytes = Buffer.concat(chunks);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const name = `_ray_pkg_${hash}.zip`;
  return { name, uri: `gcs://${name}`, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), files: files.map(({ path, bytes: b }) => ({ path, bytes: b })), excluded };
}

function tooLarge(size: number, max: number, files: readonly { path: string; bytes: number }[]): PackageError {
  const biggest = [...files].sort((a, b) => b.bytes - a.bytes).slice(0, 5).map((f) => `${f.path} (${mib(f.bytes)})`);
  return new PackageError(
    'too-large',
    `the project zips to more than ${mib(max)} (${mib(size)} so far), too much to upload as a Ray working_dir. ` +
      `Largest files: ${biggest.join(', ')}. Add what the job does not need to .gitignore or .rayignore, and let the job read data from storage.`,
  );
}

const REASONS: Readonly<Record<ExclusionReason, string>> = {
  git: 'git metadata',
  default: 'never uploaded',
  gitignore: '.gitignore',
  rayignore: '.rayignore',
  pattern: 'excluded by Slipway',
  'too-large': 'too large',
  symlink: 'linked folder',
  unreadable: 'unreadable',
};

/** `.git/ (git metadata), data/big.parquet (too large: 12.0 MiB > 10.0 MiB), ...` for a log line. */
export function describeExclusions(excluded: readonly Exclusion[], limit = 20): string {
  const shown = excluded.slice(0, limit).map((e) => `${e.path} (${REASONS[e.reason]}${e.reason === 'too-large' && e.detail ? `: ${e.detail}` : ''})`);
  if (excluded.length > limit) shown.push(`and ${excluded.length - limit} more`);
  return shown.join(', ') || 'nothing';
}
