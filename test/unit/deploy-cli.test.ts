// `slipway deploy` without a cluster: render, gitops, the gates guard and the errors a user can
// act on, with their exit codes (0 ok, 1 refused or failed, 2 usage or configuration).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve('out/cli.js');
let dir = '';

// no cluster and no Docker Engine: whatever reaches for them fails loudly
const cli = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [CLI, 'deploy', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, KUBECONFIG: join(dir, 'no-kubeconfig'), DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}`, SLIPWAY_USER: 'cli-test', MLFLOW_TRACKING_URI: '', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const project = (deploy: string | undefined) =>
  writeFileSync(
    join(dir, 'slipway.yaml'),
    `version: 1\nname: churn\nmodel:\n  name: churn-classifier\n  gates:\n    - { metric: val_auc, op: ">=", value: 0.8 }\nserving:\n  image: registry.local/churn-serve\n${deploy === undefined ? '' : `deploy:\n${deploy}`}`,
  );

describe('slipway deploy (no cluster)', { skip: !existsSync(CLI) && 'build first (npm run build)' }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-cli-'));
    for (const [name, auc] of [['good', 0.91], ['weak', 0.6]] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'model.onnx'), name);
      writeFileSync(join(dir, name, 'model.json'), JSON.stringify({ version: '4', metrics: { val_auc: auc } }));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('usage errors exit 2 and say what is missing', () => {
    project('  target: kubernetes\n  namespace: ml\n');
    const none = cli([]);
    assert.equal(none.code, 2);
    assert.match(none.err, /which one\? render, apply, status, rollback or build-image/);
    assert.equal(cli(['explode']).code, 2);
    const flag = cli(['render', '--nope']);
    assert.equal(flag.code, 2);
    assert.match(flag.err, /Unknown option '--nope'/);
    const registry = cli(['render']);
    assert.equal(registry.code, 2);
    assert.match(registry.err, /models:\/churn-classifier@champion names a version in the model registry: no MLflow tracking server: pass --tracking-uri URL, set tracking.uri .*; or pass --model <folder> holding model.onnx/);
    project(undefined);
    const nodeploy = cli(['render', '--model', 'good']);
    assert.equal(nodeploy.code, 2);
    assert.match(nodeploy.err, /slipway\.yaml has no deploy section/);
    project('  target: kserve\n');
    const kserve = cli(['render', '--model', 'good']);
    assert.equal(kserve.code, 2);
    assert.match(kserve.err, /has no artifact location \(storageUri\)/);
  });

  test('render prints YAML or JSON, or writes a gitops folder with --out', () => {
    project('  target: kserve\n  namespace: ml\n  canary: 25\n');
    const json = cli(['render', '--model', 'good', '--storage-uri', 's3://ml/churn/4', '--format', 'json']);
    assert.equal(json.code, 0, json.err);
    const [isvc] = JSON.parse(json.out);
    assert.equal(isvc.spec.predictor.canaryTrafficPercent, 25);
    assert.equal(isvc.spec.predictor.model.storageUri, 's3://ml/churn/4');
    project('  target: kubernetes\n  namespace: ml\n  autoscale: { max: 4 }\n');
    const yaml = cli(['render', '--model', 'good', '--hpa-api-version', 'autoscaling/v2beta2']);
    assert.equal(yaml.code, 0, yaml.err);
    assert.match(yaml.out, /^apiVersion: v1\nkind: Service\n/);
    assert.match(yaml.out, /\n---\napiVersion: autoscaling\/v2beta2\nkind: HorizontalPodAutoscaler\n/);
    assert.match(yaml.out, /image: registry\.local\/churn-serve:4\n/);
    assert.match(yaml.err, /note: deploy\.autoscale scales on CPU utilization, which needs deploy\.resources\.cpu/);
    const out = cli(['render', '--model', 'good', '--out', 'rendered']);
    assert.equal(out.code, 0, out.err);
    assert.deepEqual(readdirSync(join(dir, 'rendered')).sort(), ['deployment-churn.yaml', 'horizontalpodautoscaler-churn.yaml', 'kustomization.yaml', 'service-churn.yaml']);
  });

  test('apply refuses a version failing model.gates (exit 1) before touching any cluster', () => {
    project('  target: kubernetes\n  namespace: ml\n');
    const r = cli(['apply', '--model', 'weak']);
    assert.equal(r.code, 1);
    assert.match(r.err, /churn-classifier version 4 does not pass model\.gates, so it is not deployed:\n {2}- val_auc = 0\.6, needs >= 0\.8\n/);
    assert.doesNotMatch(r.err, /kubeconfig/);
  });

  test('with deploy.gitops, apply writes the folder (override recorded) and needs no cluster', () => {
    project('  target: kubernetes\n  namespace: ml\n  gitops: deploy/k8s\n');
    const r = cli(['apply', '--model', 'weak', '--force', '--format', 'json']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /deploy\.gitops is set: wrote 3 file\(s\) to deploy\/k8s and applied nothing/);
    assert.deepEqual(JSON.parse(r.out).files, ['service-churn.yaml', 'deployment-churn.yaml', 'kustomization.yaml']);
    const text = readFileSync(join(dir, 'deploy', 'k8s', 'deployment-churn.yaml'), 'utf8');
    assert.match(text, /slipway\.dev\/gate-override: "?deployed by cli-test at \S+ despite failing gates: val_auc = 0\.6, needs >= 0\.8/);
    const badHpa = cli(['apply', '--model', 'weak', '--force', '--hpa-api-version', 'autoscaling/v9']);
    assert.equal(badHpa.code, 2, 'the gitops render checks --hpa-api-version as render does');
    assert.match(badHpa.err, /--hpa-api-version must be autoscaling\/v2 or autoscaling\/v2beta2/);
    const back = cli(['rollback']);
    assert.equal(back.code, 2);
    assert.match(back.err, /deploy\.gitops is set: roll back by reverting the commit that changed deploy\/k8s/);
  });

  test('a missing kubeconfig is a configuration error (exit 2); an unreachable Docker Engine says where it looked', () => {
    project('  target: kubernetes\n  namespace: ml\n');
    const s = cli(['status']);
    assert.equal(s.code, 2, s.err);
    assert.match(s.err, /cannot read the kubeconfig|no Kubernetes context/);
    // no KUBECONFIG and no ~/.kube/config: said so, not a made-up context on localhost:8080
    const none = cli(['status'], { KUBECONFIG: '', HOME: dir, KUBERNETES_SERVICE_HOST: '' });
    assert.equal(none.code, 2, none.err);
    assert.match(none.err, /no kubeconfig: set KUBECONFIG or create ~\/\.kube\/config/);
    const b = cli(['build-image', '--model', 'good', '--image', 'slipway-test/never:1']);
    assert.equal(b.code, 1, b.err);
    assert.match(b.err, /building slipway-test\/never:1: cannot reach the Docker Engine at unix:\/\/.*no-docker\.sock \(ENOENT\)\. Is Docker running, and DOCKER_HOST right\?/);
  });
});
