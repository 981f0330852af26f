/**
 * The online store: each entity's latest feature values in a DuckDB file, one table per entity
 * with a unique index on the join keys, for fast lookups by the serving runtime.
 *
 * What `materialize` writes, as of `now` (default: the current time), per entity key and view:
 * the row with the greatest event timestamp ≤ now (ties: last in file order), kept only when
 * now − its timestamp ≤ the view's ttl (views without a ttl keep their latest row). This is the
 * training set's point-in-time rule with t = now, so serving sees what training would have
 * seen. Keys with no value in any view are not stored; a lookup of them finds nothing.
 *
 * The file is written next to the target and renamed over it, so a reader never sees a half
 * written store; an open OnlineStore notices the new file (by inode and mtime) and reopens.
 */
import { stat, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DuckDBPreparedStatement } from '@duckdb/node-api';
import type { FeatureType } from '../pipeline/index';
import { FeatureDb, ident, isoFromMicros, jsonValue, literal, withDb } from './db';
import { orderedRelation, ROW, type Relation, type SchemaCache } from './sources';
import { FeatureInputError, type FeatureOptions, type FeatureProject, type FeatureValue } from './types';
import { asDeclared, keyJoin, loadView, outputFeatures, type LoadedView } from './views';

export const DEFAULT_ONLINE_STORE = '.slipway/online.duckdb';
const META = 'slipway_meta';

export interface StoredFeature {
  /** the key of a lookup's result: the feature name, or <view>__<feature> when two views of the entity share it */
  readonly name: string;
  readonly view: string;
  readonly feature: string;
  readonly type: FeatureType;
  /** the column in the entity's table */
  readonly column: string;
}

export interface StoredEntity {
  readonly table: string;
  readonly joinKeys: readonly string[];
  /** DuckDB type of each join key */
  readonly keyTypes: Readonly<Record<string, string>>;
  readonly features: readonly StoredFeature[];
  readonly views: readonly { readonly view: string; readonly ttlSeconds: number | null; readonly timestampColumn: string; readonly rows: number }[];
  readonly rows: number;
}

/** What the store holds (its `slipway_meta` table). */
export interface OnlineStoreMeta {
  readonly format: 1;
  readonly project: string;
  /** the `now` values are valid at */
  readonly asOf: string;
  readonly entities: Readonly<Record<string, StoredEntity>>;
}

export interface MaterializeOptions extends FeatureOptions {
  /** the store's file, relative to the project folder (default .slipway/online.duckdb) */
  readonly store?: string;
  /** the time values are valid at (default: the current time) */
  readonly now?: Date;
  readonly cache?: SchemaCache;
}

export interface MaterializeResult extends OnlineStoreMeta {
  readonly path: string;
}

/** Writes each entity's latest feature values to the online store. */
export async function materialize(project: FeatureProject, options: MaterializeOptions = {}): Promise<MaterializeResult> {
  const { views: allViews, entities } = project.pipeline.features;
  if (!Object.keys(allViews).length) throw new FeatureInputError('slipway.yaml declares no feature views (features.views)');
  const path = resolve(project.dir, options.store ?? DEFAULT_ONLINE_STORE);
  const now = options.now ?? new Date();
  const nowNs = BigInt(now.getTime()) * 1_000_000n;
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(dirname(path), { recursive: true });
  return withDb(options, async (db) => {
    const { signal } = options;
    const relations: Relation[] = [];
    let attached = false;
    try {
      await db.run(`ATTACH ${literal(tmp)} AS slipway_online`, signal);
      attached = true;
      const stored: Record<string, StoredEntity> = {};
      let t = 0;
      for (const entity of Object.keys(entities)) {
        const names = Object.keys(allViews).filter((v) => allViews[v]!.entity === entity);
        if (!names.length) continue;
        const views: LoadedView[] = [];
        for (const name of names) views.push(await loadView(db, project, name, options));
        const joinKeys = entities[entity]!.joinKeys;
        const keys = joinKeys.map(ident).join(', ');
        const outputs = outputFeatures(project, names.map((view) => ({ view, feature: '*' })));
        const ctes: string[] = [];
        const selects = joinKeys.map((k) => `k.${ident(k)}`);
        const joins: string[] = [];
        const storedViews: { view: string; ttlSeconds: number | null; timestampColumn: string }[] = [];
        const features: StoredFeature[] = [];
        for (const [i, v] of views.entries()) {
          const rel = await orderedRelation(db, v.files, v.schema, signal);
          relations.push(rel);
          const ts = ident(v.source.timestamp);
          const ttl = v.view.ttlSeconds;
          const mine = outputs.filter((f) => f.view === v.name);
          const window = [`${ts} IS NOT NULL`, `epoch_ns(${ts}) <= ${nowNs}`, ...joinKeys.map((k) => `${ident(k)} IS NOT NULL`)];
          // the latest row ≤ now is within the ttl exactly when some row of the window is
          if (ttl !== undefined) window.push(`epoch_ns(${ts}) >= ${nowNs - BigInt(ttl) * 1_000_000_000n}`);
          const cols = [keys, `${ts} AS __slipway_ts`, ...mine.map((f, j) => `${asDeclared(ident(f.feature), f.declared, v.schema.get(f.feature)!)} AS __slipway_f${j}`)];
          ctes.push(
            `v${i} AS (SELECT ${cols.join(', ')} FROM ${rel.sql} WHERE ${window.join(' AND ')} ` +
              `QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY epoch_ns(${ts}) DESC, ${ROW} DESC) = 1)`,
          );
          const timestampColumn = `${v.name}@timestamp`;
          selects.push(`v${i}.__slipway_ts AS ${ident(timestampColumn)}`);
          mine.forEach((f, j) => {
            const column = `${v.name}.${f.feature}`;
            selects.push(`v${i}.__slipway_f${j} AS ${ident(column)}`);
            features.push({ name: f.column, view: v.name, feature: f.feature, type: f.declared, column });
          });
          joins.push(`LEFT JOIN v${i} ON ${keyJoin(joinKeys, 'k', `v${i}`)}`);
          storedViews.push({ view: v.name, ttlSeconds: ttl ?? null, timestampColumn });
        }
        ctes.push(`k AS (${views.map((_, i) => `SELECT ${keys} FROM v${i}`).join(' UNION ')})`);
        const table = `entity_${entity}`;
        const qualified = `slipway_online.${ident(table)}`;
        await db.run(`CREATE TABLE ${qualified} AS WITH ${ctes.join(', ')} SELECT ${selects.join(', ')} FROM k ${joins.join(' ')}`, signal);
        await db.run(`CREATE UNIQUE INDEX ${ident(`${table}_keys_${++t}`)} ON ${qualified} (${keys})`, signal);
        const counts = await db.rows(`SELECT count(*) AS n, ${storedViews.map((s, i) => `count(${ident(s.timestampColumn)}) AS v${i}`).join(', ')} FROM ${qualified}`, signal);
        const described = await db.rows(`DESCRIBE ${qualified}`, signal);
        const typeOf = new Map(described.map((d) => [String(d.column_name), String(d.column_type)]));
        stored[entity] = {
          table,
          joinKeys,
          keyTypes: Object.fromEntries(joinKeys.map((k) => [k, typeOf.get(k)!])),
          features,
          views: storedViews.map((s, i) => ({ ...s, rows: Number(counts[0]![`v${i}`]) })),
          rows: Number(counts[0]!.n),
        };
      }
      const meta: OnlineStoreMeta = { format: 1, project: project.pipeline.name, asOf: now.toISOString(), entities: stored };
      await db.run(`CREATE TABLE slipway_online.${META} (key VARCHAR PRIMARY KEY, value VARCHAR)`, signal);
      await db.run(`INSERT INTO slipway_online.${META} VALUES ('store', ${literal(JSON.stringify(meta))})`, signal);
      await db.run('DETACH slipway_online');
      attached = false;
      // a write-ahead log left by a crashed writer would be replayed onto the new file
      await rm(`${path}.wal`, { force: true });
      await rename(tmp, path);
      return { ...meta, path };
    } finally {
      if (attached) await db.run('DETACH slipway_online').catch(() => undefined);
      for (const r of relations) await r.dispose();
      await rm(tmp, { force: true });
      await rm(`${tmp}.wal`, { force: true });
    }
  });
}

/** A key value as given by a caller (the CLI passes strings). */
export type KeyValue = string | number | bigint | boolean;
/** An entity's key: the value of its only join key, the values in join_keys order, or by name. */
export type EntityKey = KeyValue | readonly KeyValue[] | Readonly<Record<string, KeyValue>>;

export interface OnlineLookup {
  /** false when no view has a value for the key */
  readonly found: boolean;
  /** every feature of the entity's views, null when absent */
  readonly values: Record<string, FeatureValue>;
  /** event timestamp of each view's row (ISO), null when the view has none for the key */
  readonly timestamps: Record<string, string | null>;
}

const INTEGER = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/;

/** The key values as strings in join_keys order, checked against the key types. */
function keyStrings(entity: string, e: StoredEntity, key: EntityKey): string[] {
  const names = e.joinKeys;
  let values: KeyValue[];
  if (Array.isArray(key)) values = [...(key as KeyValue[])];
  else if (typeof key === 'object' && key !== null) {
    const byName = key as Readonly<Record<string, KeyValue>>;
    const unknown = Object.keys(byName).filter((k) => !names.includes(k));
    if (unknown.length) throw new FeatureInputError(`entity ${entity} has no join key ${unknown.join(', ')} (join keys: ${names.join(', ')})`);
    values = names.map((n) => byName[n]!);
    const missing = names.filter((n) => byName[n] === undefined);
    if (missing.length) throw new FeatureInputError(`entity ${entity}: give a value for ${missing.join(', ')}`);
  } else values = [key as KeyValue];
  if (values.length !== names.length) throw new FeatureInputError(`entity ${entity} has ${names.length} join keys (${names.join(', ')}): give ${names.length} values, not ${values.length}`);
  return values.map((v, i) => {
    const name = names[i]!;
    const type = e.keyTypes[name]!;
    const text = typeof v === 'string' ? v.trim() : String(v);
    if (INTEGER.test(type) && !/^[+-]?\d+$/.test(text)) throw new FeatureInputError(`${name} is an integer key (${type}): ${JSON.stringify(String(v))} is not an integer`);
    if (type === 'BOOLEAN' && !/^(true|false)$/i.test(text)) throw new FeatureInputError(`${name} is a boolean key: ${JSON.stringify(String(v))} is not true or false`);
    return typeof v === 'string' && !INTEGER.test(type) && type !== 'BOOLEAN' ? v : text;
  });
}

/** A row selected with OnlineStore's columns (undefined: the key is not stored) as a lookup result. */
function toLookup(e: StoredEntity, row: Record<string, unknown> | undefined): OnlineLookup {
  const out: Record<string, FeatureValue> = {};
  e.features.forEach((f, i) => {
    const v = row?.[`f${i}`];
    out[f.name] = v === null || v === undefined ? null : f.type === 'timestamp' ? isoFromMicros(v as bigint) : jsonValue(v);
  });
  const timestamps: Record<string, string | null> = {};
  e.views.forEach((v, i) => {
    const t = row?.[`t${i}`];
    timestamps[v.view] = t === null || t === undefined ? null : isoFromMicros(t as bigint);
  });
  return { found: !!row, values: out, timestamps };
}

/** Reads the online store. Lookups go through a unique index on the join keys. */
export class OnlineStore {
  private statements = new Map<string, Promise<DuckDBPreparedStatement>>();
  /** lookups run one at a time: a prepared statement holds one set of bindings */
  private queue: Promise<unknown> = Promise.resolve();
  private checked = Date.now();
  private reopening: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    private db: FeatureDb,
    private metaValue: OnlineStoreMeta,
    private identity: string,
    private readonly refreshMs: number,
  ) {}

  /** Opens a store written by materialize (read-only). `refreshMs`: how often to look for a newer file (default 1000; 0: every lookup). */
  static async open(path: string, options: { refreshMs?: number } = {}): Promise<OnlineStore> {
    const { db, meta, identity } = await OnlineStore.load(path);
    return new OnlineStore(path, db, meta, identity, options.refreshMs ?? 1000);
  }

  private static async load(path: string): Promise<{ db: FeatureDb; meta: OnlineStoreMeta; identity: string }> {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new FeatureInputError(`${path}: no online store; write it with \`slipway features materialize\``);
    const db = await FeatureDb.open({ threads: 1 }, path, true);
    try {
      const rows = await db.rows(`SELECT value FROM ${META} WHERE key = 'store'`).catch(() => []);
      if (!rows.length) throw new FeatureInputError(`${path} is not an online store written by slipway features materialize`);
      return { db, meta: JSON.parse(String(rows[0]!.value)) as OnlineStoreMeta, identity: `${info.ino}:${info.mtimeMs}:${info.size}` };
    } catch (e) {
      db.close();
      throw e;
    }
  }

  get meta(): OnlineStoreMeta {
    return this.metaValue;
  }

  /** Every feature of the entity; null for what the store does not hold. */
  async get(entity: string, key: EntityKey): Promise<Record<string, FeatureValue>> {
    return (await this.lookup(entity, key)).values;
  }

  lookup(entity: string, key: EntityKey): Promise<OnlineLookup> {
    const result = this.queue.then(() => this.lookupNow(entity, key));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Many keys at once (the serving runtime's batch): one result per key, in order, in one turn of
   * the store. An entity with one join key is read with one query (`IN` over the index); a
   * composite key with one indexed lookup per distinct key, because DuckDB scans the whole table
   * for any multi-key filter on a composite index. `signal` interrupts the work (and refuses to
   * start once aborted, e.g. after waiting its turn).
   */
  lookupMany(entity: string, keys: readonly EntityKey[], options: { signal?: AbortSignal } = {}): Promise<OnlineLookup[]> {
    const result = this.queue.then(() => this.lookupManyNow(entity, keys, options.signal));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async lookupManyNow(entity: string, keys: readonly EntityKey[], signal: AbortSignal | undefined): Promise<OnlineLookup[]> {
    signal?.throwIfAborted();
    await this.refresh();
    const e = this.entity(entity);
    const strings = keys.map((k) => keyStrings(entity, e, k));
    const index = new Map<string, number>();
    const distinct: string[][] = [];
    for (const s of strings) {
      const id = JSON.stringify(s);
      if (!index.has(id)) index.set(id, distinct.push(s) - 1);
    }
    const found: (Record<string, unknown> | undefined)[] = [];
    const keyType = e.joinKeys.map((k) => `${k} ${e.keyTypes[k]}`).join(', ');
    const conversion = (err: unknown) =>
      /Conversion Error|Could not convert|out of range/i.test((err as Error).message)
        ? new FeatureInputError(`a key does not fit the join key type (${keyType}): ${(err as Error).message.split('\n')[0]}`)
        : err;
    if (e.joinKeys.length === 1 && distinct.length) {
      const k = ident(e.joinKeys[0]!);
      const cast = (s: string[]) => `CAST(${literal(s[0]!)} AS ${e.keyTypes[e.joinKeys[0]!]})`;
      // the IN filter reads the index; the small join puts each row back at its key's position
      const sql =
        `SELECT q.__slipway_i AS i, t.* FROM (VALUES ${distinct.map((s, i) => `(${i}, ${cast(s)})`).join(', ')}) q(__slipway_i, __slipway_k) ` +
        `JOIN (SELECT ${k} AS __slipway_k, ${this.columns(e).join(', ')} FROM ${ident(e.table)} WHERE ${k} IN (${distinct.map(cast).join(', ')})) t ON t.__slipway_k = q.__slipway_k`;
      const rows = await this.db.rows(sql, signal).catch((err: unknown) => Promise.reject(conversion(err)));
      for (const r of rows) found[Number(r.i)] = r;
    } else {
      const statement = await this.statement(entity, e);
      for (const [i, s] of distinct.entries()) {
        signal?.throwIfAborted();
        statement.clearBindings();
        s.forEach((v, j) => statement.bindVarchar(j + 1, v));
        const rows = await statement.runAndReadAll().catch((err: unknown) => Promise.reject(conversion(err)));
        found[i] = (rows.getRowObjectsJS() as Record<string, unknown>[])[0];
      }
    }
    const results = distinct.map((_, i) => toLookup(e, found[i]));
    return strings.map((s) => results[index.get(JSON.stringify(s))!]!);
  }

  private entity(entity: string): StoredEntity {
    const e = this.metaValue.entities[entity];
    if (!e) throw new FeatureInputError(`the online store has no entity '${entity}' (entities: ${Object.keys(this.metaValue.entities).join(', ') || 'none'})`);
    return e;
  }

  /** The selected columns of a lookup: features as f<i>, view timestamps as t<i> (timestamps in epoch µs). */
  private columns(e: StoredEntity): string[] {
    const timestampCol = (c: string) => `epoch_us(CAST(${ident(c)} AS TIMESTAMP))`;
    return [
      ...e.features.map((f, i) => `${f.type === 'timestamp' ? timestampCol(f.column) : ident(f.column)} AS f${i}`),
      ...e.views.map((v, i) => `${timestampCol(v.timestampColumn)} AS t${i}`),
    ];
  }

  private async lookupNow(entity: string, key: EntityKey): Promise<OnlineLookup> {
    await this.refresh();
    const e = this.entity(entity);
    const values = keyStrings(entity, e, key);
    const statement = await this.statement(entity, e);
    statement.clearBindings();
    values.forEach((v, i) => statement.bindVarchar(i + 1, v));
    let rows: Record<string, unknown>[];
    try {
      rows = (await statement.runAndReadAll()).getRowObjectsJS() as Record<string, unknown>[];
    } catch (err) {
      if (/Conversion Error|Could not convert|out of range/i.test((err as Error).message)) {
        throw new FeatureInputError(`key ${values.join(', ')} does not fit the join key type (${e.joinKeys.map((k) => `${k} ${e.keyTypes[k]}`).join(', ')})`);
      }
      throw err;
    }
    return toLookup(e, rows[0]);
  }

  private statement(entity: string, e: StoredEntity) {
    let s = this.statements.get(entity);
    if (!s) {
      const cols = this.columns(e);
      const where = e.joinKeys.map((k, i) => `${ident(k)} = CAST($${i + 1} AS ${e.keyTypes[k]})`).join(' AND ');
      s = this.db.connection.prepare(`SELECT ${cols.join(', ')} FROM ${ident(e.table)} WHERE ${where}`);
      s.catch(() => this.statements.delete(entity));
      this.statements.set(entity, s);
    }
    return s;
  }

  /** Reopens when materialize has replaced the file since it was opened. */
  private async refresh(): Promise<void> {
    if (this.reopening) return this.reopening;
    if (Date.now() - this.checked < this.refreshMs) return;
    this.checked = Date.now();
    const info = await stat(this.path).catch(() => undefined);
    if (!info || `${info.ino}:${info.mtimeMs}:${info.size}` === this.identity) return;
    this.reopening = (async () => {
      try {
        const next = await OnlineStore.load(this.path);
        const old = this.db;
        [this.db, this.metaValue, this.identity] = [next.db, next.meta, next.identity];
        this.statements = new Map();
        old.close();
      } finally {
        this.reopening = undefined;
      }
    })();
    return this.reopening;
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}
