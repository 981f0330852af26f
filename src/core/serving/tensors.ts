/**
 * Tensors on the host side: the element types of onnxruntime, the datatypes of the Open
 * Inference Protocol v2, and the checked conversion of JSON values into typed arrays.
 */

/** onnxruntime's element types that Slipway serves */
export type ElementType =
  | 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'int8' | 'int16' | 'int32' | 'int64'
  | 'float16' | 'float32' | 'float64' | 'string';

/** the Open Inference Protocol v2 tensor datatypes */
export type V2Datatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

export const V2_DATATYPE: Readonly<Record<ElementType, V2Datatype>> = {
  bool: 'BOOL', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64',
  int8: 'INT8', int16: 'INT16', int32: 'INT32', int64: 'INT64',
  float16: 'FP16', float32: 'FP32', float64: 'FP64', string: 'BYTES',
};
export const ELEMENT_TYPE: Readonly<Record<V2Datatype, ElementType>> = Object.fromEntries(
  Object.entries(V2_DATATYPE).map(([k, v]) => [v, k]),
) as Record<V2Datatype, ElementType>;
export const V2_DATATYPES = Object.keys(ELEMENT_TYPE) as V2Datatype[];

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | string[];

/** A tensor in host memory: what goes into a session and comes out of it. */
export interface HostTensor {
  readonly type: ElementType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

/** A declared input or output: dims are numbers, or names for symbolic (dynamic) dimensions. */
export interface TensorInfo {
  readonly name: string;
  readonly type: ElementType;
  readonly datatype: V2Datatype;
  readonly shape: readonly (number | string)[];
}

type Ctor = new (n: number) => Exclude<TensorData, string[]>;
const CTOR: Readonly<Record<Exclude<ElementType, 'string'>, Ctor>> = {
  bool: Uint8Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  float16: Uint16Array, float32: Float32Array, float64: Float64Array,
};

/** An empty array for n elements of a type. */
export function allocate(type: ElementType, n: number): TensorData {
  return type === 'string' ? new Array<string>(n).fill('') : new CTOR[type](n);
}

export const elementCount = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The shape as the v2 protocol writes it: -1 for a dynamic dimension. */
export const v2Shape = (shape: readonly (number | string)[]) => shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));

const INT_RANGE: Partial<Record<ElementType, [number, number]>> = {
  uint8: [0, 0xff], uint16: [0, 0xffff], uint32: [0, 0xffffffff], uint64: [0, Number.MAX_SAFE_INTEGER],
  int8: [-0x80, 0x7f], int16: [-0x8000, 0x7fff], int32: [-0x80000000, 0x7fffffff],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const FP32_MAX = 3.4028234663852886e38;

/** Why a JSON value cannot be an element of the type (undefined when it can). */
export type ElementProblem = string | undefined;

/**
 * Writes JSON values into `out` from `offset`. Floating-point types take numbers, `null` or
 * "NaN" for a missing value (when allowNaN), and "Infinity" / "-Infinity"; integer types take
 * integers in range (64-bit ones: safe integers, |v| < 2^53); BOOL takes true/false; BYTES
 * takes strings. Returns the index (into values) and reason of the first bad value.
 */
export function writeElements(
  type: ElementType,
  values: readonly unknown[],
  out: TensorData,
  offset: number,
  allowNaN: boolean,
): { index: number; problem: string } | undefined {
  const n = values.length;
  if (type === 'float32' || type === 'float64') {
    const o = out as Float32Array | Float64Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v === 'number') {
        if (type === 'float32' && (v > FP32_MAX || v < -FP32_MAX)) return { index: i, problem: `${v} is outside the FP32 range` };
        o[offset + i] = v;
      } else {
        const special = floatSpecial(v, allowNaN);
        if (typeof special === 'string') return { index: i, problem: special };
        o[offset + i] = special;
      }
    }
    return undefined;
  }
  if (type === 'string') {
    const o = out as string[];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'string') return { index: i, problem: `${show(v)} is not a string` };
      o[offset + i] = v;
    }
    return undefined;
  }
  if (type === 'bool') {
    const o = out as Uint8Array;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'boolean') return { index: i, problem: `${show(v)} is not true or false` };
      o[offset + i] = v ? 1 : 0;
    }
    return undefined;
  }
  if (type === 'float16') return { index: 0, problem: 'FP16 tensors are not supported by this server' };
  const [lo, hi] = INT_RANGE[type]!;
  const big = type === 'int64' || type === 'uint64';
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      return { index: i, problem: typeof v === 'number' ? `${v} is not an integer` : `${show(v)} is not a number` };
    }
    if (v < lo || v > hi) return { index: i, problem: `${v} is outside the ${V2_DATATYPE[type]} range${big ? ' that JSON numbers carry exactly (|v| < 2^53)' : ''}` };
    if (big) (out as BigInt64Array)[offset + i] = BigInt(v);
    else (out as Int32Array)[offset + i] = v;
  }
  return undefined;
}

function floatSpecial(v: unknown, allowNaN: boolean): number | string {
  if (v === null || v === 'NaN') return allowNaN ? NaN : `${show(v)} (NaN) is not allowed: this server does not accept missing values`;
  if (v === 'Infinity' || v === 'inf') return Infinity;
  if (v === '-Infinity' || v === '-inf') return -Infinity;
  return `${show(v)} is not a number`;
}

export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/**
 * Elements as plain JSON values: 64-bit integers as numbers, booleans as true/false, NaN as
 * null (JSON has no NaN; JSON.stringify writes null for it anyway).
 */
export function toJsonArray(type: ElementType, data: TensorData, start = 0, end = data.length): (number | string | boolean | null)[] {
  const out = new Array<number | string | boolean | null>(end - start);
  if (type === 'int64' || type === 'uint64') {
    const d = data as BigInt64Array;
    for (let i = start; i < end; i++) out[i - start] = Number(d[i]!);
  } else if (type === 'bool') {
    const d = data as Uint8Array;
    for (let i = start; i < end; i++) out[i - start] = d[i] !== 0;
  } else if (type === 'float32' || type === 'float64') {
    const d = data as Float32Array;
    for (let i = start; i < end; i++) {
      const v = d[i]!;
      out[i - start] = v === v ? v : null;
    }
  } else {
    const d = data as Int32Array;
    for (let i = start; i < end; i++) out[i - start] = d[i]!;
  }
  return out;
}

/** Rows [start, end) of a tensor along dim 0. */
export function sliceRows(t: HostTensor, start: number, end: number): HostTensor {
  const per = t.dims.length ? elementCount(t.dims.slice(1)) : 1;
  const data = Array.isArray(t.data) ? t.data.slice(start * per, end * per) : t.data.subarray(start * per, end * per);
  return { type: t.type, dims: [end - start, ...t.dims.slice(1)], data: data as TensorData };
}

/** Tensors of the same type and trailing dims, stacked along dim 0. */
export function concatRows(parts: readonly HostTensor[]): HostTensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  let rows = 0;
  let total = 0;
  for (const p of parts) {
    rows += p.dims[0]!;
    total += p.data.length;
  }
  const data = allocate(first.type, total);
  let offset = 0;
  for (const p of parts) {
    if (Array.isArray(data)) for (let i = 0; i < p.data.length; i++) data[offset + i] = (p.data as string[])[i]!;
    else (data as Float32Array).set(p.data as Float32Array, offset);
    offset += p.data.length;
  }
  return { type: first.type, dims: [rows, ...first.dims.slice(1)], data };
}
