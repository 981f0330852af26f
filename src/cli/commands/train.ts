import { join } from 'node:path';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../io';
import { projectFor } from '../project';
import { JobStore } from '../../core/training/jobStore';
import { LocalRunner, resolvePython } from '../../core/training/local';
import { loadKube } from '../../core/kube/load';
import { RayRunner } from '../../core/training/ray/RayRunner';
import { describeExclusions } from '../../core/training/ray/package';
import { jobSpecFromPipeline, parseParamOverrides, targetProblem } from '../../core/training/spec';
import { JOB_TARGETS, newJobId, type JobHandle, type JobRecord, type JobTarget, type Runner } from '../../core/training/types';
import type { LoadedProject } from '../../core/project/loadProject';

/** The CLI keeps its jobs next to the project, where `slipway jobs` and the editor find them. */
export function cliJobStore(projectDir: string): JobStore {
  return new JobStore(join(projectDir, '.slipway', 'jobs'));
}

export function cliRunner(target: JobTarget, project: LoadedProject, io: CliIo, python?: string): Runner {
  const store = cliJobStore(project.dir);
  if (target === 'local') {
    return new LocalRunner({
      store,
      python: resolvePython({ selected: python, configured: project.pipeline.training?.python, projectDir: project.dir }),
      supervisor: { node: process.execPath, script: join(__dirname, 'job-supervisor.js') },
      baseEnv: io.env,
    });
  }
  if (target === 'kubernetes') return new (loadKube().KubernetesRunner)({ store, target: project.pipeline.training?.targets.kubernetes });
  if (target === 'ray') {
    return new RayRunner({
      store,
      target: project.pipeline.training?.targets.ray,
      onPackage: (p) => io.err(`${p.uploaded ? "uploaded" : "reused"} ${p.uri}: ${p.files} files, ${(p.bytes / 1024).toFixed(0)} KiB${p.excluded.length ? ` (${p.excluded.length} left out: ${describeExclusions(p.excluded)})` : ''}\n`),
    });
  }
  throw new UsageError(`the ${target} target is not available in this build of slipway yet`);
}

/** Streams a job's output to stdout until it ends; the exit code is its outcome. */
export async function follow(handle: JobHandle, io: CliIo): Promise<number> {
  handle.onOutput((t) => io.out(t));
  const final: JobRecord = await handle.done;
  io.err(`\njob ${final.id} ${final.status}${final.message ? `: ${final.message}` : ''}\n`);
  return final.status === 'SUCCEEDED' ? EXIT.ok : EXIT.failed;
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'run training.script locally, on Ray or on Kubernetes',
  usage: 'slipway train [--target local|ray|kubernetes] [--follow] [--param k=v ...] [--python PATH] [--file slipway.yaml]',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      target: { type: 'string', default: 'local' },
      follow: { type: 'boolean', short: 'f' },
      param: { type: 'string', multiple: true, short: 'p' },
      python: { type: 'string' },
      file: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const target = values.target as JobTarget;
    if (!JOB_TARGETS.includes(target)) throw new UsageError(`--target must be one of ${JOB_TARGETS.join(', ')}`);
    let overrides: Record<string, string>;
    try {
      overrides = parseParamOverrides(values.param ?? []);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const project = await projectFor(io.cwd, values.file);
    const problem = targetProblem(project.pipeline, target);
    if (problem) throw new UsageError(problem);
    const spec = jobSpecFromPipeline(project.pipeline, project.dir, { overrides, trackingUri: io.env.MLFLOW_TRACKING_URI });
    const runner = cliRunner(target, project, io, values.python);
    const id = newJobId();
    const handle = await runner.submit(spec, id);
    io.err(`job ${id} submitted (${target}): ${spec.script}\n`);
    if (!values.follow) {
      handle.detach();
      io.out(`${id}\n`);
      return EXIT.ok;
    }
    return follow(handle, io);
  },
};
