import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { isAbsolute, join } from 'node:path';
import type { JobStore } from './jobStore';
import { LogFollower } from './logFollower';
import type { ExitRecord } from './supervisor';
import { isFinal, jobEnv, jobHandle, paramsToArgs, type JobHandle, type JobRecord, type JobSpec, type Runner } from './types';

export interface LocalRunnerOptions {
  readonly store: JobStore;
  /** the Python that runs the script (see resolvePython) */
  readonly python: string;
  /** how to run out/job-supervisor.js: a Node (or Electron as Node) and the script */
  readonly supervisor: { readonly node: string; readonly script: string; readonly env?: Record<string, string> };
  /** the environment the job starts from (default: this process's) */
  readonly baseEnv?: NodeJS.ProcessEnv;
}

/**
 * The Python a job runs with: the interpreter selected in the editor, else `training.python`
 * (relative to the project), else python3.
 */
export function resolvePython(opts: { selected?: string; configured?: string; projectDir: string }): string {
  if (opts.selected) return opts.selected;
  if (opts.configured) return isAbsolute(opts.configured) || !opts.configured.includes('/') ? opts.configured : join(opts.projectDir, opts.configured);
  return 'python3';
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs training.script with the project's Python on this machine, under a detached supervisor. */
export class LocalRunner implements Runner {
  readonly target = 'local' as const;

  constructor(private readonly options: LocalRunnerOptions) {}

  async submit(spec: JobSpec, id: string, signal?: AbortSignal): Promise<JobHandle> {
    signal?.throwIfAborted();
    const { store } = this.options;
    const record: JobRecord = { id, target: 'local', status: 'PENDING', spec, submittedAt: new Date().toISOString() };
    await store.save(record);
    const args = [spec.script, ...paramsToArgs(spec.params)];
    await writeFile(store.logPath(id), `$ ${[this.options.python, ...args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ')}\n`);
    await writeFile(store.controlPath(id), JSON.stringify({ command: this.options.python, args, cwd: spec.projectDir, log: store.logPath(id), exit: store.exitPath(id) }));
    // the supervisor's own errors (it cannot start the script, it crashes) go to the job's log too
    const logFd = openSync(store.logPath(id), 'a');
    const sup = spawn(this.options.supervisor.node, [this.options.supervisor.script, store.controlPath(id)], {
      cwd: spec.projectDir,
      env: { ...(this.options.baseEnv ?? process.env), ...this.options.supervisor.env, ...jobEnv(spec, id) },
      stdio: ['ignore', logFd, logFd],
      detached: true,
    });
    closeSync(logFd);
    const started = await new Promise<Error | undefined>((resolve) => {
      sup.once('spawn', () => resolve(undefined));
      sup.once('error', (e) => resolve(e));
    });
    if (started) {
      record.status = 'FAILED';
      record.message = `could not start the job supervisor (${this.options.supervisor.node}): ${started.message}`;
      record.endedAt = new Date().toISOString();
      await store.save(record);
      return this.attach(record);
    }
    sup.unref();
    record.status = 'RUNNING';
    record.startedAt = new Date().toISOString();
    record.external = { pid: sup.pid! };
    await store.save(record);
    return this.attach(record);
  }

  async attach(initial: JobRecord): Promise<JobHandle> {
    const { store } = this.options;
    const record: JobRecord = { ...initial };
    const events = new EventEmitter();
    const follower = new LogFollower(store.logPath(record.id), (t) => events.emit('output', t));
    let settle!: (r: JobRecord) => void;
    const done = new Promise<JobRecord>((r) => (settle = r));
    let poll: NodeJS.Timeout | undefined;
    let detached = false;

    const readExit = async (): Promise<ExitRecord | undefined> => {
      try {
        return JSON.parse(await readFile(store.exitPath(record.id), 'utf8')) as ExitRecord;
      } catch {
        return undefined;
      }
    };
    const finish = async (update: Partial<JobRecord>) => {
      if (poll) clearTimeout(poll);
      Object.assign(record, update);
      await store.save(record).catch(() => {});
      await follower.drain();
      events.emit('change', { ...record });
      settle({ ...record });
    };
    const check = async () => {
      if (detached) return;
      const exit = await readExit();
      if (exit) {
        return finish({ status: exit.status, exitCode: exit.exitCode, message: exit.message, endedAt: exit.endedAt, startedAt: record.startedAt ?? exit.startedAt });
      }
      if (!alive(Number(record.external?.pid))) {
        // a last look: the supervisor may have written its record as it went
        const late = await readExit();
        if (late) return finish({ status: late.status, exitCode: late.exitCode, message: late.message, endedAt: late.endedAt });
        return finish({ status: 'FAILED', endedAt: new Date().toISOString(), message: 'the job process is gone without an exit record (was the machine restarted?)' });
      }
      poll = setTimeout(() => void check(), 300);
    };

    follower.start();
    if (isFinal(record.status)) {
      void follower.drain().then(() => settle({ ...record }));
    } else {
      void check();
    }
    return jobHandle(
      record,
      events,
      done,
      async () => {
        if (isFinal(record.status)) return;
        const pid = Number(record.external?.pid);
        if (alive(pid)) process.kill(pid, 'SIGTERM'); // the supervisor stops the process group and records STOPPED
      },
      () => {
        detached = true;
        if (poll) clearTimeout(poll);
        follower.stop();
      },
    );
  }
}
