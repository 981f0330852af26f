/**
 * RegistryClient: MLflow's model registry over REST (registered models, versions, tags,
 * aliases). Stages are deprecated in MLflow: aliases are the way to promote.
 */
import { cleanArtifactPath, downloadToFile, joinArtifactPath, proxyDownloadPath, proxyPathOf, safeDestination, type DownloadedFile, type DownloadOptions } from '../tracking/artifacts';
import { MlflowError } from '../tracking/errors';
import { MlflowHttp, type CallOptions, type MlflowConnectionOptions } from '../tracking/http';
import { collect, followPages } from '../tracking/paging';
import { toFileInfo, toRun, type FileInfo, type Page, type WireFileInfo, type WireRun } from '../tracking/types';
import { toModelVersion, toRegisteredModel, type ModelVersion, type RegisteredModel, type WireModelVersion, type WireRegisteredModel } from './types';

const API = '/api/2.0/mlflow';

export interface RegistrySearch {
  /** e.g. `name LIKE 'churn%'`, `tags.domain = 'x'`, for versions `name = 'm'` */
  readonly filter?: string;
  readonly orderBy?: readonly string[];
  /** page size */
  readonly maxResults?: number;
  readonly pageToken?: string;
}

export interface NewModelVersion {
  readonly name: string;
  /** `models:/m-...` for a logged model, else the artifact URI of the model folder */
  readonly source: string;
  readonly runId?: string;
  readonly modelId?: string;
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A string literal for MLflow's filter language. */
export function filterLiteral(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  throw new MlflowError('bad-request', `${JSON.stringify(value)} has both kinds of quote: MLflow's filter language cannot express it`);
}

function kv(record: Readonly<Record<string, string>> | undefined): { key: string; value: string }[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ key, value }));
}

function page<T>(items: T[], token: string | undefined): Page<T> {
  return token ? { items, nextPageToken: token } : { items };
}

export class RegistryClient {
  readonly http: MlflowHttp;

  constructor(connection: MlflowConnectionOptions | MlflowHttp) {
    this.http = connection instanceof MlflowHttp ? connection : new MlflowHttp(connection);
  }

  get trackingUri(): string {
    return this.http.displayUri;
  }

  // ---- registered models ----

  async searchRegisteredModels(q: RegistrySearch = {}, opts?: CallOptions): Promise<Page<RegisteredModel>> {
    const r = await this.http.get<{ registered_models?: WireRegisteredModel[]; next_page_token?: string }>(
      `${API}/registered-models/search`,
      {
        ...(q.filter ? { filter: q.filter } : {}),
        ...(q.maxResults !== undefined ? { max_results: q.maxResults } : {}),
        ...(q.orderBy?.length ? { order_by: q.orderBy } : {}),
        ...(q.pageToken ? { page_token: q.pageToken } : {}),
      },
      opts,
    );
    return page((r.registered_models ?? []).map(toRegisteredModel), r.next_page_token);
  }

  searchRegisteredModelsPages(q: RegistrySearch = {}, opts?: CallOptions): AsyncGenerator<Page<RegisteredModel>, void, undefined> {
    return followPages((pageToken) => this.searchRegisteredModels({ ...q, pageToken }, opts), 'registered-models/search', q.pageToken);
  }

  async getRegisteredModel(name: string, opts?: CallOptions): Promise<RegisteredModel> {
    const r = await this.http.get<{ registered_model?: WireRegisteredModel }>(`${API}/registered-models/get`, { name }, opts);
    return toRegisteredModel(this.required(r.registered_model, 'registered_model', 'registered-models/get'));
  }

  /** An existing name is MlflowError 'bad-request' with errorCode RESOURCE_ALREADY_EXISTS. */
  async createRegisteredModel(name: string, extra: { description?: string; tags?: Readonly<Record<string, string>> } = {}, opts?: CallOptions): Promise<RegisteredModel> {
    const body = { name, ...(extra.description ? { description: extra.description } : {}), ...(extra.tags ? { tags: kv(extra.tags) } : {}) };
    const r = await this.http.send<{ registered_model?: WireRegisteredModel }>('POST', `${API}/registered-models/create`, body, opts);
    return toRegisteredModel(this.required(r.registered_model, 'registered_model', 'registered-models/create'));
  }

  // ---- model versions ----

  async searchModelVersions(q: RegistrySearch = {}, opts?: CallOptions): Promise<Page<ModelVersion>> {
    const r = await this.http.get<{ model_versions?: WireModelVersion[]; next_page_token?: string }>(
      `${API}/model-versions/search`,
      {
        ...(q.filter ? { filter: q.filter } : {}),
        ...(q.maxResults !== undefined ? { max_results: q.maxResults } : {}),
        ...(q.orderBy?.length ? { order_by: q.orderBy } : {}),
        ...(q.pageToken ? { page_token: q.pageToken } : {}),
      },
      opts,
    );
    return page((r.model_versions ?? []).map(toModelVersion), r.next_page_token);
  }

  searchModelVersionsPages(q: RegistrySearch = {}, opts?: CallOptions): AsyncGenerator<Page<ModelVersion>, void, undefined> {
    return followPages((pageToken) => this.searchModelVersions({ ...q, pageToken }, opts), 'model-versions/search', q.pageToken);
  }

  /** Every version of one model, newest first. Searches leave `aliases` empty: see the model's. */
  versionsOf(name: string, opts?: CallOptions): Promise<ModelVersion[]> {
    return collect(this.searchModelVersionsPages({ filter: `name=${filterLiteral(name)}`, orderBy: ['version_number DESC'], maxResults: 1000 }, opts));
  }

  async getModelVersion(name: string, version: string | number, opts?: CallOptions): Promise<ModelVersion> {
    const r = await this.http.get<{ model_version?: WireModelVersion }>(`${API}/model-versions/get`, { name, version: String(version) }, opts);
    return toModelVersion(this.required(r.model_version, 'model_version', 'model-versions/get'));
  }

  async createModelVersion(v: NewModelVersion, opts?: CallOptions): Promise<ModelVersion> {
    const body = {
      name: v.name,
      source: v.source,
      ...(v.runId ? { run_id: v.runId } : {}),
      ...(v.modelId ? { model_id: v.modelId } : {}),
      ...(v.description ? { description: v.description } : {}),
      ...(v.tags ? { tags: kv(v.tags) } : {}),
    };
    const r = await this.http.send<{ model_version?: WireModelVersion }>('POST', `${API}/model-versions/create`, body, opts);
    return toModelVersion(this.required(r.model_version, 'model_version', 'model-versions/create'));
  }

  /** Registers the folder `artifactPath` of a run's artifacts (what `runs:/<run>/<path>` names). */
  async createModelVersionFromRun(name: string, runId: string, artifactPath: string, extra: { description?: string; tags?: Readonly<Record<string, string>> } = {}, opts?: CallOptions): Promise<ModelVersion> {
    const r = await this.http.get<{ run?: WireRun }>(`${API}/runs/get`, { run_id: runId }, opts);
    const root = toRun(this.required(r.run, 'run', 'runs/get')).info.artifactUri;
    if (!root) throw new MlflowError('protocol', `MLflow at ${this.trackingUri} gave run ${runId} no artifact URI`);
    const source = `${root.replace(/\/+$/, '')}/${cleanArtifactPath(artifactPath)}`;
    return this.createModelVersion({ name, source, runId, ...extra }, opts);
  }

  /** Registers an MLflow 3 logged model (`models:/<modelId>`). */
  createModelVersionFromLoggedModel(name: string, modelId: string, extra: { runId?: string; description?: string; tags?: Readonly<Record<string, string>> } = {}, opts?: CallOptions): Promise<ModelVersion> {
    return this.createModelVersion({ name, source: `models:/${modelId}`, modelId, ...extra }, opts);
  }

  /** Where the version's files are, e.g. `mlflow-artifacts:/1/models/m-.../artifacts`. */
  async getModelVersionDownloadUri(name: string, version: string | number, opts?: CallOptions): Promise<string> {
    const r = await this.http.get<{ artifact_uri?: string }>(`${API}/model-versions/get-download-uri`, { name, version: String(version) }, opts);
    return this.required(r.artifact_uri, 'artifact_uri', 'model-versions/get-download-uri');
  }

  async setModelVersionTag(name: string, version: string | number, key: string, value: string, opts?: CallOptions): Promise<void> {
    await this.http.send('POST', `${API}/model-versions/set-tag`, { name, version: String(version), key, value }, opts);
  }

  async deleteModelVersionTag(name: string, version: string | number, key: string, opts?: CallOptions): Promise<void> {
    await this.http.send('DELETE', `${API}/model-versions/delete-tag`, { name, version: String(version), key }, opts);
  }

  // ---- aliases ----

  /** The version an alias points at. A missing alias is HTTP 400 in MLflow; here it is kind 'not-found'. */
  async getModelVersionByAlias(name: string, alias: string, opts?: CallOptions): Promise<ModelVersion> {
    try {
      const r = await this.http.get<{ model_version?: WireModelVersion }>(`${API}/registered-models/alias`, { name, alias }, opts);
      return toModelVersion(this.required(r.model_version, 'model_version', 'registered-models/alias'));
    } catch (e) {
      if (e instanceof MlflowError && e.kind === 'bad-request' && /alias .* not found/i.test(e.serverMessage ?? '')) {
        throw new MlflowError('not-found', `model ${name} has no alias "${alias}" (${this.trackingUri})`, {
          ...(e.status !== undefined ? { status: e.status } : {}),
          ...(e.errorCode ? { errorCode: e.errorCode } : {}),
          ...(e.serverMessage ? { serverMessage: e.serverMessage } : {}),
          ...(e.endpoint ? { endpoint: e.endpoint } : {}),
          cause: e,
        });
      }
      throw e;
    }
  }

  /** Points `alias` at `version` (moving it if it pointed elsewhere). */
  async setAlias(name: string, alias: string, version: string | number, opts?: CallOptions): Promise<void> {
    await this.http.send('POST', `${API}/registered-models/alias`, { name, alias, version: String(version) }, opts);
  }

  /** MLflow reads DELETE parameters from a JSON body; query parameters are ignored (HTTP 400). */
  async deleteAlias(name: string, alias: string, opts?: CallOptions): Promise<void> {
    await this.http.send('DELETE', `${API}/registered-models/alias`, { name, alias }, opts);
  }

  // ---- files ----

  /** One file of a version (e.g. MLmodel) to `<destDir>/<path>`, through model-versions/get-artifact (any store). */
  downloadModelVersionFile(name: string, version: string | number, path: string, destDir: string, opts: DownloadOptions = {}): Promise<DownloadedFile> {
    const clean = cleanArtifactPath(path);
    const file = safeDestination(destDir, clean);
    return downloadToFile(this.http, { path: '/model-versions/get-artifact', query: { name, version: String(version), path: clean } }, destDir, file, clean, opts);
  }

  /**
   * Downloads every file of a version into destDir: through the artifact proxy for
   * mlflow-artifacts:/ stores, else (a logged model) through model-versions/get-artifact.
   */
  async downloadModelVersion(name: string, version: string | number, destDir: string, opts: DownloadOptions = {}): Promise<DownloadedFile[]> {
    const uri = await this.getModelVersionDownloadUri(name, version, opts);
    const proxy = proxyPathOf(uri);
    const files: string[] = [];
    let request: (path: string) => { path: string; query?: Record<string, string> };
    if (proxy !== undefined) {
      const walk = async (rel: string): Promise<void> => {
        const r = await this.http.get<{ files?: WireFileInfo[] }>('/api/2.0/mlflow-artifacts/artifacts', { path: joinArtifactPath(proxy, rel) }, opts);
        for (const f of (r.files ?? []).map(toFileInfo)) {
          const base = cleanArtifactPath(f.path, 'server');
          if (base.includes('/')) throw new MlflowError('protocol', `the artifact proxy listed ${JSON.stringify(f.path)}, not a name: refused`);
          const p = joinArtifactPath(rel, base);
          if (f.isDir) await walk(p);
          else files.push(p);
        }
      };
      await walk('');
      request = (p) => ({ path: proxyDownloadPath(joinArtifactPath(proxy, p)) });
    } else {
      const mv = await this.getModelVersion(name, version, opts);
      const modelId = mv.modelId ?? /^models:\/(m-[^/]+)$/.exec(mv.source ?? '')?.[1];
      if (!modelId) {
        throw new MlflowError('bad-request', `${name} v${version} is stored at ${uri}, which MLflow does not serve over HTTP: download it with that store's own tools`);
      }
      const walk = async (rel: string): Promise<void> => {
        const r = await this.http.get<{ files?: WireFileInfo[] }>(`${API}/logged-models/${encodeURIComponent(modelId)}/artifacts/directories`, rel ? { artifact_directory_path: rel } : undefined, opts);
        for (const f of (r.files ?? []).map(toFileInfo) as FileInfo[]) {
          const p = cleanArtifactPath(f.path, 'server');
          if (rel && !p.startsWith(`${rel}/`)) throw new MlflowError('protocol', `the server listed ${JSON.stringify(f.path)} inside ${JSON.stringify(rel)}: refused`);
          if (f.isDir) await walk(p);
          else files.push(p);
        }
      };
      await walk('');
      request = (p) => ({ path: '/model-versions/get-artifact', query: { name, version: String(version), path: p } });
    }
    const out: DownloadedFile[] = [];
    for (const p of files) {
      const file = safeDestination(destDir, p, 'server');
      out.push(
        await downloadToFile(this.http, request(p), destDir, file, p, {
          ...opts,
          ...(opts.onProgress ? { onProgress: (x) => opts.onProgress!({ ...x, filesDone: out.length, filesTotal: files.length }) } : {}),
        }),
      );
    }
    return out;
  }

  private required<T>(value: T | undefined, field: string, endpoint: string): T {
    if (value === undefined || value === null) {
      throw new MlflowError('protocol', `MLflow at ${this.trackingUri} answered ${endpoint} without "${field}" — is tracking.uri pointing at MLflow?`);
    }
    return value;
  }
}
