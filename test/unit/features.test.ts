// The feature store core (src/core/features) on small hand-made data whose answers are worked
// out by hand: point-in-time joins, type checks, statistics, freshness, previews, the online
// store. The comparison with pandas on generated data is in features-reference.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProject, type LoadedProject } from '../../src/core/project/loadProject';
import {
  FeatureDb,
  FeatureInputError,
  OnlineStore,
  SchemaCache,
  buildTrainingSet,
  checkFeatureTypes,
  featureStats,
  histogramEdges,
  isoFromMicros,
  materialize,
  previewView,
  pythonSnippet,
  typeProblem,
  viewFreshness,
  type FeatureProblem,
} from '../../src/core/features/index';

let dir: string;
let db: FeatureDb;
let project: LoadedProject;

const BASE = Date.parse('2026-01-01T00:00:00Z');
/** a TIMESTAMPTZ literal `sec` seconds (+ `us` µs) after BASE */
const ts = (sec: number, us = 0) => `TIMESTAMPTZ '${new Date(BASE + sec * 1000).toISOString().replace('Z', '').replace('T', ' ')}${us ? String(us).padStart(3, '0') : ''}+00'`;
const iso = (sec: number, us = 0) => isoFromMicros(BigInt(BASE + sec * 1000) * 1000n + BigInt(us));
const at = (sec: number, us = 0) => new Date(BASE + sec * 1000 + us / 1000);

const PIPELINE = `version: 1
name: pit-small
features:
  entities:
    customer: { join_keys: [customer_id] }
    item: { join_keys: [store_id, product_id] }
  sources:
    events: { path: data/events.parquet, timestamp: ts }
    profiles: { path: data/profiles.csv, timestamp: updated }
    prices: { path: data/prices.jsonl, timestamp: ts }
    empty: { path: data/empty.parquet, timestamp: ts }
  views:
    activity:
      entity: customer
      source: events
      ttl: 15s
      features: { clicks: int64, amount: float64, tag: string, score: float64 }
    profile:
      entity: customer
      source: profiles
      features: { tier: string, score: float64, since: timestamp }
    pricing:
      entity: item
      source: prices
      ttl: 1h
      features: { price: float64 }
    nothing:
      entity: customer
      source: empty
      ttl: 1d
      features: { clicks: int64 }
training:
  script: train.py
  dataset:
    labels: data/labels.parquet
    label: label
    timestamp: ts
    features: [activity:clicks, activity:amount, activity:tag, activity:score, "profile:*"]
`;

// events in file order: a tie at t=20 (row 3 wins), null values at t=30, an out-of-order row, a null timestamp, a row 1 µs after t=20
const EVENTS: [number | null, string, number | null, number | null, string | null, number][] = [
  [1, ts(10), 1, 1.5, 'a', 0.1],
  [1, ts(20), 2, 2.5, 'b', 0.2],
  [2, ts(50), 7, 7.5, 'g', 0.7],
  [1, ts(20), 3, null, 'c', 0.3],
  [1, ts(30), null, null, null, 0.4],
  [1, ts(5), 0, 0.5, 'z', 0.05],
  [1, 'NULL', 99, 9.5, 'a', 0.99],
  [1, ts(20, 1), 4, 4.5, 'a', 0.45],
];

// labels, deliberately not in time order: [customer_id, [sec, µs] or null, expected clicks, amount, tag, activity score, tier, profile score, since]
type Expected = [number | null, [number, number] | null, number | null, number | null, string | null, number | null, string | null, number | null, string | null];
const LABELS: Expected[] = [
  [2, [65, 0], 7, 7.5, 'g', 0.7, 'bronze', 7, '2024-01-15T00:00:00Z'], // age 15 s = ttl: still valid
  [1, [4, 0], null, null, null, null, 'silver', 5, '2025-06-01T00:00:00Z'], // before every event
  [1, [20, 0], 3, null, 'c', 0.3, 'silver', 5, '2025-06-01T00:00:00Z'], // tie: last in file order; its null amount stays null
  [null, [40, 0], null, null, null, null, null, null, null], // null key
  [1, [5, 0], 0, 0.5, 'z', 0.05, 'silver', 5, '2025-06-01T00:00:00Z'], // exactly on an event
  [1, [100, 0], null, null, null, null, 'gold', 6, '2025-07-01T00:00:00Z'], // ttl passed; the profile has none
  [1, [25, 0], 4, 4.5, 'a', 0.45, 'gold', 6, '2025-07-01T00:00:00Z'], // the row 1 µs after t=20
  [2, [65, 1], null, null, null, null, 'bronze', 7, '2024-01-15T00:00:00Z'], // 1 µs past the ttl
  [1, [19, 0], 1, 1.5, 'a', 0.1, 'silver', 5, '2025-06-01T00:00:00Z'],
  [1, null, null, null, null, null, null, null, null], // null timestamp
  [3, [40, 0], null, null, null, null, null, null, null], // unknown customer
  [1, [30, 0], null, null, null, 0.4, 'gold', 6, '2025-07-01T00:00:00Z'], // the chosen row's nulls
];

const sqlValue = (v: unknown) => (v === null ? 'NULL' : typeof v === 'string' && !v.startsWith('TIMESTAMPTZ') && v !== 'NULL' ? `'${v}'` : String(v));

async function writeData(root: string) {
  const d = (f: string) => join(root, 'data', f);
  await mkdir(join(root, 'data'), { recursive: true });
  const rows = (list: unknown[][]) => list.map((r) => `(${r.map(sqlValue).join(', ')})`).join(', ');
  await db.run(
    `COPY (SELECT customer_id::BIGINT AS customer_id, ts::TIMESTAMPTZ AS ts, clicks::BIGINT AS clicks, amount::DOUBLE AS amount, tag::VARCHAR AS tag, score::DOUBLE AS score ` +
      `FROM (VALUES ${rows(EVENTS)}) t(customer_id, ts, clicks, amount, tag, score)) TO '${d('events.parquet')}' (FORMAT parquet)`,
  );
  await db.run(
    `COPY (SELECT customer_id::BIGINT AS customer_id, ts::TIMESTAMPTZ AS ts, i::BIGINT AS label FROM (VALUES ${rows(LABELS.map((l, i) => [l[0], l[1] ? ts(...l[1]) : 'NULL', i]))}) t(customer_id, ts, i)) TO '${d('labels.parquet')}' (FORMAT parquet)`,
  );
  await db.run(
    `COPY (SELECT customer_id, ts, label, 'x' AS tag FROM read_parquet('${d('labels.parquet')}')) TO '${d('labels-tag.parquet')}' (FORMAT parquet)`,
  );
  await writeFile(d('profiles.csv'), 'customer_id,updated,tier,score,since\n1,2026-01-01T00:00:00Z,silver,5.0,2025-06-01\n1,2026-01-01T00:00:25Z,gold,6.0,2025-07-01\n2,2026-01-01T00:01:00Z,bronze,7.0,2024-01-15\n');
  await writeFile(
    d('prices.jsonl'),
    [
      { store_id: 's1', product_id: 1, ts: '2026-01-01T00:00:10Z', price: 9.5 },
      { store_id: 's1', product_id: 2, ts: '2026-01-01T00:00:10Z', price: 3.25 },
      { store_id: 's2', product_id: 1, ts: '2026-01-01T00:00:15Z', price: 10 },
      { store_id: 's1', product_id: 1, ts: '2026-01-01T00:00:20Z', price: 9.75 },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n') + '\n',
  );
  await db.run(`COPY (SELECT 1::BIGINT AS customer_id, TIMESTAMPTZ '2026-01-01 00:00:00+00' AS ts, 1::BIGINT AS clicks LIMIT 0) TO '${d('empty.parquet')}' (FORMAT parquet)`);
  await writeFile(join(root, 'train.py'), '');
}

before(async () => {
  db = await FeatureDb.open({ threads: 2 });
  dir = await mkdtemp(join(tmpdir(), 'slipway-features-'));
  await writeData(dir);
  await writeFile(join(dir, 'slipway.yaml'), PIPELINE);
  project = await loadProject(join(dir, 'slipway.yaml'));
  assert.deepEqual(project.errors, []);
});

after(async () => {
  db?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** rows of a Parquet file, timestamps as ISO strings */
async function readRows(path: string): Promise<{ columns: [string, string][]; rows: unknown[][] }> {
  const described = await db.rows(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
  const columns = described.map((d) => [String(d.column_name), String(d.column_type)] as [string, string]);
  const select = columns.map(([c, t], i) => (/^TIMESTAMP/.test(t) ? `epoch_us("${c}") AS c${i}` : `"${c}" AS c${i}`));
  const rows = await db.rows(`SELECT ${select.join(', ')} FROM read_parquet('${path}')`);
  return {
    columns,
    rows: rows.map((r) => columns.map(([, t], i) => {
      const v = r[`c${i}`];
      if (v === null) return null;
      if (/^TIMESTAMP/.test(t)) return isoFromMicros(v as bigint);
      return typeof v === 'bigint' ? Number(v) : v;
    })),
  };
}

// 'sampled': the timestamp unit guessed from the first row (whole seconds) is wrong; the build notices and runs again
for (const variant of ['auto', 'packed', 'struct', 'sampled'] as const) test(`point in time (${variant} order key): latest row at or before the label, ties last in file order, ttl inclusive, nulls kept, label order`, async () => {
  const out = join(dir, 'out', `train-${variant}.parquet`);
  const orderKey = variant === 'sampled' ? 'packed' : variant;
  const copies: string[] = [];
  const run = db.run.bind(db);
  db.run = async (sql: string, signal?: AbortSignal) => {
    if (sql.startsWith('COPY')) copies.push(sql);
    return run(sql, signal);
  };
  let lineage;
  try {
    lineage = await buildTrainingSet(project, { out, db, orderKey, now: new Date('2026-02-01T00:00:00Z'), ...(variant === 'sampled' ? { timeSample: 1 } : {}) });
  } finally {
    db.run = run;
  }
  assert.equal(copies.length, variant === 'sampled' ? 2 : 1);
  const { columns, rows } = await readRows(out);
  assert.deepEqual(columns, [
    ['customer_id', 'BIGINT'],
    ['ts', 'TIMESTAMP WITH TIME ZONE'],
    ['label', 'BIGINT'],
    ['clicks', 'BIGINT'],
    ['amount', 'DOUBLE'],
    ['tag', 'VARCHAR'],
    ['activity__score', 'DOUBLE'],
    ['tier', 'VARCHAR'],
    ['profile__score', 'DOUBLE'],
    ['since', 'TIMESTAMP'],
  ]);
  const expected = LABELS.map((l, i) => [l[0], l[1] ? iso(...l[1]) : null, i, ...l.slice(2)]);
  assert.deepEqual(rows, expected);
  assert.equal(lineage.rows, LABELS.length);
  assert.match(lineage.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(lineage.name, 'pit-small-training');
  assert.equal(lineage.created, '2026-02-01T00:00:00.000Z');
  assert.deepEqual(lineage.features.map((f) => f.column), ['clicks', 'amount', 'tag', 'activity__score', 'tier', 'profile__score', 'since']);
  assert.deepEqual(JSON.parse(await readFile(`${out}.lineage.json`, 'utf8')), JSON.parse(JSON.stringify(lineage)));
});

test('the same inputs give the same bytes, whichever order key is used', async () => {
  const digests: string[] = [];
  for (const orderKey of ['auto', 'packed', 'struct', 'auto'] as const) {
    digests.push(`${orderKey} ${(await buildTrainingSet(project, { out: join(dir, `out/det-${orderKey}.parquet`), orderKey, db })).digest}`);
  }
  assert.equal(new Set(digests.map((d) => d.split(' ')[1])).size, 1, digests.join('\n'));
});

test('ties across the files of a glob: the later file wins; the label set may be a glob of CSV files too', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-features-glob-'));
  try {
    await mkdir(join(root, 'data/parts'), { recursive: true });
    const part = (rows: string) => `COPY (SELECT customer_id::BIGINT AS customer_id, ts::TIMESTAMP AS ts, v::BIGINT AS v FROM (VALUES ${rows}) t(customer_id, ts, v))`;
    await db.run(`${part(`(1, TIMESTAMP '2026-01-01 00:00:10', 1), (1, TIMESTAMP '2026-01-01 00:00:20', 2)`)} TO '${root}/data/parts/p1.parquet' (FORMAT parquet)`);
    await db.run(`${part(`(1, TIMESTAMP '2026-01-01 00:00:20', 3), (2, TIMESTAMP '2026-01-01 00:00:20', 5)`)} TO '${root}/data/parts/p2.parquet' (FORMAT parquet)`);
    await writeFile(join(root, 'data/labels-a.csv'), 'customer_id,at,y\n1,2026-01-01T00:00:20Z,1\n2,2026-01-01T00:00:19Z,0\n');
    await writeFile(join(root, 'data/labels-b.csv'), 'customer_id,at,y\n1,2026-01-01T00:00:15Z,1\n2,2026-01-01T00:00:21Z,1\n');
    await writeFile(join(root, 'train.py'), '');
    await writeFile(
      join(root, 'slipway.yaml'),
      'version: 1\nname: glob\nfeatures:\n  entities:\n    c: { join_keys: [customer_id] }\n  sources:\n    parts: { path: "data/parts/*.parquet", timestamp: ts }\n' +
        '  views:\n    v: { entity: c, source: parts, features: { v: int64 } }\ntraining:\n  script: train.py\n  dataset: { labels: "data/labels-*.csv", label: y, timestamp: at, features: ["v:v"] }\n',
    );
    const p = await loadProject(join(root, 'slipway.yaml'));
    assert.deepEqual(p.errors, []);
    const out = join(root, 'train.parquet');
    await buildTrainingSet(p, { out, db });
    const { rows } = await readRows(out);
    assert.deepEqual(rows.map((r) => [r[0], r[3]]), [[1, 3], [2, null], [1, 1], [2, 5]]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('output names: <view>__<feature> when a label column has the name; a feature listed twice is kept once', async () => {
  const text = PIPELINE.replace('labels: data/labels.parquet', 'labels: data/labels-tag.parquet').replace(
    'features: [activity:clicks, activity:amount, activity:tag, activity:score, "profile:*"]',
    'features: ["activity:*", activity:clicks, "profile:tier"]',
  );
  await writeFile(join(dir, 'names.yaml'), text);
  const q = await loadProject(join(dir, 'names.yaml'));
  assert.deepEqual(q.errors, []);
  const lineage = await buildTrainingSet(q, { out: join(dir, 'out/names.parquet'), db });
  assert.deepEqual(lineage.columns.map((c) => c.name), ['customer_id', 'ts', 'label', 'tag', 'clicks', 'amount', 'activity__tag', 'score', 'tier']);
});

test('bad inputs: a clear FeatureInputError', async () => {
  const broken = async (yaml: string) => {
    await writeFile(join(dir, 'broken.yaml'), yaml);
    return loadProject(join(dir, 'broken.yaml'));
  };
  const noLabels = await broken(PIPELINE.replace('labels: data/labels.parquet', 'labels: data/nope.parquet'));
  await assert.rejects(buildTrainingSet(noLabels, { out: join(dir, 'out/x.parquet'), db }), (e: Error) => e instanceof FeatureInputError && /training\.dataset\.labels: data\/nope\.parquet: no such file/.test(e.message));
  const wrongLabel = await broken(PIPELINE.replace('label: label', 'label: churned'));
  await assert.rejects(buildTrainingSet(wrongLabel, { out: join(dir, 'out/x.parquet'), db }), /no label column churned/);
  const s3 = await broken(PIPELINE.replace('path: data/events.parquet', 'path: s3://bucket/events.parquet'));
  await assert.rejects(buildTrainingSet(s3, { out: join(dir, 'out/x.parquet'), db }), /s3:\/\/bucket\/events\.parquet: reading s3:\/\/ needs the artifact store/);
  // with the artifact store's hook, s3:// reads what it downloads
  const fetched: string[] = [];
  const lineage = await buildTrainingSet(s3, {
    out: join(dir, 'out/s3.parquet'),
    db,
    fetchToLocal: async (uri) => {
      fetched.push(uri);
      await copyFile(join(dir, 'data/events.parquet'), join(dir, 'data/downloaded.parquet'));
      return join(dir, 'data/downloaded.parquet');
    },
  });
  assert.deepEqual(fetched, ['s3://bucket/events.parquet']);
  assert.equal(lineage.rows, LABELS.length);
  await assert.rejects(previewView(project, 'nope', 5, { db }), /unknown feature view 'nope' \(views: activity, profile, pricing, nothing\)/);
  await assert.rejects(featureStats(project, 'activity', 'nope', { db }), /view activity has no feature 'nope'/);
  const noDataset = await broken('version: 1\nname: x\n');
  await assert.rejects(buildTrainingSet(noDataset, { db }), /no training\.dataset/);
});

test('type rules: widenings that are fine, mismatches, warnings', () => {
  for (const [declared, actual] of [
    ['int64', 'INTEGER'], ['int64', 'TINYINT'], ['int64', 'UINTEGER'], ['int64', 'DECIMAL(18,0)'], ['float64', 'FLOAT'], ['float64', 'DECIMAL(10,2)'], ['float64', 'BIGINT'],
    ['string', 'VARCHAR'], ['string', "ENUM('a', 'b')"], ['bool', 'BOOLEAN'], ['timestamp', 'DATE'], ['timestamp', 'TIMESTAMP_NS'], ['timestamp', 'TIMESTAMP WITH TIME ZONE'],
  ] as const) {
    assert.equal(typeProblem(declared, actual), undefined, `${declared} ← ${actual}`);
  }
  for (const [declared, actual, severity, hint] of [
    ['int64', 'DOUBLE', 'error', /declare float64/], ['int64', 'VARCHAR', 'error', /VARCHAR/], ['int64', 'UBIGINT', 'warning', /2\^63/], ['int64', 'DECIMAL(10,2)', 'error', /float64/],
    ['bool', 'INTEGER', 'error', /declare int64/], ['timestamp', 'VARCHAR', 'error', /parse it/], ['string', 'BIGINT', 'error', /BIGINT/], ['float64', 'VARCHAR', 'error', /VARCHAR/], ['string', 'INTEGER[]', 'error', /INTEGER\[\]/],
  ] as const) {
    const p = typeProblem(declared, actual);
    assert.equal(p?.severity, severity, `${declared} ← ${actual}`);
    assert.match(p!.message, hint);
  }
});

test('checkFeatureTypes: every problem at its key path, cached by file mtime', async () => {
  const root = await mkdtemp(join(tmpdir(), 'slipway-features-check-'));
  try {
    await mkdir(join(root, 'data'));
    const typesFile = join(root, 'data/types.parquet');
    const writeTypes = (f32 = 'FLOAT') =>
      db.run(
        `COPY (SELECT 1::BIGINT AS id, TIMESTAMP '2026-01-01' AS ts, 1::INTEGER AS i32, 1.5::${f32} AS f32, 1.25::DECIMAL(10,2) AS dec, 7::DECIMAL(10,0) AS dec0, 5::UBIGINT AS u64, ` +
          `true AS b, 'x' AS s, DATE '2026-01-01' AS d, '2026-01-01' AS tstext, 1::TINYINT AS i8) TO '${typesFile}' (FORMAT parquet)`,
      );
    await writeTypes();
    await writeFile(join(root, 'data/junk.parquet'), 'not parquet at all');
    await db.run(`COPY (SELECT 1::BIGINT AS id, '2026-01-01' AS ts, 1 AS y) TO '${root}/data/labels.parquet' (FORMAT parquet)`);
    await writeFile(join(root, 'train.py'), '');
    await writeFile(
      join(root, 'slipway.yaml'),
      `version: 1
name: checks
features:
  entities:
    thing: { join_keys: [id] }
    account: { join_keys: [account_id] }
  sources:
    good: { path: data/types.parquet, timestamp: ts }
    nots: { path: data/types.parquet, timestamp: nope }
    textts: { path: data/types.parquet, timestamp: tstext }
    gone: { path: data/missing.parquet, timestamp: ts }
    junk: { path: data/junk.parquet, timestamp: ts }
    remote: { path: s3://bucket/x.parquet, timestamp: ts }
  views:
    ok_view:
      entity: thing
      source: good
      features: { i32: int64, f32: float64, dec: float64, dec0: int64, i8: float64, d: timestamp, s: string, b: bool, ts: timestamp }
    bad_view:
      entity: thing
      source: good
      features: { f32: int64, s: int64, i32: bool, tstext: timestamp, u64: int64, missing_col: float64 }
    nokey: { entity: account, source: good, features: { s: string } }
training:
  script: train.py
  dataset: { labels: data/labels.parquet, label: churned, timestamp: ts, features: ["ok_view:s", "nokey:s"] }
`,
    );
    const p = await loadProject(join(root, 'slipway.yaml'));
    assert.deepEqual(p.errors, []);
    const cache = new SchemaCache();
    let describes = 0;
    const counting = await FeatureDb.open();
    const rows = counting.rows.bind(counting);
    counting.rows = async (sql: string, signal?: AbortSignal) => {
      if (/^DESCRIBE/.test(sql)) describes++;
      return rows(sql, signal);
    };
    try {
      const problems = await checkFeatureTypes(p, { cache, db: counting });
      const brief = (list: FeatureProblem[]) => list.map((x) => `${x.severity} ${x.code} ${x.path.join('.')}${x.actual ? ` ${x.actual}` : ''}`).sort();
      assert.deepEqual(brief(problems), [
        'error bad-timestamp features.sources.textts.timestamp VARCHAR',
        'error bad-timestamp training.dataset.timestamp VARCHAR',
        'error missing-column features.views.bad_view.features.missing_col',
        'error missing-column training.dataset.label',
        'error missing-join-key features.views.nokey.entity',
        'error missing-join-key training.dataset.labels',
        'error missing-timestamp features.sources.nots.timestamp',
        'error type-mismatch features.views.bad_view.features.f32 FLOAT',
        'error type-mismatch features.views.bad_view.features.i32 INTEGER',
        'error type-mismatch features.views.bad_view.features.s VARCHAR',
        'error type-mismatch features.views.bad_view.features.tstext VARCHAR',
        'error unreadable-source features.sources.junk.path',
        'information unchecked-source features.sources.remote.path',
        'warning missing-source features.sources.gone.path',
        'warning type-mismatch features.views.bad_view.features.u64 UBIGINT',
      ]);
      const f32 = problems.find((x) => x.feature === 'f32')!;
      assert.deepEqual([f32.view, f32.declared, f32.actual], ['bad_view', 'int64', 'FLOAT']);
      assert.match(f32.message, /bad_view\.f32: declared int64, but the column is FLOAT \(declare float64\)/);
      assert.match(problems.find((x) => x.code === 'unreadable-source')!.message, /data\/junk\.parquet: cannot read it/);
      assert.equal(describes, 3, 'one DESCRIBE per distinct file (types, junk, labels)');

      // unchanged files: nothing is read again
      const again = await checkFeatureTypes(p, { cache, db: counting });
      assert.deepEqual(brief(again), brief(problems));
      assert.equal(describes, 3);

      // a rewritten file is described again
      await writeTypes('DOUBLE');
      await utimes(typesFile, new Date(), new Date(Date.now() + 5000));
      const third = await checkFeatureTypes(p, { cache, db: counting });
      assert.equal(describes, 4);
      assert.equal(third.find((x) => x.feature === 'f32')!.actual, 'DOUBLE');
    } finally {
      counting.close();
    }
    // s3 with the artifact store's hook is checked
    const withHook = await checkFeatureTypes(p, { cache, fetchToLocal: async () => typesFile });
    assert.ok(!withHook.some((x) => x.source === 'remote'));
    // the example project is clean
    assert.deepEqual(await checkFeatureTypes(await loadProject('examples/churn/slipway.yaml')), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('featureStats: counts, numbers, top values, histograms (NumPy edges), timestamps', async () => {
  const clicks = await featureStats(project, 'activity', 'clicks', { db });
  const values = [1, 2, 7, 3, 0, 99, 4];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  assert.deepEqual({ ...clicks, mean: undefined, std: undefined, histogram: undefined }, {
    view: 'activity', feature: 'clicks', declared: 'int64', actual: 'BIGINT', rows: 8, nulls: 1, nullPercent: 12.5, distinct: 7, min: 0, max: 99, mean: undefined, std: undefined, histogram: undefined,
  });
  assert.ok(Math.abs(clicks.mean! - mean) < 1e-12 && Math.abs(clicks.std! - std) < 1e-9);
  assert.deepEqual(clicks.histogram!.map((b) => b.count), [6, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(clicks.histogram!.map((b) => b.from), histogramEdges(0, 99).slice(0, 10));
  const tag = await featureStats(project, 'activity', 'tag', { db });
  assert.deepEqual(tag.top, [{ value: 'a', count: 3 }, { value: 'b', count: 1 }, { value: 'c', count: 1 }, { value: 'g', count: 1 }, { value: 'z', count: 1 }]);
  assert.equal(tag.nulls, 1);
  const since = await featureStats(project, 'profile', 'since', { db });
  assert.deepEqual([since.actual, since.min, since.max, since.histogram!.length], ['DATE', '2024-01-15T00:00:00Z', '2025-07-01T00:00:00Z', 10]);
  assert.deepEqual(histogramEdges(3, 3, 2), [2.5, 3, 3.5]);
  const empty = await featureStats(project, 'nothing', 'clicks', { db });
  assert.deepEqual([empty.rows, empty.nullPercent, empty.min, empty.histogram], [0, 0, null, undefined]);
});

test('viewFreshness: latest event against now and the ttl', async () => {
  const fresh = await viewFreshness(project, 'activity', at(60), { db });
  assert.deepEqual(fresh, { view: 'activity', source: 'events', rows: 8, latest: iso(50), oldest: iso(5), now: at(60).toISOString(), ageSeconds: 10, ttlSeconds: 15, stale: false });
  assert.equal((await viewFreshness(project, 'activity', at(65), { db })).stale, false, 'age = ttl is fresh');
  assert.equal((await viewFreshness(project, 'activity', at(66), { db })).stale, true);
  const noTtl = await viewFreshness(project, 'profile', at(1e6), { db });
  assert.deepEqual([noTtl.latest, noTtl.ttlSeconds, noTtl.stale], [iso(60), null, false]);
  const future = await viewFreshness(project, 'activity', at(40), { db });
  assert.equal(future.ageSeconds, -10);
  const none = await viewFreshness(project, 'nothing', at(0), { db });
  assert.deepEqual([none.rows, none.latest, none.ageSeconds, none.stale], [0, null, null, true]);
});

test('previewView: the first rows in file order, timestamps as ISO strings', async () => {
  const p = await previewView(project, 'activity', 3, { db });
  assert.deepEqual(p.columns.map((c) => `${c.name}:${c.role}`), ['customer_id:join-key', 'ts:timestamp', 'clicks:feature', 'amount:feature', 'tag:feature', 'score:feature']);
  assert.deepEqual(p.rows, [
    { customer_id: 1, ts: iso(10), clicks: 1, amount: 1.5, tag: 'a', score: 0.1 },
    { customer_id: 1, ts: iso(20), clicks: 2, amount: 2.5, tag: 'b', score: 0.2 },
    { customer_id: 2, ts: iso(50), clicks: 7, amount: 7.5, tag: 'g', score: 0.7 },
  ]);
  const csv = await previewView(project, 'profile', 1, { db });
  assert.deepEqual(csv.rows, [{ customer_id: 1, updated: iso(0), tier: 'silver', score: 5, since: '2025-06-01T00:00:00Z' }]);
});

test('materialize + OnlineStore: latest values within ttl as of now, fast keyed lookups, a new file is picked up', async () => {
  const storePath = join(dir, '.slipway/online.duckdb');
  const result = await materialize(project, { now: at(26), db });
  assert.equal(result.path, storePath);
  assert.equal(result.asOf, at(26).toISOString());
  assert.deepEqual(Object.keys(result.entities), ['customer', 'item']);
  // customer 2's only activity (t=50) and profile (t=60) are after now: not stored
  assert.equal(result.entities.customer!.rows, 1);
  const store = await OnlineStore.open(storePath, { refreshMs: 0 });
  try {
    const one = await store.lookup('customer', 1);
    assert.equal(one.found, true);
    assert.deepEqual(one.values, { activity__clicks: 4, amount: 4.5, tag: 'a', activity__score: 0.45, tier: 'gold', profile__score: 6, since: '2025-07-01T00:00:00Z', nothing__clicks: null });
    assert.deepEqual(one.timestamps, { activity: iso(20, 1), profile: iso(25), nothing: null });
    for (const key of ['1', 1n, [1], { customer_id: '1' }] as const) assert.deepEqual(await store.get('customer', key), one.values);
    const two = await store.lookup('customer', 2);
    assert.equal(two.found, false);
    assert.ok(Object.values(two.values).every((v) => v === null));
    assert.deepEqual(await store.get('item', { store_id: 's1', product_id: 1 }), { price: 9.75 });
    assert.deepEqual(await store.get('item', ['s2', '1']), { price: 10 });
    await assert.rejects(store.get('customer', '4x2'), (e: Error) => e instanceof FeatureInputError && /customer_id is an integer key \(BIGINT\): "4x2" is not an integer/.test(e.message));
    await assert.rejects(store.get('item', 's1'), /entity item has 2 join keys \(store_id, product_id\)/);
    await assert.rejects(store.get('item', { store_id: 's1', sku: 1 }), /no join key sku/);
    await assert.rejects(store.get('nope', 1), /no entity 'nope' \(entities: customer, item\)/);
    await assert.rejects(store.get('customer', '99999999999999999999'), /does not fit the join key type/);

    // later: customer 1's activity has expired; customer 2 has a profile; the open store sees the new file
    await materialize(project, { now: at(70), db });
    assert.deepEqual(await store.get('customer', 1), { activity__clicks: null, amount: null, tag: null, activity__score: null, tier: 'gold', profile__score: 6, since: '2025-07-01T00:00:00Z', nothing__clicks: null });
    assert.deepEqual((await store.lookup('customer', 2)).values.tier, 'bronze');
    assert.equal(store.meta.asOf, at(70).toISOString());
    // concurrent lookups share one prepared statement safely
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => store.get('customer', (i % 3) + 1)));
    assert.deepEqual(many.map((m) => m.tier), Array.from({ length: 50 }, (_, i) => [ 'gold', 'bronze', null][i % 3]));
  } finally {
    store.close();
  }
  await assert.rejects(OnlineStore.open(join(dir, 'nope.duckdb')), /no online store; write it with `slipway features materialize`/);
});

test('pythonSnippet loads the training set and its lineage', () => {
  const s = pythonSnippet(project);
  assert.match(s, /train = pd\.read_parquet\("data\/training\.parquet"\)/);
  assert.match(s, /features = \["clicks", "amount", "tag", "activity__score", "tier", "profile__score", "since"\]/);
  assert.match(s, /X, y = train\[features\], train\["label"\]/);
  assert.match(pythonSnippet(project, { out: 'out/t.parquet' }), /"out\/t\.parquet\.lineage\.json"/);
});
