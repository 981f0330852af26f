/**
 * The artifact store every capability uses (datasets, models, inference logs). Paths are
 * relative to the store's root, `/`-separated, and never trusted: `..`, absolute paths, drive
 * letters and NUL are refused with ArtifactError 'unsafe-path'.
 */

export interface ArtifactEntry {
  /** relative to the store's root, `/`-separated; a folder has no trailing `/` */
  readonly path: string;
  /** bytes; 0 for a folder */
  readonly size: number;
  readonly isDir: boolean;
  readonly lastModified?: Date;
  /** S3's ETag without quotes (MD5 of a single-part upload); undefined for local and MLflow */
  readonly etag?: string;
}

/** Every call can be cancelled and has a timeout (for transfers: the longest wait for the next bytes). */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /** overrides the store's timeout for this call */
  readonly timeoutMs?: number;
}

export interface ListOptions extends CallOptions {
  /** every file below the prefix (no folder entries); default: one level, folders included */
  readonly recursive?: boolean;
  /** entries per page (S3 max-keys; at most 1000 there); default 1000 */
  readonly pageSize?: number;
}

export interface TransferProgress {
  /** the file being transferred */
  readonly path: string;
  /** bytes done: of the one file, or for a tree of the whole tree */
  readonly bytes: number;
  /** total bytes when known: of the one file, or of the whole tree */
  readonly total?: number;
  /** for trees: files finished, and how many there are */
  readonly filesDone?: number;
  readonly filesTotal?: number;
}

export interface TransferOptions extends CallOptions {
  readonly onProgress?: (p: TransferProgress) => void;
}

export interface UploadOptions extends TransferOptions {
  /** multipart part size for big files (S3); at least 5 MiB, the default */
  readonly partSize?: number;
  readonly contentType?: string;
}

export interface DownloadResult {
  /** the store path */
  readonly path: string;
  /** where it was written: `<destDir>/<path>` */
  readonly localPath: string;
  readonly bytes: number;
}

export interface UploadResult {
  readonly path: string;
  readonly bytes: number;
  readonly etag?: string;
}

export interface ReadOptions extends CallOptions {
  /** refuse bigger artifacts with 'too-large' (default 4 MiB) */
  readonly maxBytes?: number;
}

export type FetchOptions = TransferOptions;

export interface ArtifactStore {
  /** What the store is, for messages and views: `s3://bucket/prefix`, a folder, `mlflow run <id>`. */
  readonly description: string;

  /**
   * The entries under a folder (`''` for the root), lazily, one page at a time. A prefix is a
   * folder: `data` lists `data/...`, never `database`. A folder that does not exist lists nothing.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<readonly ArtifactEntry[]>;

  /** The file or folder at `path`, or undefined when there is none. */
  stat(path: string, options?: CallOptions): Promise<ArtifactEntry | undefined>;

  /** Streams one file to `<destDir>/<path>` (through a temporary `.partial` file, renamed when complete). */
  download(path: string, destDir: string, options?: TransferOptions): Promise<DownloadResult>;

  /**
   * Every file under a folder to `<destDir>/<file path>`. All paths are checked before the
   * first byte is written; a failure or cancellation leaves no partial file.
   */
  downloadTree(prefix: string, destDir: string, options?: TransferOptions): Promise<DownloadResult[]>;

  /** Writes a local file to `path` (multipart on S3 for big files). */
  upload(localPath: string, path: string, options?: UploadOptions): Promise<UploadResult>;

  /** A small artifact's bytes (config, metrics JSON). */
  read(path: string, options?: ReadOptions): Promise<Buffer>;

  /**
   * A local path for `uri`: an `s3://bucket/key`, `s3://bucket/prefix/` or
   * `s3://bucket/prefix/*.parquet` is downloaded into `cacheDir` (again only when its ETag or
   * size changed) and its local file, folder or glob returned; anything else is a local path,
   * returned as it is.
   */
  fetchToLocal(uri: string, cacheDir: string, options?: FetchOptions): Promise<string>;

  /** Closes connections (S3 keeps sockets alive). */
  dispose(): void;
}

/** S3 credentials, from SecretStorage or wherever the caller keeps them. Never logged. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * Asked before every request, so credentials changed in the editor apply at once. undefined:
 * the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws, ...).
 */
export type S3CredentialsProvider = () => S3Credentials | undefined | Promise<S3Credentials | undefined>;

/** How to reach S3 or an S3-compatible server (MinIO, Ceph). */
export interface S3Connection {
  /** `http(s)://host:port` of an S3-compatible server; undefined for AWS S3 */
  readonly endpoint?: string;
  /** default us-east-1 */
  readonly region?: string;
  /** path-style URLs (`endpoint/bucket/key`); default: true when an endpoint is set (MinIO needs it) */
  readonly forcePathStyle?: boolean;
  readonly credentials?: S3CredentialsProvider;
  /** default timeout of every call (transfers: the longest wait for the next bytes); default 30 s */
  readonly timeoutMs?: number;
  /** attempts per request, retries included (SDK default 3) */
  readonly maxAttempts?: number;
}
