import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePipeline, validatePipeline, DIAGNOSTIC_CODES, type Diagnostic, type TextRange, type ValidateOptions } from '../../src/core/pipeline/index';

// Every diagnostic code, each at the exact range of the offending node. Ranges are located by the
// text they must cover (`find`), so each assertion says which characters are underlined.

const BASE = `version: 1
name: demo
`;

/** the zero-based range of the nth occurrence of `needle` (which must not span lines) */
function find(text: string, needle: string, nth = 0): TextRange {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `'${needle}' #${nth} not in text`);
  }
  const line = text.slice(0, at).split('\n').length - 1;
  const character = at - (text.lastIndexOf('\n', at - 1) + 1);
  return { start: { line, character }, end: { line, character: character + needle.length } };
}

const noFiles: ValidateOptions = { baseDir: '/p', fileExists: () => false, globMatches: () => false };
const allFiles: ValidateOptions = { baseDir: '/p', fileExists: () => true, globMatches: () => true };

function check(text: string, options: ValidateOptions = allFiles): Diagnostic[] {
  return [...validatePipeline(text, options).diagnostics];
}

/** asserts exactly these problems (code, needle[, nth]) in this order, and returns them */
function expect(text: string, expected: [code: string, needle: string, nth?: number][], options: ValidateOptions = allFiles): Diagnostic[] {
  const got = check(text, options);
  assert.deepEqual(
    got.map((d) => [d.code, d.range]),
    expected.map(([code, needle, nth]) => [code, find(text, needle, nth)]),
    got.map((d) => `${d.code} ${JSON.stringify(d.range)} ${d.message}`).join('\n'),
  );
  return got;
}

test('every documented code is produced by a test below', () => {
  // keep this list and DIAGNOSTIC_CODES in step: a new code needs a test (the data checks' codes: language-server-features.test.ts)
  assert.deepEqual(Object.keys(DIAGNOSTIC_CODES).sort(), [
    'bad-cron', 'bad-duration', 'bad-enum', 'bad-name', 'bad-quantity', 'bad-reference', 'bad-timestamp', 'bad-url', 'conflicting-keys',
    'duplicate-key', 'file-not-found', 'file-too-large', 'missing-column', 'missing-join-key', 'missing-key', 'missing-source', 'missing-timestamp',
    'out-of-range', 'type-mismatch', 'unchecked-source', 'unknown-key', 'unreadable-source', 'wrong-type', 'yaml-syntax',
  ]);
});

test('a minimal file is valid and gets every default', () => {
  const parsed = parsePipeline(BASE);
  assert.deepEqual(parsed.diagnostics, []);
  const m = parsed.model;
  assert.equal(m.name, 'demo');
  assert.deepEqual(m.tracking, { experiment: 'demo' });
  assert.deepEqual(m.artifacts, { uri: './artifacts', region: 'us-east-1' });
  assert.deepEqual(m.model, { name: 'demo', format: 'onnx', gates: [] });
  assert.deepEqual(m.serving, { port: 8080, log: 'logs/inference' });
  assert.deepEqual(Object.keys(m.features.views), []);
  assert.equal(m.training, undefined);
  assert.equal(m.deploy, undefined);
  assert.equal(m.monitoring, undefined);
});

test('defaults inside sections', () => {
  const text = `${BASE}training:\n  script: t.py\n  targets:\n    ray:\n    kubernetes: { image: reg/x:1 }\ndeploy: {}\nmonitoring:\n  drift: {}\n`;
  const m = parsePipeline(text).model;
  assert.deepEqual(JSON.parse(JSON.stringify(m.training)), {
    script: 't.py',
    params: {},
    targets: {
      local: {},
      ray: { address: 'http://127.0.0.1:8265', pip: [], numCpus: 1, numGpus: 0 },
      kubernetes: { namespace: 'default', image: 'reg/x:1', resources: { gpu: 0 } },
    },
  });
  assert.deepEqual(m.deploy, { target: 'kubernetes', namespace: 'default', alias: 'champion', replicas: 1, resources: { gpu: 0 } });
  assert.deepEqual(m.monitoring, { current: 'logs/inference', drift: { method: 'auto', share: 0.5 }, onDrift: 'notify' });
});

test('yaml-syntax: unclosed quotes, tabs, several documents, unknown aliases, unknown tags', () => {
  const quote = `${BASE}training:\n  script: "src/train.py\n`;
  const d = check(quote);
  assert.ok(d.some((x) => x.code === 'yaml-syntax' && x.severity === 'error'), JSON.stringify(d));

  const tab = `${BASE}tracking:\n\turi: http://x\n`;
  assert.ok(check(tab).some((x) => x.code === 'yaml-syntax' && /tab/i.test(x.message)));

  const docs = `${BASE}---\nname: other\n`;
  assert.ok(check(docs).some((x) => x.code === 'yaml-syntax' && /multiple documents/i.test(x.message)));

  const alias = `${BASE}model:\n  name: *nowhere\n`;
  expect(alias, [['yaml-syntax', '*nowhere']]);

  const tag = `${BASE}model:\n  name: !custom churn\n`;
  const t = check(tag);
  assert.equal(t.length, 1);
  assert.equal(t[0]!.code, 'yaml-syntax');
  assert.equal(t[0]!.severity, 'warning');
});

test('duplicate-key at the second key', () => {
  const text = `${BASE}model:\n  name: a\n  name: b\n`;
  const [d] = expect(text, [['duplicate-key', 'name', 2]]);
  assert.match(d!.message, /duplicate key 'name' in model \(first on line 4\)/);
  const top = `${BASE}name: again\n`;
  expect(top, [['duplicate-key', 'name', 1]]);
});

test('unknown-key with did-you-mean, at any depth', () => {
  const text = `${BASE}training:\n  scirpt: src/train.py\n  script: src/train.py\n  targets:\n    kubernets: {}\n`;
  const [a, b] = expect(text, [
    ['unknown-key', 'scirpt'],
    ['unknown-key', 'kubernets'],
  ]);
  assert.equal(a!.message, "unknown key 'scirpt' in training; did you mean 'script'?");
  assert.deepEqual(a!.data?.suggestions, ['script']);
  assert.equal(b!.message, "unknown key 'kubernets' in training.targets; did you mean 'kubernetes'?");
  const top = `${BASE}traning: {}\n`;
  const [c] = expect(top, [['unknown-key', 'traning']]);
  assert.equal(c!.message, "unknown key 'traning' at the top level; did you mean 'training'?");
});

test('wrong-type: mappings, lists, scalars, empty values, params', () => {
  expect(`${BASE}training: [a]\n`, [['wrong-type', '[a]']]);
  expect(`${BASE}serving:\n  port: "8080"\n`, [['wrong-type', '"8080"']]);
  const [list] = expect(`${BASE}features:\n  entities:\n    customer: { join_keys: customer_id }\n`, [['wrong-type', 'customer_id']]);
  assert.deepEqual(list!.data?.suggestions, ['[customer_id]']);
  expect(`${BASE}model:\n  name: 12\n`, [['wrong-type', '12']]);
  expect(`${BASE}model:\n  gates:\n    - { metric: auc, op: ">=", value: high }\n`, [['wrong-type', 'high']]);
  // an empty value is reported on its key
  expect(`${BASE}model:\n  format:\n`, [['wrong-type', 'format']]);
  const [p] = expect(`${BASE}training:\n  script: t.py\n  params: { depth: [1, 2], lr: 0.1, name: x, flag: true }\n`, [['wrong-type', '[1, 2]']]);
  assert.match(p!.message, /scalars only|--key value/);
  expect(`${BASE}serving:\n  port: 80.5\n`, [['wrong-type', '80.5']]);
  expect(`- version: 1\n`, [['wrong-type', '- version: 1']]);
});

test('missing-key: required keys, at the enclosing key or the file start', () => {
  const empty = check('');
  assert.deepEqual(empty.map((d) => [d.code, d.range]), [
    ['missing-key', { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }],
    ['missing-key', { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }],
  ]);
  expect('version: 1\n', [['missing-key', 'version']]);
  const [t] = expect(`${BASE}training:\n  python: python3\n`, [['missing-key', 'training']]);
  assert.equal(t!.message, "training needs 'script' or 'notebook'");
  const view = `${BASE}features:\n  views:\n    v:\n      entity: e\n      features: { a: int64 }\n`;
  const got = check(view);
  assert.ok(got.some((d) => d.code === 'missing-key' && d.message === "missing required key 'source' in features.views.v" && d.range.start.line === 4));
});

test('conflicting-keys: script and notebook', () => {
  const [d] = expect(`${BASE}training:\n  script: t.py\n  notebook: t.ipynb\n`, [['conflicting-keys', 'notebook']]);
  assert.match(d!.message, /both 'script' and 'notebook'/);
});

test('bad-enum: version, formats, feature types, operators, methods', () => {
  const [v] = expect(`version: 2\nname: demo\n`, [['bad-enum', '2']]);
  assert.equal(v!.message, 'unsupported version 2: only version 1 exists');
  const [f] = expect(`${BASE}features:\n  entities: { c: { join_keys: [id] } }\n  sources: { s: { path: a.csv, timestamp: t } }\n  views:\n    v: { entity: c, source: s, features: { x: int } }\n`, [['bad-enum', 'int']]);
  assert.deepEqual(f!.data?.suggestions?.[0], 'int64');
  const [op] = expect(`${BASE}model:\n  gates:\n    - { metric: auc, op: "=>", value: 0.8 }\n`, [['bad-enum', '"=>"']]);
  assert.equal(op!.data?.suggestions?.[0], '>=');
  expect(`${BASE}model:\n  format: tflite\n`, [['bad-enum', 'tflite']]);
  expect(`${BASE}deploy:\n  target: helm\n`, [['bad-enum', 'helm']]);
  expect(`${BASE}monitoring:\n  drift: { method: kl }\n  on_drift: page\n`, [['bad-enum', 'kl'], ['bad-enum', 'page']]);
});

const FEATURES = `features:
  entities:
    customer: { join_keys: [customer_id] }
  sources:
    activity: { path: data/activity.parquet, timestamp: event_ts }
  views:
    customer_activity:
      entity: customer
      source: activity
      features:
        sessions_7d: int64
        avg_basket: float64
`;

test('bad-reference: entities, sources, view:feature, retrain without training', () => {
  const views = `${BASE}${FEATURES.replace('entity: customer', 'entity: custmer').replace('source: activity', 'source: events')}`;
  const [e, s] = expect(views, [['bad-reference', 'custmer'], ['bad-reference', 'events']]);
  assert.equal(e!.message, "unknown entity 'custmer'; did you mean 'customer'?");
  assert.deepEqual(e!.data?.suggestions, ['customer']);
  assert.equal(s!.message, "unknown source 'events' (declared: activity)");

  const refs = `${BASE}${FEATURES}training:
  script: t.py
  dataset:
    labels: l.parquet
    label: y
    timestamp: ts
    features: [customer_activity:sessions_7d, customer_activity:sesions_7d, customer_activty:avg_basket, customer_activity:*, nocolon]
`;
  const [a, b, c] = expect(refs, [
    ['bad-reference', 'customer_activity:sesions_7d'],
    ['bad-reference', 'customer_activty:avg_basket'],
    ['bad-reference', 'nocolon'],
  ]);
  assert.equal(a!.message, "view 'customer_activity' has no feature 'sesions_7d'; did you mean 'sessions_7d'?");
  assert.deepEqual(a!.data?.suggestions, ['customer_activity:sessions_7d']);
  assert.equal(b!.message, "unknown view 'customer_activty' in 'customer_activty:avg_basket'; did you mean 'customer_activity'?");
  assert.deepEqual(b!.data?.suggestions, ['customer_activity:avg_basket']);
  assert.match(c!.message, /must be view:feature/);

  const parsed = parsePipeline(refs);
  assert.deepEqual(parsed.model.training?.dataset?.features, [
    { view: 'customer_activity', feature: 'sessions_7d' },
    { view: 'customer_activity', feature: 'sesions_7d' },
    { view: 'customer_activty', feature: 'avg_basket' },
    { view: 'customer_activity', feature: '*' },
  ]);
  const view = parsed.references.find((r) => r.kind === 'view')!;
  assert.deepEqual(view.range, find(refs, 'customer_activity', 1));
  assert.deepEqual(view.target, find(refs, 'customer_activity', 0));
  const feature = parsed.references.find((r) => r.kind === 'feature')!;
  assert.deepEqual(feature.target, find(refs, 'sessions_7d'));

  expect(`${BASE}monitoring:\n  on_drift: retrain\n`, [['bad-reference', 'retrain']]);
  const none = `${BASE}features:\n  views:\n    v: { entity: cust, source: src_a, features: { a: int64 } }\n`;
  const [n] = expect(none, [['bad-reference', 'cust'], ['bad-reference', 'src_a']]);
  assert.equal(n!.message, "no entity 'cust': declare it under features.entities");
});

test('file-not-found: errors for code, warnings for data, s3 and commands skipped', () => {
  const text = `${BASE}features:
  sources:
    a: { path: data/a.parquet, timestamp: t }
    b: { path: "data/*.csv", timestamp: t }
    c: { path: s3://bucket/c.parquet, timestamp: t }
training:
  script: src/train.py
  python: .venv/bin/python
  dataset:
    labels: data/labels.parquet
    label: y
    timestamp: t
    features: []
monitoring:
  reference: data/ref.parquet
  current: s3://bucket/current
`;
  const ds = check(text, noFiles).filter((d) => d.code === 'file-not-found');
  assert.deepEqual(
    ds.map((d) => [d.severity, d.range]),
    [
      ['warning', find(text, 'data/a.parquet')],
      ['warning', find(text, '"data/*.csv"')],
      ['error', find(text, 'src/train.py')],
      ['warning', find(text, '.venv/bin/python')],
      ['warning', find(text, 'data/labels.parquet')],
      ['warning', find(text, 'data/ref.parquet')],
    ],
  );
  assert.equal(ds[2]!.message, "training.script: 'src/train.py' does not exist (relative to /p)");
  assert.deepEqual(ds[2]!.data?.createFile, { path: 'src/train.py', template: 'train-script' });
  assert.match(ds[1]!.message, /no file matches 'data\/\*\.csv'/);
  const nb = check(`${BASE}training:\n  notebook: nb/train.ipynb\n  python: python3\n`, noFiles);
  assert.deepEqual(nb.map((d) => [d.code, d.severity, d.data?.createFile?.template]), [['file-not-found', 'error', 'notebook']]);
  // paths resolve against baseDir
  const seen: string[] = [];
  check(`${BASE}training:\n  script: src/train.py\n`, { baseDir: '/proj', fileExists: (p) => (seen.push(p), true) });
  assert.deepEqual(seen, ['/proj/src/train.py']);
});

test('bad-cron: 5 fields only, ranges, unsupported forms', () => {
  const cron = (s: string) => check(`${BASE}training:\n  script: t.py\n  schedule: "${s}"\n`);
  for (const ok of ['0 3 * * 1', '*/15 * * * *', '0 0 1,15 * *', '0 9-17 * * mon-fri', '0 0 * jan,jul sun', '0 0 ? * 7']) assert.deepEqual(cron(ok), [], ok);
  const six = cron('0 0 3 * * 1');
  assert.deepEqual(six.map((d) => [d.code, d.range]), [['bad-cron', find(`${BASE}training:\n  script: t.py\n  schedule: "0 0 3 * * 1"\n`, '"0 0 3 * * 1"')]]);
  assert.deepEqual(six[0]!.data?.suggestions, ['0 3 * * 1']);
  assert.deepEqual(cron('@daily')[0]!.data?.suggestions, ['0 0 * * *']);
  assert.match(cron('61 * * * *')[0]!.message, /minute: 61 is out of range 0-59/);
  assert.match(cron('0 3 L * *')[0]!.message, /'L' is not supported/);
  assert.match(cron('0 3 * *')[0]!.message, /has 4/);
  assert.match(cron('0 0 30 2 *')[0]!.message, /invalid cron/);
  assert.match(cron('5-1 * * * *')[0]!.message, /backwards/);
});

test('bad-duration and a zero duration', () => {
  const view = (ttl: string) => `${BASE}${FEATURES.replace('source: activity', `source: activity\n      ttl: ${ttl}`)}`;
  for (const ok of ['30d', '12h', '1w', '90s', '15m']) assert.deepEqual(check(view(ok)), [], ok);
  const [a] = expect(view('30'), [['bad-duration', '30']]);
  assert.deepEqual(a!.data?.suggestions, ['30d', '30h']);
  const [b] = expect(view('2 days'), [['bad-duration', '2 days']]);
  assert.deepEqual(b!.data?.suggestions, ['2d']);
  expect(view('1.5h'), [['bad-duration', '1.5h']]);
  expect(view('0d'), [['out-of-range', '0d']]);
});

test('bad-quantity: cpu and memory', () => {
  const res = (cpu: string, memory: string) => `${BASE}deploy:\n  resources: { cpu: ${cpu}, memory: ${memory} }\n`;
  for (const [c, m] of [['500m', '512Mi'], ['2', '4Gi'], ['0.5', '1e3'], ['"1"', '1G'], ['1.5', '128974848']]) assert.deepEqual(check(res(c!, m!)), [], `${c} ${m}`);
  const [m] = expect(res('1', '512m'), [['bad-quantity', '512m']]);
  assert.equal(m!.message, "memory '512m' means 512 millibytes; did you mean '512Mi'?");
  const [g] = expect(res('1', '4GB'), [['bad-quantity', '4GB']]);
  assert.deepEqual(g!.data?.suggestions, ['4Gi']);
  expect(res('2Gi', '1Gi'), [['bad-quantity', '2Gi']]);
  expect(res('two', '1Gi'), [['bad-quantity', 'two']]);
  expect(res('-1', '1Gi'), [['bad-quantity', '-1']]);
});

test('bad-name: DNS labels, identifiers, images, aliases', () => {
  const [n] = expect('version: 1\nname: Churn_Model\n', [['bad-name', 'Churn_Model']]);
  assert.deepEqual(n!.data?.suggestions, ['churn-model']);
  expect(`version: 1\nname: ${'a'.repeat(64)}\n`, [['bad-name', 'a'.repeat(64)]]);
  expect(`${BASE}deploy:\n  namespace: ML\n`, [['bad-name', 'ML']]);
  expect(`${BASE}features:\n  entities:\n    my-customer: { join_keys: [id] }\n`, [['bad-name', 'my-customer']]);
  expect(`${BASE}serving:\n  image: Registry/Churn\n`, [['bad-name', 'Registry/Churn']]);
  expect(`${BASE}serving:\n  image: "has space"\n`, [['bad-name', '"has space"']]);
  for (const ok of ['churn', 'registry.local:5000/team/churn-serve:1.0', 'ghcr.io/a/b@sha256:' + 'a'.repeat(64)]) assert.deepEqual(check(`${BASE}serving:\n  image: ${ok}\n`), [], ok);
  expect(`${BASE}deploy:\n  alias: latest\n`, [['bad-name', 'latest']]);
  expect(`${BASE}deploy:\n  alias: v3\n`, [['bad-name', 'v3']]);
});

test('bad-url: tracking, endpoints, artifacts', () => {
  const [t] = expect(`${BASE}tracking:\n  uri: 127.0.0.1:5000\n`, [['bad-url', '127.0.0.1:5000']]);
  assert.deepEqual(t!.data?.suggestions, ['http://127.0.0.1:5000']);
  expect(`${BASE}artifacts:\n  uri: gs://bucket/x\n  endpoint: minio:9000\n`, [['bad-url', 'gs://bucket/x'], ['bad-url', 'minio:9000']]);
  expect(`${BASE}artifacts:\n  uri: s3://Bad_Bucket/x\n`, [['bad-url', 's3://Bad_Bucket/x']]);
  for (const ok of ['s3://ml-artifacts/churn', './artifacts', '/abs/path']) assert.deepEqual(check(`${BASE}artifacts:\n  uri: ${ok}\n`), [], ok);
});

test('out-of-range: canary, share, ports, counts, autoscale, p-values, empty lists', () => {
  expect(`${BASE}deploy:\n  canary: 101\n`, [['out-of-range', '101']]);
  expect(`${BASE}deploy:\n  canary: -1\n`, [['out-of-range', '-1']]);
  assert.deepEqual(check(`${BASE}deploy:\n  canary: 0\n`), []);
  expect(`${BASE}monitoring:\n  drift: { share: 1.5 }\n`, [['out-of-range', '1.5']]);
  expect(`${BASE}serving:\n  port: 0\n`, [['out-of-range', '0']]);
  expect(`${BASE}serving:\n  port: 65536\n`, [['out-of-range', '65536']]);
  expect(`${BASE}deploy:\n  replicas: -2\n`, [['out-of-range', '-2']]);
  const [a] = expect(`${BASE}deploy:\n  autoscale: { min: 5, max: 2 }\n`, [['out-of-range', '5']]);
  assert.match(a!.message, /min \(5\) is greater than max \(2\)/);
  expect(`${BASE}monitoring:\n  drift: { method: ks, threshold: 2 }\n`, [['out-of-range', '2']]);
  assert.deepEqual(check(`${BASE}monitoring:\n  drift: { method: psi, threshold: 2 }\n`), []);
  expect(`${BASE}model:\n  gates:\n    - { metric: auc, op: ">=", value: .inf }\n`, [['out-of-range', '.inf']]);
  expect(`${BASE}features:\n  entities:\n    c: { join_keys: [] }\n`, [['out-of-range', '[]']]);
});

test('file-too-large', () => {
  const text = `${BASE}# ${'x'.repeat(2 * 1024 * 1024)}\n`;
  const d = check(text);
  assert.deepEqual(d.map((x) => [x.code, x.range.start]), [['file-too-large', { line: 0, character: 0 }]]);
});

test('anchors, aliases and merge keys are followed without expansion', () => {
  const text = `${BASE}${FEATURES}  views_extra: &x 1
deploy:
  resources: &res { cpu: 500m, memory: 512Mi }
training:
  script: t.py
  targets:
    kubernetes:
      image: reg/train:1
      resources: *res
      <<: { namespace: ml }
`;
  const d = check(text);
  assert.deepEqual(d.map((x) => [x.code, x.range]), [['unknown-key', find(text, 'views_extra')]]);
  const m = parsePipeline(text).model;
  assert.deepEqual(m.training?.targets.kubernetes, { namespace: 'ml', image: 'reg/train:1', resources: { cpu: '500m', memory: '512Mi', gpu: 0 } });
  // x- keys at the top level hold anchors and are not checked
  assert.deepEqual(check(`${BASE}x-res: &r { cpu: 1, memory: 1Gi, anything: 1 }\ndeploy:\n  resources: { <<: *r }\n`).map((x) => x.code), []);
  // a bad value behind an alias is reported once, at the anchored node
  const bad = `${BASE}deploy:\n  resources: &r { cpu: 2Gi }\ntraining:\n  script: t.py\n  targets:\n    kubernetes: { image: a, resources: *r }\n`;
  expect(bad, [['bad-quantity', '2Gi']]);
});

test('CRLF files get the same ranges', () => {
  const text = `${BASE}model:\n  formt: onnx\n`.replace(/\n/g, '\r\n');
  const [d] = check(text);
  assert.deepEqual(d!.range, { start: { line: 3, character: 2 }, end: { line: 3, character: 7 } });
});

test('rangeOf and nodeAt', () => {
  const text = `${BASE}${FEATURES}model:\n  gates:\n    - { metric: auc, op: ">=", value: 0.8 }\n`;
  const p = parsePipeline(text);
  assert.deepEqual(p.rangeOf(['features', 'views', 'customer_activity', 'entity']), find(text, 'customer', 3));
  assert.deepEqual(p.rangeOf(['features', 'views', 'customer_activity'], 'key'), find(text, 'customer_activity'));
  assert.deepEqual(p.rangeOf(['model', 'gates', 0, 'op']), find(text, '">="'));
  assert.equal(p.rangeOf(['deploy']), undefined);
  const at = p.nodeAt(p.offsetAt(find(text, 'avg_basket').start));
  assert.deepEqual(at.path, ['features', 'views', 'customer_activity', 'features', 'avg_basket']);
  assert.equal(at.inKey, true);
  const v = p.nodeAt(p.offsetAt(find(text, 'auc').start) + 1);
  assert.deepEqual(v.path, ['model', 'gates', 0, 'metric']);
  assert.equal(v.inKey, false);
});

test('messages name the key and say what to write', () => {
  const text = `${BASE}training:\n  script: t.py\n  targets:\n    kubernetes: { image: a, resources: { memory: 1gb } }\n`;
  const [d] = check(text);
  assert.equal(d!.message, "memory '1gb' is not a Kubernetes quantity; did you mean '1Gi'?");
});
