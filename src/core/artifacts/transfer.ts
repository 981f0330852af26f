/**
 * What every store shares: a timeout-and-cancellation scope per call, streaming to disk through
 * a temporary file, and tree downloads with one progress for the whole tree.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ArtifactError, fileError } from './errors';
import { destinationFor, prepareFolder } from './paths';
import type { ArtifactEntry, DownloadResult, TransferOptions } from './types';

export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The caller's signal plus a timeout. Without touch() the timeout is a deadline for the whole
 * call; a transfer touches it on every chunk, making it the longest wait for the next bytes.
 */
export class CallScope {
  private readonly controller = new AbortController();
  private timer?: ReturnType<typeof setTimeout>;
  private expired = false;
  private readonly onAbort = () => this.controller.abort(this.caller?.reason);

  constructor(
    private readonly caller: AbortSignal | undefined,
    private readonly timeoutMs: number,
  ) {
    if (caller?.aborted) this.controller.abort(caller.reason);
    else caller?.addEventListener('abort', this.onAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    if (!(this.timeoutMs > 0 && Number.isFinite(this.timeoutMs)) || this.controller.signal.aborted) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error('timeout'));
    }, this.timeoutMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onAbort);
  }

  /** The error to throw when the scope fired (cancelled or timed out), else undefined. */
  fired(what: string): ArtifactError | undefined {
    if (this.caller?.aborted) return new ArtifactError('cancelled', `${what}: cancelled`);
    if (this.expired) return new ArtifactError('timeout', `${what}: nothing came back within ${this.timeoutMs} ms: check the network, or allow a longer timeout`);
    return undefined;
  }

  throwIfFired(what: string): void {
    const e = this.fired(what);
    if (e) throw e;
  }
}

/** Runs fn in a scope, turning any failure after the scope fired into 'cancelled' or 'timeout'. */
export async function scoped<T>(
  opts: { readonly signal?: AbortSignal; readonly timeoutMs?: number },
  defaultTimeoutMs: number,
  what: string,
  fn: (scope: CallScope) => Promise<T>,
  mapError: (e: unknown) => ArtifactError,
): Promise<T> {
  const scope = new CallScope(opts.signal, opts.timeoutMs ?? defaultTimeoutMs);
  try {
    scope.throwIfFired(what);
    return await fn(scope);
  } catch (e) {
    throw scope.fired(what) ?? mapError(e);
  } finally {
    scope.dispose();
  }
}

export interface Source {
  readonly body: Readable | AsyncIterable<Uint8Array>;
  /** bytes, when the source says */
  readonly total?: number;
}

/**
 * Streams a source to `file` under `root`: folders checked and created, bytes written to
 * `<file>.<random>.partial` and renamed when complete; the partial file is removed on failure,
 * timeout or cancellation. Errors of the source go through mapError, of the disk through fileError.
 */
export async function writeFileFrom(
  root: string,
  file: string,
  what: string,
  openSource: (signal: AbortSignal) => Promise<Source>,
  scope: CallScope,
  mapError: (e: unknown) => ArtifactError,
  onBytes?: (bytes: number, total?: number) => void,
): Promise<number> {
  scope.throwIfFired(what);
  await prepareFolder(root, file);
  const sourceError = (e: unknown) => scope.fired(what) ?? mapError(e);
  let source: Source;
  try {
    source = await openSource(scope.signal);
  } catch (e) {
    throw sourceError(e);
  }
  const body = source.body;
  // without an error: an 'error' event nobody listens to would crash the process
  const destroy = () => (body as Partial<Readable>).destroy?.();
  if (scope.signal.aborted) {
    destroy();
    throw scope.fired(what) ?? new ArtifactError('cancelled', `${what}: cancelled`);
  }
  scope.signal.addEventListener('abort', destroy, { once: true });
  const partial = `${file}.${randomBytes(4).toString('hex')}.partial`;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let bytes = 0;
  try {
    try {
      handle = await open(partial, 'wx');
    } catch (e) {
      throw fileError(e, `cannot write ${partial}`);
    }
    onBytes?.(0, source.total);
    const it = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } catch (e) {
        throw sourceError(e);
      }
      if (r.done) break;
      scope.touch();
      try {
        await handle.write(r.value);
      } catch (e) {
        throw fileError(e, `cannot write ${file}`);
      }
      bytes += r.value.length;
      onBytes?.(bytes, source.total);
    }
    if (source.total !== undefined && bytes !== source.total) {
      throw new ArtifactError('server', `${what}: the store sent ${bytes} of ${source.total} bytes; try again`);
    }
    await handle.close();
    handle = undefined;
    try {
      await rename(partial, file);
    } catch (e) {
      throw fileError(e, `cannot write ${file}`);
    }
    return bytes;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await rm(partial, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    scope.signal.removeEventListener('abort', destroy);
    destroy();
  }
}

/** One file of a tree download: where it goes, and how to fetch it. */
export interface TreeFile {
  readonly entry: ArtifactEntry;
  /** where it goes on disk */
  readonly file: string;
  /** downloads it to `file` (streaming, cancelled by `signal`), reporting this file's bytes; resolves with the byte count */
  readonly fetch: (signal: AbortSignal, onBytes: (bytes: number) => void) => Promise<number>;
}

export const TREE_CONCURRENCY = 4;

/**
 * Checks every destination of a tree under destDir before anything is written (a listing
 * that names a path outside, or two paths landing on one file, refuses the whole tree).
 */
export function treeDestinations(destDir: string, entries: readonly ArtifactEntry[]): string[] {
  const seen = new Map<string, string>();
  return entries.map((e) => {
    const file = destinationFor(destDir, e.path, 'store');
    const other = seen.get(file);
    if (other !== undefined) {
      throw new ArtifactError('unsafe-path', `refused to download both ${JSON.stringify(other)} and ${JSON.stringify(e.path)}: they land on the same file ${file}`);
    }
    seen.set(file, e.path);
    return file;
  });
}

/**
 * Downloads the files of a tree, a few at a time, with one progress for the whole tree. The
 * first failure cancels the others (their partial files are removed) and is thrown.
 */
export async function downloadFiles(files: readonly TreeFile[], opts: TransferOptions): Promise<DownloadResult[]> {
  const total = files.reduce((n, f) => n + f.entry.size, 0);
  const done = new Map<string, number>();
  let doneBytes = 0;
  let filesDone = 0;
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const results: DownloadResult[] = new Array(files.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const report = (path: string) => opts.onProgress?.({ path, bytes: doneBytes + [...done.values()].reduce((a, b) => a + b, 0), total, filesDone, filesTotal: files.length });
  const worker = async () => {
    while (!failure && next < files.length) {
      const i = next++;
      const f = files[i]!;
      try {
        done.set(f.entry.path, 0);
        const bytes = await f.fetch(signal, (b) => {
          done.set(f.entry.path, b);
          report(f.entry.path);
        });
        done.delete(f.entry.path);
        doneBytes += bytes;
        filesDone++;
        results[i] = { path: f.entry.path, localPath: f.file, bytes };
        report(f.entry.path);
      } catch (e) {
        done.delete(f.entry.path);
        if (!failure) {
          failure = { error: e };
          stop.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(TREE_CONCURRENCY, files.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

/** Every entry of a paged listing. */
export async function collectEntries(pages: AsyncIterable<readonly ArtifactEntry[]>): Promise<ArtifactEntry[]> {
  const out: ArtifactEntry[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}
