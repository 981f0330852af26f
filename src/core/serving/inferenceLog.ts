/**
 * The inference table: one JSON line per prediction (per row of a request), appended to
 * `<dir>/serving.jsonl`, rotated by size into `<dir>/serving-<UTC timestamp>.jsonl` (names
 * sort in time order). Lines are buffered and written in batches — as soon as flushRecords
 * are pending, and every flushIntervalMs — and fsync'ed every flushIntervalMs; close() writes
 * and fsyncs everything. A crashed process (kill -9) loses only the lines still buffered:
 * fewer than flushRecords, and at most flushIntervalMs of traffic (an OS crash: at most about
 * two intervals). A `serving.lock` (holding the pid) keeps two servers out of one folder.
 */
import {
  closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync,
  readdirSync, renameSync, rmSync, writeFileSync, writeSync, existsSync,
} from 'node:fs';
import { join } from 'node:path';
import { elementCount, toJsonArray, type HostTensor } from './tensors';

export const CURRENT_FILE = 'serving.jsonl';
export const LOCK_FILE = 'serving.lock';
const ROTATED_RE = /^serving-(\d{8}T\d{9}Z)\.jsonl$/;

export interface InferenceLogOptions {
  readonly dir: string;
  /** a file is rotated before it would pass this size (a single larger line gets a file of its own) */
  readonly maxFileBytes?: number;
  readonly flushIntervalMs?: number;
  /** write as soon as this many lines are buffered */
  readonly flushRecords?: number;
  /** fsync after each write (default true) */
  readonly fsync?: boolean;
  /** rotated files kept, oldest deleted first; 0 keeps all */
  readonly maxFiles?: number;
  /** lines kept in memory while writes fail (disk full...); the oldest are dropped beyond */
  readonly maxPending?: number;
  /** a write failed (the lines stay buffered and are retried) */
  readonly onError?: (e: Error) => void;
}

export const INFERENCE_LOG_DEFAULTS = {
  maxFileBytes: 64 * 1024 * 1024,
  flushIntervalMs: 100,
  flushRecords: 256,
  fsync: true,
  maxFiles: 0,
  maxPending: 200_000,
} as const;

export class InferenceLogError extends Error {}

/** One prediction, as written (one line per row of a request). */
export interface InferenceRecord {
  readonly request_id: string;
  /** the row within its request (0 for a batch-1 request) */
  readonly row: number;
  /** ISO 8601, UTC, when the prediction was made */
  readonly timestamp: string;
  readonly model_name: string;
  readonly model_version: string;
  /** by feature name (model.json) for a single [N, F] input, else by input name */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** by output name: a scalar per row for [N] outputs, an array for [N, ...] */
  readonly outputs: Readonly<Record<string, unknown>>;
}

const held = new Set<string>(); // lock files this process holds

export class InferenceLog {
  readonly dir: string;
  readonly path: string;
  private readonly o: Required<Omit<InferenceLogOptions, 'onError' | 'dir'>> & Pick<InferenceLogOptions, 'onError'>;
  private fd: number;
  private size: number;
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  private dirty = false;
  private closed = false;
  private lastStamp = 0;
  private writtenCount = 0;
  private droppedCount = 0;
  private readonly lockPath: string;
  /** called with the number of lines each write put in the files */
  onWritten: ((n: number) => void) | undefined;

  private constructor(options: InferenceLogOptions) {
    this.o = { ...INFERENCE_LOG_DEFAULTS, ...options };
    this.dir = options.dir;
    this.path = join(this.dir, CURRENT_FILE);
    this.lockPath = join(this.dir, LOCK_FILE);
    mkdirSync(this.dir, { recursive: true });
    this.lock();
    try {
      this.fd = openSync(this.path, 'a+');
      this.size = repairTail(this.fd);
    } catch (e) {
      this.unlock();
      throw e;
    }
    this.timer = setInterval(() => {
      this.flush();
      this.sync();
    }, this.o.flushIntervalMs);
    this.timer.unref();
  }

  /** Opens (creating) the folder's current file; fails when another live process holds the folder. */
  static open(options: InferenceLogOptions): InferenceLog {
    return new InferenceLog(options);
  }

  /** lines written to the files so far */
  get written(): number {
    return this.writtenCount;
  }
  /** lines buffered, not yet written */
  get buffered(): number {
    return this.pending.length;
  }
  /** lines dropped because writes kept failing */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Queues one JSON line (without its newline). */
  append(line: string): void {
    if (this.closed) throw new InferenceLogError('the inference log is closed');
    this.pending.push(line);
    if (this.pending.length >= this.o.flushRecords) this.flush();
  }

  appendMany(lines: readonly string[]): void {
    if (this.closed) throw new InferenceLogError('the inference log is closed');
    for (const l of lines) this.pending.push(l);
    if (this.pending.length >= this.o.flushRecords) this.flush();
  }

  /**
   * Writes the buffered lines now (a synchronous write into the OS page cache: a killed
   * process cannot lose them any more), rotating as needed; the fsync follows asynchronously.
   */
  flush(): void {
    if (!this.pending.length || this.fd < 0) return;
    const lines = this.pending;
    this.pending = [];
    let done = 0;
    try {
      let chunk: string[] = [];
      let chunkBytes = 0;
      for (const line of lines) {
        const n = Buffer.byteLength(line) + 1;
        if (this.size + chunkBytes + n > this.o.maxFileBytes && this.size + chunkBytes > 0) {
          if (chunk.length) {
            this.write(chunk, chunkBytes);
            done += chunk.length;
          }
          this.rotate();
          chunk = [];
          chunkBytes = 0;
        }
        chunk.push(line);
        chunkBytes += n;
      }
      if (chunk.length) {
        this.write(chunk, chunkBytes);
        done += chunk.length;
      }
    } catch (e) {
      // keep what was not written for the next flush, within bounds
      const rest = lines.slice(done);
      this.pending = rest.concat(this.pending);
      const over = this.pending.length - this.o.maxPending;
      if (over > 0) {
        this.pending.splice(0, over);
        this.droppedCount += over;
      }
      this.o.onError?.(e as Error);
    } finally {
      if (done) {
        this.writtenCount += done;
        this.onWritten?.(done);
      }
    }
  }

  /** Writes everything, fsyncs and closes the file; the log takes no more lines. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.flush();
    if (this.pending.length) {
      const e = new InferenceLogError(`${this.pending.length} inference record(s) could not be written to ${this.path}`);
      this.release();
      throw e;
    }
    this.release();
  }

  private release(): void {
    if (this.fd >= 0) {
      try {
        if (this.o.fsync) fsyncSync(this.fd);
      } finally {
        closeSync(this.fd);
        this.fd = -1;
        this.unlock();
      }
    }
  }

  private write(lines: string[], bytes: number): void {
    const buf = Buffer.from(lines.join('\n') + '\n');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.size += bytes;
    this.dirty = true;
  }

  private sync(): void {
    if (!this.o.fsync || this.syncing || !this.dirty || this.fd < 0) return;
    this.syncing = true;
    this.dirty = false;
    const fd = this.fd;
    fsync(fd, (err) => {
      this.syncing = false;
      if (err && fd === this.fd) this.o.onError?.(err);
    });
  }

  private rotate(): void {
    if (this.o.fsync) fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.path, join(this.dir, this.rotatedName()));
    this.fd = openSync(this.path, 'a+');
    this.size = 0;
    this.dirty = false;
    if (this.o.maxFiles > 0) {
      const old = rotatedFiles(this.dir);
      for (const f of old.slice(0, Math.max(0, old.length - this.o.maxFiles))) rmSync(join(this.dir, f), { force: true });
    }
  }

  /** serving-YYYYMMDDTHHMMSSmmmZ.jsonl, one millisecond later than the last when names would collide */
  private rotatedName(): string {
    let t = Math.max(Date.now(), this.lastStamp + 1);
    for (;;) {
      const name = `serving-${new Date(t).toISOString().replace(/[-:.]/g, '')}.jsonl`;
      if (!existsSync(join(this.dir, name))) {
        this.lastStamp = t;
        return name;
      }
      t++;
    }
  }

  private lock(): void {
    if (held.has(this.lockPath)) throw new InferenceLogError(`${this.dir} is already the inference log of a server in this process`);
    try {
      writeFileSync(this.lockPath, `${process.pid}\n`, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(this.lockPath, 'utf8'), 10);
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) {
        throw new InferenceLogError(`${this.dir} is the inference log of another running server (pid ${pid}); give this one its own folder (--log)`);
      }
      writeFileSync(this.lockPath, `${process.pid}\n`); // a stale lock: its process is gone
    }
    held.add(this.lockPath);
  }

  private unlock(): void {
    held.delete(this.lockPath);
    rmSync(this.lockPath, { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Cuts a partial last line (left by a crash mid-write) so the file stays valid JSON Lines; returns the size. */
function repairTail(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const buf = Buffer.alloc(Math.min(size, 64 * 1024));
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - buf.length);
    const n = readSync(fd, buf, 0, end - start, start);
    if (end === size && buf[n - 1] === 0x0a) return size;
    const nl = buf.subarray(0, n).lastIndexOf(0x0a);
    if (nl >= 0) {
      ftruncateSync(fd, start + nl + 1);
      return start + nl + 1;
    }
    end = start;
  }
  ftruncateSync(fd, 0);
  return 0;
}

/** The rotated files of a folder, oldest first. */
export function rotatedFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => ROTATED_RE.test(f)).sort();
}

/** Every inference-table file of a folder in time order: the rotated ones, then the current one. */
export function inferenceLogFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files = rotatedFiles(dir).map((f) => join(dir, f));
  return existsSync(join(dir, CURRENT_FILE)) ? [...files, join(dir, CURRENT_FILE)] : files;
}

/** A row of a tensor as a record value: a scalar for [N], a flat array for [N, ...]. */
function rowValue(t: HostTensor, row: number, per: number): unknown {
  if (t.dims.length <= 1) {
    const v = Array.isArray(t.data) ? t.data[row] : toJsonArray(t.type, t.data, row, row + 1)[0];
    return v;
  }
  return Array.isArray(t.data) ? t.data.slice(row * per, (row + 1) * per) : toJsonArray(t.type, t.data, row * per, (row + 1) * per);
}

export interface RecordContext {
  readonly requestId: string;
  readonly timestamp: string;
  readonly modelName: string;
  readonly modelVersion: string;
  /** feature names of the single [N, F] input */
  readonly features?: readonly string[];
}

/**
 * The JSON lines of one request: one per row when `byRow` (a model batching along dim 0),
 * else a single line holding the whole tensors as flat arrays.
 */
export function recordLines(ctx: RecordContext, inputs: Readonly<Record<string, HostTensor>>, outputs: Readonly<Record<string, HostTensor>>, rows: number, byRow = true): string[] {
  const head = `{"request_id":${JSON.stringify(ctx.requestId)},"timestamp":"${ctx.timestamp}","model_name":${JSON.stringify(ctx.modelName)},"model_version":${JSON.stringify(ctx.modelVersion)},"row":`;
  const whole = (t: HostTensor) => (Array.isArray(t.data) ? t.data : toJsonArray(t.type, t.data));
  if (!byRow) {
    const i = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, whole(t)]));
    const o = Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, whole(t)]));
    return [`${head}0,"inputs":${JSON.stringify(i)},"outputs":${JSON.stringify(o)}}`];
  }
  const per = (t: HostTensor) => (t.dims.length ? elementCount(t.dims.slice(1)) : 1);
  const ins = Object.entries(inputs).map(([k, t]) => [k, t, per(t)] as const);
  const outs = Object.entries(outputs).map(([k, t]) => [k, t, per(t)] as const);
  const features = ctx.features && ins.length === 1 ? ctx.features : undefined;
  const lines: string[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const i: Record<string, unknown> = {};
    if (features) {
      const [, t, n] = ins[0]!;
      const values = rowValue(t, r, n) as unknown[];
      for (let f = 0; f < features.length; f++) i[features[f]!] = values[f];
    } else for (const [k, t, n] of ins) i[k] = rowValue(t, r, n);
    const o: Record<string, unknown> = {};
    for (const [k, t, n] of outs) o[k] = rowValue(t, r, n);
    lines[r] = `${head}${r},"inputs":${JSON.stringify(i)},"outputs":${JSON.stringify(o)}}`;
  }
  return lines;
}

/** Reads every record of a folder's inference table (for tests and small tables). */
export function readInferenceLog(dir: string): InferenceRecord[] {
  return inferenceLogFiles(dir).flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l.length)
      .map((l) => JSON.parse(l) as InferenceRecord),
  );
}
