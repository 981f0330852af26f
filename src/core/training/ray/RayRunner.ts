/**
 * The Ray target: training.script as a Ray job through the Jobs REST API. Submit = zip the
 * project (package.ts), upload it unless the cluster has it, POST the job with the entrypoint
 * quoted for Ray's shell (entrypoint.ts); following, re-attaching and the outcome are in follow.ts.
 */
import { appendFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import type { RayTarget } from '../../pipeline/index';
import type { JobStore } from '../jobStore';
import { jobEnv, type JobHandle, type JobRecord, type JobSpec, type Runner } from '../types';
import { rayEntrypoint, scriptInPackage } from './entrypoint';
import { isRayError, RayError } from './errors';
import { describeExclusions, mib, PackageError, packageProject, type Exclusion, type PackageOptions } from './package';
import { RayJobFollow, type RayExternal } from './follow';
import { RayJobsClient } from './RayJobsClient';
import type { RaySubmitRequest } from './types';

export { rayOutcomeMessage } from './follow';

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

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

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

