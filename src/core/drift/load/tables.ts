/**
 * One side (reference or current) as a DuckDB relation named `ref` or `cur`: the files read
 * with read_parquet/read_csv/read_json, an inference log's `inputs` unnested into columns, the
 * current time window applied. Parquet stays a view (each query reads only its columns); CSV
 * and JSON are parsed once into a table.
 */
import { DriftInputError, type CurrentWindow, type DataFormat, type DriftMessage } from '../types';
import { ident, literal, type DuckDb } from './duckdb';
import type { ResolvedSource } from './sources';

export type SideName = 'ref' | 'cur';

export interface SideTable {
  name: SideName;
  /** the files that could be read */
  files: string[];
  format: DataFormat;
  rows: number;
  /** column name → DuckDB type, in file order */
  columns: Map<string, string>;
  /** the features came from the `inputs` object of inference records */
  fromInputs: boolean;
}

const SIDE_LABEL: Record<SideName, string> = { ref: 'reference', cur: 'current' };

function reader(format: DataFormat, files: readonly string[]): string {
  const list = `[${files.map(literal).join(', ')}]`;
  if (format === 'parquet') return `read_parquet(${list}, union_by_name = true)`;
  if (format === 'csv') return `read_csv(${list}, union_by_name = true)`;
  return `read_json(${list}, format = 'auto', union_by_name = true)`;
}

async function describe(db: DuckDb, sql: string): Promise<Map<string, string>> {
  const rows = await db.rows(`DESCRIBE ${sql}`);
  return new Map(rows.map((r) => [String(r.column_name), String(r.column_type)]));
}

/** the first line of a DuckDB error, without its "X Error:" prefix */
export function duckMessage(e: unknown): string {
  return String((e as Error).message ?? e)
    .split('\n')[0]
    .replace(/^[A-Za-z ]*Error: /, '');
}

/** when the files cannot be read together, find the ones that cannot be read at all and drop them */
async function readableFiles(source: ResolvedSource, side: SideName, messages: DriftMessage[], probe: (sql: string) => Promise<unknown>): Promise<string[]> {
  try {
    await probe(reader(source.format, source.files));
    return source.files;
  } catch (whole) {
    const good: string[] = [];
    for (const file of source.files) {
      try {
        await probe(reader(source.format, [file]));
        good.push(file);
      } catch (e) {
        messages.push({ level: 'error', file, text: `cannot read ${SIDE_LABEL[side]} file ${file}: ${duckMessage(e)}` });
      }
    }
    if (!good.length || good.length === source.files.length) {
      const why = good.length ? duckMessage(whole) : 'no file could be read';
      throw new DriftInputError(`cannot read the ${SIDE_LABEL[side]} data (${source.source}): ${why}`);
    }
    return good;
  }
}

function timestampExpr(column: string, type: string): string {
  // epoch seconds, ISO strings, dates and timestamps all compare as TIMESTAMPTZ
  if (/INT|DOUBLE|FLOAT|DECIMAL|REAL/.test(type) && !/INTERVAL/.test(type)) return `to_timestamp(CAST(${column} AS DOUBLE))`;
  return `CAST(${column} AS TIMESTAMPTZ)`;
}

/** `fields`: the columns of `inputs` when the records have one */
function windowFilter(window: CurrentWindow, columns: Map<string, string>, fields: Map<string, string>, source: string): string {
  let expr: string | undefined;
  if (columns.has(window.column)) expr = timestampExpr(ident(window.column), columns.get(window.column)!);
  else if (fields.has(window.column)) expr = timestampExpr(`inputs.${ident(window.column)}`, fields.get(window.column)!);
  if (!expr) throw new DriftInputError(`the time window's column "${window.column}" is not a column of the current data (${source})`);
  const bound = (v: string | Date) => {
    const text = v instanceof Date ? v.toISOString() : v;
    if (Number.isNaN(Date.parse(text))) throw new DriftInputError(`the time window bound "${text}" is not a date or timestamp`);
    return `CAST(${literal(text)} AS TIMESTAMPTZ)`;
  };
  const conds = ['TRUE'];
  if (window.from !== undefined) conds.push(`${expr} >= ${bound(window.from)}`);
  if (window.to !== undefined) conds.push(`${expr} < ${bound(window.to)}`);
  return conds.join(' AND ');
}

/** creates the relation `side` over the source's files */
export async function loadSide(db: DuckDb, side: SideName, source: ResolvedSource, messages: DriftMessage[], window?: CurrentWindow): Promise<SideTable> {
  const label = SIDE_LABEL[side];
  const files = await readableFiles(source, side, messages, (sql) => db.rows(`DESCRIBE SELECT * FROM ${sql}`));
  const raw = await describe(db, `SELECT * FROM ${reader(source.format, files)}`);
  const inputs = raw.get('inputs');
  let select = '*';
  if (inputs !== undefined) {
    if (inputs.startsWith('STRUCT(')) select = 'unnest(inputs)';
    else if (/\[\]$|^MAP\(/.test(inputs)) {
      throw new DriftInputError(`the ${label} records' "inputs" is ${inputs}: Slipway reads inputs as an object of feature values ({"feature": value, ...})`);
    }
  }
  const fields = select === '*' ? new Map<string, string>() : await describe(db, `SELECT unnest(inputs) FROM ${reader(source.format, files)}`);
  const where = window ? windowFilter(window, raw, fields, source.source) : 'TRUE';
  const kind = source.format === 'parquet' ? 'VIEW' : 'TABLE';
  const create = async (fs: readonly string[]) => db.run(`CREATE OR REPLACE TEMP ${kind} ${side} AS SELECT ${select} FROM ${reader(source.format, fs)} WHERE ${where}`);
  let used = files;
  try {
    await create(files);
    await db.rows(`SELECT count(*) FROM ${side}`);
  } catch {
    // a CSV or JSON file can fail past the part the sniffer read: find it by reading each file whole
    used = await readableFiles({ ...source, files }, side, messages, (sql) => db.rows(`SELECT count(*) FROM ${sql}`));
    await create(used);
  }
  const columns = await describe(db, `SELECT * FROM ${side}`);
  const rows = Number((await db.rows(`SELECT count(*) AS n FROM ${side}`))[0].n);
  if (rows === 0) messages.push({ level: 'error', text: `the ${label} data has no rows${window && side === 'cur' ? ' in the time window' : ''}` });
  return { name: side, files: used, format: source.format, rows, columns, fromInputs: select !== '*' };
}
