/**
 * `ServingServer`: an ONNX model behind the Open Inference Protocol v2 over HTTP, with
 * micro-batching, Prometheus /metrics and the inference table. Used in-process by the editor's
 * "Serve Locally" and wrapped by `slipway serve`.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { MicroBatcher } from './batcher';
import { InferenceLog, recordLines, type InferenceLogOptions } from './inferenceLog';
import { PROMETHEUS_CONTENT_TYPE, ServingMetrics, type CounterChild, type HistogramChild } from './metrics';
import { MODEL_NAME_RE, ModelError, openModel, resolveModel, runModel, type ModelResolver, type OnnxSession } from './model';
import {
  ServingError, checkInferRequest, featureNames, isBatchable, parseJsonBody, v2ModelMetadata, v2Outputs,
  type CheckedRequest, type ModelSignature, type V2InferRequest,
} from './protocol';
import { concatRows, sliceRows, type HostTensor } from './tensors';

/**
 * Rewrites a request before it is checked against the model, e.g. the feature store adding
 * the features of the entity a request names. Throw a ServingError to answer with its status.
 */
export type Enricher = (request: V2InferRequest, context: EnrichContext) => Promise<V2InferRequest>;

/** What an Enricher knows of the served model. */
export interface EnrichContext {
  readonly model: string;
  readonly version: string;
  /** the inputs the request will be checked against (and model.json's feature names) */
  readonly signature: ModelSignature;
}

export interface ServingOptions {
  /** a .onnx file, a folder with model.onnx (+ model.json), or `models:/NAME@ALIAS` (needs `resolver`) */
  readonly model: string;
  /** default: the resolver's name, else the file's (or folder's) name */
  readonly name?: string;
  /** default: the resolver's version, else the first 12 hex digits of the file's sha256 */
  readonly version?: string;
  /** resolves relative model paths (default: process.cwd()) */
  readonly cwd?: string;
  /** default 127.0.0.1; 0.0.0.0 only when asked */
  readonly host?: string;
  /** default 8080; 0 picks a free port */
  readonly port?: number;
  /** the inference table; false: none */
  readonly log: (Omit<InferenceLogOptions, 'onError'>) | false;
  /** rows per model run (default 64) */
  readonly maxBatch?: number;
  /** how long a request may wait for others to batch with, ms (default 0: those that arrived together) */
  readonly batchWaitMs?: number;
  /** request bodies above this get a 413 (default 10 MiB) */
  readonly maxBodyBytes?: number;
  /** onnxruntime intra-op threads (default 1) */
  readonly threads?: number;
  /** accept null / "NaN" in floating-point inputs as missing values (default true) */
  readonly allowNaN?: boolean;
  readonly resolver?: ModelResolver;
  readonly enrich?: Enricher;
  /** reported by GET /v2 */
  readonly serverVersion?: string;
  /** how long stop() lets open requests finish before closing their connections (default 10 s) */
  readonly stopGraceMs?: number;
  /** problems the server cannot answer to a client: failed inference-table writes, model errors */
  readonly onProblem?: (message: string) => void;
}

export interface ServedModel {
  readonly name: string;
  readonly version: string;
  readonly path: string;
  readonly signature: ModelSignature;
}

export interface ServingEndpoint {
  /** http://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly model: ServedModel;
  /** the inference table's current file, when there is one */
  readonly logFile?: string;
}

export const SERVING_DEFAULTS = { host: '127.0.0.1', port: 8080, maxBatch: 64, batchWaitMs: 0, maxBodyBytes: 10 * 1024 * 1024, threads: 1, stopGraceMs: 10_000 } as const;

const JSON_TYPE = 'application/json';

type Outputs = Readonly<Record<string, HostTensor>>;

/** Per-model metric series, resolved once. */
interface Series {
  readonly byCode: Map<number, CounterChild>;
  readonly duration: HistogramChild;
}

export class ServingServer {
  readonly metrics = new ServingMetrics();
  private readonly o: ServingOptions;
  private server: Server | undefined;
  private session: OnnxSession | undefined;
  private served: ServedModel | undefined;
  private log: InferenceLog | undefined;
  private batcher: MicroBatcher<CheckedRequest, Outputs> | undefined;
  private batchable = false;
  private features: readonly string[] | undefined;
  private endpoint: ServingEndpoint | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private series: Series | undefined;
  private readonly unknownSeries: Series;

  constructor(options: ServingOptions) {
    this.o = options;
    const maxBatch = options.maxBatch ?? SERVING_DEFAULTS.maxBatch;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    this.unknownSeries = this.seriesFor('');
  }

  /** The endpoint once start() resolved. */
  get url(): string {
    if (!this.endpoint) throw new Error('the server is not started');
    return this.endpoint.url;
  }

  get model(): ServedModel | undefined {
    return this.served;
  }

  /** Loads the model, opens the inference table and listens. */
  async start(): Promise<ServingEndpoint> {
    if (this.endpoint) return this.endpoint;
    const o = this.o;
    const resolved = await resolveModel(o.model, { ...(o.cwd ? { cwd: o.cwd } : {}), ...(o.resolver ? { resolver: o.resolver } : {}) });
    const name = o.name ?? resolved.name;
    if (!MODEL_NAME_RE.test(name)) throw new ModelError(`${JSON.stringify(name)} cannot be a model name in URLs: use letters, digits, '_', '.', '-'`);
    this.session = await openModel(resolved.path, { threads: o.threads ?? SERVING_DEFAULTS.threads });
    try {
      const d = this.session.description;
      this.batchable = isBatchable(d.inputs, d.outputs);
      this.features = featureNames(d.inputs, d.sidecar);
      const signature: ModelSignature = { inputs: d.inputs, outputs: d.outputs, batchable: this.batchable, ...(this.features ? { features: this.features } : {}) };
      this.served = { name, version: o.version ?? resolved.version ?? d.sha256.slice(0, 12), path: resolved.path, signature };
      this.series = this.seriesFor(name);
      this.batcher = new MicroBatcher<CheckedRequest, Outputs>(
        (items) => this.runBatch(items),
        (item) => (this.batchable ? item.rows : Infinity),
        { maxBatch: o.maxBatch ?? SERVING_DEFAULTS.maxBatch, maxWaitMs: o.batchWaitMs ?? SERVING_DEFAULTS.batchWaitMs },
      );
      if (o.log) {
        this.log = InferenceLog.open({ ...o.log, onError: (e) => this.problem(`inference table ${o.log ? o.log.dir : ''}: ${e.message}`) });
        const records = this.metrics.logRecords.labels(name);
        this.log.onWritten = (n) => records.inc(n);
        const log = this.log;
        this.metrics.logBuffered.track(() => log.buffered, name);
        this.metrics.logDropped.track(() => log.dropped, name);
      }
      const server = createServer({ keepAlive: true, noDelay: true, requestTimeout: 120_000, headersTimeout: 60_000 }, (req, res) => this.onRequest(req, res));
      server.keepAliveTimeout = 65_000;
      this.server = server;
      const host = o.host ?? SERVING_DEFAULTS.host;
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) =>
          reject(e.code === 'EADDRINUSE' ? new Error(`${host}:${o.port ?? SERVING_DEFAULTS.port} is already in use (another server?): choose another port (0 picks a free one)`) : e),
        );
        server.listen(o.port ?? SERVING_DEFAULTS.port, host, () => {
          server.removeAllListeners('error');
          resolve();
        });
      });
      const port = (server.address() as AddressInfo).port;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      this.endpoint = { url: `http://${shownHost}:${port}`, host, port, model: this.served, ...(this.log ? { logFile: this.log.path } : {}) };
      return this.endpoint;
    } catch (e) {
      await this.release();
      throw e;
    }
  }

  /**
   * Stops taking requests, lets the open ones finish (up to stopGraceMs), writes every
   * inference record and releases the model. Safe to call more than once.
   */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      const server = this.server;
      if (server) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const grace = setTimeout(() => server.closeAllConnections(), this.o.stopGraceMs ?? SERVING_DEFAULTS.stopGraceMs);
        await closed;
        clearTimeout(grace);
      }
      await this.release();
    })();
    return this.stopped;
  }

  private async release(): Promise<void> {
    try {
      await this.batcher?.drain();
      await this.log?.close();
    } finally {
      this.log = undefined;
      await this.session?.release();
      this.session = undefined;
    }
  }

  private problem(message: string): void {
    (this.o.onProblem ?? ((m: string) => process.stderr.write(`slipway serve: ${m}\n`)))(message);
  }

  private seriesFor(model: string): Series {
    return { byCode: new Map(), duration: this.metrics.duration.labels(model) };
  }

  private count(series: Series, model: string, code: number, t0: number): void {
    let c = series.byCode.get(code);
    if (!c) series.byCode.set(code, (c = this.metrics.requests.labels(model, String(code))));
    c.inc();
    series.duration.observe((performance.now() - t0) / 1000);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.stopping) res.setHeader('connection', 'close');
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q >= 0 ? url.slice(0, q) : url;
    const parts = path.split('/');
    // ['', 'v2', 'models', name, ('versions', v,)? ('infer' | 'ready')?]
    try {
      if (parts[1] === 'v2' && parts[2] === 'models' && parts.length >= 4) return this.modelRoute(req, res, parts);
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        if (path === '/v2' || path === '/v2/health/live' || path === '/v2/health/ready' || path === '/metrics') return sendError(res, 405, `${req.method} ${path}: use GET`, { allow: 'GET' });
      }
      switch (path) {
        case '/v2':
          return sendJson(res, 200, { name: 'slipway', version: this.o.serverVersion ?? 'dev', extensions: [] });
        case '/v2/health/live':
          return sendJson(res, 200, { live: true });
        case '/v2/health/ready':
          return this.stopping ? sendJson(res, 503, { ready: false }) : sendJson(res, 200, { ready: true });
        case '/metrics':
          return send(res, 200, PROMETHEUS_CONTENT_TYPE, this.metrics.registry.render());
        default:
          return sendError(res, 404, `no endpoint ${req.method} ${path}; this server has GET /v2, /v2/health/live, /v2/health/ready, /v2/models/{name}[/versions/{v}][/ready], /metrics and POST /v2/models/{name}[/versions/{v}]/infer`);
      }
    } catch (e) {
      sendError(res, 500, (e as Error).message);
    }
  }

  private modelRoute(req: IncomingMessage, res: ServerResponse, parts: string[]): void {
    const t0 = performance.now();
    const served = this.served!;
    let name: string;
    let version: string | undefined;
    try {
      name = decodeURIComponent(parts[3]!);
      version = parts[4] === 'versions' && parts.length >= 6 ? decodeURIComponent(parts[5]!) : undefined;
    } catch {
      return sendError(res, 400, `malformed URL ${req.url}`);
    }
    const rest = parts.slice(version === undefined ? 4 : 6);
    const action = rest.length === 0 || (rest.length === 1 && rest[0] === '') ? '' : rest.length === 1 ? rest[0]! : undefined;
    const isInfer = action === 'infer';
    const known = name === served.name;
    const series = known ? this.series! : this.unknownSeries;
    const label = known ? name : '';
    const fail = (status: number, message: string, headers?: Record<string, string>) => {
      sendError(res, status, message, headers);
      if (isInfer) this.count(series, label, status, t0);
    };
    if (action === undefined || (action !== '' && action !== 'ready' && action !== 'infer')) {
      return fail(404, `no endpoint ${req.method} ${req.url?.split('?')[0]}; a model has /v2/models/{name}[/versions/{v}], .../ready and .../infer`);
    }
    if (!known) return fail(404, `no model ${JSON.stringify(name)} here (this server serves ${JSON.stringify(served.name)})`);
    if (version !== undefined && version !== served.version) {
      return fail(404, `model ${JSON.stringify(name)} has no version ${JSON.stringify(version)} here (this server serves version ${JSON.stringify(served.version)})`);
    }
    if (!isInfer) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, `${req.method} ${req.url}: use GET`, { allow: 'GET' });
      if (action === 'ready') return sendJson(res, this.stopping ? 503 : 200, { name, ready: !this.stopping });
      return sendJson(res, 200, v2ModelMetadata(name, served.version, served.signature));
    }
    if (req.method !== 'POST') return fail(405, `${req.method} ${req.url}: inference takes POST`, { allow: 'POST' });
    this.readBody(req, res, (text) => this.infer(req, res, text, t0), (status, message) => fail(status, message));
  }

  private readBody(req: IncomingMessage, res: ServerResponse, done: (text: string) => void, fail: (status: number, message: string) => void): void {
    const max = this.o.maxBodyBytes ?? SERVING_DEFAULTS.maxBodyBytes;
    const tooLarge = () => {
      res.setHeader('connection', 'close'); // the rest of the body is not read
      fail(413, `the request body is larger than ${max} bytes`);
    };
    const declared = Number(req.headers['content-length']);
    if (declared > max) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) done(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => {
      // the client went away: nothing to answer
    });
  }

  private infer(req: IncomingMessage, res: ServerResponse, text: string, t0: number): void {
    const served = this.served!;
    const series = this.series!;
    const answer = (status: number, body: string) => {
      send(res, status, JSON_TYPE, body);
      this.count(series, served.name, status, t0);
    };
    let checked: Promise<CheckedRequest>;
    try {
      const body = parseJsonBody(text);
      checked = this.o.enrich ? this.enrichAndCheck(body) : Promise.resolve(this.check(body));
    } catch (e) {
      if (e instanceof ServingError) return answer(e.status, errorJson(e.message));
      return answer(500, errorJson((e as Error).message));
    }
    checked
      .then((request) =>
        this.batcher!.submit(request).then((outputs) => {
          const id = request.id ?? headerId(req) ?? randomUUID();
          const names = request.outputs ?? served.signature.outputs.map((m) => m.name);
          answer(200, JSON.stringify({ model_name: served.name, model_version: served.version, id, outputs: v2Outputs(outputs, names) }));
          try {
            this.logPrediction(id, request, outputs);
          } catch (e) {
            this.problem(`inference table: ${(e as Error).message}`);
          }
        }),
      )
      .catch((e: unknown) => {
        if (e instanceof ServingError) return answer(e.status, errorJson(e.message));
        this.metrics.inferenceErrors.labels(served.name).inc();
        this.problem(`inference failed: ${(e as Error).message}`);
        answer(500, errorJson(`inference failed: ${(e as Error).message}`));
      });
  }

  private check(body: unknown): CheckedRequest {
    return checkInferRequest(body, this.served!.signature, { allowNaN: this.o.allowNaN ?? true });
  }

  private async enrichAndCheck(body: unknown): Promise<CheckedRequest> {
    const served = this.served!;
    let enriched: unknown;
    try {
      enriched = await this.o.enrich!(body as V2InferRequest, { model: served.name, version: served.version, signature: served.signature });
    } catch (e) {
      if (e instanceof ServingError) throw e;
      throw new ServingError(500, `enrichment failed: ${(e as Error).message}`);
    }
    return this.check(enriched);
  }

  private logPrediction(id: string, request: CheckedRequest, outputs: Outputs): void {
    if (!this.log) return;
    const served = this.served!;
    const ctx = { requestId: id, timestamp: new Date().toISOString(), modelName: served.name, modelVersion: served.version, ...(this.features ? { features: this.features } : {}) };
    this.log.appendMany(recordLines(ctx, request.inputs, outputs, request.rows, this.batchable));
  }

  /** One model run for several requests: inputs stacked along dim 0, outputs split back. */
  private async runBatch(items: readonly CheckedRequest[]): Promise<Outputs[]> {
    const model = this.session!;
    const served = this.served!;
    const batchSize = this.metrics.batchSize.labels(served.name);
    if (items.length === 1) {
      const { outputs } = await runModel(model, items[0]!.inputs);
      batchSize.observe(items[0]!.rows);
      return [outputs];
    }
    const inputs: Record<string, HostTensor> = {};
    for (const m of served.signature.inputs) inputs[m.name] = concatRows(items.map((i) => i.inputs[m.name]!));
    const total = inputs[served.signature.inputs[0]!.name]!.dims[0]!;
    const { outputs } = await runModel(model, inputs);
    batchSize.observe(total);
    const split: Record<string, HostTensor>[] = items.map(() => ({}));
    for (const [name, t] of Object.entries(outputs)) {
      if (t.dims[0] !== total) {
        // the model's outputs do not follow its batch dimension: serve requests one by one from now on
        this.batchable = false;
        this.problem(`output '${name}' has ${t.dims[0]} rows for a batch of ${total}: micro-batching is off for ${served.name}`);
        throw new Error(`output '${name}' does not follow the batch dimension`);
      }
      let start = 0;
      items.forEach((item, i) => {
        split[i]![name] = sliceRows(t, start, start + item.rows);
        start += item.rows;
      });
    }
    return split;
  }
}

function headerId(req: IncomingMessage): string | undefined {
  const h = req.headers['x-request-id'];
  return typeof h === 'string' && h.length > 0 && h.length <= 200 ? h : undefined;
}

const errorJson = (message: string) => JSON.stringify({ error: message });

function send(res: ServerResponse, status: number, type: string, body: string, headers?: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON_TYPE, JSON.stringify(value));
}

function sendError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void {
  send(res, status, JSON_TYPE, errorJson(message), headers);
}

