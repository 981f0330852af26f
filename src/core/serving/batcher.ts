/**
 * Micro-batching: requests that arrive close together are run as one batch. A batch is
 * dispatched when it holds maxBatch rows, or maxWaitMs after its first request arrived
 * (0: at the end of the current event-loop turn, i.e. everything that arrived together).
 */
import { setImmediate as immediate } from 'node:timers';

export interface BatchOptions {
  /** rows per batch (an item larger than this runs alone) */
  readonly maxBatch: number;
  /** how long the first item of a batch may wait for company, milliseconds */
  readonly maxWaitMs: number;
}

interface Pending<I, O> {
  readonly item: I;
  readonly resolve: (o: O) => void;
  readonly reject: (e: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private rows = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly running = new Set<Promise<void>>();

  /**
   * @param runBatch runs items together; returns one result per item, in order
   * @param rowsOf an item's rows; Infinity for an item that must run alone
   */
  constructor(
    private readonly runBatch: (items: readonly I[]) => Promise<O[]>,
    private readonly rowsOf: (item: I) => number,
    private readonly options: BatchOptions,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const pending = { item, resolve, reject };
      const n = this.rowsOf(item);
      if (n >= this.options.maxBatch) {
        this.dispatch([pending]);
        return;
      }
      if (this.rows + n > this.options.maxBatch) this.flush();
      this.queue.push(pending);
      this.rows += n;
      if (this.rows >= this.options.maxBatch) this.flush();
      else if (!this.timer) {
        this.timer = this.options.maxWaitMs > 0 ? setTimeout(() => this.flush(), this.options.maxWaitMs) : immediate(() => this.flush());
      }
    });
  }

  /** Dispatches what is queued now. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    if (!this.queue.length) return;
    const batch = this.queue;
    this.queue = [];
    this.rows = 0;
    this.dispatch(batch);
  }

  /** Runs everything queued and waits until no batch is running. */
  async drain(): Promise<void> {
    this.flush();
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private dispatch(batch: Pending<I, O>[]): void {
    const p = this.runBatch(batch.map((b) => b.item)).then(
      (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
      // one bad item must not fail its neighbours: rerun them one by one
      (e) => (batch.length === 1 ? batch[0]!.reject(e) : this.oneByOne(batch)),
    );
    const tracked = p.finally(() => this.running.delete(tracked));
    this.running.add(tracked);
  }

  private async oneByOne(batch: Pending<I, O>[]): Promise<void> {
    for (const b of batch) {
      try {
        b.resolve((await this.runBatch([b.item]))[0]!);
      } catch (e) {
        b.reject(e);
      }
    }
  }
}
