/**
 * Counters and histograms in the Prometheus text exposition format 0.0.4 — the few lines of
 * the format a server needs, without a client library.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const num = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

interface Metric {
  render(out: string[]): void;
}

abstract class Family<C> implements Metric {
  protected readonly children = new Map<string, { labels: readonly string[]; child: C }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'histogram' | 'gauge',
    readonly labelNames: readonly string[],
  ) {}
  protected abstract create(): C;
  /** the series for these label values (in labelNames order) */
  labels(...values: string[]): C {
    const key = values.join('\u0000');
    let c = this.children.get(key);
    if (!c) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes labels ${this.labelNames.join(', ')}`);
      c = { labels: values, child: this.create() };
      this.children.set(key, c);
    }
    return c.child;
  }
  protected labelText(values: readonly string[], extra?: string): string {
    const parts = this.labelNames.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
    if (extra) parts.push(extra);
    return parts.length ? `{${parts.join(',')}}` : '';
  }
  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const { labels, child } of this.children.values()) this.renderChild(out, labels, child);
  }
  protected abstract renderChild(out: string[], labels: readonly string[], child: C): void;
}

export class CounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class Counter extends Family<CounterChild> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'counter', labelNames);
  }
  protected create() {
    return new CounterChild();
  }
  protected renderChild(out: string[], labels: readonly string[], c: CounterChild) {
    out.push(`${this.name}${this.labelText(labels)} ${num(c.value)}`);
  }
}

export class GaugeChild {
  constructor(private readonly read?: () => number) {}
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  get(): number {
    return this.read ? this.read() : this.value;
  }
}

/** A gauge; or, with type 'counter', a counter kept elsewhere and read at scrape time. */
export class Gauge extends Family<GaugeChild> {
  constructor(name: string, help: string, labelNames: readonly string[] = [], type: 'gauge' | 'counter' = 'gauge') {
    super(name, help, type, labelNames);
  }
  protected create() {
    return new GaugeChild();
  }
  /** a series whose value is read when /metrics is scraped */
  track(read: () => number, ...values: string[]): void {
    this.children.set(values.join('\u0000'), { labels: values, child: new GaugeChild(read) });
  }
  protected renderChild(out: string[], labels: readonly string[], c: GaugeChild) {
    out.push(`${this.name}${this.labelText(labels)} ${num(c.get())}`);
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length);
  }
  observe(v: number): void {
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += v;
    this.count++;
  }
}

export class Histogram extends Family<HistogramChild> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {
    super(name, help, 'histogram', labelNames);
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new Error(`${name}: buckets must increase`);
  }
  protected create() {
    return new HistogramChild(this.buckets);
  }
  protected renderChild(out: string[], labels: readonly string[], h: HistogramChild) {
    let cumulative = 0;
    this.buckets.forEach((le, i) => {
      cumulative += h.counts[i]!;
      out.push(`${this.name}_bucket${this.labelText(labels, `le="${num(le)}"`)} ${cumulative}`);
    });
    out.push(`${this.name}_bucket${this.labelText(labels, 'le="+Inf"')} ${h.count}`);
    out.push(`${this.name}_sum${this.labelText(labels)} ${num(h.sum)}`);
    out.push(`${this.name}_count${this.labelText(labels)} ${h.count}`);
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  /** the exposition text, ending with a newline */
  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) m.render(out);
    return out.join('\n') + '\n';
  }
}

/** The serving metrics. */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly requests = this.registry.register(new Counter('slipway_requests_total', 'Inference requests, by model and HTTP status code.', ['model', 'code']));
  readonly duration = this.registry.register(
    new Histogram('slipway_request_duration_seconds', 'Inference request latency, from the request to the last byte of the response, in seconds.', ['model'], [
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]),
  );
  readonly inferenceErrors = this.registry.register(new Counter('slipway_inference_errors_total', 'Model runs that failed (the requests got a 500).', ['model']));
  readonly batchSize = this.registry.register(
    new Histogram('slipway_batch_size', 'Rows per model run (micro-batches of concurrent requests).', ['model'], [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]),
  );
  readonly logRecords = this.registry.register(new Counter('slipway_inference_log_records_total', 'Prediction records written to the inference table.', ['model']));
  readonly logBuffered = this.registry.register(new Gauge('slipway_inference_log_buffered_records', 'Prediction records waiting to be written to the inference table.', ['model']));
  readonly logDropped = this.registry.register(new Gauge('slipway_inference_log_dropped_records_total', 'Prediction records dropped because writes to the inference table kept failing.', ['model'], 'counter'));
}
