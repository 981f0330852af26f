import type { MlflowClient } from './client';
import type { CallOptions } from './http';

/**
 * The MLflow run a Slipway training job logged to: the run tagged `slipway.job = <job id>` in the
 * job's experiment (the training script sets the tag from SLIPWAY_JOB_ID). Undefined when the
 * script logged nothing (no mlflow installed, tracking off).
 */
export async function findRunOfJob(client: MlflowClient, experiment: string, jobId: string, opts?: CallOptions): Promise<string | undefined> {
  if (!/^[\w.-]+$/.test(jobId)) throw new Error(`not a job id: ${JSON.stringify(jobId)}`);
  const exp = await client.findExperimentByName(experiment, opts);
  if (!exp) return undefined;
  const page = await client.searchRuns({ experimentIds: [exp.experimentId], filter: `tags.\`slipway.job\` = '${jobId}'`, maxResults: 1, viewType: 'ALL' }, opts);
  return page.items[0]?.info.runId;
}
