import { EventEmitter } from 'node:events';
import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import type { JobStore } from '../jobStore';
import { isFinal, jobHandle, type JobHandle, type JobRecord } from '../types';
import { isRayError } from './errors';
import type { RayJobsClient, RayLogTail } from './RayJobsClient';
import type { RayJobDetails } from './types';

/** How a Ray job is known in its JobRecord's `external`. */
export interface RayExternal {
  readonly address: string;
  readonly submissionId: string;
  /** bytes of Slipway's own header at the top of the job's log file; Ray's log follows */
  readonly logStart?: number;
}

// unref'd: a pause of the follower never keeps a CLI alive on its own (the poll timer does that)
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** Why a job failed or stopped, in a few lines: error type, exit code, the end of Ray's message. */
export function rayOutcomeMessage(d: Pick<RayJobDetails, 'status' | 'message' | 'error_type' | 'driver_exit_code'>): string | undefined {
  if (d.status === 'SUCCEEDED' || d.status === 'RUNNING' || d.status === 'PENDING') return undefined;
  if (d.status === 'STOPPED') return d.message ?? 'stopped';
  const head = [d.error_type ?? 'FAILED', d.driver_exit_code !== null && d.driver_exit_code !== undefined ? `exit code ${d.driver_exit_code}` : undefined].filter(Boolean).join(', ');
  const message = d.message ?? '';
  // "Job entrypoint command failed with exit code 3, last available logs (truncated to 20,000 chars):\n<log tail>"
  const logsAt = message.indexOf('last available logs');
  const body = logsAt >= 0 ? message.slice(message.indexOf('\n', logsAt) + 1) : message;
  const lines = body
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() && !/^Running entrypoint for job /.test(l) && !/\tINFO job_manager\.py:\d+ -- /.test(l));
  const tail = lines.slice(-5).join('\n').slice(-1500);
  return `Ray job failed (${head})${tail ? `: ${tail}` : ''}`;
}

/**
 * Follows one Ray job: the log over the WebSocket (or, when that fails, by polling GET logs),
 * appended to the store's log file; the status by polling; the final record once Ray says so.
 *
 * Offsets: Ray's tail and GET logs both start at the beginning of the job's log, so `seen`
 * counts the characters of Ray's log already written, and each source writes only what is past it.
 * Output: this class is the file's only writer, so listeners get what is in the file first,
 * then each piece as it is appended, in one chain (no polling of the file).
 */
export class RayJobFollow {
  private readonly events = new EventEmitter();
  private readonly logPath: string;
  private readonly abort = new AbortController();
  private settle!: (r: JobRecord) => void;
  readonly done = new Promise<JobRecord>((r) => (this.settle = r));
  private seen = 0;
  /** file writes and output events, in order; starts once the caller has had a chance to listen */
  private chain: Promise<void> | undefined;
  private tail?: RayLogTail;
  private tailClosed?: Promise<unknown>;
  private tailTroubles = 0;
  private pollLogs = false;
  /** the first GET logs failed: the file is not yet in step with Ray's log */
  private resyncPending = false;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private stopped = false; // detached or ended
  private finishing = false;
  private lostContact = false;
  private client?: RayJobsClient;
  private readonly ext: Partial<RayExternal>;

  constructor(
    private readonly store: JobStore,
    private readonly record: JobRecord,
    private readonly pollMs: number,
    private readonly clientFor: (address: string) => RayJobsClient,
  ) {
    this.logPath = store.logPath(record.id);
    this.ext = (record.external ?? {}) as Partial<RayExternal>;
  }

  async start(): Promise<void> {
    if (isFinal(this.record.status)) {
      this.stopped = true;
      this.startOutput();
      void this.chain!.then(() => this.settle({ ...this.record }));
      return;
    }
    const { address, submissionId } = this.ext;
    if (!address || !submissionId) return this.fail('the job record has no Ray address or submission id: it cannot be followed');
    try {
      this.client = this.clientFor(address);
    } catch (e) {
      return this.fail((e as Error).message);
    }
    let full: string | undefined;
    try {
      full = await this.client.logs(submissionId, { signal: this.abort.signal });
    } catch (e) {
      if (isRayError(e, 'not-found')) return this.gone();
      this.lostContact = true;
      this.note(`${(e as Error).message} (retrying)`);
    }
    if (full === undefined) {
      this.resyncPending = true;
    } else {
      // Ray's tail starts over from the beginning: lay the file out again as header + Ray's whole log
      const size = await stat(this.logPath).then((s) => s.size, () => -1);
      if (typeof this.ext.logStart === 'number' && size >= this.ext.logStart) {
        if (size > this.ext.logStart) await truncate(this.logPath, this.ext.logStart);
      } else {
        await writeFile(this.logPath, `# Ray job ${submissionId} at ${address} (re-attached)\n`);
      }
    }
    this.startOutput();
    if (full !== undefined) {
      this.received(0, full);
      void this.openTail();
    }
    void this.poll();
  }

  handle(): JobHandle {
    return jobHandle(
      this.record,
      this.events,
      this.done,
      async () => {
        if (isFinal(this.record.status) || !this.client || !this.ext.submissionId) return;
        await this.client.stop(this.ext.submissionId);
        this.pollSoon(0);
      },
      () => {
        this.stopped = true;
        clearTimeout(this.timer);
        this.abort.abort();
        this.tail?.close();
        this.events.removeAllListeners('output');
      },
    );
  }

  /** What the file holds now is the first output, after the caller's `await attach()` has returned. */
  private startOutput(): void {
    if (this.chain) return;
    this.chain = new Promise<void>((r) => setImmediate(r))
      .then(() => readFile(this.logPath, 'utf8'))
      .then(
        (text) => void (text && this.events.emit('output', text)),
        () => {},
      );
  }

  private write(text: string): void {
    this.startOutput();
    this.chain = this.chain!.then(() => appendFile(this.logPath, text)).then(
      () => void this.events.emit('output', text),
      () => {},
    );
  }

  private note(line: string): void {
    this.write(`slipway: ${line}\n`);
  }

  /** Ray's log from offset `start` (of its whole log): write only what is new. */
  private received(start: number, text: string): void {
    const end = start + text.length;
    if (this.stopped || end <= this.seen) return;
    this.write(text.slice(Math.max(0, this.seen - start)));
    this.seen = end;
  }

  /**
   * The first GET logs failed, and the file (already shown) holds what an earlier window wrote:
   * continue after it when it is the start of Ray's log, else write Ray's log again, marked.
   */
  private async lateResync(full: string): Promise<void> {
    const bytes = await readFile(this.logPath).catch(() => Buffer.alloc(0));
    const start = typeof this.ext.logStart === 'number' && bytes.length >= this.ext.logStart ? this.ext.logStart : bytes.length;
    const existing = bytes.subarray(start).toString('utf8').replace(/^slipway: .*\n/gm, '');
    if (full.startsWith(existing)) this.seen = existing.length;
    else if (existing) this.note('the log so far, again from Ray:');
    this.received(0, full);
  }

  private async openTail(): Promise<void> {
    const client = this.client!;
    const id = this.ext.submissionId!;
    while (!this.stopped && !this.finishing && !this.pollLogs) {
      let offset = 0;
      try {
        this.tail = await client.openLogTail(
          id,
          (text) => {
            const start = offset;
            offset += text.length;
            this.received(start, text);
          },
          { signal: this.abort.signal },
        );
      } catch (e) {
        if (this.stopped || isRayError(e, 'not-found') || isRayError(e, 'cancelled')) return; // the status poll says what happened
        return this.fallBack(`the log WebSocket failed: ${(e as Error).message}`);
      }
      const opened = Date.now();
      this.tailClosed = this.tail.closed;
      const { code, reason } = await this.tail.closed;
      if (this.stopped || this.finishing) return;
      // 1000: Ray sent everything and the job ended; ask now rather than at the next tick
      if (code === 1000) this.pollSoon(0);
      // a proxy may cut idle connections: reconnect (the tail starts over; `seen` skips the repeat)
      this.tailTroubles = Date.now() - opened > 30_000 ? 1 : this.tailTroubles + 1;
      if (this.tailTroubles > 3) return this.fallBack(`the log WebSocket keeps closing (last: ${code}${reason ? ` ${reason}` : ''})`);
      await sleep(this.pollMs);
    }
  }

  private fallBack(why: string): void {
    if (this.pollLogs || this.stopped) return;
    this.pollLogs = true;
    this.note(`${why}; following the log by polling instead`);
  }

  private async catchUpLogs(): Promise<void> {
    this.received(0, await this.client!.logs(this.ext.submissionId!, { signal: this.abort.signal }));
  }

  private pollSoon(ms: number): void {
    if (this.stopped || this.finishing) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.finishing || this.polling) return;
    this.polling = true;
    clearTimeout(this.timer);
    try {
      if (this.resyncPending) {
        await this.lateResync(await this.client!.logs(this.ext.submissionId!, { signal: this.abort.signal }));
        this.resyncPending = false;
        void this.openTail();
      }
      const d = await this.client!.get(this.ext.submissionId!, { signal: this.abort.signal });
      if (this.lostContact) {
        this.lostContact = false;
        this.note(`Ray at ${this.ext.address} answers again`);
      }
      if (this.pollLogs) await this.catchUpLogs();
      if (isFinal(d.status)) {
        this.polling = false;
        return await this.finish(d);
      }
      await this.update(d);
    } catch (e) {
      if (this.stopped) return;
      if (isRayError(e, 'not-found')) {
        this.polling = false;
        return await this.gone();
      }
      if (!this.lostContact) {
        this.lostContact = true;
        this.note(`${(e as Error).message} (retrying)`);
      }
    } finally {
      this.polling = false;
    }
    this.pollSoon(this.pollMs);
  }

  private async update(d: RayJobDetails): Promise<void> {
    const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : undefined);
    const next: Partial<JobRecord> = {
      status: d.status,
      ...(d.status !== 'PENDING' && d.start_time ? { startedAt: iso(d.start_time) } : {}),
      ...(d.end_time ? { endedAt: iso(d.end_time) } : {}),
      ...(d.driver_exit_code !== null && d.driver_exit_code !== undefined ? { exitCode: d.driver_exit_code } : {}),
    };
    const message = rayOutcomeMessage(d);
    if (message) next.message = message;
    await this.save(next);
  }

  private async save(update: Partial<JobRecord>): Promise<void> {
    if (this.stopped) return;
    const before = JSON.stringify(this.record);
    Object.assign(this.record, update);
    if (JSON.stringify(this.record) === before) return;
    await this.store.save(this.record).catch(() => {});
    this.events.emit('change', { ...this.record });
  }

  private async finish(d: RayJobDetails): Promise<void> {
    if (this.finishing || this.stopped) return;
    this.finishing = true;
    clearTimeout(this.timer);
    // Ray closes the tail right after the last lines; then fill any gap from the whole log
    if (this.tailClosed && !this.pollLogs) await Promise.race([this.tailClosed, sleep(3000)]);
    if (!this.resyncPending) await this.catchUpLogs().catch(() => {});
    this.tail?.close();
    await this.update(d);
    if (!this.record.endedAt) await this.save({ endedAt: new Date().toISOString() });
    await this.end();
  }

  private async end(): Promise<void> {
    this.startOutput();
    this.stopped = true;
    // everything written, and shown, before `done`
    for (let last: Promise<void> | undefined; last !== this.chain; ) await (last = this.chain);
    this.settle({ ...this.record });
  }

  private gone(): Promise<void> {
    return this.fail(`Ray at ${this.ext.address} no longer knows job ${this.ext.submissionId}: the cluster was restarted or the job was deleted, so its outcome is unknown`);
  }

  private async fail(message: string): Promise<void> {
    if (this.finishing || this.stopped) return;
    this.finishing = true;
    clearTimeout(this.timer);
    this.tail?.close();
    await this.save({ status: 'FAILED', message, endedAt: new Date().toISOString() });
    this.note(message);
    await this.end();
  }
}
