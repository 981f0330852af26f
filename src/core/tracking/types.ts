/**
 * Typed MLflow tracking objects, and their conversion from MLflow's JSON, which omits empty
 * fields, writes NaN as "NaN", +Inf as the largest double and params as strings.
 * Records keyed by user-chosen names are built with Object.fromEntries (no prototype keys are
 * set); look keys up with Object.hasOwn.
 */

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

/** One page of a paged listing; no token on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken?: string;
}

export interface Experiment {
  readonly experimentId: string;
  readonly name: string;
  readonly artifactLocation?: string;
  /** 'active' | 'deleted' */
  readonly lifecycleStage: string;
  readonly creationTime?: number;
  readonly lastUpdateTime?: number;
  readonly tags: Readonly<Record<string, string>>;
  /** the `mlflow.note.content` tag the MLflow UI shows as the description */
  readonly description?: string;
}

export interface Metric {
  readonly key: string;
  /** NaN and ±Infinity as JS numbers */
  readonly value: number;
  /** ms since epoch */
  readonly timestamp: number;
  readonly step: number;
}

/** A history point of one run, from the bulk (several runs) listing. */
export interface RunMetric extends Metric {
  readonly runId: string;
}

export interface RunInfo {
  readonly runId: string;
  readonly experimentId: string;
  readonly runName: string;
  readonly userId?: string;
  readonly status: RunStatus;
  /** ms since epoch */
  readonly startTime?: number;
  readonly endTime?: number;
  readonly artifactUri?: string;
  /** 'active' | 'deleted' */
  readonly lifecycleStage: string;
}

export interface Run {
  readonly info: RunInfo;
  /** the latest value of each metric (highest step, then latest timestamp) */
  readonly metrics: Readonly<Record<string, Metric>>;
  readonly params: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  /** from the `mlflow.parentRunId` tag: MLflow links nested runs only by it */
  readonly parentRunId?: string;
  /** MLflow 3 logged models this run produced (`outputs.model_outputs`) */
  readonly modelOutputs: readonly { readonly modelId: string; readonly step: number }[];
}

export interface FileInfo {
  /** for the run listing, relative to the run's artifact root; for the proxy listing, the basename */
  readonly path: string;
  readonly isDir: boolean;
  readonly fileSize?: number;
}

export interface ArtifactListing {
  /** the run's artifact root, e.g. mlflow-artifacts:/1/<run>/artifacts */
  readonly rootUri?: string;
  readonly files: readonly FileInfo[];
}

export interface LoggedModel {
  readonly modelId: string;
  readonly experimentId: string;
  readonly name: string;
  readonly artifactUri?: string;
  readonly status?: string;
  readonly sourceRunId?: string;
  readonly creationTime?: number;
  readonly lastUpdateTime?: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  readonly metrics: readonly Metric[];
}

// ---- the wire (snake_case, optional everywhere) ----

export interface WireKeyValue {
  readonly key?: string;
  readonly value?: string;
}
export interface WireMetric {
  readonly key?: string;
  readonly value?: number | string;
  readonly timestamp?: number | string;
  readonly step?: number | string;
  readonly run_id?: string;
}
export interface WireExperiment {
  readonly experiment_id?: string;
  readonly name?: string;
  readonly artifact_location?: string;
  readonly lifecycle_stage?: string;
  readonly creation_time?: number | string;
  readonly last_update_time?: number | string;
  readonly tags?: readonly WireKeyValue[];
}
export interface WireRunInfo {
  readonly run_id?: string;
  readonly run_uuid?: string;
  readonly experiment_id?: string;
  readonly run_name?: string;
  readonly user_id?: string;
  readonly status?: string;
  readonly start_time?: number | string;
  readonly end_time?: number | string;
  readonly artifact_uri?: string;
  readonly lifecycle_stage?: string;
}
export interface WireRun {
  readonly info?: WireRunInfo;
  readonly data?: { readonly metrics?: readonly WireMetric[]; readonly params?: readonly WireKeyValue[]; readonly tags?: readonly WireKeyValue[] };
  readonly outputs?: { readonly model_outputs?: readonly { readonly model_id?: string; readonly step?: number | string }[] };
}
export interface WireFileInfo {
  readonly path?: string;
  readonly is_dir?: boolean;
  readonly file_size?: number | string;
}
export interface WireLoggedModel {
  readonly info?: {
    readonly model_id?: string;
    readonly experiment_id?: string;
    readonly name?: string;
    readonly artifact_uri?: string;
    readonly status?: string;
    readonly source_run_id?: string;
    readonly creation_timestamp_ms?: number | string;
    readonly last_updated_timestamp_ms?: number | string;
    readonly tags?: readonly WireKeyValue[];
  };
  readonly data?: { readonly params?: readonly WireKeyValue[]; readonly metrics?: readonly WireMetric[] };
}

/** The largest double: what MLflow's SQL store writes for +Infinity (and its negation for -Infinity). */
const MAX_DOUBLE = 1.7976931348623157e308;

/** A metric value from the wire: "NaN", "Infinity", the largest double → NaN, ±Infinity. */
export function metricValue(v: unknown): number {
  if (typeof v === 'number') return v >= MAX_DOUBLE ? Infinity : v <= -MAX_DOUBLE ? -Infinity : v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity' || v === '+Infinity' || v === 'inf') return Infinity;
    if (v === '-Infinity' || v === '-inf') return -Infinity;
    const n = Number(v);
    return v.trim() !== '' && !Number.isNaN(n) ? metricValue(n) : NaN;
  }
  return NaN;
}

/** A metric value for the wire: JSON has no NaN/Infinity, MLflow accepts these strings. */
export function wireMetricValue(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/** int64 fields may come as numbers or (from some encoders) strings */
export function int(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function keyValues(list: readonly WireKeyValue[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).filter((t) => typeof t.key === 'string').map((t) => [t.key as string, t.value ?? '']));
}

export function toMetric(m: WireMetric): Metric {
  return { key: m.key ?? '', value: metricValue(m.value), timestamp: int(m.timestamp) ?? 0, step: int(m.step) ?? 0 };
}

export function toExperiment(e: WireExperiment): Experiment {
  const tags = keyValues(e.tags);
  return {
    experimentId: e.experiment_id ?? '',
    name: e.name ?? '',
    ...(e.artifact_location !== undefined ? { artifactLocation: e.artifact_location } : {}),
    lifecycleStage: e.lifecycle_stage ?? 'active',
    ...opt('creationTime', int(e.creation_time)),
    ...opt('lastUpdateTime', int(e.last_update_time)),
    tags,
    ...(Object.hasOwn(tags, 'mlflow.note.content') ? { description: tags['mlflow.note.content'] } : {}),
  };
}

export function toRunInfo(i: WireRunInfo): RunInfo {
  return {
    runId: i.run_id ?? i.run_uuid ?? '',
    experimentId: i.experiment_id ?? '',
    runName: i.run_name ?? '',
    ...(i.user_id !== undefined ? { userId: i.user_id } : {}),
    status: (i.status ?? 'RUNNING') as RunStatus,
    ...opt('startTime', int(i.start_time)),
    ...opt('endTime', int(i.end_time)),
    ...(i.artifact_uri !== undefined ? { artifactUri: i.artifact_uri } : {}),
    lifecycleStage: i.lifecycle_stage ?? 'active',
  };
}

export function toRun(r: WireRun): Run {
  const tags = keyValues(r.data?.tags);
  const info = toRunInfo(r.info ?? {});
  return {
    info: info.runName || !Object.hasOwn(tags, 'mlflow.runName') ? info : { ...info, runName: tags['mlflow.runName']! },
    metrics: Object.fromEntries((r.data?.metrics ?? []).map((m) => [m.key ?? '', toMetric(m)])),
    params: keyValues(r.data?.params),
    tags,
    ...(Object.hasOwn(tags, 'mlflow.parentRunId') ? { parentRunId: tags['mlflow.parentRunId'] } : {}),
    modelOutputs: (r.outputs?.model_outputs ?? []).map((o) => ({ modelId: o.model_id ?? '', step: int(o.step) ?? 0 })),
  };
}

export function toFileInfo(f: WireFileInfo): FileInfo {
  return { path: f.path ?? '', isDir: f.is_dir === true, ...opt('fileSize', int(f.file_size)) };
}

export function toLoggedModel(m: WireLoggedModel): LoggedModel {
  const i = m.info ?? {};
  return {
    modelId: i.model_id ?? '',
    experimentId: i.experiment_id ?? '',
    name: i.name ?? '',
    ...(i.artifact_uri !== undefined ? { artifactUri: i.artifact_uri } : {}),
    ...(i.status !== undefined ? { status: i.status } : {}),
    ...(i.source_run_id ? { sourceRunId: i.source_run_id } : {}),
    ...opt('creationTime', int(i.creation_timestamp_ms)),
    ...opt('lastUpdateTime', int(i.last_updated_timestamp_ms)),
    tags: keyValues(i.tags),
    params: keyValues(m.data?.params),
    metrics: (m.data?.metrics ?? []).map(toMetric),
  };
}

export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
