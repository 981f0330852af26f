/**
 * MlflowClient: the tracking half of MLflow's REST API (experiments, runs, metric history,
 * artifacts, logged models). RegistryClient (core/registry) is the model-registry half; both
 * can share one MlflowHttp.
 */
import { cleanArtifactPath, downloadToFile, joinArtifactPath, proxyDownloadPath, proxyPathOf, safeDestination, type DownloadedFile, type DownloadOptions } from './artifacts';
import { MlflowError } from './errors';
import { MlflowHttp, type CallOptions, type MlflowConnectionOptions } from './http';
import { collect, followPages } from './paging';
import {
  toExperiment,
  toFileInfo,
  toLoggedModel,
  toMetric,
  toRun,
  toRunInfo,
  wireMetricValue,
  type ArtifactListing,
  type Experiment,
  type FileInfo,
  type LoggedModel,
  type Metric,
  type Page,
  type Run,
  type RunInfo,
  type RunMetric,
  type RunStatus,
  type ViewType,
  type WireExperiment,
  type WireFileInfo,
  type WireLoggedModel,
  type WireMetric,
  type WireRun,
  type WireRunInfo,
} from './types';

const API = '/api/2.0/mlflow';
/** metrics/get-history-bulk-interval exists only under the UI prefix */
const AJAX = '/ajax-api/2.0/mlflow';

export interface ExperimentSearch {
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  /** page size */
  readonly maxResults?: number;
  readonly viewType?: ViewType;
  readonly pageToken?: string;
}

export interface RunSearch {
  readonly experimentIds: readonly string[];
  /** MLflow's filter language: `metrics.acc > 0.9 and params.lr = '0.1'` (AND only) */
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  /** page size, 1..50000 (MLflow's default 1000) */
  readonly maxResults?: number;
  readonly viewType?: ViewType;
  readonly pageToken?: string;
}

export interface MetricInput {
  readonly key: string;
  readonly value: number;
  /** ms since epoch; default now */
  readonly timestamp?: number;
  readonly step?: number;
}

export interface NewRun {
  readonly experimentId: string;
  readonly runName?: string;
  /** ms since epoch; default now */
  readonly startTime?: number;
  readonly tags?: Readonly<Record<string, string>>;
  readonly userId?: string;
  /** sets the mlflow.parentRunId tag */
  readonly parentRunId?: string;
}

/** MLflow's limits per log-batch request */
const BATCH = { metrics: 1000, params: 100, tags: 100 };
/** at most this many runs per bulk-interval request (MLflow refuses more) */
const BULK_RUNS = 100;
export const DEFAULT_HISTORY_PAGE = 10_000;

function kv(record: Readonly<Record<string, string>> | undefined): { key: string; value: string }[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ key, value: String(value) }));
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class MlflowClient {
  readonly http: MlflowHttp;

  constructor(connection: MlflowConnectionOptions | MlflowHttp) {
    this.http = connection instanceof MlflowHttp ? connection : new MlflowHttp(connection);
  }

  /** the server's URL without credentials */
  get trackingUri(): string {
    return this.http.displayUri;
  }

  /** The server's version (GET /version), e.g. "3.11.2"; also a cheap reachability check. */
  async serverVersion(opts?: CallOptions): Promise<string> {
    return (await this.readText('/version', undefined, 64 * 1024, opts)).trim();
  }

  // ---- experiments ----

  async searchExperiments(q: ExperimentSearch = {}, opts?: CallOptions): Promise<Page<Experiment>> {
    const body = {
      ...(q.maxResults !== undefined ? { max_results: q.maxResults } : {}),
      ...(q.filter ? { filter: q.filter } : {}),
      ...(q.orderBy?.length ? { order_by: q.orderBy } : {}),
      ...(q.viewType ? { view_type: q.viewType } : {}),
      ...(q.pageToken ? { page_token: q.pageToken } : {}),
    };
    const r = await this.http.send<{ experiments?: WireExperiment[]; next_page_token?: string }>('POST', `${API}/experiments/search`, body, opts);
    return page((r.experiments ?? []).map(toExperiment), r.next_page_token);
  }

  searchExperimentsPages(q: ExperimentSearch = {}, opts?: CallOptions): AsyncGenerator<Page<Experiment>, void, undefined> {
    return followPages((pageToken) => this.searchExperiments({ ...q, pageToken }, opts), 'experiments/search', q.pageToken);
  }

  async getExperiment(experimentId: string, opts?: CallOptions): Promise<Experiment> {
    const r = await this.http.get<{ experiment?: WireExperiment }>(`${API}/experiments/get`, { experiment_id: experimentId }, opts);
    return toExperiment(this.required(r.experiment, 'experiment', 'experiments/get'));
  }

  /** Throws MlflowError kind 'not-found' when there is none; see findExperimentByName. */
  async getExperimentByName(name: string, opts?: CallOptions): Promise<Experiment> {
    const r = await this.http.get<{ experiment?: WireExperiment }>(`${API}/experiments/get-by-name`, { experiment_name: name }, opts);
    return toExperiment(this.required(r.experiment, 'experiment', 'experiments/get-by-name'));
  }

  /** undefined when no experiment has this name */
  async findExperimentByName(name: string, opts?: CallOptions): Promise<Experiment | undefined> {
    try {
      return await this.getExperimentByName(name, opts);
    } catch (e) {
      if (e instanceof MlflowError && e.kind === 'not-found') return undefined;
      throw e;
    }
  }

  /** The new experiment's id. An existing name is MlflowError 'bad-request' with errorCode RESOURCE_ALREADY_EXISTS. */
  async createExperiment(name: string, extra: { artifactLocation?: string; tags?: Readonly<Record<string, string>> } = {}, opts?: CallOptions): Promise<string> {
    const body = { name, ...(extra.artifactLocation ? { artifact_location: extra.artifactLocation } : {}), ...(extra.tags ? { tags: kv(extra.tags) } : {}) };
    const r = await this.http.send<{ experiment_id?: string }>('POST', `${API}/experiments/create`, body, opts);
    return this.required(r.experiment_id, 'experiment_id', 'experiments/create');
  }

  // ---- runs ----

  async searchRuns(q: RunSearch, opts?: CallOptions): Promise<Page<Run>> {
    const body = {
      experiment_ids: q.experimentIds,
      ...(q.filter ? { filter: q.filter } : {}),
      ...(q.viewType ? { run_view_type: q.viewType } : {}),
      ...(q.maxResults !== undefined ? { max_results: q.maxResults } : {}),
      ...(q.orderBy?.length ? { order_by: q.orderBy } : {}),
      ...(q.pageToken ? { page_token: q.pageToken } : {}),
    };
    const r = await this.http.send<{ runs?: WireRun[]; next_page_token?: string }>('POST', `${API}/runs/search`, body, opts);
    return page((r.runs ?? []).map(toRun), r.next_page_token);
  }

  /** `for await (const page of client.searchRunsPages(q))`: one request per page asked for. */
  searchRunsPages(q: RunSearch, opts?: CallOptions): AsyncGenerator<Page<Run>, void, undefined> {
    return followPages((pageToken) => this.searchRuns({ ...q, pageToken }, opts), 'runs/search', q.pageToken);
  }

  async getRun(runId: string, opts?: CallOptions): Promise<Run> {
    const r = await this.http.get<{ run?: WireRun }>(`${API}/runs/get`, { run_id: runId }, opts);
    return toRun(this.required(r.run, 'run', 'runs/get'));
  }

  async createRun(run: NewRun, opts?: CallOptions): Promise<Run> {
    const tags = { ...(run.tags ?? {}), ...(run.parentRunId ? { 'mlflow.parentRunId': run.parentRunId } : {}) };
    const body = {
      experiment_id: run.experimentId,
      ...(run.runName ? { run_name: run.runName } : {}),
      start_time: run.startTime ?? Date.now(),
      ...(Object.keys(tags).length ? { tags: kv(tags) } : {}),
      ...(run.userId ? { user_id: run.userId } : {}),
    };
    const r = await this.http.send<{ run?: WireRun }>('POST', `${API}/runs/create`, body, opts);
    return toRun(this.required(r.run, 'run', 'runs/create'));
  }

  async updateRun(runId: string, update: { status?: RunStatus; endTime?: number; runName?: string }, opts?: CallOptions): Promise<RunInfo> {
    const body = {
      run_id: runId,
      ...(update.status ? { status: update.status } : {}),
      ...(update.endTime !== undefined ? { end_time: update.endTime } : {}),
      ...(update.runName ? { run_name: update.runName } : {}),
    };
    const r = await this.http.send<{ run_info?: WireRunInfo }>('POST', `${API}/runs/update`, body, opts);
    return toRunInfo(this.required(r.run_info, 'run_info', 'runs/update'));
  }

  async deleteRun(runId: string, opts?: CallOptions): Promise<void> {
    await this.http.send('POST', `${API}/runs/delete`, { run_id: runId }, opts);
  }

  async restoreRun(runId: string, opts?: CallOptions): Promise<void> {
    await this.http.send('POST', `${API}/runs/restore`, { run_id: runId }, opts);
  }

  async logMetric(runId: string, metric: MetricInput, opts?: CallOptions): Promise<void> {
    await this.http.send('POST', `${API}/runs/log-metric`, { run_id: runId, ...wireMetric(metric) }, opts);
  }

  /** A param cannot change once logged: a different value is MlflowError 'bad-request'. */
  async logParam(runId: string, key: string, value: string | number | boolean, opts?: CallOptions): Promise<void> {
    await this.http.send('POST', `${API}/runs/log-parameter`, { run_id: runId, key, value: String(value) }, opts);
  }

  async setTag(runId: string, key: string, value: string, opts?: CallOptions): Promise<void> {
    await this.http.send('POST', `${API}/runs/set-tag`, { run_id: runId, key, value }, opts);
  }

  /** Split into requests within MLflow's limits (1000 metrics, 100 params, 100 tags each). */
  async logBatch(
    runId: string,
    batch: { metrics?: readonly MetricInput[]; params?: Readonly<Record<string, string | number | boolean>>; tags?: Readonly<Record<string, string>> },
    opts?: CallOptions,
  ): Promise<void> {
    const params = Object.entries(batch.params ?? {}).map(([key, value]) => ({ key, value: String(value) }));
    const tags = kv(batch.tags);
    const metrics = (batch.metrics ?? []).map(wireMetric);
    const requests: object[] = [
      ...chunks(params, BATCH.params).map((p) => ({ params: p })),
      ...chunks(tags, BATCH.tags).map((t) => ({ tags: t })),
      ...chunks(metrics, BATCH.metrics).map((m) => ({ metrics: m })),
    ];
    // one request when everything fits, as MLflow's own client does
    if (params.length <= BATCH.params && tags.length <= BATCH.tags && metrics.length <= BATCH.metrics && params.length + tags.length + metrics.length <= BATCH.metrics) {
      requests.splice(0, requests.length, { ...(metrics.length ? { metrics } : {}), ...(params.length ? { params } : {}), ...(tags.length ? { tags } : {}) });
    }
    for (const body of requests) await this.http.send('POST', `${API}/runs/log-batch`, { run_id: runId, ...body }, opts);
  }

  // ---- metric history ----

  /**
   * One page of a metric's history. max_results is always sent: without it MLflow returns no
   * points and a token that points at the start again.
   */
  async getMetricHistoryPage(runId: string, key: string, pageSize = DEFAULT_HISTORY_PAGE, pageToken?: string, opts?: CallOptions): Promise<Page<Metric>> {
    const size = Math.max(1, Math.floor(pageSize));
    const r = await this.http.get<{ metrics?: WireMetric[]; next_page_token?: string }>(
      `${API}/metrics/get-history`,
      { run_id: runId, metric_key: key, max_results: size, ...(pageToken ? { page_token: pageToken } : {}) },
      opts,
    );
    const items = (r.metrics ?? []).map(toMetric);
    if (!items.length && r.next_page_token) {
      throw new MlflowError('protocol', `MLflow at ${this.trackingUri} answered metrics/get-history for "${key}" with no points but another page: stopped instead of looping`);
    }
    return page(items, r.next_page_token);
  }

  getMetricHistoryPages(runId: string, key: string, pageSize = DEFAULT_HISTORY_PAGE, opts?: CallOptions): AsyncGenerator<Page<Metric>, void, undefined> {
    return followPages((token) => this.getMetricHistoryPage(runId, key, pageSize, token, opts), `metrics/get-history "${key}"`);
  }

  /** The whole history (or its first `limit` points), in the server's order (by step, then time). */
  getMetricHistory(runId: string, key: string, options: { pageSize?: number; limit?: number } = {}, opts?: CallOptions): Promise<Metric[]> {
    return collect(this.getMetricHistoryPages(runId, key, options.pageSize, opts), options.limit);
  }

  /**
   * A metric of several runs, sampled by MLflow to about `maxResults` steps per run (always
   * keeping each run's first and last step), for charts. Runs are sent 100 per request.
   */
  async getMetricHistoryBulkInterval(
    runIds: readonly string[],
    key: string,
    options: { maxResults?: number; startStep?: number; endStep?: number } = {},
    opts?: CallOptions,
  ): Promise<RunMetric[]> {
    const out: RunMetric[] = [];
    for (const ids of chunks(runIds, BULK_RUNS)) {
      const r = await this.http.get<{ metrics?: WireMetric[] }>(
        `${AJAX}/metrics/get-history-bulk-interval`,
        {
          run_ids: ids,
          metric_key: key,
          ...(options.startStep !== undefined ? { start_step: options.startStep } : {}),
          ...(options.endStep !== undefined ? { end_step: options.endStep } : {}),
          ...(options.maxResults !== undefined ? { max_results: options.maxResults } : {}),
        },
        opts,
      );
      for (const m of r.metrics ?? []) out.push({ ...toMetric(m), runId: m.run_id ?? '' });
    }
    return out;
  }

  // ---- artifacts ----

  /** One folder of a run's artifacts (`path` relative to the run's root; listed paths are too). */
  async listArtifacts(runId: string, path?: string, opts?: CallOptions): Promise<ArtifactListing> {
    const clean = path ? cleanArtifactPath(path) : undefined;
    let rootUri: string | undefined;
    const files = await collect(
      followPages(async (token) => {
        const r = await this.http.get<{ root_uri?: string; files?: WireFileInfo[]; next_page_token?: string }>(
          `${API}/artifacts/list`,
          { run_id: runId, ...(clean ? { path: clean } : {}), ...(token ? { page_token: token } : {}) },
          opts,
        );
        rootUri ??= r.root_uri;
        return page((r.files ?? []).map(toFileInfo), r.next_page_token);
      }, 'artifacts/list'),
    );
    return { ...(rootUri !== undefined ? { rootUri } : {}), files };
  }

  /** The artifact proxy's listing of `proxyPath` (e.g. `1/<run>/artifacts/config`): basenames. */
  async listArtifactsProxy(proxyPath: string, opts?: CallOptions): Promise<FileInfo[]> {
    const r = await this.http.get<{ files?: WireFileInfo[] }>(`/api/2.0/mlflow-artifacts/artifacts`, { path: cleanArtifactPath(proxyPath) }, opts);
    return (r.files ?? []).map(toFileInfo);
  }

  /** The request that downloads one run artifact: the proxy for mlflow-artifacts:/ roots, /get-artifact otherwise. */
  artifactRequest(runId: string, artifactUri: string | undefined, path: string): { path: string; query?: Record<string, string> } {
    const clean = cleanArtifactPath(path);
    const proxy = proxyPathOf(artifactUri);
    return proxy !== undefined ? { path: proxyDownloadPath(joinArtifactPath(proxy, clean)) } : { path: '/get-artifact', query: { run_uuid: runId, path: clean } };
  }

  /**
   * Streams one artifact file to `<destDir>/<path>`. `artifactUri` (the run's root) saves a
   * runs/get. A path that leaves destDir is refused.
   */
  async downloadArtifact(runId: string, path: string, destDir: string, opts: DownloadOptions & { artifactUri?: string } = {}): Promise<DownloadedFile> {
    const file = safeDestination(destDir, path);
    const root = opts.artifactUri ?? (await this.getRun(runId, opts)).info.artifactUri;
    return downloadToFile(this.http, this.artifactRequest(runId, root, path), destDir, file, cleanArtifactPath(path), opts);
  }

  /**
   * A file or a whole folder of a run's artifacts into destDir, each at `<destDir>/<artifact path>`
   * (`path` '' for everything). Paths the server lists are checked like the caller's.
   */
  async downloadArtifacts(runId: string, path: string, destDir: string, opts: DownloadOptions = {}): Promise<DownloadedFile[]> {
    const base = path ? cleanArtifactPath(path) : '';
    const run = await this.getRun(runId, opts);
    const files: { path: string; size?: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      const listing = await this.listArtifacts(runId, dir || undefined, opts);
      for (const f of listing.files) {
        const p = cleanArtifactPath(f.path, 'server');
        if (dir && !p.startsWith(`${dir}/`)) throw new MlflowError('protocol', `the server listed ${JSON.stringify(f.path)} inside ${JSON.stringify(dir)}: refused`);
        if (f.isDir) await walk(p);
        else files.push({ path: p, ...(f.fileSize !== undefined ? { size: f.fileSize } : {}) });
      }
    };
    await walk(base);
    // `path` named a file, not a folder: the listing of a file is empty
    if (!files.length && base) files.push({ path: base });
    const out: DownloadedFile[] = [];
    for (const f of files) {
      const file = safeDestination(destDir, f.path, 'server');
      out.push(
        await downloadToFile(this.http, this.artifactRequest(runId, run.info.artifactUri, f.path), destDir, file, f.path, {
          ...opts,
          ...(opts.onProgress ? { onProgress: (p) => opts.onProgress!({ ...p, filesDone: out.length, filesTotal: files.length }) } : {}),
        }),
      );
    }
    return out;
  }

  /** A small artifact's bytes (config, metrics JSON); refuses more than maxBytes (default 4 MB). */
  async readArtifact(runId: string, path: string, options: { artifactUri?: string; maxBytes?: number } = {}, opts?: CallOptions): Promise<Buffer> {
    const root = options.artifactUri ?? (await this.getRun(runId, opts)).info.artifactUri;
    const req = this.artifactRequest(runId, root, path);
    return this.readBytes(req.path, req.query, options.maxBytes ?? 4 * 1024 * 1024, opts);
  }

  // ---- logged models (MLflow 3) ----

  async getLoggedModel(modelId: string, opts?: CallOptions): Promise<LoggedModel> {
    const r = await this.http.get<{ model?: WireLoggedModel }>(`${API}/logged-models/${encodeURIComponent(modelId)}`, undefined, opts);
    return toLoggedModel(this.required(r.model, 'model', 'logged-models/get'));
  }

  /** A logged model's artifact folder (`path` relative to the model's root). */
  async listLoggedModelArtifacts(modelId: string, path?: string, opts?: CallOptions): Promise<ArtifactListing> {
    const r = await this.http.get<{ root_uri?: string; files?: WireFileInfo[] }>(
      `${API}/logged-models/${encodeURIComponent(modelId)}/artifacts/directories`,
      path ? { artifact_directory_path: cleanArtifactPath(path) } : undefined,
      opts,
    );
    return { ...(r.root_uri !== undefined ? { rootUri: r.root_uri } : {}), files: (r.files ?? []).map(toFileInfo) };
  }

  // ---- helpers ----

  async readBytes(path: string, query: Record<string, string> | undefined, maxBytes: number, opts?: CallOptions): Promise<Buffer> {
    const res = await this.http.open('GET', path, query, undefined, opts);
    try {
      const parts: Uint8Array[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += chunk.length;
          if (size > maxBytes) throw new MlflowError('bad-request', `${path} is larger than ${maxBytes} bytes: download it instead`);
          parts.push(chunk);
        }
      } catch (e) {
        throw res.failure(e);
      }
      return Buffer.concat(parts);
    } finally {
      res.close();
    }
  }

  private async readText(path: string, query: Record<string, string> | undefined, maxBytes: number, opts?: CallOptions): Promise<string> {
    return (await this.readBytes(path, query, maxBytes, opts)).toString('utf8');
  }

  private required<T>(value: T | undefined, field: string, endpoint: string): T {
    if (value === undefined || value === null) {
      throw new MlflowError('protocol', `MLflow at ${this.trackingUri} answered ${endpoint} without "${field}" — is tracking.uri pointing at MLflow?`);
    }
    return value;
  }
}

function page<T>(items: T[], token: string | undefined): Page<T> {
  return token ? { items, nextPageToken: token } : { items };
}

function wireMetric(m: MetricInput): { key: string; value: number | string; timestamp: number; step: number } {
  return { key: m.key, value: wireMetricValue(m.value), timestamp: m.timestamp ?? Date.now(), step: m.step ?? 0 };
}

export type { DownloadedFile, DownloadOptions, DownloadProgress } from './artifacts';
