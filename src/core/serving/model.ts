/**
 * ONNX models through onnxruntime-node (loaded on first use): open, describe, run, and the
 * resolution of what `--model` names (a file, a folder, or a registry URI) into a file.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as Ort from 'onnxruntime-node';
import { readOnnxMetadata, type OnnxModelMetadata } from './onnxProto';
import { V2_DATATYPE, type ElementType, type HostTensor, type TensorData, type TensorInfo } from './tensors';

type OrtModule = typeof Ort;
let ortModule: OrtModule | undefined;

/** onnxruntime-node, required on first use (native, kept out of the bundles). */
export function onnxruntime(): OrtModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ortModule ??= require('onnxruntime-node') as OrtModule;
  return ortModule;
}

/** What model.json (written next to model.onnx by the training script) says, when present. */
export interface ModelSidecar {
  /** the feature names of the single [N, F] input, in column order */
  readonly features?: readonly string[];
  /** the input those features feed */
  readonly input?: string;
  /** the whole file, for display */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface ModelDescription {
  readonly path: string;
  readonly bytes: number;
  /** sha256 of the file, hex */
  readonly sha256: string;
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly metadata: OnnxModelMetadata;
  readonly sidecar?: ModelSidecar;
}

export interface SessionOptions {
  /** onnxruntime intra-op threads (1: the calling thread only; best for small, micro-batched models) */
  readonly threads?: number;
}

/** An open model: its description and the onnxruntime session that runs it. */
export interface OnnxSession {
  readonly description: ModelDescription;
  readonly session: Ort.InferenceSession;
  release(): Promise<void>;
}

export class ModelError extends Error {}

const ELEMENT_TYPES = new Set<string>(Object.keys(V2_DATATYPE));

function tensorInfo(m: Ort.InferenceSession.ValueMetadata, what: string): TensorInfo {
  if (!m.isTensor) throw new ModelError(`${what} '${m.name}' is not a tensor (sequences and maps are not served)`);
  if (!ELEMENT_TYPES.has(m.type)) throw new ModelError(`${what} '${m.name}' has element type ${m.type}, which is not served`);
  const type = m.type as ElementType;
  return { name: m.name, type, datatype: V2_DATATYPE[type], shape: [...m.shape] };
}

/** model.json next to the model file, when there is one; undefined otherwise. */
export async function readSidecar(modelPath: string): Promise<ModelSidecar | undefined> {
  const path = join(dirname(modelPath), 'model.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelError(`${path}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  const features = Array.isArray(r.features) && r.features.every((f) => typeof f === 'string') ? (r.features as string[]) : undefined;
  const input = r.input && typeof r.input === 'object' && typeof (r.input as { name?: unknown }).name === 'string' ? (r.input as { name: string }).name : undefined;
  return { ...(features ? { features } : {}), ...(input ? { input } : {}), raw: r };
}

/** Opens an .onnx file with onnxruntime and describes it. */
export async function openModel(path: string, options: SessionOptions = {}): Promise<OnnxSession> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new ModelError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let metadata: OnnxModelMetadata;
  try {
    metadata = readOnnxMetadata(bytes);
  } catch (e) {
    throw new ModelError(`${path} is not an ONNX model: ${(e as Error).message}`);
  }
  const ort = onnxruntime();
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(path, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  } catch (e) {
    throw new ModelError(`onnxruntime cannot load ${path}: ${(e as Error).message}`);
  }
  try {
    const sidecar = await readSidecar(path);
    const description: ModelDescription = {
      path,
      bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      inputs: session.inputMetadata.map((m) => tensorInfo(m, 'input')),
      outputs: session.outputMetadata.map((m) => tensorInfo(m, 'output')),
      metadata,
      ...(sidecar ? { sidecar } : {}),
    };
    return { description, session, release: () => session.release() };
  } catch (e) {
    await session.release();
    throw e;
  }
}

/** Inputs and outputs (names, element types, shapes with symbolic dims), ONNX metadata and model.json. */
export async function describeModel(path: string): Promise<ModelDescription> {
  const m = await openModel(path);
  await m.release();
  return m.description;
}

export interface RunResult {
  readonly outputs: Readonly<Record<string, HostTensor>>;
  /** wall time of session.run, milliseconds */
  readonly latencyMs: number;
}

/**
 * Runs the model on named input tensors; `outputs` limits what is fetched (default: all).
 * Note: onnxruntime-node runs synchronously on the calling thread (behind a setImmediate), so
 * a run holds the event loop for its duration; the server batches to keep runs few.
 */
export async function runModel(model: OnnxSession, inputs: Readonly<Record<string, HostTensor>>, outputs?: readonly string[]): Promise<RunResult> {
  const ort = onnxruntime();
  const feeds: Record<string, Ort.Tensor> = {};
  for (const [name, t] of Object.entries(inputs)) {
    feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
  }
  const t0 = performance.now();
  const result = outputs ? await model.session.run(feeds, [...outputs]) : await model.session.run(feeds);
  const latencyMs = performance.now() - t0;
  const out: Record<string, HostTensor> = {};
  for (const [name, v] of Object.entries(result)) {
    const t = v as Ort.Tensor;
    out[name] = { type: t.type as ElementType, dims: [...t.dims], data: t.data as TensorData };
  }
  return { outputs: out, latencyMs };
}

/** A model to serve: the .onnx file and what to call it. */
export interface ResolvedModel {
  readonly path: string;
  readonly name: string;
  /** undefined: the server uses the first 12 hex digits of the file's sha256 */
  readonly version?: string;
}

/** Resolves a model URI (e.g. `models:/NAME@ALIAS` through the MLflow registry) to a local file. */
export type ModelResolver = (uri: string) => Promise<ResolvedModel>;

export const MODEL_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * `--model`: a .onnx file, or a folder holding model.onnx (or the file model.json names);
 * `models:/...` URIs go to the injected resolver.
 */
export async function resolveModel(uri: string, options: { cwd?: string; resolver?: ModelResolver } = {}): Promise<ResolvedModel> {
  if (/^models:\//.test(uri)) {
    if (!options.resolver) {
      throw new ModelError(
        `${uri}: models:/ URIs need a tracking server (tracking.uri in slipway.yaml) and the model registry, which this server cannot reach yet; ` +
          'pass a local model instead: a .onnx file, or a folder with model.onnx and model.json',
      );
    }
    return options.resolver(uri);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new ModelError(`${uri}: only local paths and models:/ URIs can be served`);
  const path = resolve(options.cwd ?? process.cwd(), uri);
  if (!existsSync(path)) throw new ModelError(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    const sidecar = await readSidecar(join(path, 'model.onnx'));
    const file = typeof sidecar?.raw.file === 'string' ? sidecar.raw.file : 'model.onnx';
    const onnx = join(path, file);
    if (!existsSync(onnx)) throw new ModelError(`${path} has no ${file}: pass a .onnx file, or a folder with model.onnx and model.json`);
    return { path: onnx, name: safeName(basename(path)) };
  }
  if (extname(path).toLowerCase() !== '.onnx') throw new ModelError(`${path} is not an .onnx file`);
  return { path, name: safeName(basename(path, extname(path))) };
}

/** A file or folder name as a model name for URLs. */
function safeName(s: string): string {
  const n = s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return n || 'model';
}
