/**
 * LocalArtifactStore: a folder on disk (artifacts.uri `./artifacts`). Paths stay inside the
 * folder lexically; symbolic links the user put in it (data on another disk) are followed when
 * reading, but a write never goes through a link out of the folder.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ArtifactError, fileError } from './errors';
import { cleanPath, destinationFor, isS3Uri, joinPath } from './paths';
import { S3Fetcher } from './s3';
import { CallScope, DEFAULT_TIMEOUT_MS, collectEntries, downloadFiles, treeDestinations, writeFileFrom, type Source } from './transfer';
import type {
  ArtifactEntry,
  ArtifactStore,
  CallOptions,
  DownloadResult,
  FetchOptions,
  ListOptions,
  ReadOptions,
  S3Connection,
  TransferOptions,
  UploadOptions,
  UploadResult,
} from './types';

export interface LocalStoreOptions {
  /** how fetchToLocal reaches s3:// URIs (endpoint, region, credentials of slipway.yaml); default AWS S3 */
  readonly s3?: S3Connection;
  /** the longest wait for the next bytes of a copy (a stalled network drive); default 30 s */
  readonly timeoutMs?: number;
}

/** our own temporary files (see writeFileFrom), never listed */
const PARTIAL = /\.[0-9a-f]{8}\.partial$/;

export class LocalArtifactStore implements ArtifactStore {
  readonly root: string;
  private fetcher?: S3Fetcher;

  constructor(
    root: string,
    private readonly options: LocalStoreOptions = {},
  ) {
    this.root = resolve(root);
  }

  get description(): string {
    return this.root;
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<readonly ArtifactEntry[], void, undefined> {
    const rel = cleanPath(prefix);
    const walk = { page: [] as ArtifactEntry[], pageSize: Math.max(1, options.pageSize ?? 1000), visited: new Set<string>(), options };
    yield* this.walk(rel, walk);
    if (walk.page.length) yield walk.page;
  }

  /** Entries under `folder`, in name order, a page whenever pageSize are in (recursive: depth first, files only). */
  private async *walk(folder: string, w: { page: ArtifactEntry[]; pageSize: number; visited: Set<string>; options: ListOptions }): AsyncGenerator<readonly ArtifactEntry[], void, undefined> {
    const dir = this.fileOf(folder);
    if (w.options.signal?.aborted) throw new ArtifactError('cancelled', `list ${dir}: cancelled`);
    // a link back up would make the walk endless
    const real = await realpath(dir).catch(() => undefined);
    if (!real || w.visited.has(real)) return;
    w.visited.add(real);
    const names = await readdir(dir).catch((e: unknown) => {
      if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return [] as string[];
      throw fileError(e, `cannot list ${dir}`);
    });
    for (const name of names.sort()) {
      if (PARTIAL.test(name)) continue;
      const path = joinPath(folder, name);
      const info = await stat(join(dir, name)).catch(() => undefined);
      if (!info || !(info.isDirectory() || info.isFile())) continue; // a dangling link, a socket, removed meanwhile
      if (info.isDirectory() && w.options.recursive) {
        yield* this.walk(path, w);
        continue;
      }
      w.page.push({ path, size: info.isDirectory() ? 0 : info.size, isDir: info.isDirectory(), lastModified: info.mtime });
      if (w.page.length >= w.pageSize) {
        yield w.page;
        w.page = [];
      }
    }
  }

  async stat(path: string, _options?: CallOptions): Promise<ArtifactEntry | undefined> {
    const rel = cleanPath(path);
    const info = await stat(this.fileOf(rel)).catch((e: unknown) => {
      if (['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '')) return undefined;
      throw fileError(e, `cannot read ${this.fileOf(rel)}`);
    });
    if (!info) return undefined;
    return { path: rel, size: info.isDirectory() ? 0 : info.size, isDir: info.isDirectory(), lastModified: info.mtime };
  }

  async download(path: string, destDir: string, options: TransferOptions = {}): Promise<DownloadResult> {
    const rel = cleanPath(path);
    const file = destinationFor(destDir, rel);
    const bytes = await this.copy(this.fileOf(rel), destDir, file, options, (b, total) => options.onProgress?.({ path: rel, bytes: b, ...(total !== undefined ? { total } : {}) }));
    return { path: rel, localPath: file, bytes };
  }

  async downloadTree(prefix: string, destDir: string, options: TransferOptions = {}): Promise<DownloadResult[]> {
    const rel = cleanPath(prefix);
    let entries = await collectEntries(this.list(rel, { ...options, recursive: true }));
    if (!entries.length) {
      const one = await this.stat(rel);
      if (!one) throw new ArtifactError('not-found', `${this.fileOf(rel)}: no such file or folder`);
      if (!one.isDir) entries = [one];
    }
    const files = treeDestinations(destDir, entries);
    return downloadFiles(
      entries.map((e, i) => ({ entry: e, file: files[i]!, fetch: (signal, onBytes) => this.copy(this.fileOf(e.path), destDir, files[i]!, { ...options, signal }, onBytes) })),
      options,
    );
  }

  async upload(localPath: string, path: string, options: UploadOptions = {}): Promise<UploadResult> {
    const rel = cleanPath(path);
    if (!rel) throw new ArtifactError('unsafe-path', `refused to upload to ${JSON.stringify(path)}: it names no file`);
    const file = destinationFor(this.root, rel);
    const bytes = await this.copy(resolve(localPath), this.root, file, options, (b, total) => options.onProgress?.({ path: rel, bytes: b, ...(total !== undefined ? { total } : {}) }));
    return { path: rel, bytes };
  }

  async read(path: string, options: ReadOptions = {}): Promise<Buffer> {
    const rel = cleanPath(path);
    const file = this.fileOf(rel);
    const max = options.maxBytes ?? 4 * 1024 * 1024;
    if (options.signal?.aborted) throw new ArtifactError('cancelled', `read ${file}: cancelled`);
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new ArtifactError('io', `cannot read ${file}: not a file`);
      if (info.size > max) throw new ArtifactError('too-large', `${file} is larger than ${max} bytes: download it instead`);
      return await readFile(file, options.signal ? { signal: options.signal } : {});
    } catch (e) {
      if (options.signal?.aborted) throw new ArtifactError('cancelled', `read ${file}: cancelled`);
      throw fileError(e, `cannot read ${file}`);
    }
  }

  async fetchToLocal(uri: string, cacheDir: string, options: FetchOptions = {}): Promise<string> {
    if (!isS3Uri(uri)) return uri;
    this.fetcher ??= new S3Fetcher(this.options.s3 ?? {});
    return this.fetcher.fetch(uri, cacheDir, options);
  }

  dispose(): void {
    this.fetcher?.dispose();
  }

  private fileOf(rel: string): string {
    return rel ? join(this.root, ...rel.split('/')) : this.root;
  }

  /** Streams `from` to `file` under `destRoot` (a temporary file, renamed when complete). */
  private async copy(from: string, destRoot: string, file: string, options: CallOptions, onBytes: (bytes: number, total?: number) => void): Promise<number> {
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      return await writeFileFrom(
        destRoot,
        file,
        `copy ${from}`,
        async (): Promise<Source> => {
          const info = await stat(from);
          if (!info.isFile()) throw new ArtifactError('io', `cannot copy ${from}: not a file`);
          return { body: createReadStream(from), total: info.size };
        },
        scope,
        (e) => fileError(e, `cannot read ${from}`),
        onBytes,
      );
    } finally {
      scope.dispose();
    }
  }
}
