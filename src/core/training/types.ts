import type { EventEmitter } from 'node:events';

/** Where a training job runs. */
export type JobTarget = 'local' | 'ray' | 'kubernetes';
export const JOB_TARGETS: readonly JobTarget[] = ['local', 'ray', 'kubernetes'];

/** The life of a job, with Ray's names (Kubernetes and local map onto them). */
export type JobStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';
export const FINAL_STATUSES: readonly JobStatus[] = ['SUCCEEDED', 'FAILED', 'STOPPED'];
export const isFinal = (s: JobStatus): boolean => FINAL_STATUSES.includes(s);

/** What to run: the same for every target. */
export interface JobSpec {
  /** the folder of slipway.yaml: the working directory, and what is uploaded to Ray */
  readonly projectDir: string;
  /** the project's name (slipway.yaml `name`) */
  readonly project: string;
  /** training.script, relative to projectDir */
  readonly script: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  /** MLFLOW_TRACKING_URI for the job; undefined when the project has no tracking server */
  readonly trackingUri?: string;
  readonly experiment: string;
  /** extra environment for the job (never secrets written to disk) */
  readonly env?: Readonly<Record<string, string>>;
}

/** A job as stored: enough to show it, follow it and re-attach to it after a reload. */
export interface JobRecord {
  readonly id: string;
  readonly target: JobTarget;
  status: JobStatus;
  readonly spec: JobSpec;
  readonly submittedAt: string;
  startedAt?: string;
  endedAt?: string;
  exitCode?: number;
  /** why it ended, in plain words, when it did not succeed */
  message?: string;
  /** how the target knows the job: a pid, a Ray submission id, a Kubernetes Job name */
  external?: Readonly<Record<string, string | number>>;
  /** the MLflow run the job logged to, once known */
  mlflowRunId?: string;
}

/** A job being followed. */
export interface JobHandle {
  readonly record: JobRecord;
  /** called with each piece of output as it arrives (also what was written before attaching) */
  onOutput(listener: (text: string) => void): { dispose(): void };
  /** called whenever the record changes (status, times, exit code) */
  onChange(listener: (record: JobRecord) => void): { dispose(): void };
  cancel(): Promise<void>;
  /** resolves with the final record */
  readonly done: Promise<JobRecord>;
  /** stops following (the job keeps running) */
  detach(): void;
}

export interface Runner {
  readonly target: JobTarget;
  submit(spec: JobSpec, id: string, signal?: AbortSignal): Promise<JobHandle>;
  /** follows a job submitted earlier (another window, the CLI, before a reload) */
  attach(record: JobRecord): Promise<JobHandle>;
}

/** `params` as command-line arguments: `--key value`, scalars only, in the file's order. */
export function paramsToArgs(params: Readonly<Record<string, string | number | boolean>>): string[] {
  return Object.entries(params).flatMap(([k, v]) => [`--${k}`, String(v)]);
}

/** The environment every target gives the job, linking it to MLflow and to its Slipway record. */
export function jobEnv(spec: JobSpec, id: string): Record<string, string> {
  const env: Record<string, string> = { ...spec.env, MLFLOW_EXPERIMENT_NAME: spec.experiment, SLIPWAY_JOB_ID: id, PYTHONUNBUFFERED: '1' };
  if (spec.trackingUri) env.MLFLOW_TRACKING_URI = spec.trackingUri;
  return env;
}

/** A job id: sortable by time, unique enough for one workspace, valid as a Kubernetes name part. */
export function newJobId(now = new Date(), random = Math.random): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${stamp}-${Math.floor(random() * 36 ** 5).toString(36).padStart(5, '0')}`;
}

/**
 * A JobHandle over a runner's emitter ('output' with text, 'change' with the record): the
 * subscription plumbing every runner shares; the runner supplies cancel and detach.
 */
export function jobHandle(record: JobRecord, events: EventEmitter, done: Promise<JobRecord>, cancel: () => Promise<void>, detach: () => void): JobHandle {
  return {
    record,
    onOutput(listener) {
      events.on('output', listener);
      return { dispose: () => events.off('output', listener) };
    },
    onChange(listener) {
      events.on('change', listener);
      return { dispose: () => events.off('change', listener) };
    },
    cancel,
    done,
    detach,
  };
}
