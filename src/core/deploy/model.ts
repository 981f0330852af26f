/**
 * Which model version is deployed: a `models:/name@alias` (or `models:/name/3`) URI resolved by
 * the registry, or a local folder with model.onnx + model.json (what `train.py --out` writes).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DeployModel } from './types';

/** Resolves `models:/...` URIs to a version with its run metrics and artifact location (the registry, injected). */
export interface ModelResolver {
  resolve(uri: string, signal?: AbortSignal): Promise<DeployModel>;
  /** records a gate override on the version (a registry tag), when the registry can */
  recordOverride?(model: DeployModel, tag: { readonly key: string; readonly value: string }): Promise<void>;
}

export class ModelRefError extends Error {}

export interface ResolveOptions {
  /** model.name of slipway.yaml: the name a local folder is deployed under */
  readonly modelName: string;
  /** relative folders resolve against this (the project folder or the shell's) */
  readonly baseDir: string;
  /** the registry; without it only local folders work */
  readonly registry?: ModelResolver;
  /** overrides the version of a local folder */
  readonly version?: string;
  /** the artifact location of a local folder's model, for KServe */
  readonly storageUri?: string;
  readonly signal?: AbortSignal;
}

/** The reference deployed when none is given: the alias of deploy.alias. */
export function defaultModelRef(modelName: string, alias: string): string {
  return `models:/${modelName}@${alias}`;
}

/** A version or local folder as a DeployModel. */
export async function resolveModel(ref: string, options: ResolveOptions): Promise<DeployModel> {
  if (/^models:\//.test(ref)) {
    if (!options.registry) {
      throw new ModelRefError(
        `${ref} names a version in the model registry, which this command cannot reach yet: pass --model <folder> with model.onnx and model.json (e.g. the --out folder of training)`,
      );
    }
    return options.registry.resolve(ref, options.signal);
  }
  return localModel(resolve(options.baseDir, ref), options);
}

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * A local model folder. Its version: --model-version, else model.json's `version`, else
 * `sha-<12 hex>` of model.onnx (the same file always gets the same version and image tag).
 */
export async function localModel(dir: string, options: Omit<ResolveOptions, 'baseDir' | 'registry'>): Promise<DeployModel> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => undefined);
  if (isDir === undefined) throw new ModelRefError(`model folder ${dir} does not exist`);
  if (!isDir) throw new ModelRefError(`--model ${dir} is not a folder: pass the folder holding model.onnx and model.json`);
  const onnx = join(dir, 'model.onnx');
  if (!(await stat(onnx).then((s) => s.isFile(), () => false))) throw new ModelRefError(`${dir} has no model.onnx (training writes model.onnx and model.json into its --out folder)`);
  let meta: { version?: unknown; metrics?: unknown; run_id?: unknown; name?: unknown } = {};
  try {
    meta = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelRefError(code === 'ENOENT' ? `${dir} has no model.json (it describes the model's input and outputs)` : `${join(dir, 'model.json')} is not valid JSON: ${(e as Error).message}`);
  }
  const metrics: Record<string, number> = {};
  if (meta.metrics && typeof meta.metrics === 'object') {
    for (const [k, v] of Object.entries(meta.metrics as Record<string, unknown>)) if (typeof v === 'number') metrics[k] = v;
  }
  const version = options.version ?? (typeof meta.version === 'string' || typeof meta.version === 'number' ? String(meta.version) : (await sha256(onnx)).slice(0, 12));
  return {
    name: options.modelName,
    version,
    ...(typeof meta.run_id === 'string' ? { runId: meta.run_id } : {}),
    ...(options.storageUri ? { storageUri: options.storageUri } : {}),
    localDir: dir,
    metrics,
  };
}
