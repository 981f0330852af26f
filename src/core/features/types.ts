/**
 * The feature store's public types: what callers pass in, what comes back, and the error a
 * user can fix (unknown view, missing file, wrong key type).
 */
import type { DataDiagnosticCode, FeatureType, KeyPath, Pipeline, Severity } from '../pipeline/index';
import type { FeatureDb, DuckDbSettings } from './db';

/**
 * Downloads an `s3://` URI (a file or a prefix) and returns the local file or folder that holds
 * it. The artifact store provides it; without one, s3:// sources are refused with a clear error.
 */
export type FetchToLocal = (uri: string, signal?: AbortSignal) => Promise<string>;

/** What the feature store needs of a project: its pipeline and the folder relative paths start from (LoadedProject fits). */
export interface FeatureProject {
  readonly dir: string;
  readonly pipeline: Pipeline;
}

export interface FeatureOptions {
  /** reads s3:// sources; without it they are refused */
  readonly fetchToLocal?: FetchToLocal;
  readonly signal?: AbortSignal;
  /** a session to reuse (the language server, the Features view); else one is opened and closed per call */
  readonly db?: FeatureDb;
  /** settings of the session opened when `db` is not given */
  readonly duckdb?: DuckDbSettings;
}

/** Bad input the user can fix: an unknown view, a missing file, a key of the wrong type. The CLI exits 2. */
export class FeatureInputError extends Error {
  constructor(
    message: string,
    /** the problems behind it, when a data check failed */
    readonly problems: readonly FeatureProblem[] = [],
  ) {
    super(message);
  }
}

/** The codes of the data checks: the language server's and `slipway validate`'s (documented at DataDiagnosticCode). */
export type FeatureProblemCode = DataDiagnosticCode;

/** A problem the data has with the definitions; `path` is where it belongs in slipway.yaml (for a diagnostic's range). */
export interface FeatureProblem {
  readonly code: FeatureProblemCode;
  readonly severity: Severity;
  readonly message: string;
  readonly path: KeyPath;
  readonly view?: string;
  readonly feature?: string;
  readonly source?: string;
  readonly column?: string;
  readonly declared?: FeatureType;
  /** the column's DuckDB type, e.g. BIGINT, TIMESTAMP WITH TIME ZONE */
  readonly actual?: string;
}

/** A value as the feature store hands it out: timestamps as ISO 8601 strings (UTC), 64-bit integers beyond 2^53 as strings. */
export type FeatureValue = string | number | boolean | null | FeatureValue[] | { [key: string]: FeatureValue };

export interface HistogramBin {
  /** lower edge (numbers; ISO strings for timestamps) */
  readonly from: number | string;
  /** upper edge: exclusive except for the last bin (NumPy's rule) */
  readonly to: number | string;
  readonly count: number;
}

/** Statistics of one feature over every row of its source. */
export interface FeatureStats {
  readonly view: string;
  readonly feature: string;
  readonly declared: FeatureType;
  readonly actual: string;
  readonly rows: number;
  readonly nulls: number;
  /** nulls / rows × 100; 0 for an empty source */
  readonly nullPercent: number;
  /** distinct non-null values */
  readonly distinct: number;
  /** numbers: finite values only (NaN and ±Infinity counted apart); timestamps: ISO strings */
  readonly min?: number | string | null;
  readonly max?: number | string | null;
  readonly mean?: number | null;
  /** sample standard deviation (n − 1), as pandas' describe() */
  readonly std?: number | null;
  /** NaN and ±Infinity of a float feature */
  readonly nonFinite?: number;
  /** strings and booleans: the most frequent values, most frequent first (ties by value) */
  readonly top?: readonly { readonly value: FeatureValue; readonly count: number }[];
  /** numbers and timestamps: 10 equal-width bins from min to max */
  readonly histogram?: readonly HistogramBin[];
}

/** How recent a view's data is. */
export interface ViewFreshness {
  readonly view: string;
  readonly source: string;
  readonly rows: number;
  /** latest event timestamp (ISO), null when the source has no timestamped row */
  readonly latest: string | null;
  readonly oldest: string | null;
  readonly now: string;
  /** now − latest, in seconds (negative when the data is from the future) */
  readonly ageSeconds: number | null;
  readonly ttlSeconds: number | null;
  /** no row at all, or the latest event is older than the ttl: a lookup now finds nothing */
  readonly stale: boolean;
}

export interface PreviewColumn {
  readonly name: string;
  readonly type: string;
  readonly role: 'join-key' | 'timestamp' | 'feature';
}

export interface ViewPreview {
  readonly view: string;
  readonly columns: readonly PreviewColumn[];
  readonly rows: readonly Record<string, FeatureValue>[];
}
