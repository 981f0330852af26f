/**
 * MlflowArtifactStore: one MLflow run's artifacts, through the tracking client (its download
 * streams through a temporary file and checks paths too). Read-only: a run's artifacts are
 * written by the run itself.
 */
import { isMlflowError, type MlflowClient, type MlflowErrorKind } from '../tracking';
import { ArtifactError, type ArtifactErrorKind } from './errors';
import { cleanPath, destinationFor, isS3Uri, prepareFolder } from './paths';
import { S3Fetcher } from './s3';
import { downloadFiles, treeDestinations } from './transfer';
import type { ArtifactEntry, ArtifactStore, CallOptions, DownloadResult, FetchOptions, ListOptions, ReadOptions, S3Connection, TransferOptions, UploadResult } from './types';

export interface MlflowStoreOptions {
  /** how fetchToLocal reaches s3:// URIs; default AWS S3 */
  readonly s3?: S3Connection;
  /** per call; default the MLflow client's */
  readonly timeoutMs?: number;
}

const KINDS: Record<MlflowErrorKind, ArtifactErrorKind> = {
  unreachable: 'unreachable',
  timeout: 'timeout',
  auth: 'auth',
  'not-found': 'not-found',
  cancelled: 'cancelled',
  'bad-request': 'invalid',
  server: 'server',
  protocol: 'server',
};

function mlflowError(e: unknown, kind?: ArtifactErrorKind): ArtifactError {
  if (e instanceof ArtifactError) return e;
  if (isMlflowError(e)) {
    return new ArtifactError(kind && e.kind === 'bad-request' ? kind : KINDS[e.kind], e.message, { ...(e.errorCode ? { code: e.errorCode } : {}), ...(e.status ? { status: e.status } : {}), cause: e });
  }
  return new ArtifactError('io', (e as Error)?.message ?? String(e), { cause: e });
}

export class MlflowArtifactStore implements ArtifactStore {
  private artifactUri?: Promise<string | undefined>;
  private fetcher?: S3Fetcher;

  constructor(
    private readonly client: MlflowClient,
    readonly runId: string,
    private readonly options: MlflowStoreOptions = {},
  ) {}

  get description(): string {
    return `MLflow run ${this.runId} at ${this.client.trackingUri}`;
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<readonly ArtifactEntry[], void, undefined> {
    const rel = cleanPath(prefix);
    const pageSize = Math.max(1, options.pageSize ?? 1000);
    yield* this.walk(rel, pageSize, options);
  }

  private async *walk(folder: string, pageSize: number, options: ListOptions): AsyncGenerator<readonly ArtifactEntry[], void, undefined> {
    const entries = await this.folder(folder, options);
    const files = options.recursive ? entries.filter((e) => !e.isDir) : entries;
    for (let i = 0; i < files.length; i += pageSize) yield files.slice(i, i + pageSize);
    if (options.recursive) for (const d of entries.filter((e) => e.isDir)) yield* this.walk(d.path, pageSize, options);
  }

  async stat(path: string, options: CallOptions = {}): Promise<ArtifactEntry | undefined> {
    const rel = cleanPath(path);
    if (!rel) return { path: '', size: 0, isDir: true };
    const parent = rel.split('/').slice(0, -1).join('/');
    return (await this.folder(parent, options)).find((e) => e.path === rel);
  }

  async download(path: string, destDir: string, options: TransferOptions = {}): Promise<DownloadResult> {
    const rel = cleanPath(path);
    const file = destinationFor(destDir, rel);
    const bytes = await this.fetch(rel, destDir, file, options, (b, total) => options.onProgress?.({ path: rel, bytes: b, ...(total !== undefined ? { total } : {}) }));
    return { path: rel, localPath: file, bytes };
  }

  async downloadTree(prefix: string, destDir: string, options: TransferOptions = {}): Promise<DownloadResult[]> {
    const rel = cleanPath(prefix);
    const entries: ArtifactEntry[] = [];
    for await (const page of this.list(rel, { ...options, recursive: true })) entries.push(...page);
    if (!entries.length && rel) {
      // the listing of a file is empty
      const one = await this.stat(rel, options);
      if (!one) throw new ArtifactError('not-found', `${rel} is not an artifact of ${this.description}`);
      if (!one.isDir) entries.push(one);
    }
    const files = treeDestinations(destDir, entries);
    return downloadFiles(
      entries.map((e, i) => ({ entry: e, file: files[i]!, fetch: (signal, onBytes) => this.fetch(e.path, destDir, files[i]!, { ...options, signal }, onBytes) })),
      options,
    );
  }

  async upload(_localPath: string, path: string, _options?: TransferOptions): Promise<UploadResult> {
    throw new ArtifactError(
      'unsupported',
      `MLflow artifacts are written by the training run (mlflow.log_artifact): Slipway does not upload ${JSON.stringify(path)} to run ${this.runId}; store datasets and models with an s3:// or local artifacts.uri in slipway.yaml`,
    );
  }

  async read(path: string, options: ReadOptions = {}): Promise<Buffer> {
    const rel = cleanPath(path);
    try {
      const artifactUri = await this.root(options);
      return await this.client.readArtifact(this.runId, rel, { ...(artifactUri ? { artifactUri } : {}), ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}) }, this.callOptions(options));
    } catch (e) {
      // the path is checked above: the client's only other bad request is a too-large artifact
      throw mlflowError(e, 'too-large');
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

  // ---- helpers ----

  private callOptions(o: CallOptions): { signal?: AbortSignal; timeoutMs?: number } {
    const timeoutMs = o.timeoutMs ?? this.options.timeoutMs;
    return { ...(o.signal ? { signal: o.signal } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
  }

  /** the run's artifact root (saves a runs/get per download) */
  private async root(options: CallOptions): Promise<string | undefined> {
    this.artifactUri ??= this.client.getRun(this.runId, this.callOptions(options)).then((r) => r.info.artifactUri);
    try {
      return await this.artifactUri;
    } catch (e) {
      this.artifactUri = undefined;
      throw e;
    }
  }

  /** One folder's entries, each path checked (and inside the folder). */
  private async folder(folder: string, options: CallOptions): Promise<ArtifactEntry[]> {
    let files;
    try {
      files = (await this.client.listArtifacts(this.runId, folder || undefined, this.callOptions(options))).files;
    } catch (e) {
      throw mlflowError(e);
    }
    return files.map((f) => {
      const path = cleanPath(f.path, 'store');
      if (folder && !path.startsWith(`${folder}/`)) {
        throw new ArtifactError('unsafe-path', `refused the path the store listed ${JSON.stringify(f.path)} inside ${JSON.stringify(folder)}: it is not in that folder`);
      }
      return { path, size: f.isDir ? 0 : (f.fileSize ?? 0), isDir: f.isDir };
    });
  }

  private async fetch(rel: string, destDir: string, file: string, options: CallOptions, onBytes: (bytes: number, total?: number) => void): Promise<number> {
    if (options.signal?.aborted) throw new ArtifactError('cancelled', `download ${rel}: cancelled`);
    // our symlink check first, so a link out of destDir is an 'unsafe-path' like everywhere
    await prepareFolder(destDir, file);
    try {
      const artifactUri = await this.root(options);
      const r = await this.client.downloadArtifact(this.runId, rel, destDir, {
        ...this.callOptions(options),
        ...(artifactUri ? { artifactUri } : {}),
        onProgress: (p) => onBytes(p.bytes, p.totalBytes),
      });
      return r.bytes;
    } catch (e) {
      throw mlflowError(e);
    }
  }
}
