import { EventEmitter } from 'node:events';
import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { RayTarget } from '../../pipeline/index';
import type { JobStore } from '../jobStore';
import { LogFollower } from '../logFollower';
import { isFinal, jobEnv, type JobHandle, type JobRecord, type JobSpec, type Runner } from '../types';
import { rayEntrypoint, scriptInPackage } from './entrypoint';
import { isRayError, RayError } from './errors';
import { describeExclusions, mib, PackageError, packageProject, type Exclusion, type PackageOptions } from './package';
import { RayJobsClient, type RayLogTail } from './RayJobsClient';
import type { RayJobDetails, RaySubmitRequest } from './types';

export interface RayPackageSummary {
  readonly jobId: string;
  readonly uri: string;
  readonly files: number;
  readonly bytes: number;
  /** false when the cluster already had this exact package */
  readonly uploaded: boolean;
  readonly excluded: readonly Exclusion[];
}

export interface RayRunnerOptions {
  readonly store: JobStore;
  /** training.targets.ray; needed to submit, not to attach */
  readonly target?: RayTarget;
  /**
   * The Python the entrypoint starts, on the cluster: default `python`, the cluster's own (with
   * runtime_env.pip installed into it by Ray). Never the editor's interpreter: it is on this machine.
   */
  readonly python?: string;
  /** how often the job's status is asked for; default 1000 ms */
  readonly pollMs?: number;
  /** per request; default 10 s (uploads scale with their size) */
  readonly timeoutMs?: number;
  /** per-file and total limits, extra exclusions */
  readonly package?: Omit<PackageOptions, 'signal'>;
  /** what was packaged and left out, so the UI can tell the user */
  readonly onPackage?: (summary: RayPackageSummary) => void;
  /** for tests, or to share clients */
  readonly client?: (address: string) => RayJobsClient;
  /** one line per request, no bodies */
  readonly log?: (line: string) => void;
}

interface RayExternal {
  readonly address: string;
  readonly submissionId: string;
  /** bytes of Slipway's own header at the top of the job's log file; Ray's log follows */
  readonly logStart?: number;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

/** Runs training.script as a Ray job through the Jobs REST API, with the project folder as working_dir. */
export class RayRunner implements Runner {
  readonly target = 'ray' as const;
  private readonly clients = new Map<string, RayJobsClient>();

  constructor(private readonly options: RayRunnerOptions) {}

  private client(address: string): RayJobsClient {
    let c = this.clients.get(address);
    if (!c) {
      c = this.options.client?.(address) ?? new RayJobsClient({ address, ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}), ...(this.options.log ? { log: this.options.log } : {}) });
      this.clients.set(address, c);
    }
    return c;
  }

  async submit(spec: JobSpec, id: string, signal?: AbortSignal): Promise<JobHandle> {
    const target = this.options.target;
    if (!target) throw new Error('slipway.yaml has no training.targets.ray: add `address: http://<head>:8265` (the Ray dashboard / Jobs API).');
    signal?.throwIfAborted();
    const { store } = this.options;
    const client = this.client(target.address);
    const submissionId = `slipway-${id}`.toLowerCase();
    const entrypoint = rayEntrypoint(this.options.python ?? 'python', spec.script, spec.params);
    const record: JobRecord = {
      id,
      target: 'ray',
      status: 'PENDING',
      spec,
      submittedAt: new Date().toISOString(),
      external: { address: client.displayAddress, submissionId } satisfies RayExternal,
    };
    const logPath = store.logPath(id);
    await store.save(record);
    await writeFile(logPath, `# Ray job ${submissionId} at ${client.displayAddress}\n`);
    const note = (line: string) => appendFile(logPath, `slipway: ${line}\n`);

    try {
      const storeDir = relative(spec.projectDir, store.dir);
      const inProject = storeDir && !storeDir.startsWith('..') && !isAbsolute(storeDir);
      const exclude = [...(this.options.package?.exclude ?? []), ...(inProject ? [`/${storeDir.split(sep).join('/')}/`] : [])];
      const pkg = await packageProject(spec.projectDir, { ...this.options.package, exclude, signal });
      const script = scriptInPackage(spec.script);
      if (!pkg.files.some((f) => f.path === script)) {
        const why = pkg.excluded.find((e) => script === e.path || (e.path.endsWith('/') && script.startsWith(e.path)));
        throw new PackageError('unreadable', why ? `training.script ${script} is left out of the upload (${describeExclusions([why])}): it must be uploaded to run on Ray` : `training.script ${script} is not in ${spec.projectDir}`);
      }
      const unzipped = pkg.files.reduce((n, f) => n + f.bytes, 0);
      await note(`packaged ${pkg.files.length} files (${mib(unzipped)}, ${mib(pkg.bytes.length)} zipped) as ${pkg.uri}`);
      if (pkg.excluded.length) await note(`left out of the upload: ${describeExclusions(pkg.excluded)}`);
      const exists = await client.packageExists(pkg.uri, { signal });
      if (!exists) await client.uploadPackage(pkg.uri, pkg.bytes, { signal });
      await note(exists ? 'the cluster already has this package: not uploaded again' : `uploaded ${pkg.uri}`);
      this.options.onPackage?.({ jobId: id, uri: pkg.uri, files: pkg.files.length, bytes: pkg.bytes.length, uploaded: !exists, excluded: pkg.excluded });

      const loopbackMlflow = spec.trackingUri ? LOOPBACK.test(safeHost(spec.trackingUri)) : false;
      if (loopbackMlflow && !LOOPBACK.test(safeHost(client.displayAddress))) {
        await note(`MLFLOW_TRACKING_URI is ${spec.trackingUri}: on the cluster that address is the cluster's own machine, not this one. Use an address the cluster can reach.`);
      }
      // env_vars are stored by Ray and shown in its dashboard: jobEnv carries only what the caller put in spec.env
      const request: RaySubmitRequest = {
        entrypoint,
        submission_id: submissionId,
        runtime_env: { working_dir: pkg.uri, ...(target.pip.length ? { pip: [...target.pip] } : {}), env_vars: jobEnv(spec, id) },
        metadata: { 'slipway.job': id, 'slipway.project': spec.project },
        entrypoint_num_cpus: target.numCpus,
        entrypoint_num_gpus: target.numGpus,
      };
      try {
        await client.submit(request, { signal });
      } catch (e) {
        // a lost answer is not a lost job: if Ray has it, it was submitted
        if (!isRayError(e, 'timeout') && !isRayError(e, 'unreachable')) throw e;
        const known = await client.get(submissionId).catch(() => undefined);
        if (!known) throw e;
      }
    } catch (e) {
      const cancelled = isRayError(e, 'cancelled') || (e instanceof PackageError && e.kind === 'cancelled') || signal?.aborted;
      const message = cancelled ? 'cancelled before it was submitted to Ray' : (e as Error).message;
      Object.assign(record, { status: cancelled ? 'STOPPED' : 'FAILED', message, endedAt: new Date().toISOString() });
      await store.save(record);
      await note(message);
      if (cancelled) throw isRayError(e) ? e : new RayError('cancelled', 'cancelled before the job was submitted to Ray');
      return this.attach(record);
    }
    record.external = { ...record.external, logStart: (await stat(logPath)).size };
    await store.save(record);
    return this.attach(record);
  }

  async attach(initial: JobRecord): Promise<JobHandle> {
    const follow = new RayJobFollow(this.options.store, { ...initial }, this.options.pollMs ?? 1000, (a) => this.client(a));
    await follow.start();
    return follow.handle();
  }
}

function safeHost(uri: string): string {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) ? uri : `http://${uri}`).hostname;
  } catch {
    return '';
  }
}

/**
 * Follows one Ray job: the log over the WebSocket (or, when that fails, by polling GET logs),
 * appended to the store's log file; the status by polling; the final record once Ray says so.
 *
 * Offsets: Ray's tail and GET logs both start at the beginning of the job's log, so `seen`
 * counts the characters of Ray's log already written, and each source writes only what is past it.
 */
class RayJobFollow {
  private readonly events = new EventEmitter();
  private readonly follower: LogFollower;
  private followerStarted = false;
  private readonly logPath: string;
  private readonly abort = new AbortController();
  private settle!: (r: JobRecord) => void;
  readonly done = new Promise<JobRecord>((r) => (this.settle = r));
  private seen = 0;
  private writes: Promise<void> = Promise.resolve();
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
    this.follower = new LogFollower(this.logPath, (t) => this.events.emit('output', t));
    this.ext = (record.external ?? {}) as Partial<RayExternal>;
  }

  async start(): Promise<void> {
    if (isFinal(this.record.status)) {
      this.stopped = true;
      this.startFollower();
      void this.follower.drain().then(() => this.settle({ ...this.record }));
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
      this.received(0, full);
      void this.openTail();
    }
    this.startFollower();
    void this.poll();
  }

  handle(): JobHandle {
    const events = this.events;
    return {
      record: this.record,
      onOutput(listener) {
        events.on('output', listener);
        return { dispose: () => events.off('output', listener) };
      },
      onChange(listener) {
        events.on('change', listener);
        return { dispose: () => events.off('change', listener) };
      },
      cancel: async () => {
        if (isFinal(this.record.status) || !this.client || !this.ext.submissionId) return;
        await this.client.stop(this.ext.submissionId);
        this.pollSoon(0);
      },
      done: this.done,
      detach: () => {
        this.stopped = true;
        clearTimeout(this.timer);
        this.abort.abort();
        this.tail?.close();
        this.follower.stop();
      },
    };
  }

  private startFollower(): void {
    if (this.followerStarted) return;
    this.followerStarted = true;
    this.follower.start();
  }

  private write(text: string): void {
    this.writes = this.writes.then(() => appendFile(this.logPath, text)).catch(() => {});
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
    this.startFollower();
    await this.writes;
    this.stopped = true;
    await this.follower.drain();
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
