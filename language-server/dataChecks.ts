/**
 * The data check of the language server: after the pipeline diagnostics of a version are out, and
 * a pause in typing, read the files `features` names (their schemas only, cached by size and
 * mtime) and send the diagnostics again with the data problems added.
 *
 * - One DuckDB session for the server's life, opened on the first check; if DuckDB cannot load,
 *   that is logged once and no data diagnostics are ever sent.
 * - Checks run one at a time (they share the session, and interrupting a query interrupts the
 *   session's). A newer version or a closed document aborts a pending or running check, and a
 *   result is sent only if its version is still the document's: never stale over new.
 * - Between an edit and its check, the last results are sent again (at their keys' new places)
 *   when what they were computed from is unchanged, so editing elsewhere does not make them blink.
 */
import type { Diagnostic, ParsedPipeline } from '../src/core/pipeline/index';
import { FeatureDb } from '../src/core/features/db';
import { checkFeatureTypes, type CheckOptions } from '../src/core/features/check';
import { dataCheckable, dataCheckKey, problemDiagnostics } from '../src/core/features/diagnostics';
import { defaultSchemaCache, type SchemaCache } from '../src/core/features/sources';
import type { FeatureProblem, FeatureProject } from '../src/core/features/types';
import { baseDir } from './documents';

export interface DataCheckHost {
  /** the document's current version, its parse and pipeline diagnostics (files included); undefined once closed */
  current(uri: string): { version: number; parsed: ParsedPipeline; diagnostics: readonly Diagnostic[] } | undefined;
  publish(uri: string, version: number, diagnostics: readonly Diagnostic[]): void;
  log(message: string): void;
}

export interface DataCheckOptions {
  readonly enabled?: boolean;
  /** from schedule() to the check (default 300 ms) */
  readonly delayMs?: number;
  /** a check taking longer is stopped (a file on a hung network mount; default 30 s) */
  readonly timeoutMs?: number;
  readonly cache?: SchemaCache;
  /** for tests: the check and the session */
  readonly check?: (project: FeatureProject, options: CheckOptions) => Promise<FeatureProblem[]>;
  readonly openDb?: () => Promise<FeatureDb>;
}

interface Pending {
  readonly version: number;
  readonly controller: AbortController;
  timer: NodeJS.Timeout | undefined;
}

/** the session is small: schemas only, and the server shares the machine with the editor */
const openSession = () => FeatureDb.open({ threads: 1, memoryLimit: '512MB' });

export class DataChecks {
  private enabledNow: boolean;
  private readonly delayMs: number;
  private readonly timeoutMs: number;
  private readonly cache: SchemaCache;
  private readonly check: NonNullable<DataCheckOptions['check']>;
  private readonly openDb: () => Promise<FeatureDb>;
  private session: Promise<FeatureDb | undefined> | undefined;
  private readonly pending = new Map<string, Pending>();
  /** the last published check of each document and what it was computed from */
  private readonly results = new Map<string, { key: string; problems: readonly FeatureProblem[] }>();
  private queue: Promise<void> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly host: DataCheckHost,
    options: DataCheckOptions = {},
  ) {
    this.enabledNow = options.enabled ?? true;
    this.delayMs = options.delayMs ?? 300;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.cache = options.cache ?? defaultSchemaCache;
    this.check = options.check ?? checkFeatureTypes;
    this.openDb = options.openDb ?? openSession;
  }

  get enabled(): boolean {
    return this.enabledNow && !this.disposed;
  }

  /** Off: pending checks are dropped and no data diagnostics are carried; the caller re-publishes. */
  setEnabled(enabled: boolean): void {
    this.enabledNow = enabled;
    if (enabled) return;
    for (const uri of [...this.pending.keys()]) this.cancel(uri);
    this.results.clear();
  }

  /** The data diagnostics to send with a version's pipeline diagnostics before its own check is done. */
  carried(uri: string, parsed: ParsedPipeline, diagnostics: readonly Diagnostic[]): Diagnostic[] {
    const last = this.results.get(uri);
    const dir = baseDir(uri);
    if (!this.enabled || !last || !dir || last.key !== dataCheckKey(parsed, dir) || !dataCheckable(parsed, diagnostics)) return [];
    return problemDiagnostics(parsed, last.problems, diagnostics);
  }

  /** Checks `version` of the document after the delay, replacing any check of an older one. */
  schedule(uri: string, version: number): void {
    this.cancel(uri);
    if (!this.enabled) return;
    const entry: Pending = { version, controller: new AbortController(), timer: undefined };
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      this.queue = this.queue.then(() => this.run(uri, entry));
    }, this.delayMs);
    this.pending.set(uri, entry);
  }

  /** Drops the document's pending or running check (an edit arrived, or it closed). */
  cancel(uri: string): void {
    const entry = this.pending.get(uri);
    if (!entry) return;
    this.pending.delete(uri);
    if (entry.timer) clearTimeout(entry.timer);
    entry.controller.abort(new Error('a newer version of the document'));
  }

  forget(uri: string): void {
    this.cancel(uri);
    this.results.delete(uri);
  }

  /** Stops every check and closes the session. */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const uri of [...this.pending.keys()]) this.cancel(uri);
    await this.queue;
    const db = await this.session;
    this.session = undefined;
    db?.close();
  }

  private db(): Promise<FeatureDb | undefined> {
    this.session ??= this.openDb().catch((e: unknown) => {
      this.host.log(`slipway: DuckDB could not be loaded, so slipway.yaml is checked without reading its data files: ${String((e as Error).message).split('\n')[0]}`);
      return undefined;
    });
    return this.session;
  }

  private async run(uri: string, entry: Pending): Promise<void> {
    const { signal } = entry.controller;
    const done = () => {
      if (this.pending.get(uri) === entry) this.pending.delete(uri);
    };
    try {
      const start = this.host.current(uri);
      const dir = baseDir(uri);
      if (signal.aborted || !start || start.version !== entry.version || !dir) return;
      if (!dataCheckable(start.parsed, start.diagnostics)) {
        this.results.delete(uri);
        return;
      }
      const db = await this.db();
      if (!db || signal.aborted) return;
      const key = dataCheckKey(start.parsed, dir);
      const timeout = AbortSignal.timeout(this.timeoutMs);
      let problems: FeatureProblem[];
      try {
        problems = await this.check({ dir, pipeline: start.parsed.model }, { db, cache: this.cache, signal: AbortSignal.any([signal, timeout]) });
      } catch (e) {
        if (signal.aborted) return;
        this.host.log(timeout.aborted ? `slipway: the data check of ${uri} took over ${this.timeoutMs / 1000} s and was stopped` : `slipway: the data check of ${uri} failed: ${(e as Error).message}`);
        return;
      }
      // only the version it was computed for, and only while that is still the document's
      const now = this.host.current(uri);
      if (signal.aborted || !now || now.version !== entry.version) return;
      this.results.set(uri, { key, problems });
      this.host.publish(uri, now.version, [...now.diagnostics, ...problemDiagnostics(now.parsed, problems, now.diagnostics)]);
    } catch (e) {
      this.host.log(`slipway: the data check of ${uri} failed: ${(e as Error).stack ?? e}`);
    } finally {
      done();
    }
  }
}
