/**
 * A DuckDB session for the feature store, loaded on first use (the native module is heavy and
 * most commands never need it), and the conversion of DuckDB values to plain JSON values.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FeatureValue } from './types';

export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

export interface DuckDbSettings {
  /** worker threads (DuckDB's default: every core) */
  readonly threads?: number;
  /** e.g. '4GB' (DuckDB's default: 80% of the memory); past it, big joins and sorts spill to disk */
  readonly memoryLimit?: string;
  /** where spills go; default: a private temporary folder, removed on close */
  readonly tempDirectory?: string;
}

export class FeatureDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly ownTemp: string | undefined,
  ) {}

  /** An in-memory session (`path` ':memory:'), or a database file; `readOnly` for lookups in a file another process may replace. */
  static async open(settings: DuckDbSettings = {}, path = ':memory:', readOnly = false): Promise<FeatureDb> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const ownTemp = readOnly || settings.tempDirectory ? undefined : mkdtempSync(join(tmpdir(), 'slipway-features-'));
    const options: Record<string, string> = {};
    if (settings.threads) options.threads = String(settings.threads);
    if (settings.memoryLimit) options.memory_limit = settings.memoryLimit;
    if (!readOnly) options.temp_directory = settings.tempDirectory ?? ownTemp!;
    if (readOnly) options.access_mode = 'READ_ONLY';
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(path, options);
      const conn = await instance.connect();
      // timestamps without a zone are read as UTC, and ISO strings are written in UTC
      await conn.run("SET TimeZone = 'UTC'");
      return new FeatureDb(instance, conn, ownTemp);
    } catch (e) {
      instance?.closeSync();
      if (ownTemp) rmSync(ownTemp, { recursive: true, force: true });
      throw e;
    }
  }

  /** The connection, for prepared statements. */
  get connection(): DuckDBConnection {
    return this.conn;
  }

  async run(sql: string, signal?: AbortSignal): Promise<void> {
    await this.cancellable(signal, () => this.conn.run(sql));
  }

  /** Rows as JS values (BIGINT as bigint, TIMESTAMP as Date: convert with `jsonValue`, or select epoch_us()). */
  async rows(sql: string, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const reader = await this.cancellable(signal, () => this.conn.runAndReadAll(sql));
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Runs `work`, interrupting the running query when `signal` aborts. */
  private async cancellable<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    if (!signal) return work();
    signal.throwIfAborted();
    const stop = () => this.conn.interrupt();
    signal.addEventListener('abort', stop, { once: true });
    try {
      return await work();
    } catch (e) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('cancelled');
      throw e;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  close(): void {
    try {
      this.conn.closeSync();
      this.instance.closeSync();
    } finally {
      if (this.ownTemp) rmSync(this.ownTemp, { recursive: true, force: true });
    }
  }
}

/** Runs `work` with the caller's session, or with one opened for the call and closed after. */
export async function withDb<T>(options: { db?: FeatureDb; duckdb?: DuckDbSettings }, work: (db: FeatureDb) => Promise<T>): Promise<T> {
  if (options.db) return work(options.db);
  const db = await FeatureDb.open(options.duckdb);
  try {
    return await work(db);
  } finally {
    db.close();
  }
}

/** Microseconds since the epoch → ISO 8601 in UTC, with the fraction only when there is one. */
export function isoFromMicros(us: bigint | number): string {
  const big = BigInt(us);
  const ms = big / 1000n - (big % 1000n < 0n ? 1n : 0n);
  const rest = Number(big - ms * 1000n);
  const iso = new Date(Number(ms)).toISOString();
  if (rest === 0) return iso.endsWith('.000Z') ? iso.replace('.000Z', 'Z') : iso;
  return `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

/** A DuckDB JS value as a JSON value. Timestamps should be selected as epoch_us() and converted with isoFromMicros. */
export function jsonValue(v: unknown): FeatureValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonValue(x)]));
  return String(v);
}

/** DuckDB type names of the timestamp family (what `timestamp` features and timestamp columns may be). */
export function isTemporal(duckType: string): boolean {
  return /^(TIMESTAMP|DATE$)/i.test(duckType.trim());
}
