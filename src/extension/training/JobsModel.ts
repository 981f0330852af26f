import * as vscode from 'vscode';
import type { JobStore } from '../../core/training/jobStore';
import type { LoadedProject } from '../../core/project/loadProject';
import { isFinal, newJobId, type JobHandle, type JobRecord, type JobSpec, type JobTarget, type Runner } from '../../core/training/types';

/** Makes the runner for a target, bound to the store the job lives in. */
export type RunnerFactory = (target: JobTarget, store: JobStore, options: { python?: string; project?: LoadedProject }) => Runner;

interface Tracked {
  record: JobRecord;
  store: JobStore;
  handle?: JobHandle;
}

/**
 * Every job of the workspace: the extension's own (workspace storage) and the CLI's (the active
 * project's .slipway/jobs). Follows the running ones; after a reload, re-attaches to them.
 */
export class JobsModel implements vscode.Disposable {
  private readonly jobs = new Map<string, Tracked>();
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly output = new vscode.EventEmitter<string>();
  /** fires when the set of jobs or any job's state changes */
  readonly onDidChange = this.changed.event;
  /** fires with a job id when that job wrote output */
  readonly onDidOutput = this.output.event;
  private stores: JobStore[] = [];
  /** finds the MLflow run a finished job logged to (set once tracking is known) */
  linkRun: ((record: JobRecord) => Promise<string | undefined>) | undefined;

  constructor(
    private readonly ownStore: JobStore,
    private readonly runners: RunnerFactory,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get all(): JobRecord[] {
    return [...this.jobs.values()].map((t) => t.record).sort((a, b) => b.submittedAt.localeCompare(a.submittedAt) || b.id.localeCompare(a.id));
  }

  get(id: string): JobRecord | undefined {
    return this.jobs.get(id)?.record;
  }

  storeOf(id: string): JobStore | undefined {
    return this.jobs.get(id)?.store;
  }

  /** Reads the stores (own first, then e.g. the CLI's) and re-attaches to unfinished jobs. */
  async load(extraStores: JobStore[]): Promise<void> {
    this.stores = [this.ownStore, ...extraStores];
    for (const store of this.stores) {
      for (const record of await store.list().catch(() => [])) {
        const known = this.jobs.get(record.id);
        if (known?.handle) continue;
        this.jobs.set(record.id, { record, store });
        if (!isFinal(record.status)) await this.attach(record, store);
      }
    }
    this.changed.fire();
  }

  private async attach(record: JobRecord, store: JobStore): Promise<void> {
    try {
      const handle = await this.runners(record.target, store, {}).attach(record);
      this.track(handle, store);
      this.log.info(`re-attached to job ${record.id} (${record.target}, ${record.status})`);
    } catch (e) {
      this.log.warn(`cannot re-attach to job ${record.id}: ${(e as Error).message}`);
    }
  }

  async start(target: JobTarget, spec: JobSpec, options: { python?: string; project?: LoadedProject } = {}): Promise<JobRecord> {
    const id = newJobId();
    const handle = await this.runners(target, this.ownStore, options).submit(spec, id);
    this.track(handle, this.ownStore);
    this.log.info(`job ${id} started on ${target}: ${spec.script} ${JSON.stringify(spec.params)}`);
    return handle.record;
  }

  private track(handle: JobHandle, store: JobStore): void {
    const id = handle.record.id;
    this.jobs.set(id, { record: { ...handle.record }, store, handle });
    handle.onOutput(() => this.output.fire(id));
    handle.onChange((r) => {
      const t = this.jobs.get(id);
      if (t) t.record = r;
      this.changed.fire();
    });
    void handle.done.then(async (r) => {
      const t = this.jobs.get(id);
      if (t) {
        t.record = r;
        t.handle = undefined;
      }
      this.log.info(`job ${id} ended: ${r.status}${r.message ? ` (${r.message})` : ''}`);
      this.changed.fire();
      this.output.fire(id);
      if (t && !r.mlflowRunId && this.linkRun) {
        try {
          const runId = await this.linkRun(r);
          if (runId) {
            t.record = { ...r, mlflowRunId: runId };
            await store.save(t.record);
            this.log.info(`job ${id} logged MLflow run ${runId}`);
            this.changed.fire();
          }
        } catch (e) {
          this.log.info(`job ${id}: no MLflow run found (${(e as Error).message})`);
        }
      }
    });
    this.changed.fire();
  }

  /** Resolves with the final record of a job that is running now. */
  whenDone(id: string): Promise<JobRecord> | undefined {
    return this.jobs.get(id)?.handle?.done;
  }

  async cancel(id: string): Promise<void> {
    const t = this.jobs.get(id);
    if (!t || isFinal(t.record.status)) return;
    if (!t.handle) await this.attach(t.record, t.store);
    await this.jobs.get(id)?.handle?.cancel();
  }

  async remove(id: string): Promise<void> {
    const t = this.jobs.get(id);
    if (!t) return;
    if (!isFinal(t.record.status)) throw new Error('cancel the job before removing it');
    await t.store.remove(id);
    this.jobs.delete(id);
    this.changed.fire();
  }

  dispose(): void {
    for (const t of this.jobs.values()) t.handle?.detach(); // jobs keep running without the window
    this.changed.dispose();
    this.output.dispose();
  }
}
