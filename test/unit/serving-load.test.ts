// The load test of issue 7: `slipway serve` as a child process, 10,000 requests from a second
// process (test/support/loadgen.mjs) over 64 keep-alive connections; zero errors, and after a
// clean stop the inference table holds exactly 10,000 records.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inferenceLogFiles } from '../../src/core/serving/inferenceLog';
import { countRecords, loadgen, needsCli, pythonReference, startCli, tempDir, trainChurn, v2Body } from '../support/serving-fixture';

const tmp = tempDir('serving-load');
after(() => tmp.remove());

test('10,000 requests from a second process: zero errors, exactly 10,000 inference records after a clean stop', { skip: needsCli }, async (t) => {
  const model = await trainChurn(tmp.dir);
  const reference = await pythonReference(model, 500, tmp.dir);
  const bodies = join(tmp.dir, 'bodies.jsonl');
  writeFileSync(bodies, reference.features.map((row, i) => v2Body([row], `row-${i}`)).join('\n') + '\n');
  const log = join(tmp.dir, 'log');
  const server = await startCli(['--model', model, '--name', 'churn', '--port', '0', '--log', log, '--log-max-mb', '1'], tmp.dir);
  let report;
  try {
    // each response's label must be Python's for its row
    const labels = JSON.stringify(reference.label);
    report = await loadgen([
      '--url', `${server.url}/v2/models/churn/infer`,
      '--connections', '64',
      '--requests', '10000',
      '--body-file', bodies,
      '--check', `b.outputs[0].data[0] === ${labels}[Number(b.id.slice(4))] && b.outputs[1].data.length === 2`,
    ]);
  } finally {
    const code = await server.stop('SIGTERM');
    assert.equal(code, 0, server.stderr());
  }
  t.diagnostic(`loadgen: ${report.throughput} req/s, p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, ${report.seconds} s`);
  assert.equal(report.errors, 0, JSON.stringify(report.errorSamples));
  assert.equal(report.ok, 10_000);
  const files = inferenceLogFiles(log);
  assert.ok(files.length > 1, 'rotated (--log-max-mb 1)');
  assert.equal(countRecords(files), 10_000);
  const ids = new Set(files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { request_id: string }).request_id)));
  assert.equal(ids.size, 500, 'every row of the body file was served (and logged under its id)');
});
