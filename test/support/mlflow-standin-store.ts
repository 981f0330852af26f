/**
 * The stand-in MLflow server's state and its REST endpoints, as pure functions of a request:
 * the same status codes, JSON shapes (empty fields omitted, NaN as "NaN", +Inf as the largest
 * double, params as strings) and error bodies as MLflow 3.11 (test/fixtures/mlflow-rest).
 */
import { randomBytes } from 'node:crypto';
import { FilterError, compareValues, matches, parseFilter, parseOrderBy, type Clause, type OrderKey } from './mlflow-filter';

// ---------------------------------------------------------------- seed types

export type KeyValues = Readonly<Record<string, string>> | readonly (readonly [string, string])[];

export interface SeedMetricPoint {
  readonly value: number;
  readonly step?: number;
  readonly timestamp?: number;
}

export interface SeedExperiment {
  readonly id?: string;
  readonly name: string;
  readonly artifactLocation?: string;
  readonly lifecycleStage?: 'active' | 'deleted';
  readonly creationTime?: number;
  readonly lastUpdateTime?: number;
  readonly tags?: KeyValues;
}

export interface SeedRun {
  readonly id?: string;
  readonly experimentId: string;
  readonly name: string;
  readonly userId?: string;
  readonly status?: 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
  readonly startTime?: number;
  readonly endTime?: number;
  readonly lifecycleStage?: 'active' | 'deleted';
  /** default: `<experiment artifact location>/<run id>/artifacts` */
  readonly artifactUri?: string;
  readonly params?: KeyValues;
  /** in MLflow's order; mlflow.runName is appended when missing */
  readonly tags?: KeyValues;
  /** a number (one point at step 0), or the whole history in logging order */
  readonly metrics?: Readonly<Record<string, number | readonly SeedMetricPoint[]>>;
  /** artifact path (relative to the run's root) → content */
  readonly artifacts?: Readonly<Record<string, string | Uint8Array>>;
  /** ids of logged models this run produced */
  readonly modelOutputs?: readonly string[];
}

export interface SeedLoggedModel {
  readonly id?: string;
  readonly experimentId: string;
  readonly name: string;
  readonly sourceRunId?: string;
  readonly creationTime?: number;
  readonly lastUpdateTime?: number;
  readonly status?: string;
  readonly tags?: KeyValues;
  readonly params?: KeyValues;
  readonly metrics?: readonly { readonly key: string; readonly value: number; readonly step?: number; readonly timestamp?: number; readonly runId?: string }[];
  readonly artifacts?: Readonly<Record<string, string | Uint8Array>>;
}

export interface SeedModelVersion {
  readonly version?: string;
  /** `models:/m-...` or an artifact URI */
  readonly source: string;
  readonly runId?: string;
  readonly modelId?: string;
  readonly stage?: 'None' | 'Staging' | 'Production' | 'Archived';
  readonly description?: string;
  readonly status?: string;
  readonly tags?: KeyValues;
  readonly creationTime?: number;
  readonly lastUpdateTime?: number;
}

export interface SeedRegisteredModel {
  readonly name: string;
  readonly description?: string;
  readonly creationTime?: number;
  readonly lastUpdateTime?: number;
  readonly tags?: KeyValues;
  readonly versions?: readonly SeedModelVersion[];
  /** alias → version */
  readonly aliases?: Readonly<Record<string, string>>;
}

export interface SeedData {
  readonly experiments?: readonly SeedExperiment[];
  readonly runs?: readonly SeedRun[];
  readonly loggedModels?: readonly SeedLoggedModel[];
  readonly registeredModels?: readonly SeedRegisteredModel[];
}

// ---------------------------------------------------------------- state

interface SMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface SExperiment {
  id: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: string;
  creationTime: number;
  lastUpdateTime: number;
  tags: Map<string, string>;
}

export interface SRun {
  id: string;
  experimentId: string;
  name: string;
  userId: string;
  status: string;
  startTime?: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: string;
  params: Map<string, string>;
  tags: Map<string, string>;
  latest: Map<string, SMetric>;
  /** only keys with more than their latest point; else the history is [latest] */
  history: Map<string, SMetric[]>;
  modelOutputs: string[];
}

interface SLoggedModel {
  id: string;
  experimentId: string;
  name: string;
  creationTime: number;
  lastUpdateTime: number;
  artifactUri: string;
  status: string;
  sourceRunId?: string;
  tags: Map<string, string>;
  params: Map<string, string>;
  metrics: (SMetric & { runId?: string })[];
}

interface SVersion {
  version: string;
  creationTime: number;
  lastUpdateTime: number;
  stage: string;
  description: string;
  source: string;
  runId?: string;
  modelId?: string;
  status: string;
  tags: Map<string, string>;
}

interface SModel {
  name: string;
  creationTime: number;
  lastUpdateTime: number;
  description?: string;
  tags: Map<string, string>;
  aliases: Map<string, string>;
  versions: Map<string, SVersion>;
}

// ---------------------------------------------------------------- requests and replies

export interface ApiRequest {
  readonly method: string;
  /** the path with /ajax-api mapped to /api */
  readonly path: string;
  /** as sent: /ajax-api/... or /api/... */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  /** the JSON body; {} when absent or malformed (as MLflow does) */
  readonly body: Record<string, unknown>;
  readonly rawBody: Buffer;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface Reply {
  readonly status: number;
  readonly json?: unknown;
  readonly text?: string;
  readonly bytes?: Uint8Array;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** send without content-length (chunked), as MLflow's artifact proxy does */
  readonly chunked?: boolean;
}

export type Handler = (req: ApiRequest) => Reply;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const ERROR_CLASS: Readonly<Record<string, string>> = { RESOURCE_DOES_NOT_EXIST: 'RESOURCE_NOT_FOUND' };

export function errorReply(e: ApiError): Reply {
  return { status: e.status, json: { error_code: e.errorCode, message: e.message, sqlstate: 'KAM00', error_class: ERROR_CLASS[e.errorCode] ?? e.errorCode } };
}

const notFound = (message: string) => new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', message);
const invalid = (message: string) => new ApiError(400, 'INVALID_PARAMETER_VALUE', message);
const HINT = 'See the API docs for more information about request parameters.';

function pyType(v: unknown): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  if (v === null) return 'NoneType';
  return 'dict';
}

const badValue = (name: string, v: unknown) => invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied:  Hint: Value was of type '${pyType(v)}'. ${HINT}`);
const missing = (name: string) => invalid(`Missing value for required parameter '${name}'. ${HINT}`);

/** A request's parameters: the query for GET, the JSON body otherwise (as MLflow reads them). */
class Params {
  constructor(private readonly req: ApiRequest) {}

  raw(name: string): unknown {
    if (this.req.method === 'GET') {
      const all = this.req.query.getAll(name);
      return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
    }
    const v = this.req.body[name];
    return v === null ? undefined : v;
  }

  str(name: string, required = false): string | undefined {
    let v = this.raw(name);
    if (Array.isArray(v) && this.req.method === 'GET') v = v[0];
    if (v === undefined || v === '') {
      if (required) throw missing(name);
      return undefined;
    }
    if (typeof v !== 'string') throw badValue(name, v);
    return v;
  }

  int(name: string, opts: { max?: number; required?: boolean } = {}): number | undefined {
    let v = this.raw(name);
    if (Array.isArray(v) && this.req.method === 'GET') v = v[0];
    if (v === undefined || v === '') {
      if (opts.required) throw missing(name);
      return undefined;
    }
    const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw badValue(name, v);
    if (opts.max !== undefined && n > opts.max) throw badValue(name, n);
    return n;
  }

  list(name: string): string[] | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (this.req.method === 'GET') return Array.isArray(v) ? v.map(String) : [String(v)];
    if (!Array.isArray(v)) throw badValue(name, v);
    return v.map(String);
  }

  objects(name: string): Record<string, unknown>[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw badValue(name, v);
    return v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
  }
}

// ---------------------------------------------------------------- helpers

const MAX_DOUBLE = 1.7976931348623157e308;
const TEXT_EXTENSIONS = new Set(['txt', 'log', 'err', 'cfg', 'conf', 'cnf', 'cf', 'ini', 'properties', 'prop', 'hocon', 'toml', 'yaml', 'yml', 'xml', 'json', 'js', 'py', 'py3', 'csv', 'tsv', 'md', 'rst', 'mlmodel', 'mlproject']);
const MIME: Readonly<Record<string, string>> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml', html: 'text/html', pdf: 'application/pdf' };

export function mimeOf(path: string): string {
  const base = path.split('/').pop() ?? path;
  const ext = (base.includes('.') ? base.split('.').pop()! : base).toLowerCase();
  if (TEXT_EXTENSIONS.has(ext)) return 'text/plain';
  return MIME[ext] ?? 'application/octet-stream';
}

function entries(kv: KeyValues | undefined): [string, string][] {
  if (!kv) return [];
  return (Array.isArray(kv) ? kv : Object.entries(kv)).map(([k, v]) => [k, String(v)]);
}

function kvList(map: Map<string, string>): { key: string; value: string }[] {
  return [...map].map(([key, value]) => ({ key, value }));
}

function newId(): string {
  return randomBytes(16).toString('hex');
}

/** MLflow's page tokens: base64 of Python's json.dumps({"offset": n}). */
export function pageToken(offset: number): string {
  return Buffer.from(`{"offset": ${offset}}`, 'utf8').toString('base64');
}

function offsetOf(token: string | undefined): number {
  if (!token) return 0;
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(token) || token.length % 4 !== 0) throw invalid('Invalid page token, could not base64-decode');
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    throw invalid(`Invalid page token, decoded value=${decoded}`);
  }
  const offset = (parsed as { offset?: unknown })?.offset;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw invalid(`Invalid page token, parsed value=${decoded}`);
  return offset;
}

/** A metric value as MLflow stores it: ±Inf clamped to the largest double. */
function storedValue(v: unknown): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string') {
    const s = v.trim();
    n = s === 'NaN' || s === 'nan' ? NaN : /^[+]?(Infinity|inf)$/i.test(s) ? Infinity : /^-(Infinity|inf)$/i.test(s) ? -Infinity : s !== '' ? Number(s) : NaN;
    if (Number.isNaN(n) && s !== 'NaN' && s !== 'nan') return undefined;
  } else return undefined;
  return n === Infinity ? MAX_DOUBLE : n === -Infinity ? -MAX_DOUBLE : n;
}

const jsonValue = (v: number): number | string => (Number.isNaN(v) ? 'NaN' : v);

/** latest = highest step, then latest timestamp, then largest value (MLflow's rule) */
function later(a: SMetric, b: SMetric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return !(b.value >= a.value);
}

/** the artifact store key of `rel` under an artifact root: proxy paths for mlflow-artifacts:/ */
export function artifactKey(root: string, rel = ''): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(root);
  const base = (m ? m[1]! : root).replace(/\/+$/, '');
  const r = rel.replace(/^\/+|\/+$/g, '');
  return r ? (base ? `${base}/${r}` : r) : base;
}

function checkPath(path: string): void {
  if (path.split('/').includes('..') || path.includes('\0')) throw invalid(`Invalid path: ${path}`);
}

const RUN_ATTRIBUTES = ['run_id', 'experiment_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'start_time', 'end_time', 'created', 'Created', 'lifecycle_stage'];

// ---------------------------------------------------------------- the store

export interface StoreOptions {
  readonly now?: () => number;
  /** shown in artifact errors, like the server's --artifacts-destination */
  readonly artifactsDestination?: string;
  readonly version?: string;
}

export class MlflowStore {
  readonly experiments = new Map<string, SExperiment>();
  readonly runs = new Map<string, SRun>();
  readonly loggedModels = new Map<string, SLoggedModel>();
  readonly models = new Map<string, SModel>();
  readonly files = new Map<string, Uint8Array>();
  private readonly now: () => number;
  readonly artifactsDestination: string;
  readonly version: string;

  constructor(opts: StoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.artifactsDestination = opts.artifactsDestination ?? '/srv/mlflow/artifacts';
    this.version = opts.version ?? '3.11.2.dev0';
  }

  // ---- seeding ----

  seed(data: SeedData): void {
    for (const e of data.experiments ?? []) this.addExperiment(e);
    for (const r of data.runs ?? []) this.addRun(r);
    for (const m of data.loggedModels ?? []) this.addLoggedModel(m);
    for (const m of data.registeredModels ?? []) this.addRegisteredModel(m);
  }

  addExperiment(e: SeedExperiment): SExperiment {
    const id = e.id ?? this.nextExperimentId();
    const t = e.creationTime ?? this.now();
    const exp: SExperiment = {
      id,
      name: e.name,
      artifactLocation: e.artifactLocation ?? `mlflow-artifacts:/${id}`,
      lifecycleStage: e.lifecycleStage ?? 'active',
      creationTime: t,
      lastUpdateTime: e.lastUpdateTime ?? t,
      tags: new Map(entries(e.tags)),
    };
    this.experiments.set(id, exp);
    return exp;
  }

  addRun(r: SeedRun): SRun {
    const exp = this.experiments.get(r.experimentId);
    if (!exp) throw new Error(`seed: run ${r.name} names experiment ${r.experimentId}, which is not seeded`);
    const id = r.id ?? newId();
    const run: SRun = {
      id,
      experimentId: r.experimentId,
      name: r.name,
      userId: r.userId ?? '',
      status: r.status ?? 'FINISHED',
      ...(r.startTime !== undefined ? { startTime: r.startTime } : {}),
      ...(r.endTime !== undefined ? { endTime: r.endTime } : {}),
      artifactUri: r.artifactUri ?? `${exp.artifactLocation.replace(/\/+$/, '')}/${id}/artifacts`,
      lifecycleStage: r.lifecycleStage ?? 'active',
      params: new Map(entries(r.params)),
      tags: new Map(entries(r.tags)),
      latest: new Map(),
      history: new Map(),
      modelOutputs: [...(r.modelOutputs ?? [])],
    };
    if (!run.tags.has('mlflow.runName')) run.tags.set('mlflow.runName', r.name);
    const t = r.startTime ?? this.now();
    for (const [key, v] of Object.entries(r.metrics ?? {})) {
      if (typeof v === 'number') {
        run.latest.set(key, { key, value: storedValue(v) ?? NaN, timestamp: t, step: 0 });
        continue;
      }
      for (const p of v) this.appendMetric(run, { key, value: storedValue(p.value) ?? NaN, step: p.step ?? 0, timestamp: p.timestamp ?? t });
    }
    for (const [path, content] of Object.entries(r.artifacts ?? {})) this.putFile(artifactKey(run.artifactUri, path), content);
    this.runs.set(id, run);
    return run;
  }

  addLoggedModel(m: SeedLoggedModel): void {
    const id = m.id ?? `m-${newId()}`;
    const t = m.creationTime ?? this.now();
    const artifactUri = `mlflow-artifacts:/${m.experimentId}/models/${id}/artifacts`;
    this.loggedModels.set(id, {
      id,
      experimentId: m.experimentId,
      name: m.name,
      creationTime: t,
      lastUpdateTime: m.lastUpdateTime ?? t,
      artifactUri,
      status: m.status ?? 'LOGGED_MODEL_READY',
      ...(m.sourceRunId ? { sourceRunId: m.sourceRunId } : {}),
      tags: new Map(entries(m.tags)),
      params: new Map(entries(m.params)),
      metrics: (m.metrics ?? []).map((x) => ({ key: x.key, value: storedValue(x.value) ?? NaN, step: x.step ?? 0, timestamp: x.timestamp ?? t, ...(x.runId ? { runId: x.runId } : {}) })),
    });
    for (const [path, content] of Object.entries(m.artifacts ?? {})) this.putFile(artifactKey(artifactUri, path), content);
  }

  addRegisteredModel(m: SeedRegisteredModel): void {
    const t = m.creationTime ?? this.now();
    const model: SModel = {
      name: m.name,
      creationTime: t,
      lastUpdateTime: m.lastUpdateTime ?? t,
      ...(m.description ? { description: m.description } : {}),
      tags: new Map(entries(m.tags)),
      aliases: new Map(Object.entries(m.aliases ?? {})),
      versions: new Map(),
    };
    for (const v of m.versions ?? []) {
      const version = v.version ?? String(model.versions.size + 1);
      const vt = v.creationTime ?? this.now();
      model.versions.set(version, {
        version,
        creationTime: vt,
        lastUpdateTime: v.lastUpdateTime ?? vt,
        stage: v.stage ?? 'None',
        description: v.description ?? '',
        source: v.source,
        ...(v.runId ? { runId: v.runId } : {}),
        ...(v.modelId ? { modelId: v.modelId } : {}),
        status: v.status ?? 'READY',
        tags: new Map(entries(v.tags)),
      });
    }
    this.models.set(m.name, model);
  }

  putFile(key: string, content: string | Uint8Array): void {
    this.files.set(key, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
  }

  private nextExperimentId(): string {
    let max = -1;
    for (const id of this.experiments.keys()) if (/^\d+$/.test(id)) max = Math.max(max, Number(id));
    return String(max + 1);
  }

  private appendMetric(run: SRun, m: SMetric): void {
    const prev = run.latest.get(m.key);
    let hist = run.history.get(m.key);
    if (!hist) {
      hist = prev ? [prev] : [];
      run.history.set(m.key, hist);
    }
    hist.push(m);
    if (!prev || later(m, prev)) run.latest.set(m.key, m);
  }

  historyOf(run: SRun, key: string): SMetric[] {
    const h = run.history.get(key);
    if (h) return h;
    const l = run.latest.get(key);
    return l ? [l] : [];
  }

  // ---- JSON shapes ----

  experimentJson(e: SExperiment): Record<string, unknown> {
    return {
      experiment_id: e.id,
      name: e.name,
      artifact_location: e.artifactLocation,
      lifecycle_stage: e.lifecycleStage,
      last_update_time: e.lastUpdateTime,
      creation_time: e.creationTime,
      ...(e.tags.size ? { tags: kvList(e.tags) } : {}),
    };
  }

  runInfoJson(r: SRun): Record<string, unknown> {
    return {
      run_uuid: r.id,
      experiment_id: r.experimentId,
      run_name: r.name,
      user_id: r.userId,
      status: r.status,
      ...(r.startTime !== undefined ? { start_time: r.startTime } : {}),
      ...(r.endTime !== undefined ? { end_time: r.endTime } : {}),
      artifact_uri: r.artifactUri,
      lifecycle_stage: r.lifecycleStage,
      run_id: r.id,
    };
  }

  metricJson(m: SMetric): Record<string, unknown> {
    return { key: m.key, value: jsonValue(m.value), timestamp: m.timestamp, step: m.step };
  }

  runJson(r: SRun, withOutputs = true): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    if (r.latest.size) data.metrics = [...r.latest.values()].map((m) => this.metricJson(m));
    if (r.params.size) data.params = kvList(r.params);
    if (r.tags.size) data.tags = kvList(r.tags);
    return {
      info: this.runInfoJson(r),
      data,
      inputs: {},
      ...(withOutputs ? { outputs: r.modelOutputs.length ? { model_outputs: r.modelOutputs.map((model_id) => ({ model_id, step: 0 })) } : {} } : {}),
    };
  }

  loggedModelJson(m: SLoggedModel): Record<string, unknown> {
    return {
      info: {
        model_id: m.id,
        experiment_id: m.experimentId,
        name: m.name,
        creation_timestamp_ms: m.creationTime,
        last_updated_timestamp_ms: m.lastUpdateTime,
        artifact_uri: m.artifactUri,
        status: m.status,
        model_type: '',
        ...(m.sourceRunId ? { source_run_id: m.sourceRunId } : {}),
        ...(m.tags.size ? { tags: kvList(m.tags) } : {}),
      },
      data: {
        ...(m.params.size ? { params: [...m.params].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, value]) => ({ key, value })) } : {}),
        ...(m.metrics.length ? { metrics: m.metrics.map((x) => ({ ...this.metricJson(x), model_id: m.id, ...(x.runId ? { run_id: x.runId } : {}) })) } : {}),
      },
    };
  }

  versionJson(m: SModel, v: SVersion, withAliases: boolean): Record<string, unknown> {
    const aliases = withAliases ? [...m.aliases].filter(([, ver]) => ver === v.version).map(([a]) => a).sort() : [];
    return {
      name: m.name,
      version: v.version,
      creation_timestamp: v.creationTime,
      last_updated_timestamp: v.lastUpdateTime,
      current_stage: v.stage,
      description: v.description,
      source: v.source,
      ...(v.runId !== undefined ? { run_id: v.runId } : {}),
      status: v.status,
      ...(v.tags.size ? { tags: kvList(v.tags) } : {}),
      run_link: '',
      ...(aliases.length ? { aliases } : {}),
    };
  }

  /** the latest version of each stage */
  latestVersions(m: SModel, stages?: readonly string[]): SVersion[] {
    const byStage = new Map<string, SVersion>();
    for (const v of m.versions.values()) {
      const cur = byStage.get(v.stage);
      if (!cur || Number(v.version) > Number(cur.version)) byStage.set(v.stage, v);
    }
    const wanted = stages?.length ? stages.map((s) => s.toLowerCase()) : undefined;
    return [...byStage.values()].filter((v) => !wanted || wanted.includes(v.stage.toLowerCase())).sort((a, b) => Number(a.version) - Number(b.version));
  }

  modelJson(m: SModel, latestDescending: boolean): Record<string, unknown> {
    const latest = this.latestVersions(m);
    if (latestDescending) latest.reverse();
    return {
      name: m.name,
      creation_timestamp: m.creationTime,
      last_updated_timestamp: m.lastUpdateTime,
      ...(m.description ? { description: m.description } : {}),
      ...(latest.length ? { latest_versions: latest.map((v) => this.versionJson(m, v, false)) } : {}),
      ...(m.tags.size ? { tags: kvList(m.tags) } : {}),
      ...(m.aliases.size ? { aliases: [...m.aliases].sort(([a], [b]) => (a < b ? -1 : 1)).map(([alias, version]) => ({ alias, version })) } : {}),
    };
  }

  // ---- lookups that throw MLflow's errors ----

  experiment(id: string): SExperiment {
    const e = this.experiments.get(id);
    if (!e) throw notFound(`No Experiment with id=${id} exists`);
    return e;
  }

  run(id: string): SRun {
    const r = this.runs.get(id);
    if (!r) throw notFound(`Run with id=${id} not found`);
    return r;
  }

  activeRun(id: string): SRun {
    const r = this.run(id);
    if (r.lifecycleStage !== 'active') throw invalid(`The run ${id} must be in the 'active' state. Current state is ${r.lifecycleStage}.`);
    return r;
  }

  model(name: string): SModel {
    const m = this.models.get(name);
    if (!m) throw notFound(`Registered Model with name=${name} not found`);
    return m;
  }

  modelVersion(name: string, version: string): { m: SModel; v: SVersion } {
    const m = this.models.get(name);
    const v = m?.versions.get(version);
    if (!m || !v) throw notFound(`Model Version (name=${name}, version=${version}) not found`);
    return { m, v };
  }

  loggedModel(id: string): SLoggedModel {
    const m = this.loggedModels.get(id);
    if (!m) throw notFound(`Logged model with ID '${id}' not found.`);
    return m;
  }

  /** where a version's files are */
  downloadUri(v: SVersion): string {
    const id = v.modelId ?? /^models:\/(m-[^/]+)$/.exec(v.source)?.[1];
    if (id && this.loggedModels.has(id)) return this.loggedModels.get(id)!.artifactUri;
    return v.source;
  }

  /** the immediate children of a folder key */
  listDir(dirKey: string): { name: string; isDir: boolean; size?: number }[] {
    const prefix = dirKey ? `${dirKey}/` : '';
    const children = new Map<string, { name: string; isDir: boolean; size?: number }>();
    for (const [key, content] of this.files) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) children.set(rest, { name: rest, isDir: false, size: content.length });
      else if (!children.has(rest.slice(0, slash))) children.set(rest.slice(0, slash), { name: rest.slice(0, slash), isDir: true });
    }
    return [...children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---------------------------------------------------------------- endpoints

  /** `METHOD /api/...path` → handler; the server maps /ajax-api to /api first. */
  route(method: string, path: string): ((req: ApiRequest) => Reply) | 'method' | undefined {
    const exact = this.routes.get(path);
    const found = exact ?? this.patternRoute(path);
    if (!found) return undefined;
    const handler: Handler | undefined = found[method];
    return handler ?? 'method';
  }

  private patternRoute(path: string): Record<string, (req: ApiRequest) => Reply> | undefined {
    if (path.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      return { GET: (r) => this.proxyDownload(r), PUT: (r) => this.proxyUpload(r), DELETE: (r) => this.proxyDelete(r) };
    }
    const lm = /^\/api\/2\.0\/mlflow\/logged-models\/([^/]+)(\/artifacts\/(directories|files))?$/.exec(path);
    if (lm && lm[1] !== 'search') {
      const id = decodeURIComponent(lm[1]!);
      if (!lm[2]) return { GET: () => ({ status: 200, json: { model: this.loggedModelJson(this.loggedModel(id)) } }) };
      if (lm[3] === 'directories') return { GET: (r) => this.loggedModelListing(id, r) };
      return { GET: (r) => this.loggedModelFile(id, r) };
    }
    return undefined;
  }

  private readonly routes = new Map<string, Record<string, Handler>>(
    Object.entries<Record<string, Handler>>({
      '/api/3.0/mlflow/server-info': { GET: () => ({ status: 200, json: { store_type: 'SqlStore', workspaces_enabled: false } }) },
      // experiments
      '/api/2.0/mlflow/experiments/create': { POST: (r) => this.createExperiment(r) },
      '/api/2.0/mlflow/experiments/search': { GET: (r) => this.searchExperiments(r), POST: (r) => this.searchExperiments(r) },
      '/api/2.0/mlflow/experiments/get': { GET: (r) => ({ status: 200, json: { experiment: this.experimentJson(this.experiment(new Params(r).str('experiment_id', true)!)) } }) },
      '/api/2.0/mlflow/experiments/get-by-name': { GET: (r) => this.getExperimentByName(r) },
      '/api/2.0/mlflow/experiments/delete': { POST: (r) => this.setExperimentStage(r, 'deleted') },
      '/api/2.0/mlflow/experiments/restore': { POST: (r) => this.setExperimentStage(r, 'active') },
      '/api/2.0/mlflow/experiments/set-experiment-tag': { POST: (r) => this.setExperimentTag(r) },
      // runs
      '/api/2.0/mlflow/runs/create': { POST: (r) => this.createRun(r) },
      '/api/2.0/mlflow/runs/get': { GET: (r) => ({ status: 200, json: { run: this.runJson(this.run(new Params(r).str('run_id', true)!)) } }) },
      '/api/2.0/mlflow/runs/search': { POST: (r) => this.searchRuns(r) },
      '/api/2.0/mlflow/runs/update': { POST: (r) => this.updateRun(r) },
      '/api/2.0/mlflow/runs/delete': { POST: (r) => this.setRunStage(r, 'deleted') },
      '/api/2.0/mlflow/runs/restore': { POST: (r) => this.setRunStage(r, 'active') },
      '/api/2.0/mlflow/runs/log-metric': { POST: (r) => this.logMetric(r) },
      '/api/2.0/mlflow/runs/log-parameter': { POST: (r) => this.logParam(r) },
      '/api/2.0/mlflow/runs/set-tag': { POST: (r) => this.setTag(r) },
      '/api/2.0/mlflow/runs/delete-tag': { POST: (r) => this.deleteTag(r) },
      '/api/2.0/mlflow/runs/log-batch': { POST: (r) => this.logBatch(r) },
      '/api/2.0/mlflow/metrics/get-history': { GET: (r) => this.metricHistory(r) },
      '/api/2.0/mlflow/metrics/get-history-bulk-interval': { GET: (r) => this.bulkInterval(r) },
      '/api/2.0/mlflow/artifacts/list': { GET: (r) => this.listArtifacts(r) },
      '/api/2.0/mlflow-artifacts/artifacts': { GET: (r) => this.proxyList(r) },
      // logged models
      '/api/2.0/mlflow/logged-models/search': { POST: (r) => this.searchLoggedModels(r) },
      // registry
      '/api/2.0/mlflow/registered-models/create': { POST: (r) => this.createModel(r) },
      '/api/2.0/mlflow/registered-models/get': { GET: (r) => ({ status: 200, json: { registered_model: this.modelJson(this.model(new Params(r).str('name', true)!), false) } }) },
      '/api/2.0/mlflow/registered-models/search': { GET: (r) => this.searchModels(r) },
      '/api/2.0/mlflow/registered-models/update': { PATCH: (r) => this.updateModel(r) },
      '/api/2.0/mlflow/registered-models/delete': { DELETE: (r) => this.deleteModel(r) },
      '/api/2.0/mlflow/registered-models/set-tag': { POST: (r) => this.setModelTag(r) },
      '/api/2.0/mlflow/registered-models/get-latest-versions': { GET: (r) => this.latestVersionsReply(r), POST: (r) => this.latestVersionsReply(r) },
      '/api/2.0/mlflow/registered-models/alias': { GET: (r) => this.getAlias(r), POST: (r) => this.setAlias(r), DELETE: (r) => this.deleteAlias(r) },
      '/api/2.0/mlflow/model-versions/create': { POST: (r) => this.createVersion(r) },
      '/api/2.0/mlflow/model-versions/get': { GET: (r) => this.getVersion(r) },
      '/api/2.0/mlflow/model-versions/search': { GET: (r) => this.searchVersions(r) },
      '/api/2.0/mlflow/model-versions/get-download-uri': { GET: (r) => this.getDownloadUri(r) },
      '/api/2.0/mlflow/model-versions/set-tag': { POST: (r) => this.setVersionTag(r) },
      '/api/2.0/mlflow/model-versions/delete-tag': { DELETE: (r) => this.deleteVersionTag(r) },
      '/api/2.0/mlflow/model-versions/update': { PATCH: (r) => this.updateVersion(r) },
      '/api/2.0/mlflow/model-versions/transition-stage': { POST: (r) => this.transitionStage(r) },
      // UI file handlers
      '/get-artifact': { GET: (r) => this.uiGetArtifact(r) },
      '/model-versions/get-artifact': { GET: (r) => this.uiVersionArtifact(r) },
    }),
  );

  // ---- experiments ----

  private createExperiment(req: ApiRequest): Reply {
    const p = new Params(req);
    const name = p.str('name', true)!;
    const location = p.str('artifact_location');
    const tags = p.objects('tags');
    if ([...this.experiments.values()].some((e) => e.name === name)) {
      const t = this.now();
      throw new ApiError(
        400,
        'RESOURCE_ALREADY_EXISTS',
        `Experiment(name=${name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.workspace, experiments.name\n` +
          '[SQL: INSERT INTO experiments (name, workspace, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)]\n' +
          `[parameters: ('${name}', 'default', '${location ?? ''}', 'active', ${t}, ${t})]\n(Background on this error at: https://sqlalche.me/e/21/gkpj)`,
      );
    }
    const e = this.addExperiment({ name, ...(location ? { artifactLocation: location } : {}), tags: tags.map((t) => [String(t.key), String(t.value ?? '')] as const) });
    return { status: 200, json: { experiment_id: e.id } };
  }

  private getExperimentByName(req: ApiRequest): Reply {
    const name = new Params(req).str('experiment_name', true)!;
    const e = [...this.experiments.values()].find((x) => x.name === name);
    if (!e) throw notFound(`Could not find experiment with name '${name}'`);
    return { status: 200, json: { experiment: this.experimentJson(e) } };
  }

  private setExperimentStage(req: ApiRequest, stage: string): Reply {
    const e = this.experiment(new Params(req).str('experiment_id', true)!);
    e.lifecycleStage = stage;
    e.lastUpdateTime = this.now();
    return { status: 200, json: {} };
  }

  private setExperimentTag(req: ApiRequest): Reply {
    const p = new Params(req);
    const e = this.experiment(p.str('experiment_id', true)!);
    e.tags.set(p.str('key', true)!, p.str('value') ?? '');
    return { status: 200, json: {} };
  }

  private searchExperiments(req: ApiRequest): Reply {
    const p = new Params(req);
    const max = p.int('max_results', { max: 50000 }) ?? 1000;
    const view = viewType(p.raw('view_type'));
    const clauses = filterClauses(p.str('filter'));
    for (const c of clauses) if (c.entity === 'attribute' && !['name', 'creation_time', 'last_update_time', 'experiment_id'].includes(c.key)) throw invalid(`Invalid attribute key '${c.key}' specified.`);
    const order = orderKeys(p.list('order_by'));
    const get = (e: SExperiment, entity: string, key: string): string | number | undefined =>
      entity === 'tag' ? e.tags.get(key) : key === 'name' ? e.name : key === 'creation_time' ? e.creationTime : key === 'last_update_time' ? e.lastUpdateTime : key === 'experiment_id' ? Number(e.id) : undefined;
    const list = [...this.experiments.values()]
      .filter((e) => inView(e.lifecycleStage, view))
      .filter((e) => clauses.every((c) => matches(c, get(e, c.entity, c.key))))
      .sort((a, b) => {
        for (const o of order) {
          const c = compareValues(get(a, o.entity, o.key), get(b, o.entity, o.key), o.ascending);
          if (c) return c;
        }
        return order.length ? Number(a.id) - Number(b.id) : b.creationTime - a.creationTime || Number(a.id) - Number(b.id);
      });
    return pageReply('experiments', list, p.str('page_token'), max, (e) => this.experimentJson(e));
  }

  // ---- runs ----

  private createRun(req: ApiRequest): Reply {
    const p = new Params(req);
    const exp = this.experiment(p.str('experiment_id', true)!);
    if (exp.lifecycleStage !== 'active') throw invalid(`The experiment ${exp.id} must be in the 'active' state. Current state is ${exp.lifecycleStage}.`);
    const tags = p.objects('tags').map((t) => [String(t.key), String(t.value ?? '')] as [string, string]);
    const name = p.str('run_name') ?? tags.find(([k]) => k === 'mlflow.runName')?.[1] ?? `run-${randomBytes(3).toString('hex')}`;
    const run = this.addRun({
      experimentId: exp.id,
      name,
      userId: p.str('user_id') ?? '',
      status: 'RUNNING',
      startTime: p.int('start_time') ?? this.now(),
      tags,
    });
    return { status: 200, json: { run: this.runJson(run, false) } };
  }

  private updateRun(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.activeRun(p.str('run_id') ?? p.str('run_uuid', true)!);
    const status = p.str('status');
    if (status) run.status = status;
    const end = p.int('end_time');
    if (end !== undefined) run.endTime = end;
    const name = p.str('run_name');
    if (name) {
      run.name = name;
      run.tags.set('mlflow.runName', name);
    }
    return { status: 200, json: { run_info: this.runInfoJson(run) } };
  }

  private setRunStage(req: ApiRequest, stage: string): Reply {
    const run = this.run(new Params(req).str('run_id', true)!);
    run.lifecycleStage = stage;
    return { status: 200, json: {} };
  }

  private metricFrom(o: Record<string, unknown>, prefix = ''): SMetric {
    const key = o.key;
    if (typeof key !== 'string' || !key) throw missing(`${prefix}key`);
    if (o.value === undefined || o.value === null) throw missing(`${prefix}value`);
    const value = storedValue(o.value);
    if (value === undefined) throw badValue(`${prefix}value`, o.value);
    const timestamp = typeof o.timestamp === 'number' ? o.timestamp : typeof o.timestamp === 'string' ? Number(o.timestamp) : undefined;
    if (timestamp === undefined || !Number.isFinite(timestamp)) throw missing(`${prefix}timestamp`);
    const step = typeof o.step === 'number' ? o.step : typeof o.step === 'string' ? Number(o.step) : 0;
    return { key, value, timestamp, step: Number.isFinite(step) ? step : 0 };
  }

  private logMetric(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.activeRun(p.str('run_id') ?? p.str('run_uuid', true)!);
    this.appendMetric(run, this.metricFrom(req.body));
    return { status: 200, json: {} };
  }

  private putParam(run: SRun, key: string, value: string): void {
    const old = run.params.get(key);
    if (old !== undefined && old !== value) {
      throw invalid(
        `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old}' for run ID='${run.id}'. Attempted logging new value '${value}'.`,
      );
    }
    run.params.set(key, value);
  }

  private putTag(run: SRun, key: string, value: string): void {
    run.tags.set(key, value);
    if (key === 'mlflow.runName') run.name = value;
  }

  private logParam(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.activeRun(p.str('run_id') ?? p.str('run_uuid', true)!);
    const key = p.str('key', true)!;
    const raw = p.raw('value');
    if (raw === undefined) throw missing('value');
    this.putParam(run, key, String(raw));
    return { status: 200, json: {} };
  }

  private setTag(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.activeRun(p.str('run_id') ?? p.str('run_uuid', true)!);
    this.putTag(run, p.str('key', true)!, p.str('value') ?? '');
    return { status: 200, json: {} };
  }

  private deleteTag(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.activeRun(p.str('run_id', true)!);
    const key = p.str('key', true)!;
    if (!run.tags.delete(key)) throw notFound(`No tag with name: ${key} in run with id ${run.id}`);
    return { status: 200, json: {} };
  }

  private logBatch(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.activeRun(p.str('run_id', true)!);
    const metrics = p.objects('metrics');
    const params = p.objects('params');
    const tags = p.objects('tags');
    if (metrics.length > 1000 || params.length > 100 || tags.length > 100 || metrics.length + params.length + tags.length > 1000) {
      throw invalid(`A batch logging request can contain at most 1000 metrics, 100 params and 100 tags, 1000 in all. Got ${metrics.length} metrics, ${params.length} params and ${tags.length} tags.`);
    }
    const parsed = metrics.map((m, i) => this.metricFrom(m, `metrics[${i}].`));
    for (const x of params) this.putParam(run, String(x.key), String(x.value ?? ''));
    for (const x of parsed) this.appendMetric(run, x);
    for (const x of tags) this.putTag(run, String(x.key), String(x.value ?? ''));
    return { status: 200, json: {} };
  }

  private runValue(r: SRun, c: { entity: string; key: string }): string | number | undefined {
    switch (c.entity) {
      case 'metric':
        return r.latest.get(c.key)?.value;
      case 'param':
        return r.params.get(c.key);
      case 'tag':
        return r.tags.get(c.key);
      default:
        switch (c.key) {
          case 'run_id':
          case 'run_uuid':
            return r.id;
          case 'experiment_id':
            return r.experimentId;
          case 'run_name':
            return r.name;
          case 'status':
            return r.status;
          case 'user_id':
            return r.userId;
          case 'artifact_uri':
            return r.artifactUri;
          case 'lifecycle_stage':
            return r.lifecycleStage;
          case 'start_time':
          case 'created':
          case 'Created':
            return r.startTime;
          case 'end_time':
            return r.endTime;
          default:
            return undefined;
        }
    }
  }

  private searchRuns(req: ApiRequest): Reply {
    const p = new Params(req);
    const ids = p.list('experiment_ids') ?? [];
    const max = p.int('max_results', { max: 50000 }) ?? 1000;
    if (max < 1) throw badValue('max_results', max);
    const view = viewType(p.raw('run_view_type'));
    const clauses = filterClauses(p.str('filter'));
    for (const c of clauses) {
      if (c.entity === 'attribute' && !RUN_ATTRIBUTES.includes(c.key)) throw invalid(`Invalid attribute key '${c.key}' specified. Valid keys are '${JSON.stringify(RUN_ATTRIBUTES)}'`);
    }
    const order = orderKeys(p.list('order_by'));
    const token = p.str('page_token');
    const offset = offsetOf(token);
    const wanted = new Set(ids);
    const list: SRun[] = [];
    for (const r of this.runs.values()) {
      if (wanted.has(r.experimentId) && inView(r.lifecycleStage, view) && clauses.every((c) => matches(c, this.runValue(r, c)))) list.push(r);
    }
    list.sort((a, b) => {
      for (const o of order) {
        const c = compareValues(this.runValue(a, o), this.runValue(b, o), o.ascending);
        if (c) return c;
      }
      return (b.startTime ?? 0) - (a.startTime ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    const page = list.slice(offset, offset + max);
    // runs/search gives a token whenever the page is full, even when nothing follows
    const json: Record<string, unknown> = {};
    if (page.length) json.runs = page.map((r) => this.runJson(r));
    if (page.length === max) json.next_page_token = pageToken(offset + max);
    return { status: 200, json };
  }

  private metricHistory(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.run(p.str('run_id') ?? p.str('run_uuid', true)!);
    const key = p.str('metric_key', true)!;
    // proto default 0: without max_results MLflow returns nothing and a token back to offset 0
    const max = p.int('max_results') ?? 0;
    const offset = offsetOf(p.str('page_token'));
    const hist = this.historyOf(run, key);
    const page = hist.slice(offset, offset + max);
    const json: Record<string, unknown> = {};
    if (page.length) json.metrics = page.map((m) => this.metricJson(m));
    if (offset + max < hist.length) json.next_page_token = pageToken(offset + max);
    return { status: 200, json };
  }

  private bulkInterval(req: ApiRequest): Reply {
    const p = new Params(req);
    const runIds = p.list('run_ids') ?? [];
    if (!runIds.length) throw missing('run_ids');
    if (runIds.length > 100) throw invalid(`GetMetricHistoryBulkInterval request must specify at most 100 run_ids. Received ${runIds.length} run_ids.`);
    const key = p.str('metric_key', true)!;
    const max = Math.min(p.int('max_results') ?? 2500, 2500);
    if (max < 1) throw badValue('max_results', max);
    let start = p.int('start_step');
    let end = p.int('end_step');
    const histories = runIds.map((id) => ({ id, hist: this.historyOf(this.run(id), key) }));
    const allSteps = [...new Set(histories.flatMap((h) => h.hist.map((m) => m.step)))].sort((a, b) => a - b);
    if (start === undefined && end === undefined) {
      start = 0;
      end = allSteps.length ? allSteps[allSteps.length - 1]! : 0;
    }
    const lo = start ?? -Infinity;
    const hi = end ?? Infinity;
    const inRange = allSteps.filter((s) => s >= lo && s <= hi);
    const sampled = new Set<number>();
    if (inRange.length <= max) inRange.forEach((s) => sampled.add(s));
    else for (let i = 0; i < max; i++) sampled.add(inRange[Math.floor((i * inRange.length) / max)]!);
    for (const h of histories) {
      if (!h.hist.length) continue;
      const steps = h.hist.map((m) => m.step);
      for (const s of [Math.min(...steps), Math.max(...steps)]) if (s >= lo && s <= hi) sampled.add(s);
    }
    const metrics = histories.flatMap((h) =>
      h.hist
        .filter((m) => sampled.has(m.step))
        .sort((a, b) => a.step - b.step || a.timestamp - b.timestamp)
        .map((m) => ({ ...this.metricJson(m), run_id: h.id })),
    );
    return { status: 200, json: metrics.length ? { metrics } : {} };
  }

  // ---- artifacts ----

  private listArtifacts(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.run(p.str('run_id') ?? p.str('run_uuid', true)!);
    const path = (p.str('path') ?? '').replace(/^\/+|\/+$/g, '');
    checkPath(path);
    const files = this.listDir(artifactKey(run.artifactUri, path)).map((c) => ({
      path: path ? `${path}/${c.name}` : c.name,
      is_dir: c.isDir,
      ...(c.isDir ? {} : { file_size: c.size }),
    }));
    return { status: 200, json: { root_uri: run.artifactUri, ...(files.length ? { files } : {}) } };
  }

  private proxyList(req: ApiRequest): Reply {
    const path = (new Params(req).str('path') ?? '').replace(/^\/+|\/+$/g, '');
    checkPath(path);
    const files = this.listDir(path).map((c) => ({ path: c.name, is_dir: c.isDir, ...(c.isDir ? {} : { file_size: c.size }) }));
    return { status: 200, json: files.length ? { files } : {} };
  }

  private proxyKey(req: ApiRequest): string {
    const prefix = req.path.startsWith('/api/2.0/mlflow-artifacts/artifacts/') ? '/api/2.0/mlflow-artifacts/artifacts/' : '';
    const key = req.path.slice(prefix.length).split('/').map(decodeURIComponent).join('/');
    checkPath(key);
    return key;
  }

  private fileReply(key: string, content: Uint8Array, chunked: boolean): Reply {
    const name = key.split('/').pop() ?? key;
    return { status: 200, bytes: content, contentType: mimeOf(key), headers: { 'content-disposition': `attachment; filename=${name}` }, chunked };
  }

  private proxyDownload(req: ApiRequest): Reply {
    const key = this.proxyKey(req);
    const content = this.files.get(key);
    if (!content) {
      throw notFound(`The following failures occurred while downloading one or more artifacts from ${this.artifactsDestination}:\n##### File ${key} #####\nNo such artifact: '${key}'`);
    }
    return this.fileReply(key, content, true);
  }

  private proxyUpload(req: ApiRequest): Reply {
    this.putFile(this.proxyKey(req), Buffer.from(req.rawBody));
    return { status: 200, json: {} };
  }

  private proxyDelete(req: ApiRequest): Reply {
    const key = this.proxyKey(req);
    for (const k of [...this.files.keys()]) if (k === key || k.startsWith(`${key}/`)) this.files.delete(k);
    return { status: 200, json: {} };
  }

  private uiGetArtifact(req: ApiRequest): Reply {
    const p = new Params(req);
    const run = this.run(p.str('run_uuid') ?? p.str('run_id', true)!);
    const path = p.str('path', true)!;
    checkPath(path);
    const key = artifactKey(run.artifactUri, path);
    const content = this.files.get(key);
    if (!content) throw notFound(`No such artifact: '${key}'`);
    return this.fileReply(key, content, false);
  }

  private uiVersionArtifact(req: ApiRequest): Reply {
    const p = new Params(req);
    const { v } = this.modelVersion(p.str('name', true)!, p.str('version', true)!);
    const path = p.str('path', true)!;
    checkPath(path);
    const key = artifactKey(this.downloadUri(v), path);
    const content = this.files.get(key);
    if (!content) throw notFound(`No such artifact: '${key}'`);
    return this.fileReply(key, content, false);
  }

  // ---- logged models ----

  private searchLoggedModels(req: ApiRequest): Reply {
    const p = new Params(req);
    const ids = new Set(p.list('experiment_ids') ?? []);
    const max = p.int('max_results') ?? 50;
    const list = [...this.loggedModels.values()].filter((m) => ids.has(m.experimentId)).sort((a, b) => b.creationTime - a.creationTime || (a.id < b.id ? -1 : 1));
    return pageReply('models', list, p.str('page_token'), max, (m) => this.loggedModelJson(m));
  }

  private loggedModelListing(id: string, req: ApiRequest): Reply {
    const m = this.loggedModel(id);
    const dir = (new Params(req).str('artifact_directory_path') ?? '').replace(/^\/+|\/+$/g, '');
    checkPath(dir);
    const files = this.listDir(artifactKey(m.artifactUri, dir)).map((c) => ({ path: dir ? `${dir}/${c.name}` : c.name, is_dir: c.isDir, ...(c.isDir ? {} : { file_size: c.size }) }));
    return { status: 200, json: { root_uri: m.artifactUri, ...(files.length ? { files } : {}) } };
  }

  private loggedModelFile(id: string, req: ApiRequest): Reply {
    const m = this.loggedModel(id);
    const path = new Params(req).str('artifact_file_path', true)!;
    checkPath(path);
    const key = artifactKey(m.artifactUri, path);
    const content = this.files.get(key);
    if (!content) throw notFound(`No such artifact: '${key}'`);
    return this.fileReply(key, content, false);
  }

  // ---- registry ----

  private createModel(req: ApiRequest): Reply {
    const p = new Params(req);
    const name = p.str('name', true)!;
    if (this.models.has(name)) throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
    const description = p.str('description');
    this.addRegisteredModel({ name, ...(description ? { description } : {}), tags: p.objects('tags').map((t) => [String(t.key), String(t.value ?? '')] as const) });
    return { status: 200, json: { registered_model: this.modelJson(this.model(name), false) } };
  }

  private updateModel(req: ApiRequest): Reply {
    const p = new Params(req);
    const m = this.model(p.str('name', true)!);
    const d = p.str('description');
    if (d !== undefined) m.description = d;
    m.lastUpdateTime = this.now();
    return { status: 200, json: { registered_model: this.modelJson(m, false) } };
  }

  private deleteModel(req: ApiRequest): Reply {
    const m = this.model(new Params(req).str('name', true)!);
    this.models.delete(m.name);
    return { status: 200, json: {} };
  }

  private setModelTag(req: ApiRequest): Reply {
    const p = new Params(req);
    const m = this.model(p.str('name', true)!);
    m.tags.set(p.str('key', true)!, p.str('value') ?? '');
    return { status: 200, json: {} };
  }

  private searchModels(req: ApiRequest): Reply {
    const p = new Params(req);
    const max = p.int('max_results', { max: 1000 }) ?? 100;
    const clauses = filterClauses(p.str('filter'));
    for (const c of clauses) if (c.entity === 'attribute' && c.key !== 'name') throw invalid(`Invalid attribute key '${c.key}' specified. Valid keys are '{'name'}'`);
    const order = orderKeys(p.list('order_by'));
    const get = (m: SModel, o: { entity: string; key: string }): string | number | undefined =>
      o.entity === 'tag' ? m.tags.get(o.key) : o.key === 'name' ? m.name : o.key === 'creation_timestamp' || o.key === 'timestamp' ? m.creationTime : o.key === 'last_updated_timestamp' ? m.lastUpdateTime : undefined;
    const list = [...this.models.values()]
      .filter((m) => clauses.every((c) => matches(c, get(m, c))))
      .sort((a, b) => {
        for (const o of order) {
          const c = compareValues(get(a, o), get(b, o), o.ascending);
          if (c) return c;
        }
        return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      });
    return pageReply('registered_models', list, p.str('page_token'), max, (m) => this.modelJson(m, true));
  }

  private latestVersionsReply(req: ApiRequest): Reply {
    const p = new Params(req);
    const m = this.model(p.str('name', true)!);
    const list = this.latestVersions(m, p.list('stages'));
    return { status: 200, json: list.length ? { model_versions: list.map((v) => this.versionJson(m, v, true)) } : {} };
  }

  private createVersion(req: ApiRequest): Reply {
    const p = new Params(req);
    const m = this.model(p.str('name', true)!);
    const source = p.str('source', true)!;
    const runId = p.str('run_id');
    if (runId) this.run(runId);
    const modelId = p.str('model_id') ?? /^models:\/(m-[^/]+)$/.exec(source)?.[1];
    if (modelId) this.loggedModel(modelId);
    const version = String(Math.max(0, ...[...m.versions.keys()].map(Number)) + 1);
    const t = this.now();
    const description = p.str('description') ?? '';
    m.versions.set(version, {
      version,
      creationTime: t,
      lastUpdateTime: t,
      stage: 'None',
      description,
      source,
      ...(runId ? { runId } : {}),
      ...(modelId ? { modelId } : {}),
      status: 'READY',
      tags: new Map(p.objects('tags').map((x) => [String(x.key), String(x.value ?? '')] as [string, string])),
    });
    m.lastUpdateTime = t;
    return { status: 200, json: { model_version: this.versionJson(m, m.versions.get(version)!, true) } };
  }

  private getVersion(req: ApiRequest): Reply {
    const p = new Params(req);
    const { m, v } = this.modelVersion(p.str('name', true)!, p.str('version', true)!);
    return { status: 200, json: { model_version: this.versionJson(m, v, true) } };
  }

  private searchVersions(req: ApiRequest): Reply {
    const p = new Params(req);
    const max = p.int('max_results', { max: 200000 }) ?? 10000;
    const clauses = filterClauses(p.str('filter'));
    const okAttrs = ['name', 'version_number', 'run_id', 'source_path', 'version'];
    for (const c of clauses) if (c.entity === 'attribute' && !okAttrs.includes(c.key)) throw invalid(`Invalid attribute key '${c.key}' specified. Valid keys are '${JSON.stringify(okAttrs)}'`);
    const order = orderKeys(p.list('order_by'));
    type Pair = { m: SModel; v: SVersion };
    const get = (x: Pair, o: { entity: string; key: string }): string | number | undefined => {
      if (o.entity === 'tag') return x.v.tags.get(o.key);
      switch (o.key) {
        case 'name':
          return x.m.name;
        case 'version_number':
          return Number(x.v.version);
        case 'version':
          return x.v.version;
        case 'run_id':
          return x.v.runId;
        case 'source_path':
          return x.v.source;
        case 'creation_timestamp':
          return x.v.creationTime;
        case 'last_updated_timestamp':
          return x.v.lastUpdateTime;
        default:
          return undefined;
      }
    };
    const list: Pair[] = [];
    for (const m of this.models.values()) for (const v of m.versions.values()) if (clauses.every((c) => matches(c, get({ m, v }, c)))) list.push({ m, v });
    list.sort((a, b) => {
      for (const o of order) {
        const c = compareValues(get(a, o), get(b, o), o.ascending);
        if (c) return c;
      }
      return (a.m.name < b.m.name ? -1 : a.m.name > b.m.name ? 1 : 0) || Number(a.v.version) - Number(b.v.version);
    });
    return pageReply('model_versions', list, p.str('page_token'), max, (x) => this.versionJson(x.m, x.v, false));
  }

  private getDownloadUri(req: ApiRequest): Reply {
    const p = new Params(req);
    const { v } = this.modelVersion(p.str('name', true)!, p.str('version', true)!);
    return { status: 200, json: { artifact_uri: this.downloadUri(v) } };
  }

  private setVersionTag(req: ApiRequest): Reply {
    const p = new Params(req);
    const { v } = this.modelVersion(p.str('name', true)!, p.str('version', true)!);
    v.tags.set(p.str('key', true)!, p.str('value') ?? '');
    return { status: 200, json: {} };
  }

  private deleteVersionTag(req: ApiRequest): Reply {
    const p = new Params(req);
    const { v } = this.modelVersion(p.str('name', true)!, p.str('version', true)!);
    v.tags.delete(p.str('key', true)!);
    return { status: 200, json: {} };
  }

  private updateVersion(req: ApiRequest): Reply {
    const p = new Params(req);
    const { m, v } = this.modelVersion(p.str('name', true)!, p.str('version', true)!);
    const d = p.str('description');
    if (d !== undefined) v.description = d;
    v.lastUpdateTime = this.now();
    return { status: 200, json: { model_version: this.versionJson(m, v, false) } };
  }

  private transitionStage(req: ApiRequest): Reply {
    const p = new Params(req);
    const { m, v } = this.modelVersion(p.str('name', true)!, p.str('version', true)!);
    const stage = p.str('stage', true)!;
    const canonical = ['None', 'Staging', 'Production', 'Archived'].find((s) => s.toLowerCase() === stage.toLowerCase());
    if (!canonical) throw invalid(`Invalid Model Version stage: ${stage}. Value must be one of None, Staging, Production, Archived.`);
    v.stage = canonical;
    v.lastUpdateTime = this.now();
    return { status: 200, json: { model_version: this.versionJson(m, v, false) } };
  }

  private getAlias(req: ApiRequest): Reply {
    const p = new Params(req);
    const m = this.model(p.str('name', true)!);
    const alias = p.str('alias', true)!;
    const version = m.aliases.get(alias);
    if (version === undefined) throw invalid(`Registered model alias ${alias} not found.`);
    const v = m.versions.get(version);
    if (!v) throw notFound(`Model Version (name=${m.name}, version=${version}) not found`);
    return { status: 200, json: { model_version: this.versionJson(m, v, true) } };
  }

  private setAlias(req: ApiRequest): Reply {
    const p = new Params(req);
    const name = p.str('name', true)!;
    const alias = p.str('alias', true)!;
    const version = p.str('version', true)!;
    if (/^v\d+$/i.test(alias) || alias.toLowerCase() === 'latest') {
      throw invalid(`'${alias}' alias name (case insensitive) is reserved.`);
    }
    const { m } = this.modelVersion(name, version);
    m.aliases.set(alias, version);
    return { status: 200, json: {} };
  }

  private deleteAlias(req: ApiRequest): Reply {
    const p = new Params(req);
    const m = this.model(p.str('name', true)!);
    m.aliases.delete(p.str('alias', true)!);
    return { status: 200, json: {} };
  }
}

// ---------------------------------------------------------------- shared bits

type View = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

function viewType(v: unknown): View {
  if (v === undefined || v === '') return 'ACTIVE_ONLY';
  if (v === 1 || v === '1' || v === 'ACTIVE_ONLY') return 'ACTIVE_ONLY';
  if (v === 2 || v === '2' || v === 'DELETED_ONLY') return 'DELETED_ONLY';
  if (v === 3 || v === '3' || v === 'ALL') return 'ALL';
  throw badValue('view_type', v);
}

function inView(stage: string, view: View): boolean {
  return view === 'ALL' || (view === 'ACTIVE_ONLY' ? stage === 'active' : stage === 'deleted');
}

function filterClauses(filter: string | undefined): Clause[] {
  try {
    return parseFilter(filter);
  } catch (e) {
    if (e instanceof FilterError) throw invalid(e.message);
    throw e;
  }
}

function orderKeys(orderBy: readonly string[] | undefined): OrderKey[] {
  try {
    return parseOrderBy(orderBy);
  } catch (e) {
    if (e instanceof FilterError) throw invalid(e.message);
    throw e;
  }
}

/** A page of `list` at the token's offset; a next token only when more items follow. */
function pageReply<T>(field: string, list: readonly T[], token: string | undefined, max: number, json: (x: T) => unknown): Reply {
  if (max < 1) throw badValue('max_results', max);
  const offset = offsetOf(token);
  const page = list.slice(offset, offset + max);
  const out: Record<string, unknown> = {};
  if (page.length) out[field] = page.map(json);
  if (offset + max < list.length) out.next_page_token = pageToken(offset + max);
  return { status: 200, json: out };
}
