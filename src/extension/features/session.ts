/**
 * The DuckDB session the Features view and its panels share: opened on first use, one query at a
 * time (a connection runs one statement; interrupting it must stop only the caller's work), every
 * piece of work under a deadline and the caller's cancellation, closed with the view.
 */
import { FeatureDb } from '../../core/features/index';

/** Work that ran out of time; the message says what and how long. */
export class DeadlineError extends Error {}

export interface SessionOptions {
  /** how long stopped work may take to let go of the session before later work gets a new one */
  readonly graceMs?: number;
  readonly open?: () => Promise<FeatureDb>;
}

export class FeatureSession {
  private db: Promise<FeatureDb> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly graceMs: number;
  private readonly openDb: () => Promise<FeatureDb>;

  constructor(options: SessionOptions = {}) {
    this.graceMs = options.graceMs ?? 5000;
    // DuckDB (native, heavy) is loaded on first use, when the view first reads data
    this.openDb = options.open ?? (() => FeatureDb.open());
  }

  private open(): Promise<FeatureDb> {
    if (this.disposed) return Promise.reject(new Error('the Features view was closed'));
    // a failed open is not kept: the next call tries again
    this.db ??= this.openDb().catch((e: unknown) => {
      this.db = undefined;
      throw e;
    });
    return this.db;
  }

  /**
   * Runs `work` after the work queued before it, with a signal that aborts when `parent` does or
   * when `ms` pass (waiting in the queue included), whichever comes first. The promise settles
   * at the abort even if `work` does not.
   */
  run<T>(what: string, ms: number, parent: AbortSignal | undefined, work: (db: FeatureDb, signal: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new DeadlineError(`${what} took longer than ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`} and was stopped`)), ms);
    const onParent = () => ac.abort(parent!.reason instanceof Error ? parent!.reason : new Error('cancelled'));
    if (parent?.aborted) onParent();
    else parent?.addEventListener('abort', onParent, { once: true });
    const stopped = new Promise<never>((_, reject) => {
      const fail = () => reject(ac.signal.reason as Error);
      if (ac.signal.aborted) fail();
      else ac.signal.addEventListener('abort', fail, { once: true });
    });
    stopped.catch(() => {});
    let used: Promise<FeatureDb> | undefined;
    const turn = this.queue.then(async () => {
      ac.signal.throwIfAborted();
      used = this.open();
      return work(await Promise.race([used, stopped]), ac.signal);
    });
    const settled = turn.then(
      () => {},
      () => {},
    );
    // the next piece of work waits for this one to end; if it ignores its interrupt, it keeps
    // its session to itself (closed when it ends) and the next piece of work gets a new one
    this.queue = new Promise<void>((release) => {
      let grace: NodeJS.Timeout | undefined;
      void settled.then(() => {
        clearTimeout(grace);
        release();
      });
      const abandon = () => {
        grace = setTimeout(() => {
          const held = used;
          if (held && this.db === held) {
            this.db = undefined;
            void settled.then(() => held.then((d) => d.close()).catch(() => {}));
          }
          release();
        }, this.graceMs);
      };
      if (ac.signal.aborted) abandon();
      else ac.signal.addEventListener('abort', abandon, { once: true });
    });
    return Promise.race([turn, stopped]).finally(() => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    });
  }

  dispose(): void {
    this.disposed = true;
    const db = this.db;
    this.db = undefined;
    // after the running query: closing the connection under it is not safe
    void this.queue.then(() => db?.then((d) => d.close()).catch(() => {}));
  }
}
