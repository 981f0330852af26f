// models:/ URIs through the registry (the MLflow stand-in): parsing, the version an alias or
// number names, its run's metrics for model.gates, the files downloaded once into a cache, and
// the CLI: `slipway serve --model models:/...` serving that version (with the version it
// reports), `slipway deploy render --model models:/...` rendering it with its artifact location.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MlflowClient, MlflowError } from '../../src/core/tracking';
import { RegistryClient, RegistryModels, parseModelsUri, ModelsUriError } from '../../src/core/registry';
import { MlflowStandin } from '../support/mlflow-standin';
import { CLI, needsCli, startCli, tempDir, trainChurn } from '../support/serving-fixture';

const exec = promisify(execFile);
const skip = needsCli;
const tmp = tempDir('registry-resolve');
const RUN_GOOD = 'a'.repeat(32);
const RUN_WEAK = 'b'.repeat(32);
let server: MlflowStandin;
let url = '';

before(async () => {
  if (skip) return;
  const modelDir = await trainChurn(tmp.dir, 10);
  const files = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [`model/${f}`, readFileSync(join(dir, f))]));
  server = new MlflowStandin().seed({
    experiments: [{ id: '7', name: 'churn' }],
    runs: [
      { id: RUN_GOOD, experimentId: '7', name: 'good', status: 'FINISHED', metrics: { val_auc: [{ value: 0.7, step: 0 }, { value: 0.91, step: 1 }], loss: 0.3 }, artifacts: files(modelDir) },
      { id: RUN_WEAK, experimentId: '7', name: 'weak', status: 'FINISHED', metrics: { val_auc: 0.55 }, artifacts: files(modelDir) },
    ],
    registeredModels: [
      {
        name: 'churn-classifier',
        versions: [
          { version: '1', source: `mlflow-artifacts:/7/${RUN_GOOD}/artifacts/model`, runId: RUN_GOOD },
          { version: '2', source: `mlflow-artifacts:/7/${RUN_WEAK}/artifacts/model`, runId: RUN_WEAK },
        ],
        aliases: { champion: '1' },
      },
      { name: 'pickled', versions: [{ version: '1', source: `mlflow-artifacts:/7/${RUN_GOOD}/artifacts/nothing-here`, runId: RUN_GOOD }] },
      { name: 'on-s3', versions: [{ version: '1', source: 's3://bucket/models/on-s3/1', runId: RUN_GOOD }] },
    ],
  });
  server.store.putFile(`mlflow-artifacts:/7/${RUN_GOOD}/artifacts/nothing-here/model.pkl`, 'not onnx');
  url = await server.start();
});
after(async () => {
  await server?.stop();
  tmp.remove();
});

test('parseModelsUri: alias, version number, latest; stages and malformed URIs are refused with the forms', () => {
  assert.deepEqual(parseModelsUri('models:/churn@champion'), { name: 'churn', alias: 'champion' });
  assert.deepEqual(parseModelsUri('models:/churn/12'), { name: 'churn', version: '12' });
  assert.deepEqual(parseModelsUri(' models:/churn/latest '), { name: 'churn', latest: true });
  for (const bad of ['churn@x', 'models:/churn', 'models:/', 'models:/@x', 'models:/churn@', 'models:/a/b/3', 'models:/churn/0', 'models:/churn/1.5']) {
    assert.throws(() => parseModelsUri(bad), ModelsUriError, bad);
  }
  assert.throws(() => parseModelsUri('models:/churn/Production'), /stages .* deprecated .*models:\/churn@ALIAS/);
});

test('RegistryModels: an alias → the version, its run metrics (latest value), its files downloaded once', { skip }, async () => {
  const cacheDir = join(tmp.dir, 'cache-a');
  const registry = new RegistryClient({ trackingUri: url });
  const models = new RegistryModels({ registry, mlflow: new MlflowClient({ trackingUri: url }), cacheDir });
  const first = server.requests.length;
  const m = await models.deployModel('models:/churn-classifier@champion');
  assert.ok(server.requests.slice(first).filter((r) => /artifacts/.test(r.url)).length >= 2, 'the files were downloaded');
  assert.equal(m.version, '1');
  assert.equal(m.runId, RUN_GOOD);
  assert.deepEqual(m.metrics, { val_auc: 0.91, loss: 0.3 });
  assert.equal(m.storageUri, `mlflow-artifacts:/7/${RUN_GOOD}/artifacts/model`);
  assert.equal(m.localDir, join(cacheDir, 'churn-classifier', '1'));
  assert.deepEqual(readdirSync(m.localDir!).filter((f) => !f.startsWith('.')).sort(), ['model.json', 'model.onnx']);
  // the second time nothing is downloaded: the folder is complete
  const before = server.requests.length;
  const again = await models.serveModel('models:/churn-classifier/1');
  assert.deepEqual(again, { path: join(cacheDir, 'churn-classifier', '1', 'model.onnx'), name: 'churn-classifier', version: '1' });
  const downloads = server.requests.slice(before).filter((r) => /artifacts/.test(r.url));
  assert.deepEqual(downloads.map((r) => r.url), [], 'no artifact request for a cached version');
  // a half-finished download (no completion marker) is never used: downloaded again
  const half = join(cacheDir, 'churn-classifier', '2');
  mkdirSync(half, { recursive: true });
  writeFileSync(join(half, 'model.onnx'), 'truncated');
  const latest = await models.serveModel('models:/churn-classifier/latest');
  assert.equal(latest.version, '2');
  assert.equal(latest.path, join(half, 'model.onnx'));
  assert.ok(readFileSync(latest.path).length > 1000, 'the whole model, not the truncated file');
});

test('RegistryModels: clear errors for an unknown alias, a version without ONNX, s3:// without the artifact store', { skip }, async () => {
  const registry = new RegistryClient({ trackingUri: url });
  const models = new RegistryModels({ registry, cacheDir: join(tmp.dir, 'cache-b') });
  await assert.rejects(models.deployModel('models:/churn-classifier@nope'), (e: Error) => e instanceof MlflowError && /no alias "nope"/.test(e.message));
  await assert.rejects(models.serveModel('models:/pickled/1'), /has no \.onnx file .*Slipway serves ONNX models/);
  assert.deepEqual(readdirSync(join(tmp.dir, 'cache-b', 'pickled')), [], 'a failed download leaves nothing behind');
  await assert.rejects(models.serveModel('models:/on-s3/1'), /stored at s3:\/\/bucket\/models\/on-s3\/1: set the artifact store's credentials/);
  await assert.rejects(models.serveModel('models:/nobody/latest'), /has no version of nobody|RESOURCE_DOES_NOT_EXIST|not found/i);
  // without the run client, no metrics: gates then fail closed
  assert.deepEqual((await models.deployModel('models:/churn-classifier/1')).metrics, {});
  // s3:// through the injected fetcher (the artifact store's fetchToLocal)
  const fetched = join(tmp.dir, 'fetched');
  mkdirSync(fetched, { recursive: true });
  writeFileSync(join(fetched, 'model.onnx'), readFileSync(join(tmp.dir, 'cache-a', 'churn-classifier', '1', 'model.onnx')));
  const viaS3 = new RegistryModels({ registry, cacheDir: join(tmp.dir, 'cache-c'), fetchToLocal: async (uri) => (assert.equal(uri, 's3://bucket/models/on-s3/1/'), fetched) });
  assert.equal((await viaS3.serveModel('models:/on-s3/1')).path, join(tmp.dir, 'cache-c', 'on-s3', '1', 'model.onnx'));
});

test('slipway serve --model models:/NAME@ALIAS serves that version; SLIPWAY_MODEL_VERSION and --model-version set the version it reports', { skip }, async () => {
  const work = join(tmp.dir, 'serve-work');
  mkdirSync(work, { recursive: true });
  const saved = process.env.MLFLOW_TRACKING_URI;
  process.env.MLFLOW_TRACKING_URI = url;
  try {
    const s = await startCli(['--model', 'models:/churn-classifier@champion', '--port', '0', '--log', join(work, 'log')], work);
    try {
      const meta = (await (await fetch(`${s.url}/v2/models/churn-classifier`)).json()) as { name: string; versions: string[] };
      assert.deepEqual([meta.name, meta.versions], ['churn-classifier', ['1']]);
      assert.match(s.stdout(), /serving churn-classifier version 1 from .*\.slipway\/models\/churn-classifier\/1\/model\.onnx|serving churn-classifier version 1 from .*models\/churn-classifier\/1\/model\.onnx/);
    } finally {
      await s.stop();
    }
    // what the Deployment sets (env SLIPWAY_MODEL_VERSION): the version the registry knows, whatever the files say
    process.env.SLIPWAY_MODEL_VERSION = '1-rc';
    const pinned = await startCli(['--model', 'models:/churn-classifier@champion', '--port', '0', '--log', join(work, 'log')], work).finally(() => delete process.env.SLIPWAY_MODEL_VERSION);
    try {
      assert.deepEqual(((await (await fetch(`${pinned.url}/v2/models/churn-classifier`)).json()) as { versions: string[] }).versions, ['1-rc']);
    } finally {
      await pinned.stop();
    }
  } finally {
    if (saved === undefined) delete process.env.MLFLOW_TRACKING_URI;
    else process.env.MLFLOW_TRACKING_URI = saved;
  }
  const bad = await exec(process.execPath, [CLI, 'serve', '--model', 'models:/churn-classifier@champion', '--model-version', 'a b'], { cwd: work }).catch((e) => e as { code: number; stderr: string });
  assert.equal((bad as { code: number }).code, 2);
  assert.match((bad as { stderr: string }).stderr, /--model-version "a b": letters, digits/);
  const noServer = await exec(process.execPath, [CLI, 'serve', '--model', 'models:/churn-classifier@champion'], { cwd: work, env: { ...process.env, MLFLOW_TRACKING_URI: '' } }).catch((e) => e as { code: number; stderr: string });
  assert.notEqual((noServer as { code: number }).code, 0);
  assert.match((noServer as { stderr: string }).stderr, /no MLflow tracking server/);
});

test('slipway deploy render --model models:/NAME@ALIAS renders the registry version with its artifact location', { skip }, async () => {
  const project = join(tmp.dir, 'deploy-project');
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'slipway.yaml'),
    `version: 1\nname: churn\ntracking:\n  uri: ${url}\nmodel:\n  name: churn-classifier\ndeploy:\n  target: kserve\n  namespace: ml\n  alias: champion\n`,
  );
  const { stdout } = await exec(process.execPath, [CLI, 'deploy', 'render', '--format', 'json'], { cwd: project, env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
  const objects = JSON.parse(stdout) as { kind: string; metadata: { annotations?: Record<string, string> }; spec?: { predictor?: { model?: { storageUri?: string } } } }[];
  const isvc = objects.find((o) => o.kind === 'InferenceService')!;
  assert.equal(isvc.metadata.annotations?.['slipway.dev/model-version'], '1');
  assert.equal(isvc.spec?.predictor?.model?.storageUri, `mlflow-artifacts:/7/${RUN_GOOD}/artifacts/model`);
  assert.ok(existsSync(join(project, '.slipway', 'models', 'churn-classifier', '1', 'model.onnx')), 'downloaded into the project cache');
});
