// The pure side of deployment: manifests for both targets, the HPA API choice, gitops files,
// the gates guard, model references, the serving Dockerfile and its build context, and the
// rollout snapshots that turn cluster status into plain words.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type * as k8s from '@kubernetes/client-node';
import { parsePipeline, type Pipeline } from '../../src/core/pipeline/index';
import {
  defaultImage,
  defaultModelRef,
  deployGuard,
  checkGates,
  gitopsFiles,
  GITOPS_HEADER,
  kserveFormat,
  labelValue,
  localModel,
  ModelRefError,
  registryOf,
  RenderError,
  renderNotes,
  renderServing,
  resolveModel,
  servingName,
  splitTag,
  toYamlStream,
  writeGitops,
  type DeployModel,
  type KubeObject,
} from '../../src/core/deploy/index';
import { evaluateGates } from '../../src/core/registry/gates';
import { serveDockerfile, writeServeContext } from '../../src/core/deploy/image';
import { deploymentSnapshot, inferenceServiceSnapshot, NO_KSERVE_CONTROLLER, podTrouble } from '../../src/core/deploy/status';

const BASE = `version: 1
name: churn
model:
  name: churn-classifier
  gates:
    - { metric: val_auc, op: ">=", value: 0.8 }
    - { metric: val_logloss, op: "<=", value: 0.5 }
serving:
  image: registry.local/churn-serve
  port: 8080
`;

function pipeline(deploy: string, extra = ''): Pipeline {
  const parsed = parsePipeline(`${BASE}${extra}deploy:\n${deploy}`);
  assert.deepEqual(parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return parsed.model;
}

const KUBE = pipeline('  target: kubernetes\n  namespace: ml\n  replicas: 2\n  resources: { cpu: 500m, memory: 512Mi }\n  autoscale: { min: 2, max: 6, cpu_percent: 70 }\n  canary: 10\n');
const KUBE_FIXED = pipeline('  target: kubernetes\n  namespace: ml\n  replicas: 3\n');
const KSERVE = pipeline('  target: kserve\n  namespace: ml\n  replicas: 2\n  resources: { cpu: "1", memory: 1Gi, gpu: 1 }\n  autoscale: { min: 1, max: 10, cpu_percent: 70 }\n  canary: 10\n');
const V3: DeployModel = { name: 'churn-classifier', version: '3', runId: 'abc123', storageUri: 's3://ml/churn/3/model', metrics: { val_auc: 0.9, val_logloss: 0.3 } };
const byKind = (objs: KubeObject[], kind: string) => objs.find((o) => o.kind === kind) as any;

describe('kubernetes target', () => {
  const objs = renderServing(KUBE, V3, { image: 'registry.local/churn-serve:3' });

  test('Service, Deployment, HPA in apply order, in deploy.namespace, named after the project', () => {
    assert.deepEqual(objs.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`), [
      'v1 Service ml/churn',
      'apps/v1 Deployment ml/churn',
      'autoscaling/v2 HorizontalPodAutoscaler ml/churn',
    ]);
  });

  test('the Deployment: labels, version annotations, probes on the v2 health endpoints, resources, non-root', () => {
    const d = byKind(objs, 'Deployment');
    const labels = {
      'app.kubernetes.io/managed-by': 'slipway',
      'app.kubernetes.io/name': 'churn',
      'app.kubernetes.io/component': 'serving',
      'slipway.dev/model': 'churn-classifier',
    };
    assert.deepEqual(d.metadata.labels, labels);
    assert.deepEqual(d.metadata.annotations, {
      'slipway.dev/model': 'churn-classifier',
      'slipway.dev/model-version': '3',
      'slipway.dev/run-id': 'abc123',
      'kubernetes.io/change-cause': 'slipway: churn-classifier version 3 (registry.local/churn-serve:3)',
    });
    // the selector leaves out the model label: a Deployment's selector cannot change later
    assert.deepEqual(d.spec.selector, { matchLabels: { 'app.kubernetes.io/managed-by': 'slipway', 'app.kubernetes.io/name': 'churn', 'app.kubernetes.io/component': 'serving' } });
    assert.deepEqual(d.spec.template.metadata, { labels, annotations: { 'slipway.dev/model': 'churn-classifier', 'slipway.dev/model-version': '3', 'slipway.dev/run-id': 'abc123' } });
    assert.equal('replicas' in d.spec, false, 'with autoscale the HPA owns the replica count');
    assert.equal(d.spec.revisionHistoryLimit, 10);
    assert.equal(d.spec.strategy, undefined);
    const pod = d.spec.template.spec;
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true });
    assert.equal(pod.hostNetwork, undefined);
    assert.equal(pod.containers.length, 1);
    const c = pod.containers[0];
    assert.equal(c.name, 'serve');
    assert.equal(c.image, 'registry.local/churn-serve:3');
    assert.equal(c.imagePullPolicy, 'IfNotPresent');
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(c.readinessProbe, { httpGet: { path: '/v2/health/ready', port: 'http' }, periodSeconds: 5, failureThreshold: 3 });
    assert.deepEqual(c.livenessProbe, { httpGet: { path: '/v2/health/live', port: 'http' }, periodSeconds: 10, failureThreshold: 3 });
    assert.deepEqual(c.startupProbe, { httpGet: { path: '/v2/health/live', port: 'http' }, periodSeconds: 2, failureThreshold: 60 });
    assert.deepEqual(c.resources, { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    assert.deepEqual(c.env, [
      { name: 'SLIPWAY_MODEL_NAME', value: 'churn-classifier' },
      { name: 'SLIPWAY_MODEL_VERSION', value: '3' },
    ]);
  });

  test('the Service: ClusterIP on serving.port to the named container port', () => {
    const s = byKind(objs, 'Service');
    assert.deepEqual(s.spec, {
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/managed-by': 'slipway', 'app.kubernetes.io/name': 'churn', 'app.kubernetes.io/component': 'serving' },
      ports: [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }],
    });
  });

  test('the HPA: min/max and the CPU target; autoscaling/v2 by default, v2beta2 when the cluster has no v2', () => {
    const hpa = byKind(objs, 'HorizontalPodAutoscaler');
    assert.deepEqual(hpa.spec, {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'churn' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    const old = byKind(renderServing(KUBE, V3, { image: 'x:1', hpaApiVersion: 'autoscaling/v2beta2' }), 'HorizontalPodAutoscaler');
    assert.equal(old.apiVersion, 'autoscaling/v2beta2');
    assert.deepEqual(old.spec, hpa.spec, 'the same shape in both versions');
    // min 0 needs a feature gate: rendered as 1
    const zero = pipeline('  target: kubernetes\n  autoscale: { min: 0, max: 3 }\n');
    assert.equal(byKind(renderServing(zero, V3, { image: 'x:1' }), 'HorizontalPodAutoscaler').spec.minReplicas, 1);
  });

  test('without autoscale: replicas on the Deployment, no HPA', () => {
    const fixed = renderServing(KUBE_FIXED, V3, { image: 'x:1' });
    assert.deepEqual(fixed.map((o) => o.kind), ['Service', 'Deployment']);
    assert.equal(byKind(fixed, 'Deployment').spec.replicas, 3);
    assert.equal(byKind(fixed, 'Deployment').spec.template.spec.containers[0].resources, undefined);
  });

  test('hostNetwork (tests, single-node clusters): pods on the node network, Recreate', () => {
    const d = byKind(renderServing(KUBE_FIXED, V3, { image: 'x:1', hostNetwork: true }), 'Deployment');
    assert.equal(d.spec.template.spec.hostNetwork, true);
    assert.equal(d.spec.template.spec.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.deepEqual(d.spec.strategy, { type: 'Recreate' });
  });

  test('namespace override, extra annotations (gate override), pull policy for latest and untagged images', () => {
    const objs2 = renderServing(KUBE_FIXED, V3, { image: 'reg/x:latest', namespace: 'other', annotations: { 'slipway.dev/gate-override': 'by me' } });
    assert.ok(objs2.every((o) => o.metadata.namespace === 'other'));
    const d = byKind(objs2, 'Deployment');
    assert.equal(d.metadata.annotations['slipway.dev/gate-override'], 'by me');
    assert.equal(d.spec.template.metadata.annotations['slipway.dev/gate-override'], undefined, 'not on the pod template: a new timestamp must not restart pods');
    assert.equal(d.spec.template.spec.containers[0].imagePullPolicy, 'Always');
    assert.equal(byKind(renderServing(KUBE_FIXED, V3, { image: 'reg/x' }), 'Deployment').spec.template.spec.containers[0].imagePullPolicy, 'Always');
    assert.equal(byKind(renderServing(KUBE_FIXED, V3, { image: 'reg:5000/x@sha256:abc' }), 'Deployment').spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  });

  test('notes on settings the target does not use', () => {
    assert.deepEqual(renderNotes(KUBE), ['deploy.canary applies to target kserve (canaryTrafficPercent); a plain Deployment rolls out to all replicas']);
    assert.match(renderNotes(pipeline('  target: kubernetes\n  autoscale: { max: 3 }\n')).join(), /needs deploy\.resources\.cpu/);
    assert.deepEqual(renderNotes(KSERVE), []);
  });

  test('no deploy section is a RenderError that says what to add', () => {
    const none = parsePipeline(BASE).model;
    assert.throws(() => renderServing(none, V3, { image: 'x:1' }), (e: Error) => e instanceof RenderError && /no deploy section/.test(e.message));
  });
});

describe('kserve target', () => {
  test('an InferenceService v1beta1: storageUri, v2 protocol, format, resources, min/max, CPU target, canary', () => {
    const objs = renderServing(KSERVE, V3, { image: 'ignored:1', annotations: { 'slipway.dev/gate-override': 'x' } });
    assert.equal(objs.length, 1);
    const isvc = objs[0] as any;
    assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
    assert.equal(isvc.kind, 'InferenceService');
    assert.deepEqual(isvc.metadata, {
      name: 'churn',
      namespace: 'ml',
      labels: { 'app.kubernetes.io/managed-by': 'slipway', 'app.kubernetes.io/name': 'churn', 'app.kubernetes.io/component': 'serving', 'slipway.dev/model': 'churn-classifier' },
      annotations: { 'slipway.dev/model': 'churn-classifier', 'slipway.dev/model-version': '3', 'slipway.dev/run-id': 'abc123', 'slipway.dev/gate-override': 'x' },
    });
    assert.deepEqual(isvc.spec, {
      predictor: {
        minReplicas: 1,
        maxReplicas: 10,
        scaleMetric: 'cpu',
        scaleTarget: 70,
        canaryTrafficPercent: 10,
        model: {
          modelFormat: { name: 'onnx' },
          protocolVersion: 'v2',
          storageUri: 's3://ml/churn/3/model',
          resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '1' } },
        },
      },
    });
  });

  test('without autoscale min = max = replicas; without canary no canaryTrafficPercent', () => {
    const p = pipeline('  target: kserve\n  replicas: 3\n');
    const pred = (renderServing(p, V3, { image: 'x:1' })[0] as any).spec.predictor;
    assert.deepEqual([pred.minReplicas, pred.maxReplicas, 'canaryTrafficPercent' in pred, 'scaleMetric' in pred], [3, 3, false, false]);
    const zero = pipeline('  target: kserve\n  replicas: 2\n  canary: 0\n');
    assert.equal((renderServing(zero, V3, { image: 'x:1' })[0] as any).spec.predictor.canaryTrafficPercent, 0);
  });

  test('a version without an artifact location cannot go to KServe', () => {
    assert.throws(() => renderServing(KSERVE, { name: 'm', version: '1' }, { image: 'x:1' }), (e: Error) => e instanceof RenderError && /has no artifact location \(storageUri\)/.test(e.message));
  });

  test('model.format → KServe modelFormat', () => {
    assert.deepEqual(['onnx', 'sklearn', 'pyfunc'].map((f) => kserveFormat(f as any)), ['onnx', 'sklearn', 'mlflow']);
  });
});

describe('names and images', () => {
  test('servingName: a DNS-1035 label, short enough for KServe', () => {
    assert.equal(servingName('churn'), 'churn');
    assert.equal(servingName('3d-model'), 'm-3d-model');
    assert.equal(servingName('a'.repeat(63)).length, 45);
  });

  test('labelValue keeps a valid label value', () => {
    assert.equal(labelValue('Churn Classifier/v2'), 'Churn-Classifier-v2');
    assert.equal(labelValue('-x-'), 'x');
    assert.equal(labelValue('a'.repeat(80)).length, 63);
  });

  test('defaultImage: serving.image (or <name>-serve) tagged with the version; an explicit tag wins', () => {
    assert.equal(defaultImage(KUBE, '3'), 'registry.local/churn-serve:3');
    assert.equal(defaultImage(parsePipeline('version: 1\nname: churn\n').model, 'abc'), 'churn-serve:abc');
    assert.equal(defaultImage(parsePipeline('version: 1\nname: churn\nserving:\n  image: reg:5000/x:1.0\n').model, '3'), 'reg:5000/x:1.0');
  });

  test('splitTag and registryOf', () => {
    assert.deepEqual(splitTag('127.0.0.1:5000/a/b:1'), { repo: '127.0.0.1:5000/a/b', tag: '1' });
    assert.deepEqual(splitTag('127.0.0.1:5000/a/b'), { repo: '127.0.0.1:5000/a/b' });
    assert.deepEqual(splitTag('a@sha256:00'), { repo: 'a@sha256:00' });
    assert.equal(registryOf('127.0.0.1:5000/a:1'), '127.0.0.1:5000');
    assert.equal(registryOf('registry.local/a'), 'registry.local');
    assert.equal(registryOf('library/node:24'), 'docker.io');
    assert.equal(registryOf('node'), 'docker.io');
  });
});

describe('gitops files', () => {
  const objs = renderServing(KUBE, V3, { image: 'registry.local/churn-serve:3' });

  test('one file per object, <kind>-<name>.yaml, plus a kustomization listing them', () => {
    const files = gitopsFiles(objs);
    assert.deepEqual(files.map((f) => f.name), ['service-churn.yaml', 'deployment-churn.yaml', 'horizontalpodautoscaler-churn.yaml', 'kustomization.yaml']);
    for (const f of files) assert.ok(f.text.startsWith(`${GITOPS_HEADER}\n`));
    assert.deepEqual(parseYaml(files[3]!.text), {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['service-churn.yaml', 'deployment-churn.yaml', 'horizontalpodautoscaler-churn.yaml'],
    });
    // each file reads back as the object it was made from
    for (let i = 0; i < objs.length; i++) assert.deepEqual(parseYaml(files[i]!.text), JSON.parse(JSON.stringify(objs[i])));
  });

  test('no anchors or aliases (the labels map repeats in full), byte-stable between renders', () => {
    const text = gitopsFiles(objs).map((f) => f.text).join('\n');
    assert.doesNotMatch(text, /(^|\s)[&*][a-z0-9]+/m);
    assert.equal(text, gitopsFiles(renderServing(KUBE, V3, { image: 'registry.local/churn-serve:3' })).map((f) => f.text).join('\n'));
    assert.match(toYamlStream(objs), /^apiVersion: v1\nkind: Service\n[\s\S]*\n---\napiVersion: apps\/v1\nkind: Deployment\n/);
  });

  test('writeGitops writes the folder, leaves unchanged files alone, removes its own stale files only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-gitops-'));
    try {
      writeFileSync(join(dir, 'mine.yaml'), 'kind: ConfigMap\n');
      const first = await writeGitops(join(dir, 'k8s'), objs);
      assert.deepEqual(first.removed, []);
      writeFileSync(join(dir, 'k8s', 'mine.yaml'), 'kind: ConfigMap\n');
      const before = statSync(join(dir, 'k8s', 'service-churn.yaml')).mtimeMs;
      await new Promise((r) => setTimeout(r, 20));
      // switching to kserve: the Deployment's files go, the user's file stays
      const second = await writeGitops(join(dir, 'k8s'), renderServing(KSERVE, V3, { image: 'x:1' }));
      assert.deepEqual(second.removed.sort(), ['deployment-churn.yaml', 'horizontalpodautoscaler-churn.yaml', 'service-churn.yaml']);
      assert.deepEqual(readdirSync(join(dir, 'k8s')).sort(), ['inferenceservice-churn.yaml', 'kustomization.yaml', 'mine.yaml']);
      const third = await writeGitops(join(dir, 'k8s'), objs);
      assert.deepEqual(third.removed, ['inferenceservice-churn.yaml']);
      const again = statSync(join(dir, 'k8s', 'service-churn.yaml')).mtimeMs;
      await writeGitops(join(dir, 'k8s'), objs);
      assert.equal(statSync(join(dir, 'k8s', 'service-churn.yaml')).mtimeMs, again, 'an unchanged file is not rewritten');
      assert.ok(before > 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gates guard', () => {
  const gates = KUBE.model.gates;
  const check = (metrics: Record<string, number> | undefined) => checkGates({ name: 'churn-classifier', version: '4', ...(metrics ? { metrics } : {}) }, gates, evaluateGates);

  test('a passing version is allowed with nothing to record', () => {
    const d = deployGuard({ name: 'churn-classifier', version: '3' }, check({ val_auc: 0.9, val_logloss: 0.3 }));
    assert.equal(d.allowed, true);
    assert.equal(d.overridden, false);
    assert.deepEqual(d.allowed && d.annotations, {});
  });

  test('a failing version is refused, naming each failing gate', () => {
    const d = deployGuard({ name: 'churn-classifier', version: '4' }, check({ val_auc: 0.71 }));
    assert.equal(d.allowed, false);
    assert.deepEqual(d.failing, ['val_auc = 0.71, needs >= 0.8', 'val_logloss was not logged by the run, so val_logloss <= 0.5 cannot be checked']);
    assert.match(d.message, /^churn-classifier version 4 does not pass model\.gates, so it is not deployed:\n {2}- val_auc = 0\.71, needs >= 0\.8\n {2}- val_logloss was not logged/);
    assert.match(d.message, /--force/);
  });

  test('unknown metrics fail every gate', () => {
    assert.equal(check(undefined).passed, false);
    assert.equal(check(undefined).results.length, 2);
  });

  test('forced: allowed, with the override annotation and registry tag saying who, when and which gates', () => {
    const d = deployGuard({ name: 'churn-classifier', version: '4' }, check({ val_auc: 0.71, val_logloss: 0.2 }), { force: true, who: 'ada', now: new Date('2025-01-02T03:04:05Z') });
    assert.equal(d.allowed, true);
    assert.equal(d.overridden, true);
    const value = 'deployed by ada at 2025-01-02T03:04:05.000Z despite failing gates: val_auc = 0.71, needs >= 0.8';
    assert.deepEqual(d.allowed && d.annotations, { 'slipway.dev/gate-override': value });
    assert.deepEqual(d.allowed && d.tag, { key: 'slipway.dev/gate-override', value });
    assert.match(d.message, /fails 1 gate\(s\); deployed anyway on ada's override/);
    // forcing a passing version records nothing
    const ok = deployGuard({ name: 'm', version: '1' }, check({ val_auc: 0.9, val_logloss: 0.1 }), { force: true, who: 'ada' });
    assert.equal(ok.overridden, false);
  });
});

describe('model references', () => {
  test('a local folder: metrics from model.json, version from its content (or model.json, or the caller)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-model-'));
    try {
      writeFileSync(join(dir, 'model.onnx'), 'onnx bytes');
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ metrics: { val_auc: 0.9, note: 'x' }, run_id: 'r1' }));
      const m = await resolveModel('.', { modelName: 'churn-classifier', baseDir: dir });
      // sha256("onnx bytes"), first 12 hex digits: what `slipway serve` reports as the version
      assert.equal(m.version, 'c1650a9961b2');
      assert.deepEqual(m, { name: 'churn-classifier', version: 'c1650a9961b2', runId: 'r1', localDir: dir, metrics: { val_auc: 0.9 } });
      assert.equal((await localModel(dir, { modelName: 'x', version: '7', storageUri: 's3://b/7' })).storageUri, 's3://b/7');
      assert.equal((await localModel(dir, { modelName: 'x', version: '7' })).version, '7');
      writeFileSync(join(dir, 'model.json'), JSON.stringify({ version: 5 }));
      assert.equal((await localModel(dir, { modelName: 'x' })).version, '5');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('what is wrong with a folder, in words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-model-'));
    try {
      await assert.rejects(resolveModel('nope', { modelName: 'm', baseDir: dir }), /model folder .*nope does not exist/);
      await assert.rejects(resolveModel('.', { modelName: 'm', baseDir: dir }), /has no model\.onnx/);
      writeFileSync(join(dir, 'model.onnx'), 'x');
      await assert.rejects(resolveModel('.', { modelName: 'm', baseDir: dir }), /has no model\.json/);
      writeFileSync(join(dir, 'model.json'), '{');
      await assert.rejects(resolveModel('.', { modelName: 'm', baseDir: dir }), /is not valid JSON/);
      await assert.rejects(resolveModel('model.onnx', { modelName: 'm', baseDir: dir }), /is not a folder/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('models:/ URIs go to the registry resolver; without one, a clear error', async () => {
    const ref = defaultModelRef('churn-classifier', 'champion');
    assert.equal(ref, 'models:/churn-classifier@champion');
    await assert.rejects(resolveModel(ref, { modelName: 'm', baseDir: '.' }), (e: Error) => e instanceof ModelRefError && /model registry, which this command cannot reach yet: pass --model <folder>/.test(e.message));
    const seen: string[] = [];
    const m = await resolveModel(ref, { modelName: 'm', baseDir: '.', registry: { resolve: async (uri) => (seen.push(uri), V3) } });
    assert.deepEqual([seen, m.version], [[ref], '3']);
  });
});

describe('serving image', () => {
  test('the Dockerfile: base image, runtime, model, non-root user, port, node health check, serve command', () => {
    const text = serveDockerfile({ port: 9090, modelName: 'churn-classifier', labels: { 'slipway.dev/model-version': '3' } });
    const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, [
      'FROM node:24-bookworm-slim',
      'LABEL slipway.dev/model-version="3"',
      'ENV NODE_ENV=production',
      'COPY app/ /app/',
      'COPY model/ /models/model/',
      'COPY --chown=10001:10001 work/ /var/lib/slipway/',
      'WORKDIR /var/lib/slipway',
      'USER 10001:10001',
      'EXPOSE 9090',
      `HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node","-e","require('http').get('http://127.0.0.1:9090/v2/health/ready',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]`,
      'CMD ["node","/app/cli.js","serve","--model","/models/model","--name","churn-classifier","--host","0.0.0.0","--port","9090"]',
    ]);
    assert.match(serveDockerfile({ port: 1, baseImage: 'my/node:22' }), /^FROM my\/node:22$/m);
  });

  test('the build context holds the runtime, only the Linux parts of onnxruntime, and the model', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-ctx-'));
    try {
      mkdirSync(join(dir, 'model'));
      writeFileSync(join(dir, 'model', 'model.onnx'), 'x');
      writeFileSync(join(dir, 'model', 'model.json'), '{}');
      writeFileSync(join(dir, 'cli.js'), '// runtime');
      const ctx = await writeServeContext(join(dir, 'ctx'), { modelDir: join(dir, 'model'), port: 8080, cliJs: join(dir, 'cli.js'), slipwayRoot: process.cwd() });
      assert.deepEqual(ctx.entries, ['Dockerfile', 'app', 'model', 'work']);
      const walk = (d: string, rel = ''): string[] => readdirSync(join(d, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(d, `${rel}${e.name}/`) : [`${rel}${e.name}`]));
      const files = walk(ctx.dir);
      assert.ok(files.includes('app/cli.js'));
      assert.ok(files.includes('app/node_modules/onnxruntime-node/package.json'));
      assert.ok(files.includes('app/node_modules/onnxruntime-node/dist/index.js'));
      assert.ok(files.some((f) => /^app\/node_modules\/onnxruntime-node\/bin\/napi-v\d+\/linux\/x64\/onnxruntime_binding\.node$/.test(f)));
      assert.ok(files.includes('app/node_modules/onnxruntime-common/dist/cjs/index.js'));
      assert.ok(files.includes('app/node_modules/onnxruntime-common/dist/cjs/package.json'), 'marks dist/cjs as CommonJS');
      assert.deepEqual(files.filter((f) => /win32|darwin|linux\/arm64|\.map$|\.d\.ts$|\/esm\//.test(f)), [], 'nothing for other platforms, no maps, no ESM build');
      assert.ok(files.includes('model/model.onnx') && files.includes('model/model.json') && files.includes('work/.keep'));
      assert.equal(readFileSync(join(ctx.dir, 'Dockerfile'), 'utf8'), ctx.dockerfile);
      await assert.rejects(writeServeContext(join(dir, 'ctx2'), { modelDir: join(dir, 'nope'), port: 1, cliJs: join(dir, 'cli.js'), slipwayRoot: process.cwd() }), /has no model\.onnx/);
      await assert.rejects(writeServeContext(join(dir, 'ctx3'), { modelDir: join(dir, 'model'), port: 1, cliJs: join(dir, 'missing.js'), slipwayRoot: process.cwd() }), /serving runtime .* is missing: build Slipway first/);
      assert.equal(existsSync(join(dir, 'ctx3')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rollout snapshots in plain words', () => {
  const deployment = (status: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({ metadata: { generation: 2, annotations: { 'slipway.dev/model-version': '3' } }, spec: { replicas: 2 }, status: { observedGeneration: 2, ...status }, ...extra }) as unknown as k8s.V1Deployment;
  const pod = (status: Record<string, unknown>, name = 'p1') => ({ metadata: { name }, status }) as unknown as k8s.V1Pod;
  const readyPod = pod({ conditions: [{ type: 'Ready', status: 'True' }] });

  test('a Deployment: waiting, updating, old replicas, ready, and the deadline', () => {
    assert.deepEqual(deploymentSnapshot(deployment({ observedGeneration: 1 }), []), { phase: 'progressing', message: 'waiting for the cluster to take up the new spec', ready: 0, desired: 2 });
    assert.equal(deploymentSnapshot(deployment({ updatedReplicas: 1, replicas: 2 }), [readyPod]).message, '1 of 2 replica(s) of version 3 ready (1 created)');
    assert.equal(deploymentSnapshot(deployment({ updatedReplicas: 2, replicas: 3, availableReplicas: 2 }), [readyPod, readyPod]).message, '1 old replica(s) still running, waiting to be replaced');
    assert.deepEqual(deploymentSnapshot(deployment({ updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), [readyPod, readyPod]), { phase: 'ready', message: '2 of 2 replica(s) of version 3 ready', ready: 2, desired: 2 });
    const dead = deploymentSnapshot(deployment({ conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }, { spec: { replicas: 2, progressDeadlineSeconds: 120 } }), []);
    assert.equal(dead.phase, 'failed');
    assert.equal(dead.message, 'the rollout made no progress for 120s (progressDeadlineSeconds) and the cluster gave up');
  });

  test('pod problems: image pull, unschedulable (and port conflicts), crash loops between restarts, out of memory', () => {
    const pull = podTrouble([pod({ containerStatuses: [{ name: 'serve', image: 'x:1', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x:1"' } } }] })]);
    assert.deepEqual(pull, { message: 'cannot pull the image x:1: Back-off pulling image "x:1" (check the image name, that it was pushed, and imagePullSecrets)', fatal: false, kind: 'image', pod: 'p1' });
    assert.equal(podTrouble([pod({ containerStatuses: [{ name: 'serve', image: 'X', state: { waiting: { reason: 'InvalidImageName' } } }] })])?.fatal, true);
    const ports = podTrouble([pod({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports." }] })]);
    assert.equal(ports?.message, "the pod cannot be scheduled: 0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. (another pod holds the port on the node: with hostNetwork a node runs one replica)");
    const between = podTrouble([pod({ containerStatuses: [{ name: 'serve', ready: false, restartCount: 2, state: { running: {} }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } }] })]);
    assert.deepEqual(between, { message: 'the container serve keeps crashing: restarted 2 time(s) (last exit code 1)', fatal: false, kind: 'crash', pod: 'p1', container: 'serve' });
    const oom = podTrouble([pod({ containerStatuses: [{ name: 'serve', ready: false, restartCount: 1, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] })]);
    assert.match(oom!.message, /runs out of memory \(OOMKilled, restarted 1 time\(s\)\): raise deploy\.resources\.memory/);
    assert.equal(podTrouble([readyPod]), undefined);
    const snap = deploymentSnapshot(deployment({ updatedReplicas: 2, replicas: 2 }), [pod({ containerStatuses: [{ name: 'serve', image: 'x:1', state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }] })]);
    assert.equal(snap.phase, 'progressing');
    assert.match(snap.message, /^0 of 2 replica\(s\) of version 3 ready: cannot pull the image x:1/);
    assert.equal(snap.trouble?.kind, 'image');
  });

  test('an InferenceService: no status means no KServe controller; Ready conditions are read', () => {
    assert.deepEqual(inferenceServiceSnapshot({ spec: { predictor: { minReplicas: 2 } } }, []), { phase: 'unknown', message: NO_KSERVE_CONTROLLER, ready: 0, desired: 2 });
    assert.equal(NO_KSERVE_CONTROLLER, 'no KServe controller has picked it up yet (is KServe installed?)');
    assert.equal(inferenceServiceSnapshot({ metadata: { generation: 1 }, status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] } }, []).phase, 'ready');
    const stale = inferenceServiceSnapshot({ metadata: { generation: 2 }, status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] } }, []);
    assert.equal(stale.phase, 'progressing');
    const notReady = inferenceServiceSnapshot({ status: { conditions: [{ type: 'Ready', status: 'False', reason: 'RevisionMissing', message: 'Configuration "x" does not have any ready Revision.' }] } }, []);
    assert.deepEqual([notReady.phase, notReady.message], ['progressing', 'not ready yet: Configuration "x" does not have any ready Revision.']);
  });
});
