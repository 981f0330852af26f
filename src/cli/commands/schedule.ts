import { stringify } from 'yaml';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand } from '../io';
import { projectFor } from '../project';
import { loadKube } from '../../core/kube/load';
import { jobSpecFromPipeline, targetProblem } from '../../core/training/spec';
import { trainingCronJobManifest } from '../../core/training/kubernetesManifests';

export const scheduleCommand: CliCommand = {
  name: 'schedule',
  summary: 'render training.schedule as a Kubernetes CronJob, or apply it (--apply)',
  usage: 'slipway schedule [--apply] [--api-version batch/v1|batch/v1beta1] [--format yaml|json] [--file slipway.yaml]',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      apply: { type: 'boolean' },
      'api-version': { type: 'string' },
      format: { type: 'string', default: 'yaml' },
      file: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const apiVersion = values['api-version'];
    if (apiVersion !== undefined && apiVersion !== 'batch/v1' && apiVersion !== 'batch/v1beta1') throw new UsageError('--api-version must be batch/v1 or batch/v1beta1');
    if (values.format !== 'yaml' && values.format !== 'json') throw new UsageError('--format must be yaml or json');
    const project = await projectFor(io.cwd, values.file);
    const schedule = project.pipeline.training?.schedule;
    if (!schedule) throw new UsageError('slipway.yaml has no training.schedule (a 5-field cron, e.g. "0 3 * * 1")');
    const problem = targetProblem(project.pipeline, 'kubernetes');
    if (problem) throw new UsageError(problem);
    const target = project.pipeline.training!.targets.kubernetes!;
    const spec = jobSpecFromPipeline(project.pipeline, project.dir, { trackingUri: io.env.MLFLOW_TRACKING_URI });
    const manifest = values.apply
      ? await loadKube().applyTrainingSchedule(spec, target, schedule)
      : trainingCronJobManifest(spec, target, schedule, apiVersion ?? 'batch/v1');
    if (values.apply) io.err(`applied CronJob ${target.namespace}/${(manifest.metadata as { name: string }).name} (${manifest.apiVersion}): ${schedule}\n`);
    io.out(values.format === 'json' ? JSON.stringify(manifest, null, 2) + '\n' : stringify(manifest, { aliasDuplicateObjects: false }));
    return EXIT.ok;
  },
};
