import type { Pipeline } from '../pipeline/index';
import type { JobSpec, JobTarget } from './types';

/** Why `target` cannot run this pipeline's training, in words that say what to add; undefined when it can. */
export function targetProblem(pipeline: Pipeline, target: JobTarget): string | undefined {
  const training = pipeline.training;
  if (!training) return 'slipway.yaml has no training section: add training.script (the file to run).';
  if (!training.script) {
    return training.notebook
      ? `training.notebook is set; run "Slipway: Notebook to Training Script" (or point training.script at a .py file) to train from it.`
      : 'slipway.yaml has no training.script: name the Python file to run.';
  }
  if (target === 'ray' && !training.targets.ray) return 'slipway.yaml has no training.targets.ray: add `address: http://<head>:8265` (the Ray dashboard / Jobs API).';
  if (target === 'kubernetes' && !training.targets.kubernetes) {
    return 'slipway.yaml has no training.targets.kubernetes: add `image:` (an image with your code\'s dependencies) and optionally namespace/context/resources.';
  }
  return undefined;
}

/** Parses `k=v` overrides from a command line; values stay strings, as they reach the script. */
export function parseParamOverrides(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`--param ${JSON.stringify(item)}: expected key=value`);
    const key = item.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new Error(`--param ${JSON.stringify(item)}: "${key}" is not a parameter name`);
    out[key] = item.slice(eq + 1);
  }
  return out;
}

/** What to run for this pipeline: the script, its params (overrides win) and the MLflow link. */
export function jobSpecFromPipeline(
  pipeline: Pipeline,
  projectDir: string,
  options: { overrides?: Readonly<Record<string, string | number | boolean>>; trackingUri?: string; env?: Record<string, string> } = {},
): JobSpec {
  const problem = targetProblem(pipeline, 'local');
  if (problem) throw new Error(problem);
  const training = pipeline.training!;
  return {
    projectDir,
    project: pipeline.name,
    script: training.script!,
    params: { ...training.params, ...options.overrides },
    trackingUri: pipeline.tracking.uri ?? options.trackingUri,
    experiment: pipeline.tracking.experiment,
    ...(options.env ? { env: options.env } : {}),
  };
}
