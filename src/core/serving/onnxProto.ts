/**
 * The model-level metadata of an ONNX file (ModelProto), which onnxruntime-node does not expose:
 * producer, versions, doc string, opsets and metadata_props. A minimal protobuf reader of the
 * top-level fields; the graph is skipped without being decoded.
 */

export interface OnnxOpset {
  /** '' is the default ONNX domain */
  readonly domain: string;
  readonly version: number;
}

export interface OnnxModelMetadata {
  readonly irVersion?: number;
  readonly producerName?: string;
  readonly producerVersion?: string;
  readonly domain?: string;
  readonly modelVersion?: number;
  readonly docString?: string;
  readonly graphName?: string;
  readonly opsets: readonly OnnxOpset[];
  /** metadata_props, e.g. set with onnx.helper.set_model_props */
  readonly properties: Readonly<Record<string, string>>;
}

export class OnnxFormatError extends Error {}

// ModelProto field numbers (onnx/onnx.proto)
const F = { irVersion: 1, producerName: 2, producerVersion: 3, domain: 4, modelVersion: 5, docString: 6, graph: 7, opsetImport: 8, metadataProps: 14 } as const;

class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OnnxFormatError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale; // arithmetic, not bit shifts: values may pass 2^31
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new OnnxFormatError('varint longer than 10 bytes');
  }
  /** the tag's field number and wire type */
  tag(): [number, number] {
    const t = this.varint();
    return [Math.floor(t / 8), t % 8];
  }
  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.end) throw new OnnxFormatError('length-delimited field runs past the end');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new OnnxFormatError(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new OnnxFormatError('field runs past the end');
  }
}

/** Decodes the top-level ModelProto fields of an .onnx file's bytes. */
export function readOnnxMetadata(bytes: Uint8Array): OnnxModelMetadata {
  const r = new Reader(bytes);
  const out: { -readonly [K in keyof OnnxModelMetadata]: OnnxModelMetadata[K] } = { opsets: [], properties: {} };
  const opsets: OnnxOpset[] = [];
  const properties: Record<string, string> = Object.create(null);
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === F.irVersion && wire === 0) out.irVersion = r.varint();
    else if (field === F.producerName && wire === 2) out.producerName = r.string();
    else if (field === F.producerVersion && wire === 2) out.producerVersion = r.string();
    else if (field === F.domain && wire === 2) out.domain = r.string();
    else if (field === F.modelVersion && wire === 0) out.modelVersion = r.varint();
    else if (field === F.docString && wire === 2) out.docString = r.string();
    else if (field === F.graph && wire === 2) {
      const g = r.bytes();
      const name = graphName(g);
      if (name !== undefined) out.graphName = name;
    } else if (field === F.opsetImport && wire === 2) opsets.push(opset(r.bytes()));
    else if (field === F.metadataProps && wire === 2) {
      const [k, v] = keyValue(r.bytes());
      properties[k] = v;
    } else r.skip(wire);
  }
  if (out.irVersion === undefined && opsets.length === 0) throw new OnnxFormatError('not an ONNX model (no ir_version, no opset_import)');
  out.opsets = opsets;
  out.properties = properties;
  return out;
}

function opset(b: Uint8Array): OnnxOpset {
  const r = new Reader(b);
  let domain = '';
  let version = 0;
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) domain = r.string();
    else if (field === 2 && wire === 0) version = r.varint();
    else r.skip(wire);
  }
  return { domain, version };
}

function keyValue(b: Uint8Array): [string, string] {
  const r = new Reader(b);
  let key = '';
  let value = '';
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) key = r.string();
    else if (field === 2 && wire === 2) value = r.string();
    else r.skip(wire);
  }
  return [key, value];
}

/** GraphProto.name (field 2); the nodes and initializers around it are skipped. */
function graphName(b: Uint8Array): string | undefined {
  const r = new Reader(b);
  while (!r.done) {
    const [field, wire] = r.tag();
    if (field === 2 && wire === 2) return r.string();
    r.skip(wire);
  }
  return undefined;
}
