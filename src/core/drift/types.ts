/** Types of the drift engine: what computeDrift takes and what it reports. */

/** How a column is tested. `boolean` is tested like `categorical`; `text` is not tested (see columns.ts). */
export type ColumnType = 'numerical' | 'categorical' | 'boolean' | 'text';
export const COLUMN_TYPES: readonly ColumnType[] = ['numerical', 'categorical', 'boolean', 'text'];

export const DRIFT_METHODS = ['ks', 'chisquare', 'ztest', 'wasserstein', 'jensenshannon', 'psi'] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];
/** `auto` picks per column as Evidently does (stattests/select.ts). */
export type MethodOption = 'auto' | DriftMethod;

/** Downloads a remote source (s3://…) and returns a local file, folder or glob. The artifact store provides it. */
export type FetchToLocal = (uri: string, signal?: AbortSignal) => Promise<string>;

/** Keeps only the current rows whose `column` lies in [from, to); a column of `inputs` works too. */
export interface CurrentWindow {
  column: string;
  from?: string | Date;
  to?: string | Date;
}

export interface DriftOptions {
  /** Parquet, CSV or JSON Lines: a path, a glob, a folder, an s3:// URI, or several of them. */
  reference: string | readonly string[];
  current: string | readonly string[];
  /** relative paths resolve against this folder (default: process.cwd()) */
  baseDir?: string;
  /** the columns to test; default: every column on both sides that is not an identifier or a timestamp */
  columns?: readonly string[];
  /** type overrides by column name */
  columnTypes?: Readonly<Record<string, ColumnType>>;
  /** default `auto` */
  method?: MethodOption;
  /** applies to every tested column (as Evidently's stattest_threshold); default: each test's own */
  threshold?: number;
  /** the data set drifts when drifted/tested columns ≥ share (default 0.5) */
  share?: number;
  currentWindow?: CurrentWindow;
  fetchToLocal?: FetchToLocal;
  /** most categories kept in a column's histogram; the rest are summed into one "other" bar (default 30) */
  maxCategories?: number;
  signal?: AbortSignal;
}

/** Whether `score` is a p-value (drift when small) or a distance (drift when large). */
export type ScoreKind = 'p_value' | 'distance';

/** Counts of one side of a column. `count` is what was tested: not null, not NaN, not ±inf. */
export interface SideStats {
  rows: number;
  count: number;
  nulls: number;
  nan: number;
  inf: number;
  /** values that could not be read as the column's type (strings in a numerical column) */
  invalid: number;
  unique: number;
}

/** Reference and current counts per bin (numerical) or per category; `edges` has one more entry than the counts. */
export type Histogram =
  | { kind: 'bins'; edges: number[]; reference: number[]; current: number[] }
  | { kind: 'categories'; labels: string[]; reference: number[]; current: number[]; other?: { categories: number; reference: number; current: number } };

export interface ColumnDrift {
  name: string;
  type: ColumnType;
  method: DriftMethod;
  /** the p-value for ks, chisquare and ztest; the distance otherwise */
  score: number;
  threshold: number;
  drifted: boolean;
  /** the test statistic where there is one: KS D, chi-square, z */
  statistic?: number;
  scoreKind: ScoreKind;
  referenceStats: SideStats;
  currentStats: SideStats;
  histogram: Histogram;
}

export type MessageLevel = 'error' | 'warning' | 'info';

/** A problem or note about one column, one file or the whole run. */
export interface DriftMessage {
  level: MessageLevel;
  text: string;
  column?: string;
  file?: string;
}

/** A column that is not tested, and why. */
export interface SkippedColumn {
  name: string;
  reason: string;
}

export interface SourceSummary {
  /** what was asked for (path, glob or URI) */
  source: string;
  files: string[];
  format: DataFormat;
  /** rows read (after the time window for current) */
  rows: number;
}

export type DataFormat = 'parquet' | 'csv' | 'json';

/** The result of computeDrift: the JSON contract of `slipway drift` plus what a report or the panel draws. */
export interface DriftReport {
  dataset_drift: boolean;
  /** drifted columns / tested columns (0 when nothing was tested) */
  drift_share: number;
  drifted_columns: number;
  columns: ColumnDrift[];
  /** the share of drifted columns at which the data set drifts */
  shareThreshold: number;
  method: MethodOption;
  reference: SourceSummary;
  current: SourceSummary & { window?: CurrentWindow };
  skipped: SkippedColumn[];
  messages: DriftMessage[];
}

/** Thrown when no report can be made at all (no readable file on a side, bad options). */
export class DriftInputError extends Error {}
