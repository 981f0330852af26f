// The feature store against pandas (test/python/features_reference.py): point-in-time joins
// against merge_asof on generated data with ties, out-of-order rows, missing entities, ttl
// edges and nulls; statistics of the churn example against describe()/nunique()/histogram.
// Needs $SLIPWAY_PYTHON (set by `npm test`); skipped with a message without it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadProject, type LoadedProject } from '../../src/core/project/loadProject';
import { FeatureDb, buildTrainingSet, featureStats, type FeatureStats } from '../../src/core/features/index';

const PYTHON = process.env.SLIPWAY_PYTHON;
const skip = PYTHON ? false : 'SLIPWAY_PYTHON is not set: the pandas comparisons need it (`npm test` creates the venv and sets it)';
const SCRIPT = resolve('test/python/features_reference.py');
const EXAMPLE = resolve('examples/churn');
const exec = promisify(execFile);

let dir: string;
let project: LoadedProject;

const PIPELINE = `version: 1
name: pit
features:
  entities:
    customer: { join_keys: [customer_id] }
    item: { join_keys: [store_id, product_id] }
  sources:
    clicks: { path: "data/a_*.parquet", timestamp: ts }
    prices: { path: data/b.csv, timestamp: ts }
    profiles: { path: data/c.parquet, timestamp: updated_at }
  views:
    activity:
      entity: customer
      source: clicks
      ttl: 10d
      features: { clicks: int64, spend: float64, channel: string, active: bool, score: float64 }
    pricing:
      entity: item
      source: prices
      ttl: 2d
      features: { price: float64, stock: int64 }
    profile:
      entity: customer
      source: profiles
      features: { tier: string, score: float64, last_login: timestamp }
training:
  script: train.py
  dataset:
    labels: data/labels.parquet
    label: label
    timestamp: event_ts
    features: ["activity:*", "pricing:price", "pricing:stock", "profile:*"]
`;

async function py(args: string[]): Promise<string> {
  try {
    return (await exec(PYTHON!, [SCRIPT, ...args], { maxBuffer: 256 << 20 })).stdout;
  } catch (e) {
    const err = e as { message: string; stderr?: string };
    throw new Error(`${err.message}\n${err.stderr ?? ''}`);
  }
}

before(async () => {
  if (!PYTHON) return;
  dir = await mkdtemp(join(tmpdir(), 'slipway-features-ref-'));
  await mkdir(join(dir, 'data'));
  await py(['generate', join(dir, 'data')]);
  await writeFile(join(dir, 'slipway.yaml'), PIPELINE);
  await writeFile(join(dir, 'train.py'), '');
  project = await loadProject(join(dir, 'slipway.yaml'));
  assert.deepEqual(project.errors, []);
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Cell = string | number | boolean | null;

/** our Parquet output as the reference writes its rows: timestamps as ns strings, NaN as null */
async function ourRows(path: string): Promise<{ columns: string[]; types: Map<string, string>; rows: Cell[][] }> {
  const db = await FeatureDb.open({ threads: 2 });
  try {
    const described = await db.rows(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const types = new Map(described.map((d) => [String(d.column_name), String(d.column_type)]));
    const columns = [...types.keys()];
    const select = columns.map((c, i) => (/^(TIMESTAMP|DATE)/.test(types.get(c)!) ? `CAST(epoch_ns("${c}") AS VARCHAR) AS c${i}` : `"${c}" AS c${i}`));
    const rows = await db.rows(`SELECT ${select.join(', ')} FROM read_parquet('${path}')`);
    const cell = (v: unknown): Cell => (v === null || v === undefined ? null : typeof v === 'bigint' ? Number(v) : typeof v === 'number' && Number.isNaN(v) ? null : (v as Cell));
    return { columns, types, rows: rows.map((r) => columns.map((_, i) => cell(r[`c${i}`]))) };
  } finally {
    db.close();
  }
}

async function reference(): Promise<{ columns: string[]; dtypes: Record<string, string>; rows: Cell[][] }> {
  const d = (f: string) => join(dir, 'data', f);
  const spec = {
    labels: { files: [d('labels.parquet')], format: 'parquet', timestamp: 'event_ts' },
    views: [
      { files: [d('a_1.parquet'), d('a_2.parquet')], format: 'parquet', keys: ['customer_id'], timestamp: 'ts', ttl_seconds: 10 * 86400, features: { clicks: 'clicks', spend: 'spend', channel: 'channel', active: 'active', score: 'activity__score' } },
      { files: [d('b.csv')], format: 'csv', keys: ['store_id', 'product_id'], timestamp: 'ts', ttl_seconds: 2 * 86400, features: { price: 'price', stock: 'stock' } },
      { files: [d('c.parquet')], format: 'parquet', keys: ['customer_id'], timestamp: 'updated_at', ttl_seconds: null, features: { tier: 'tier', score: 'profile__score', last_login: 'last_login' } },
    ],
  };
  await writeFile(join(dir, 'spec.json'), JSON.stringify(spec));
  await py(['join', join(dir, 'spec.json'), join(dir, 'ref.json')]);
  return JSON.parse(await readFile(join(dir, 'ref.json'), 'utf8'));
}

let ref: ReturnType<typeof reference> | undefined;

function compare(ours: { columns: string[]; rows: Cell[][] }, theirs: { columns: string[]; rows: Cell[][] }) {
  assert.deepEqual(ours.columns, theirs.columns);
  assert.equal(ours.rows.length, theirs.rows.length);
  const mismatches: string[] = [];
  ours.rows.forEach((row, i) => {
    row.forEach((v, j) => {
      const w = theirs.rows[i]![j];
      if (v !== w && mismatches.length < 10) mismatches.push(`row ${i} ${ours.columns[j]}: ours ${JSON.stringify(v)}, pandas ${JSON.stringify(w)}`);
    });
  });
  assert.deepEqual(mismatches, []);
}

for (const orderKey of ['auto', 'struct'] as const) {
  test(`training set = pandas merge_asof (order key ${orderKey}): ties, out-of-order rows, missing entities, ttl edges, nulls`, { skip }, async () => {
    const out = join(dir, `train-${orderKey}.parquet`);
    const lineage = await buildTrainingSet(project, { out, orderKey, duckdb: { threads: 2 } });
    const ours = await ourRows(out);
    const theirs = await (ref ??= reference());
    compare(ours, theirs);
    assert.equal(lineage.rows, 4000);
    // the cases the data was made for are there
    const col = (name: string) => ours.rows.map((r) => r[ours.columns.indexOf(name)]);
    const clicks = col('clicks');
    assert.ok(clicks.some((c) => c === null) && clicks.some((c) => (c as number) >= 100), 'null clicks (ttl, no match) and tied copies chosen');
    assert.ok(col('price').some((p) => (p as number) > 1000), 'tied price rows chosen');
    assert.ok(col('tier').includes('platinum') && col('tier').includes('tie'), 'nanosecond neighbours and ties of the profile');
    // declared types, whatever pandas made of the nulls
    assert.equal(ours.types.get('clicks'), 'BIGINT');
    assert.equal(ours.types.get('stock'), 'BIGINT');
    assert.equal(ours.types.get('active'), 'BOOLEAN');
    assert.equal(ours.types.get('last_login'), 'TIMESTAMP WITH TIME ZONE');
    assert.equal(ours.types.get('event_ts'), 'TIMESTAMP WITH TIME ZONE');
    assert.equal(theirs.dtypes.clicks, 'float64', 'pandas turns int64 with missing values into float64');
  });
}

test('statistics of the churn example = pandas describe(), nunique(), numpy.histogram, value_counts()', { skip }, async () => {
  const example = await loadProject(join(EXAMPLE, 'slipway.yaml'));
  const cases: [string, string, string][] = [
    ['customer_activity', 'sessions', 'activity'],
    ['customer_activity', 'basket_value', 'activity'],
    ['customer_activity', 'support_tickets', 'activity'],
    ['customer_profile', 'plan', 'customers'],
    ['customer_profile', 'country', 'customers'],
    ['customer_profile', 'monthly_fee', 'customers'],
  ];
  const byFile = new Map<string, string[]>();
  for (const [, f, file] of cases) byFile.set(file, [...(byFile.get(file) ?? []), f]);
  const expected: Record<string, any> = {};
  for (const [file, cols] of byFile) Object.assign(expected, JSON.parse(await py(['stats', join(EXAMPLE, 'data', `${file}.parquet`), ...cols])));
  const db = await FeatureDb.open();
  try {
    for (const [view, feature] of cases) {
      const s: FeatureStats = await featureStats(example, view, feature, { db });
      const e = expected[feature];
      const msg = `${view}.${feature}`;
      assert.equal(s.rows, e.rows, msg);
      assert.equal(s.nulls, e.nulls, msg);
      assert.equal(s.distinct, e.nunique, msg);
      assert.equal(s.nullPercent, (e.nulls / e.rows) * 100, msg);
      if (e.histogram) {
        assert.equal(s.min, e.min, msg);
        assert.equal(s.max, e.max, msg);
        assert.ok(Math.abs(s.mean! - e.mean) <= 1e-9 * Math.abs(e.mean), `${msg} mean ${s.mean} vs ${e.mean}`);
        assert.ok(Math.abs(s.std! - e.std) <= 1e-9 * Math.abs(e.std), `${msg} std ${s.std} vs ${e.std}`);
        assert.deepEqual(s.histogram!.map((b) => b.count), e.histogram.counts, msg);
        assert.deepEqual([...s.histogram!.map((b) => b.from), s.histogram!.at(-1)!.to], e.histogram.edges, msg);
      } else {
        const top = [...(e.top as [string, number][])].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
        assert.deepEqual(s.top!.map((t) => [t.value, t.count]), top, msg);
      }
    }
  } finally {
    db.close();
  }
});
