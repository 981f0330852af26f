import type { TextRange } from './locate';

export type { TextRange } from './locate';

/** A zero-based position, as editors and the LSP count (character = UTF-16 code unit). */
export interface TextPosition {
  readonly line: number;
  readonly character: number;
}

export type Severity = 'error' | 'warning' | 'information';

/** Stable codes: tools and tests match on these, never on messages. */
export type DiagnosticCode =
  | 'yaml-syntax'
  | 'duplicate-key'
  | 'unknown-key'
  | 'wrong-type'
  | 'missing-key'
  | 'conflicting-keys'
  | 'bad-enum'
  | 'bad-reference'
  | 'file-not-found'
  | 'bad-cron'
  | 'bad-duration'
  | 'bad-quantity'
  | 'bad-name'
  | 'bad-url'
  | 'out-of-range'
  | 'file-too-large'
  | DataDiagnosticCode;

/** Codes of the checks of the data against `features` (core/features checkFeatureTypes; not from parsePipeline). */
export type DataDiagnosticCode =
  /** the source path matches no file (validatePipeline already warns about it: file-not-found) */
  | 'missing-source'
  /** the files exist but cannot be read (corrupt, wrong format, mixed formats) */
  | 'unreadable-source'
  /** an s3:// source, not checked without the artifact store */
  | 'unchecked-source'
  /** a declared feature (or the label column) is not a column of the data */
  | 'missing-column'
  /** the column's type does not hold the declared type */
  | 'type-mismatch'
  /** the source's (or the label set's) timestamp column is missing */
  | 'missing-timestamp'
  /** the timestamp column is not a timestamp or a date */
  | 'bad-timestamp'
  /** a join key of the view's entity is not a column of the source (or of the label set) */
  | 'missing-join-key';

/** What a quick fix needs, attached to a diagnostic. */
export interface DiagnosticData {
  /** replacements for the diagnostic's range, best first ("did you mean") */
  readonly suggestions?: readonly string[];
  /** the key path of the offending node, e.g. ['training', 'script'] */
  readonly path?: readonly (string | number)[];
  /** a file the user may want created, relative to the pipeline file's folder */
  readonly createFile?: { readonly path: string; readonly template: 'train-script' | 'notebook' };
}

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  /** zero-based, end exclusive */
  readonly range: TextRange;
  readonly data?: DiagnosticData;
}

/** Every code with its usual severity and what it means; the reference docs are generated from this. */
export const DIAGNOSTIC_CODES: Readonly<Record<DiagnosticCode, { readonly severity: string; readonly summary: string }>> = {
  'yaml-syntax': { severity: 'error', summary: 'The file is not valid YAML (unclosed quote or bracket, bad indentation, tab indentation, several documents, an alias to an unknown anchor, nesting deeper than 128 levels). Unknown tags are warnings.' },
  'duplicate-key': { severity: 'error', summary: 'A key appears twice in the same mapping; reported at the second one.' },
  'unknown-key': { severity: 'error', summary: 'A key the pipeline file does not define (usually a typo; the quick fix offers the closest key).' },
  'wrong-type': { severity: 'error', summary: 'A value of the wrong type: a list where a mapping is expected, a string where a number is expected, an empty value, a non-scalar training param.' },
  'missing-key': { severity: 'error', summary: 'A required key is absent (`version`, `name`, `training.script` or `notebook`, a view\'s `entity`, ...).' },
  'conflicting-keys': { severity: 'error', summary: 'Keys that exclude each other are both set (`training.script` and `training.notebook`).' },
  'bad-enum': { severity: 'error', summary: 'A value outside its fixed set (`version`, `model.format`, `deploy.target`, feature types, gate operators, drift methods, ...).' },
  'bad-reference': { severity: 'error', summary: 'A name that resolves nowhere: a view\'s `entity` or `source`, a `training.dataset.features` entry `view:feature`, `monitoring.on_drift: retrain` without `training`.' },
  'file-not-found': { severity: 'error / warning', summary: 'A local file is missing. Error for `training.script` and `training.notebook`; warning for data that may be produced later (source paths and globs, `training.dataset.labels`, `monitoring.reference` / `current`, `training.python`). `s3://` paths are not checked.' },
  'bad-cron': { severity: 'error', summary: 'Not a 5-field cron expression (minute hour day-of-month month day-of-week), a field out of range, or a form Kubernetes does not run (seconds, `@daily`, `L`, `#`, `H`).' },
  'bad-duration': { severity: 'error', summary: 'Not a duration `<integer><unit>` with unit s, m, h, d or w (e.g. `30d`).' },
  'bad-quantity': { severity: 'error', summary: 'Not a Kubernetes quantity (cpu `500m`, `2`, `0.5`; memory `512Mi`, `4Gi`, `1e3`), or a memory given in millibytes (`512m`).' },
  'bad-name': { severity: 'error', summary: 'A name Kubernetes, the registry or the feature store would reject: `name` and namespaces must be DNS-1123 labels (≤ 63); entity, source, view and feature names identifiers; images valid references; aliases not reserved by MLflow.' },
  'bad-url': { severity: 'error', summary: 'A URL of the wrong form: `tracking.uri`, `artifacts.endpoint`, `training.targets.ray.address` need http(s)://; `artifacts.uri` is s3://bucket/prefix or a local folder.' },
  'out-of-range': { severity: 'error', summary: 'A number outside its range: `deploy.canary` 0–100, `monitoring.drift.share` 0–1, ports 1–65535, counts ≥ 0, `autoscale.min` ≤ `max`, durations > 0.' },
  'file-too-large': { severity: 'error', summary: 'The pipeline file is larger than 2 MiB and is not parsed.' },
  // the data checks: the files a source or the label set names, read for their columns and types
  'missing-source': { severity: 'warning', summary: 'A data check: a source path names a folder that holds no data file of its format (a path matching nothing at all is `file-not-found`). Write the data there, or fix the path or the source\'s `format`.' },
  'unreadable-source': { severity: 'error', summary: 'A data check: the files exist but cannot be read (corrupt or truncated, not of the format their extension says, Parquet mixed with CSV). Rewrite the file, or set the source\'s `format`.' },
  'unchecked-source': { severity: 'information', summary: 'A data check: an `s3://` source is not read by the language server or `slipway validate` (they hold no artifact store credentials); `slipway features check` reads it.' },
  'missing-column': { severity: 'error', summary: 'A data check: a declared feature (or `training.dataset.label`) is not a column of the data; reported at the feature\'s name. Fix the name, or add the column to the data.' },
  'type-mismatch': { severity: 'error / warning', summary: 'A data check: the column\'s type does not hold the declared type (`int64` over DOUBLE or VARCHAR, `bool` over 0/1 integers, ...); a warning for unsigned 64-bit columns declared `int64`. The quick fix declares the column\'s type.' },
  'missing-timestamp': { severity: 'error', summary: 'A data check: the source\'s `timestamp` (or `training.dataset.timestamp`) is not a column of the data; the message lists the columns there are.' },
  'bad-timestamp': { severity: 'error', summary: 'A data check: the timestamp column is not a TIMESTAMP or DATE (e.g. text or epoch numbers): convert it in the data.' },
  'missing-join-key': { severity: 'error', summary: 'A data check: a join key of the view\'s entity is not a column of its source (or of the label set), so rows cannot be joined. Add the column, or fix `join_keys`.' },
};

export function makeDiagnostic(
  code: DiagnosticCode,
  message: string,
  range: TextRange,
  severity: Severity = 'error',
  data?: DiagnosticData,
): Diagnostic {
  return data ? { code, severity, message, range, data } : { code, severity, message, range };
}
