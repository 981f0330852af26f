/**
 * The DuckDB session of one drift run: an in-memory database, loaded on first use (the native
 * module is heavy and not every command needs it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

export class DuckDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private readonly spillDir: string,
  ) {}

  static async open(): Promise<DuckDb> {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    // spills of big CSV/JSON tables go to a private temp folder, not to the working directory
    const spillDir = mkdtempSync(join(tmpdir(), 'slipway-drift-'));
    const instance = await DuckDBInstance.create(':memory:', { temp_directory: spillDir });
    const conn = await instance.connect();
    // timestamps without a zone are UTC, as the inference log writes them
    await conn.run("SET TimeZone = 'UTC'");
    return new DuckDb(instance, conn, spillDir);
  }

  async run(sql: string): Promise<void> {
    await this.conn.run(sql);
  }

  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /**
   * The first column of a query whose values are DOUBLE and never null, copied out of DuckDB's
   * vectors without per-value conversion. The query runs to completion on DuckDB's threads, so
   * it proceeds while JavaScript works on the previous column.
   */
  async doubles(sql: string): Promise<Float64Array> {
    const result = await this.conn.run(sql);
    const out = new Float64Array(result.rowCount);
    let n = 0;
    for (let i = 0; i < result.chunkCount; i++) {
      const items = (result.getChunk(i).getColumnVector(0) as unknown as { items: Float64Array }).items;
      out.set(items, n);
      n += items.length;
    }
    return out;
  }

  /** stops the running query (cancellation) */
  interrupt(): void {
    this.conn.interrupt();
  }

  close(): void {
    try {
      this.conn.closeSync();
      this.instance.closeSync();
    } finally {
      rmSync(this.spillDir, { recursive: true, force: true });
    }
  }
}
