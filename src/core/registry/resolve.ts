/**
 * `models:/NAME@ALIAS` and `models:/NAME/VERSION` through the MLflow registry: the version, the
 * metrics of the run that produced it (for model.gates), and its files downloaded once into a
 * cache folder (`<cacheDir>/<name>/<version>/`), for serving, the Try panel and serving images.
 *
 *   const models = new RegistryModels({ registry, mlflow, cacheDir });
 *   const m = await models.deployModel('models:/churn@champion');   // → DeployModel (deploy, image)
 *   const r = await models.serveModel('models:/churn/3');           // → { path, name, version } (serve)
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DeployModel } from '../deploy/types';
import type { MlflowClient } from '../tracking/client';
import { MlflowError } from '../tracking/errors';
import type { RegistryClient } from './client';
import type { ModelVersion } from './types';

/** What a `models:/` URI names: a version by number, by alias, or the newest version. */
export type ModelsUri = { readonly name: string } & ({ readonly version: string } | { readonly alias: string } | { readonly latest: true });

/** A `models:/` URI that cannot name a version: says what the accepted forms are. */
export class ModelsUriError extends Error {}

const FORMS = 'models:/NAME@ALIAS, models:/NAME/VERSION or models:/NAME/latest';

/** Parses `models:/NAME@ALIAS`, `models:/NAME/3`, `models:/NAME/latest` (MLflow's forms; stages are not supported). */
export function parseModelsUri(uri: string): ModelsUri {
  const m = /^models:\/(.+)$/.exec(uri.trim());
  if (!m) throw new ModelsUriError(`${JSON.stringify(uri)} is not a models:/ URI: use ${FORMS}`);
  const rest = m[1]!;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const name = rest.slice(0, at);
    const alias = rest.slice(at + 1);
    if (!name || !alias || name.includes('/') || alias.includes('/')) throw new ModelsUriError(`${uri}: expected ${FORMS}`);
    return { name, alias };
  }
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) throw new ModelsUriError(`${uri} names no version: use ${FORMS}`);
  const name = rest.slice(0, slash);
  const which = rest.slice(slash + 1);
  if (name.includes('/')) throw new ModelsUriError(`${uri}: a model name has no "/": use ${FORMS}`);
  if (which === 'latest') return { name, latest: true };
  if (/^[1-9][0-9]*$/.test(which)) return { name, version: which };
  throw new ModelsUriError(`${uri}: "${which}" is neither a version number nor "latest" (stages such as Production are deprecated in MLflow: use an alias, models:/${name}@ALIAS)`);
}

export interface RegistryModelsOptions {
  readonly registry: RegistryClient;
  /** reads the run's metrics (for model.gates); without it a version has no metrics and gates fail closed */
  readonly mlflow?: MlflowClient;
  /** where versions are downloaded to (one folder per name and version, reused) */
  readonly cacheDir: string;
  /**
   * Downloads an artifact location MLflow does not serve over HTTP (s3://, a MinIO bucket) to a
   * local folder: the artifact store's fetchToLocal. Without it such versions fail with a clear error.
   */
  readonly fetchToLocal?: (uri: string, signal?: AbortSignal) => Promise<string>;
  readonly timeoutMs?: number;
}

/** A downloaded version: the folder, and the .onnx file in it. */
export interface LocalVersion {
  readonly dir: string;
  readonly onnx: string;
}

const COMPLETE = '.slipway-complete';

export class RegistryModels {
  constructor(private readonly o: RegistryModelsOptions) {}

  /** The registry version a URI names. */
  async version(uri: string, signal?: AbortSignal): Promise<ModelVersion> {
    const ref = parseModelsUri(uri);
    const opts = { ...(signal ? { signal } : {}), ...(this.o.timeoutMs ? { timeoutMs: this.o.timeoutMs } : {}) };
    if ('alias' in ref) return this.o.registry.getModelVersionByAlias(ref.name, ref.alias, opts);
    if ('version' in ref) return this.o.registry.getModelVersion(ref.name, ref.version, opts);
    const newest = (await this.o.registry.versionsOf(ref.name, opts)).sort((a, b) => Number(b.version) - Number(a.version))[0];
    if (!newest) throw new MlflowError('not-found', `${uri}: the registry has no version of ${ref.name} (register one first: Register Model…)`);
    return newest;
  }

  /** The latest value of each metric of the version's run (what model.gates are checked against). */
  async metrics(version: ModelVersion, signal?: AbortSignal): Promise<Record<string, number>> {
    if (!this.o.mlflow || !version.runId) return {};
    const run = await this.o.mlflow.getRun(version.runId, { ...(signal ? { signal } : {}), ...(this.o.timeoutMs ? { timeoutMs: this.o.timeoutMs } : {}) });
    const out: Record<string, number> = {};
    for (const [k, m] of Object.entries(run.metrics)) out[k] = m.value;
    return out;
  }

  /**
   * The version's files in `<cacheDir>/<name>/<version>/` (downloaded once: a marker file says
   * the folder is complete; a half-finished download is never used).
   */
  async download(version: ModelVersion, signal?: AbortSignal): Promise<LocalVersion> {
    const dir = join(this.o.cacheDir, safeSegment(version.name), safeSegment(version.version));
    if (existsSync(join(dir, COMPLETE))) return { dir, onnx: await onnxIn(dir, version) };
    const tmp = `${dir}.partial-${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { recursive: true });
    try {
      const source = version.source ?? '';
      if (/^s3:\/\//i.test(source)) {
        if (!this.o.fetchToLocal) {
          throw new MlflowError('bad-request', `${version.name} v${version.version} is stored at ${source}: set the artifact store's credentials (Set Artifact Store Credentials, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) so Slipway can fetch it`);
        }
        const local = await this.o.fetchToLocal(source.endsWith('/') ? source : `${source}/`, signal);
        await copyTree(local, tmp);
      } else {
        await this.o.registry.downloadModelVersion(version.name, version.version, tmp, { ...(signal ? { signal } : {}), ...(this.o.timeoutMs ? { timeoutMs: this.o.timeoutMs } : {}) });
      }
      const onnx = await onnxIn(tmp, version);
      await writeFile(join(tmp, COMPLETE), JSON.stringify({ name: version.name, version: version.version, source, runId: version.runId }) + '\n');
      await rm(dir, { recursive: true, force: true });
      await mkdir(join(dir, '..'), { recursive: true });
      await rename(tmp, dir);
      return { dir, onnx: join(dir, onnx.slice(tmp.length + 1)) };
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** For deploy and image builds: the version with its run's metrics, artifact location and local folder. */
  async deployModel(uri: string, signal?: AbortSignal): Promise<DeployModel> {
    const v = await this.version(uri, signal);
    const [metrics, local] = await Promise.all([this.metrics(v, signal), this.download(v, signal)]);
    return {
      name: v.name,
      version: v.version,
      ...(v.runId ? { runId: v.runId } : {}),
      ...(v.source && !/^models:\//.test(v.source) ? { storageUri: v.source } : {}),
      localDir: local.dir,
      metrics,
    };
  }

  /** For `slipway serve` and the Try panel: the .onnx file of the version, and its name and version. */
  async serveModel(uri: string, signal?: AbortSignal): Promise<{ path: string; name: string; version: string }> {
    const v = await this.version(uri, signal);
    const local = await this.download(v, signal);
    return { path: local.onnx, name: v.name, version: v.version };
  }

  /** Records a gate override on the version (a registry tag), as the deploy guard asks. */
  async recordOverride(model: Pick<DeployModel, 'name' | 'version'>, tag: { readonly key: string; readonly value: string }): Promise<void> {
    await this.o.registry.setModelVersionTag(model.name, model.version, tag.key, tag.value, this.o.timeoutMs ? { timeoutMs: this.o.timeoutMs } : {});
  }
}

/** A name or version as one folder name: no separators, no dot-dot. */
function safeSegment(s: string): string {
  const out = s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return out === '.' || out === '..' || !out ? `_${out}` : out;
}

/** The model file of a downloaded version: the one model.json names, else model.onnx, else the only .onnx (searched one level down too: MLflow's `model/` folders). */
async function onnxIn(dir: string, version: ModelVersion): Promise<string> {
  for (const base of [dir, ...subdirs(dir)]) {
    let named: string | undefined;
    try {
      const meta = JSON.parse(await readFile(join(base, 'model.json'), 'utf8')) as { file?: unknown };
      if (typeof meta.file === 'string') named = meta.file;
    } catch {
      // no sidecar: look for the file
    }
    for (const f of [named, 'model.onnx'].filter((x): x is string => Boolean(x))) if (existsSync(join(base, f))) return join(base, f);
    const onnx = readdirSync(base).filter((f) => f.endsWith('.onnx'));
    if (onnx.length === 1) return join(base, onnx[0]!);
    if (onnx.length > 1) throw new MlflowError('bad-request', `${version.name} v${version.version} has several .onnx files (${onnx.join(', ')}) and no model.json naming one ("file"): Slipway cannot tell which to serve`);
  }
  throw new MlflowError('bad-request', `${version.name} v${version.version} has no .onnx file (its files come from ${version.source ?? 'an unknown location'}): Slipway serves ONNX models; log model.onnx with the version (train.py does)`);
}

function subdirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isDirectory());
}

async function copyTree(from: string, to: string): Promise<void> {
  const { cp } = await import('node:fs/promises');
  await cp(from, to, { recursive: true, filter: (src) => !src.split(/[\\/]/).includes('.slipway-cache') });
}
