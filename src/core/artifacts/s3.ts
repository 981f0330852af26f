/**
 * S3ArtifactStore: a bucket and key prefix on AWS S3 or an S3-compatible server (MinIO, Ceph),
 * through @aws-sdk/client-s3 (loaded on first use: it is big). Keys listed by the bucket are
 * data, not paths: each is checked before it becomes a file name.
 */
import { createReadStream } from 'node:fs';
import { stat as statFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ListObjectsV2CommandOutput, S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { fetchCached } from './cache';
import { ArtifactError, fileError } from './errors';
import { cleanPath, destinationFor, isS3Uri, joinPath, parseS3Uri } from './paths';
import { s3Error } from './s3-errors';
import { CallScope, DEFAULT_TIMEOUT_MS, downloadFiles, scoped, treeDestinations, writeFileFrom } from './transfer';
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

type Sdk = typeof import('@aws-sdk/client-s3');

/** S3's smallest multipart part (except the last), and its most parts per object. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;
export const DEFAULT_READ_BYTES = 4 * 1024 * 1024;

export interface S3StoreOptions extends S3Connection {
  readonly bucket: string;
  /** key prefix of the store's root, e.g. `churn`; default the bucket's root */
  readonly prefix?: string;
}

/** @internal The SDK client, shared by the stores of one connection (one per bucket). */
export class SharedS3Client {
  private client?: Promise<{ sdk: Sdk; client: S3Client }>;

  constructor(readonly options: S3Connection) {}

  get region(): string {
    return this.options.region || 'us-east-1';
  }

  get label(): string {
    return this.options.endpoint ? this.options.endpoint.replace(/\/+$/, '') : `AWS S3 (${this.region})`;
  }

  get timeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  get(): Promise<{ sdk: Sdk; client: S3Client }> {
    this.client ??= import('@aws-sdk/client-s3').then((sdk) => ({ sdk, client: new sdk.S3Client(this.config(sdk)) }));
    return this.client;
  }

  dispose(): void {
    void this.client?.then(({ client }) => client.destroy()).catch(() => undefined);
    this.client = undefined;
  }

  private config(sdk: Sdk): S3ClientConfig {
    const o = this.options;
    const endpoint = o.endpoint?.replace(/\/+$/, '');
    return {
      region: this.region,
      ...(endpoint ? { endpoint } : {}),
      forcePathStyle: o.forcePathStyle ?? !!endpoint,
      ...(o.maxAttempts ? { maxAttempts: o.maxAttempts } : {}),
      // the SDK's own timeouts: connecting, and a socket idle for this long (a stalled upload part)
      requestHandler: { connectionTimeout: this.timeoutMs, requestTimeout: this.timeoutMs },
      // S3-compatible servers do not all speak the newer checksum headers and aws-chunked bodies
      ...(endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const } : {}),
      ...(o.credentials ? { credentials: this.credentials(sdk) } : {}),
    };
  }

  /**
   * The caller's credentials, else the SDK's default chain. The SDK keeps an identity without
   * an expiry forever; one expiring soon is asked for again on every request, so credentials
   * changed in SecretStorage apply at once.
   */
  private credentials(sdk: Sdk): NonNullable<S3ClientConfig['credentials']> {
    const provider = this.options.credentials!;
    let chain: S3Client['config']['credentials'] | undefined;
    return async () => {
      const soon = new Date(Date.now() + 60_000);
      const c = await provider();
      if (c) return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}), expiration: soon };
      chain ??= new sdk.S3Client({ region: this.region }).config.credentials;
      const id = await chain();
      return { ...id, expiration: id.expiration && id.expiration < soon ? id.expiration : soon };
    };
  }
}

interface Listed {
  readonly entry: ArtifactEntry;
  readonly key: string;
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, '') || undefined;

export class S3ArtifactStore implements ArtifactStore {
  readonly bucket: string;
  /** the root's key prefix, clean ('' for the bucket's root) */
  readonly prefix: string;
  private readonly conn: SharedS3Client;
  private readonly owner: boolean;

  /** `shared`: the client of another store (see forBucket) */
  constructor(options: S3StoreOptions, shared?: SharedS3Client) {
    const loc = parseS3Uri(`s3://${options.bucket}/${options.prefix ?? ''}`);
    this.bucket = loc.bucket;
    this.prefix = loc.key;
    this.conn = shared ?? new SharedS3Client(options);
    this.owner = !shared;
  }

  /** A store on `s3://bucket/prefix` with this connection (endpoint, region, credentials). */
  static fromUri(uri: string, connection: S3Connection = {}): S3ArtifactStore {
    const loc = parseS3Uri(uri);
    return new S3ArtifactStore({ ...connection, bucket: loc.bucket, prefix: loc.key });
  }

  get description(): string {
    const at = this.conn.options.endpoint ? ` at ${this.conn.label}` : '';
    return `s3://${joinPath(this.bucket, this.prefix)}${at}`;
  }

  /** Another bucket (or prefix) through the same client. */
  forBucket(bucket: string, prefix = ''): S3ArtifactStore {
    return new S3ArtifactStore({ bucket, prefix }, this.conn);
  }

  /** Closes the client's sockets (stores made by forBucket share them: dispose the first). */
  dispose(): void {
    if (this.owner) this.conn.dispose();
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<readonly ArtifactEntry[], void, undefined> {
    for await (const page of this.listKeys(cleanPath(prefix), options)) yield page.map((l) => l.entry);
  }

  async stat(path: string, options: CallOptions = {}): Promise<ArtifactEntry | undefined> {
    const rel = cleanPath(path);
    const key = this.keyOf(rel);
    if (rel) {
      try {
        const head = await this.send(options, `stat ${this.uriOf(key)}`, key, ({ sdk, client }, signal) =>
          client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal }),
        );
        return { path: rel, size: head.ContentLength ?? 0, isDir: false, ...(head.LastModified ? { lastModified: head.LastModified } : {}), ...(unquote(head.ETag) ? { etag: unquote(head.ETag)! } : {}) };
      } catch (e) {
        if (!(e instanceof ArtifactError && e.kind === 'not-found')) throw e;
      }
    }
    // not an object: a folder when something is under it (the bucket's root always is one)
    const out = await this.listPage(key ? `${key}/` : '', undefined, 1, undefined, options);
    const any = (out.KeyCount ?? out.Contents?.length ?? 0) > 0;
    return any || !key ? { path: rel, size: 0, isDir: true } : undefined;
  }

  async download(path: string, destDir: string, options: TransferOptions = {}): Promise<DownloadResult> {
    const rel = cleanPath(path);
    const file = destinationFor(destDir, rel);
    const key = this.keyOf(rel);
    const bytes = await this.fetchKey(key, destDir, file, options, (b, total) => options.onProgress?.({ path: rel, bytes: b, ...(total !== undefined ? { total } : {}) }));
    return { path: rel, localPath: file, bytes };
  }

  async downloadTree(prefix: string, destDir: string, options: TransferOptions = {}): Promise<DownloadResult[]> {
    const rel = cleanPath(prefix);
    const listed: Listed[] = [];
    for await (const page of this.listKeys(rel, { ...options, recursive: true })) listed.push(...page);
    if (!listed.length && rel) {
      // a file, not a folder
      const one = await this.stat(rel, options);
      if (one && !one.isDir) listed.push({ entry: one, key: this.keyOf(rel) });
      else if (!one) throw new ArtifactError('not-found', `nothing at ${this.uriOf(this.keyOf(rel))} (${this.conn.label})`);
    }
    const files = treeDestinations(destDir, listed.map((l) => l.entry));
    return downloadFiles(
      listed.map((l, i) => ({
        entry: l.entry,
        file: files[i]!,
        fetch: (signal, onBytes) => this.fetchKey(l.key, destDir, files[i]!, { ...options, signal }, (b) => onBytes(b)),
      })),
      options,
    );
  }

  async upload(localPath: string, path: string, options: UploadOptions = {}): Promise<UploadResult> {
    const rel = cleanPath(path);
    if (!rel) throw new ArtifactError('unsafe-path', `refused to upload to ${JSON.stringify(path)}: it names no object`);
    const key = this.keyOf(rel);
    const what = `upload ${localPath} to ${this.uriOf(key)}`;
    const info = await statFile(localPath).catch((e: unknown) => {
      throw fileError(e, `cannot upload ${localPath}`);
    });
    if (!info.isFile()) throw new ArtifactError('io', `cannot upload ${localPath}: not a file`);
    const partSize = Math.max(MIN_PART_SIZE, options.partSize ?? 0, Math.ceil(info.size / MAX_PARTS));
    const [{ client }, { Upload }] = await Promise.all([this.conn.get(), import('@aws-sdk/lib-storage')]);
    // errors of the file carry its path; a network error does not
    const mapError = (e: unknown) => ((e as NodeJS.ErrnoException)?.path === localPath ? fileError(e, `cannot read ${localPath}`) : this.error(e, key));
    // no timer of ours: a part takes as long as it takes; the SDK's socket timeout catches a stall
    return scoped(options, 0, what, async (scope) => {
      const body = createReadStream(localPath);
      const upload = new Upload({
        client,
        params: { Bucket: this.bucket, Key: key, Body: body, ...(options.contentType ? { ContentType: options.contentType } : {}) },
        partSize,
        queueSize: 4,
        leavePartsOnError: false,
      });
      const abort = () => void upload.abort();
      scope.signal.addEventListener('abort', abort, { once: true });
      upload.on('httpUploadProgress', (p) => options.onProgress?.({ path: rel, bytes: p.loaded ?? 0, total: info.size }));
      try {
        options.onProgress?.({ path: rel, bytes: 0, total: info.size });
        const out = await upload.done();
        const etag = unquote(out.ETag);
        return { path: rel, bytes: info.size, ...(etag ? { etag } : {}) };
      } finally {
        scope.signal.removeEventListener('abort', abort);
        body.destroy();
      }
    }, mapError);
  }

  async read(path: string, options: ReadOptions = {}): Promise<Buffer> {
    const rel = cleanPath(path);
    const key = this.keyOf(rel);
    const max = options.maxBytes ?? DEFAULT_READ_BYTES;
    const what = `read ${this.uriOf(key)}`;
    const { sdk, client } = await this.conn.get();
    return scoped(options, this.conn.timeoutMs, what, async (scope) => {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: scope.signal });
      const body = out.Body as Readable;
      // aborting the request does not always end a body already streaming
      const destroy = () => body.destroy();
      scope.signal.addEventListener('abort', destroy, { once: true });
      const tooLarge = () => new ArtifactError('too-large', `${this.uriOf(key)} is larger than ${max} bytes: download it instead`);
      try {
        if ((out.ContentLength ?? 0) > max) throw tooLarge();
        const parts: Buffer[] = [];
        let size = 0;
        for await (const chunk of body) {
          scope.touch();
          size += (chunk as Buffer).length;
          if (size > max) throw tooLarge();
          parts.push(chunk as Buffer);
        }
        return Buffer.concat(parts);
      } finally {
        scope.signal.removeEventListener('abort', destroy);
        body.destroy();
      }
    }, (e) => this.error(e, key));
  }

  async fetchToLocal(uri: string, cacheDir: string, options: FetchOptions = {}): Promise<string> {
    if (!isS3Uri(uri)) return uri;
    const loc = parseS3Uri(uri);
    return fetchCached(this.forBucket(loc.bucket), loc, cacheDir, options);
  }

  // ---- helpers ----

  private keyOf(rel: string): string {
    return joinPath(this.prefix, rel);
  }

  private uriOf(key: string): string {
    return `s3://${joinPath(this.bucket, key)}`;
  }

  private error(e: unknown, key?: string): ArtifactError {
    return s3Error(e, { endpoint: this.conn.label, bucket: this.bucket, ...(key !== undefined ? { key } : {}) });
  }

  /** One SDK call under the store's timeout and the caller's signal. */
  private async send<T>(options: CallOptions, what: string, key: string, fn: (c: { sdk: Sdk; client: S3Client }, signal: AbortSignal) => Promise<T>): Promise<T> {
    const c = await this.conn.get();
    return scoped(options, this.conn.timeoutMs, what, (scope) => fn(c, scope.signal), (e) => this.error(e, key));
  }

  private listPage(prefix: string, delimiter: string | undefined, maxKeys: number, token: string | undefined, options: CallOptions): Promise<ListObjectsV2CommandOutput> {
    return this.send(options, `list ${this.uriOf(prefix)}`, prefix, ({ sdk, client }, signal) =>
      client.send(
        new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, Delimiter: delimiter, MaxKeys: maxKeys, ContinuationToken: token }),
        { abortSignal: signal },
      ),
    );
  }

  /** Pages of entries under the folder `rel`, each with its key as the bucket spells it. */
  private async *listKeys(rel: string, options: ListOptions): AsyncGenerator<Listed[], void, undefined> {
    const folder = this.keyOf(rel);
    const listPrefix = folder ? `${folder}/` : '';
    const root = this.prefix ? `${this.prefix}/` : '';
    const pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
    const seen = new Set<string>();
    const entryPath = (key: string): string => {
      if (!key.startsWith(listPrefix)) {
        throw new ArtifactError('server', `${this.conn.label} listed ${JSON.stringify(key)} for the prefix ${JSON.stringify(listPrefix)}: refused`);
      }
      return cleanPath(key.slice(root.length), 'store');
    };
    let token: string | undefined;
    for (;;) {
      const out = await this.listPage(listPrefix, options.recursive ? undefined : '/', pageSize, token, options);
      const page: Listed[] = [];
      for (const p of out.CommonPrefixes ?? []) {
        if (!p.Prefix || p.Prefix === listPrefix) continue;
        const path = entryPath(p.Prefix);
        if (path) page.push({ key: p.Prefix, entry: { path, size: 0, isDir: true } });
      }
      for (const o of out.Contents ?? []) {
        // zero-byte `folder/` markers (made by consoles) are folders, shown through their contents
        if (!o.Key || o.Key.endsWith('/')) continue;
        const etag = unquote(o.ETag);
        page.push({
          key: o.Key,
          entry: { path: entryPath(o.Key), size: o.Size ?? 0, isDir: false, ...(o.LastModified ? { lastModified: o.LastModified } : {}), ...(etag ? { etag } : {}) },
        });
      }
      page.sort((a, b) => (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
      if (page.length) yield page;
      const next = out.IsTruncated ? out.NextContinuationToken : undefined;
      if (!next) return;
      if (seen.has(next)) throw new ArtifactError('server', `${this.conn.label} sent a continuation token for ${this.uriOf(listPrefix)} it had sent before: stopped instead of looping`);
      seen.add(next);
      token = next;
    }
  }

  /** Streams the object `key` to `file` under destDir. */
  private async fetchKey(key: string, destDir: string, file: string, options: CallOptions, onBytes: (bytes: number, total?: number) => void): Promise<number> {
    const what = `download ${this.uriOf(key)}`;
    const { sdk, client } = await this.conn.get();
    const scope = new CallScope(options.signal, options.timeoutMs ?? this.conn.timeoutMs);
    try {
      return await writeFileFrom(
        destDir,
        file,
        what,
        async (signal) => {
          const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
          return { body: out.Body as Readable, ...(out.ContentLength !== undefined ? { total: out.ContentLength } : {}) };
        },
        scope,
        (e) => this.error(e, key),
        onBytes,
      );
    } finally {
      scope.dispose();
    }
  }
}

/**
 * s3:// URIs for stores that are not on S3 (a local folder, an MLflow run): the drift engine
 * and the feature store still read s3:// sources, with the endpoint, region and credentials
 * of slipway.yaml's `artifacts`.
 */
export class S3Fetcher {
  private store?: S3ArtifactStore;

  constructor(private readonly connection: S3Connection) {}

  fetch(uri: string, cacheDir: string, options: FetchOptions = {}): Promise<string> {
    const loc = parseS3Uri(uri);
    this.store ??= new S3ArtifactStore({ ...this.connection, bucket: loc.bucket });
    return fetchCached(this.store.forBucket(loc.bucket), loc, cacheDir, options);
  }

  dispose(): void {
    this.store?.dispose();
  }
}
