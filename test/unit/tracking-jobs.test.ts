import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MlflowClient, MlflowHttp, findRunOfJob } from '../../src/core/tracking/index';
import { MlflowStandin } from '../support/mlflow-standin';

test('the MLflow run of a training job is found by its slipway.job tag', async () => {
  const standin = new MlflowStandin();
  const url = await standin.start();
  try {
    const client = new MlflowClient(new MlflowHttp({ trackingUri: url }));
    assert.equal(await findRunOfJob(client, 'churn', '20260101000000-abcde'), undefined, 'no experiment yet');
    const exp = await client.createExperiment('churn');
    await client.createRun({ experimentId: exp, runName: 'other', tags: { 'slipway.job': '20260101000000-zzzzz' } });
    const run = await client.createRun({ experimentId: exp, runName: 'mine', tags: { 'slipway.job': '20260101000000-abcde' } });
    assert.equal(await findRunOfJob(client, 'churn', '20260101000000-abcde'), run.info.runId);
    assert.equal(await findRunOfJob(client, 'churn', '20260101000000-nnnnn'), undefined);
    await assert.rejects(findRunOfJob(client, 'churn', "x' or '1"), /not a job id/);
  } finally {
    await standin.stop();
  }
});
