/**
 * The Open Inference Protocol v2 (KServe v2) REST shapes: infer requests checked against a
 * model's declared inputs, and the responses built from its outputs.
 */
import {
  ELEMENT_TYPE, V2_DATATYPE, V2_DATATYPES, allocate, elementCount, show, toJsonArray, v2Shape, writeElements,
  type HostTensor, type TensorInfo, type V2Datatype,
} from './tensors';

/** An error the client caused or should see: an HTTP status and the v2 `{"error": message}`. */
export class ServingError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request body as the client sent it (after JSON.parse), before any check. */
export interface V2InferRequest {
  id?: unknown;
  parameters?: unknown;
  inputs?: unknown;
  outputs?: unknown;
  [key: string]: unknown;
}

export interface V2Tensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: V2Datatype;
  readonly data: unknown[];
}

export interface V2InferResponse {
  readonly model_name: string;
  readonly model_version: string;
  readonly id: string;
  readonly outputs: readonly V2Tensor[];
}

/** What a request is checked against. */
export interface ModelSignature {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** feature names of the single [N, F] input (from model.json): enables named-feature inputs */
  readonly features?: readonly string[];
  /** true when every input and output has a dynamic first dimension, so requests can be stacked */
  readonly batchable: boolean;
}

/** A request that passed every check: typed tensors, ready to run or to batch. */
export interface CheckedRequest {
  readonly id?: string;
  /** rows along dim 0 (1 for a model that does not batch) */
  readonly rows: number;
  readonly inputs: Readonly<Record<string, HostTensor>>;
  /** requested outputs; undefined: all */
  readonly outputs?: readonly string[];
  readonly parameters?: Readonly<Record<string, unknown>>;
}

export interface CheckOptions {
  /** accept null / "NaN" in floating-point inputs (missing values the model imputes); default true */
  readonly allowNaN?: boolean;
}

const bad = (message: string) => new ServingError(400, message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shapeText = (s: readonly (number | string)[]) => `[${s.join(', ')}]`;

/** JSON.parse with a 400 that says where the body is broken. */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const hint = /\bNaN\b|\bInfinity\b/.test(text) ? ' (NaN and Infinity are not JSON: send null for a missing value)' : '';
    throw bad(`malformed JSON: ${(e as Error).message}${hint}`);
  }
}

/** Checks a v2 infer request against the model and converts its data into typed tensors. */
export function checkInferRequest(body: unknown, model: ModelSignature, options: CheckOptions = {}): CheckedRequest {
  if (!isObject(body)) throw bad('the request body must be a JSON object with an "inputs" array');
  const allowNaN = options.allowNaN ?? true;
  let id: string | undefined;
  if (body.id !== undefined && body.id !== null) {
    if (typeof body.id !== 'string') throw bad(`"id" must be a string, not ${show(body.id)}`);
    id = body.id;
  }
  let parameters: Record<string, unknown> | undefined;
  if (body.parameters !== undefined && body.parameters !== null) {
    if (!isObject(body.parameters)) throw bad('"parameters" must be an object');
    parameters = body.parameters;
  }
  const outputs = checkRequestedOutputs(body.outputs, model);
  const inputs = isObject(body.inputs) ? namedFeatureInputs(body.inputs, model, allowNaN) : checkInputs(body.inputs, model, allowNaN);
  let rows = 1;
  if (model.batchable) {
    const counts = model.inputs.map((m) => inputs[m.name]!.dims[0]!);
    rows = counts[0]!;
    if (counts.some((c) => c !== rows)) {
      throw bad(`the inputs disagree on the batch dimension (dim 0): ${model.inputs.map((m, i) => `${m.name} has ${counts[i]}`).join(', ')}`);
    }
    if (rows === 0) throw bad('the request holds no rows (dim 0 is 0)');
  }
  return { ...(id !== undefined ? { id } : {}), rows, inputs, ...(outputs ? { outputs } : {}), ...(parameters ? { parameters } : {}) };
}

function checkRequestedOutputs(outputs: unknown, model: ModelSignature): string[] | undefined {
  if (outputs === undefined || outputs === null) return undefined;
  if (!Array.isArray(outputs)) throw bad('"outputs" must be an array of {"name": ...} objects');
  const names = outputs.map((o, i) => {
    if (!isObject(o) || typeof o.name !== 'string') throw bad(`outputs[${i}] must be an object with a "name" string`);
    if (!model.outputs.some((m) => m.name === o.name)) {
      throw bad(`the model has no output ${JSON.stringify(o.name)} (outputs: ${model.outputs.map((m) => m.name).join(', ')})`);
    }
    return o.name;
  });
  return names.length ? [...new Set(names)] : undefined;
}

function checkInputs(inputs: unknown, model: ModelSignature, allowNaN: boolean): Record<string, HostTensor> {
  if (inputs === undefined) throw bad('the request has no "inputs" array');
  if (!Array.isArray(inputs)) throw bad('"inputs" must be an array of tensors {"name", "shape", "datatype", "data"}');
  const out: Record<string, HostTensor> = Object.create(null);
  const modelNames = () => model.inputs.map((m) => m.name).join(', ');
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    const where = `inputs[${i}]`;
    if (!isObject(t)) throw bad(`${where} must be an object {"name", "shape", "datatype", "data"}`);
    if (typeof t.name !== 'string') throw bad(`${where} has no "name" string`);
    const meta = model.inputs.find((m) => m.name === t.name);
    if (!meta) throw bad(`the model has no input ${JSON.stringify(t.name)} (inputs: ${modelNames()})`);
    if (out[t.name]) throw bad(`input ${JSON.stringify(t.name)} is given twice`);
    out[t.name] = checkTensor(t, meta, allowNaN, `input '${t.name}'`);
  }
  const missing = model.inputs.filter((m) => !out[m.name]).map((m) => m.name);
  if (missing.length) throw bad(`missing input${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')} (the model's inputs: ${modelNames()})`);
  return out;
}

/** One v2 tensor object checked against an input's declaration. */
export function checkTensor(t: Record<string, unknown>, meta: TensorInfo, allowNaN: boolean, what = `input '${meta.name}'`): HostTensor {
  if (typeof t.datatype !== 'string') throw bad(`${what} has no "datatype" string`);
  if (!(t.datatype in ELEMENT_TYPE)) throw bad(`${what}: ${JSON.stringify(t.datatype)} is not a v2 datatype (${V2_DATATYPES.join(', ')})`);
  if (t.datatype !== meta.datatype) throw bad(`${what} is ${meta.datatype}, the request sent ${t.datatype}`);
  const shape = t.shape;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw bad(`${what}: "shape" must be an array of non-negative integers, not ${JSON.stringify(shape) ?? 'missing'}`);
  }
  const dims = shape as number[];
  if (meta.shape.length && dims.length !== meta.shape.length) {
    throw bad(`${what} has shape ${shapeText(v2Shape(meta.shape))}; the request's shape ${shapeText(dims)} has ${dims.length} dimension(s), not ${meta.shape.length}`);
  }
  meta.shape.forEach((d, k) => {
    if (typeof d === 'number' && d >= 0 && dims[k] !== d) {
      throw bad(`${what} has shape ${shapeText(v2Shape(meta.shape))}: dimension ${k} must be ${d}, the request's shape is ${shapeText(dims)}`);
    }
  });
  const n = elementCount(dims);
  if (!Array.isArray(t.data)) throw bad(`${what}: "data" must be an array`);
  const flat = Array.isArray(t.data[0]) ? flatten(t.data, dims, what) : t.data;
  if (flat.length !== n) throw bad(`${what}: shape ${shapeText(dims)} holds ${n} value(s), "data" has ${flat.length}`);
  const data = allocate(meta.type, n);
  const problem = writeElements(meta.type, flat, data, 0, allowNaN);
  if (problem) throw bad(`${what}: data[${problem.index}]: ${problem.problem}`);
  return { type: meta.type, dims, data };
}

/** Nested data (row-major) flattened, checked level by level against the shape. */
function flatten(data: unknown[], dims: readonly number[], what: string): unknown[] {
  const out: unknown[] = [];
  const walk = (v: unknown[], level: number, path: string) => {
    if (v.length !== dims[level]) throw bad(`${what}: data${path} has ${v.length} element(s), the shape says ${dims[level] ?? 'none'} at dimension ${level}`);
    const leaf = level === dims.length - 1;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (leaf) {
        if (Array.isArray(x)) throw bad(`${what}: data${path}[${i}] is nested deeper than the shape ${shapeText(dims)}`);
        out.push(x);
      } else if (!Array.isArray(x)) throw bad(`${what}: data${path}[${i}] should be an array (the shape ${shapeText(dims)} has ${dims.length} dimensions)`);
      else walk(x, level + 1, `${path}[${i}]`);
    }
  };
  if (dims.length < 2) throw bad(`${what}: nested "data" for a shape of ${dims.length} dimension(s)`);
  walk(data, 0, '');
  return out;
}

/**
 * The convenience form: `"inputs": {"feature": value, ...}` for one row, or
 * `{"feature": [v1, v2, ...], ...}` for several, on a model whose single [N, F] input is
 * described by model.json's `features`.
 */
function namedFeatureInputs(inputs: Record<string, unknown>, model: ModelSignature, allowNaN: boolean): Record<string, HostTensor> {
  const features = model.features;
  const meta = model.inputs[0]!;
  if (!features) throw bad('"inputs" as an object of named features needs the feature names in model.json next to the model; send v2 tensors instead');
  const unknown = Object.keys(inputs).filter((k) => !features.includes(k));
  if (unknown.length) throw bad(`unknown feature${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (features: ${features.join(', ')})`);
  const missing = features.filter((f) => !(f in inputs));
  if (missing.length) throw bad(`missing feature${missing.length > 1 ? 's' : ''} ${missing.map((k) => `'${k}'`).join(', ')}`);
  const columns = features.map((f) => inputs[f]);
  const rows = Array.isArray(columns[0]) ? columns[0].length : 1;
  const F = features.length;
  const flat = new Array<unknown>(rows * F);
  features.forEach((f, j) => {
    const c = columns[j];
    if (Array.isArray(c) !== Array.isArray(columns[0])) throw bad('named features must be all scalars (one row) or all arrays (one value per row)');
    if (Array.isArray(c)) {
      if (c.length !== rows) throw bad(`feature '${f}' has ${c.length} value(s), '${features[0]}' has ${rows}`);
      for (let r = 0; r < rows; r++) flat[r * F + j] = c[r];
    } else flat[j] = c;
  });
  if (rows === 0) throw bad('the request holds no rows');
  const data = allocate(meta.type, flat.length);
  const problem = writeElements(meta.type, flat, data, 0, allowNaN);
  if (problem) throw bad(`feature '${features[problem.index % F]}'${rows > 1 ? ` row ${Math.floor(problem.index / F)}` : ''}: ${problem.problem}`);
  return { [meta.name]: { type: meta.type, dims: [rows, F], data } };
}

/** The response's output tensors, flat and row-major. */
export function v2Outputs(outputs: Readonly<Record<string, HostTensor>>, names: readonly string[]): V2Tensor[] {
  return names.map((name) => {
    const t = outputs[name]!;
    return { name, shape: [...t.dims], datatype: V2_DATATYPE[t.type], data: Array.isArray(t.data) ? [...t.data] : toJsonArray(t.type, t.data) };
  });
}

/** `GET /v2/models/{name}`: the model metadata response. */
export function v2ModelMetadata(name: string, version: string, model: ModelSignature) {
  const tensor = (m: TensorInfo) => ({ name: m.name, datatype: m.datatype, shape: v2Shape(m.shape) });
  return { name, versions: [version], platform: 'onnxruntime_onnx', inputs: model.inputs.map(tensor), outputs: model.outputs.map(tensor) };
}

/** Whether requests to this model can be stacked along dim 0. */
export function isBatchable(inputs: readonly TensorInfo[], outputs: readonly TensorInfo[]): boolean {
  const dynamicFirst = (m: TensorInfo) => m.shape.length > 0 && !(typeof m.shape[0] === 'number' && m.shape[0] >= 0);
  return inputs.length > 0 && inputs.every(dynamicFirst) && outputs.every(dynamicFirst);
}

/** The feature names of a single [N, F] input, from model.json, when they fit the model. */
export function featureNames(inputs: readonly TensorInfo[], sidecar: { features?: readonly string[]; input?: string } | undefined): readonly string[] | undefined {
  const f = sidecar?.features;
  if (!f?.length || inputs.length !== 1) return undefined;
  const only = inputs[0]!;
  if (sidecar?.input !== undefined && sidecar.input !== only.name) return undefined;
  if (only.shape.length !== 2 || only.type === 'string') return undefined;
  const width = only.shape[1];
  return typeof width === 'number' && width >= 0 && width !== f.length ? undefined : f;
}
