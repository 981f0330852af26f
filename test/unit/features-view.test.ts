// The Features view's pure logic (src/extension/features/model.ts): the tree's shape from
// slipway.yaml, freshness and statistics as text, preview cells, definition ranges. Statistics,
// freshness and previews come from the real core on the example's data, and on broken sources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadProject, type LoadedProject } from '../../src/core/project/loadProject';
import { parsePipeline } from '../../src/core/pipeline/index';
import { FeatureDb, FeatureInputError, featureStats, previewView, viewFreshness, type FeatureStats, type ViewFreshness } from '../../src/core/features/index';
import {
  ageText,
  cellOf,
  definitionPath,
  errorDescription,
  formatNumber,
  freshnessText,
  freshnessTooltip,
  histogramLabels,
  percentText,
  previewViewOf,
  shapeFeatures,
  statsMetrics,
  statsSummary,
  statsView,
} from '../../src/extension/features/model';
import { DeadlineError, FeatureSession } from '../../src/extension/features/session';

const EXAMPLE = resolve('examples/churn');
let dir: string;
let db: FeatureDb;
let project: LoadedProject;

// the example's views, plus the cases the tree must not drop: an undeclared entity, an undeclared
// source, a missing file, a file that is not Parquet, an entity without views
const PIPELINE = `version: 1
name: view-test
features:
  entities:
    customer: { join_keys: [customer_id] }
    store: { join_keys: [store_id, region] }
  sources:
    activity: { path: data/activity.parquet, timestamp: event_ts }
    customers: { path: data/customers.parquet, timestamp: signup_ts }
    gone: { path: data/nowhere.parquet, timestamp: ts }
    broken: { path: data/broken.parquet, timestamp: ts }
  views:
    customer_activity:
      entity: customer
      source: activity
      ttl: 30d
      features:
        sessions: int64
        basket_value: float64
        support_tickets: int64
    customer_profile:
      entity: customer
      source: customers
      ttl: 1095d
      features: { plan: string, country: string, monthly_fee: float64 }
    shopper_visits:
      entity: shopper
      source: activity
      features: { sessions: int64 }
    lost:
      entity: customer
      source: gone
      features: { x: int64 }
    corrupt:
      entity: customer
      source: broken
      features: { x: int64 }
    orphan:
      entity: customer
      source: undeclared
      features: { x: int64 }
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-features-view-'));
  await mkdir(join(dir, 'data'));
  for (const f of ['activity.parquet', 'customers.parquet']) await copyFile(join(EXAMPLE, 'data', f), join(dir, 'data', f));
  await writeFile(join(dir, 'data', 'broken.parquet'), 'this is not a parquet file\n');
  await writeFile(join(dir, 'slipway.yaml'), PIPELINE);
  project = await loadProject(join(dir, 'slipway.yaml'));
  db = await FeatureDb.open({ threads: 1 });
});

after(async () => {
  db?.close();
  await rm(dir, { recursive: true, force: true });
});

test('the tree: declared entities in file order with their views, then undeclared entities; no view is dropped', () => {
  const groups = shapeFeatures(project.pipeline.features);
  assert.deepEqual(
    groups.map((g) => [g.name, g.joinKeys, g.views.map((v) => v.name)]),
    [
      ['customer', ['customer_id'], ['customer_activity', 'customer_profile', 'lost', 'corrupt', 'orphan']],
      ['store', ['store_id', 'region'], []],
      ['shopper', undefined, ['shopper_visits']],
    ],
  );
  const all = groups.flatMap((g) => g.views.map((v) => v.name)).sort();
  assert.deepEqual(all, Object.keys(project.pipeline.features.views).sort());
  const activity = groups[0]!.views[0]!;
  assert.deepEqual(activity, {
    name: 'customer_activity',
    entity: 'customer',
    source: 'activity',
    sourcePath: 'data/activity.parquet',
    ttl: '30d',
    features: [
      { name: 'sessions', type: 'int64' },
      { name: 'basket_value', type: 'float64' },
      { name: 'support_tickets', type: 'int64' },
    ],
  });
  const orphan = groups[0]!.views.find((v) => v.name === 'orphan')!;
  assert.equal(orphan.sourcePath, undefined, 'an undeclared source has no path');
  assert.equal(groups[2]!.views[0]!.ttl, undefined);
});

test('the tree: no features section, or only sources, gives no entity', () => {
  assert.deepEqual(shapeFeatures(parsePipeline('version: 1\nname: x\n').model.features), []);
  const onlySources = parsePipeline('version: 1\nname: x\nfeatures:\n  sources:\n    a: { path: a.parquet, timestamp: ts }\n').model.features;
  assert.deepEqual(shapeFeatures(onlySources), []);
});

test('go to definition: each node type resolves to the key on its line of slipway.yaml', () => {
  const parsed = parsePipeline(PIPELINE);
  const lines = PIPELINE.split('\n');
  const lineOf = (t: Parameters<typeof definitionPath>[0]) => {
    const where = definitionPath(t)!;
    return parsed.rangeOf(where.path, where.part)!.start.line;
  };
  assert.match(lines[lineOf({ kind: 'entity', entity: 'store', declared: true })]!, /^ {4}store:/);
  assert.match(lines[lineOf({ kind: 'view', view: 'customer_profile' })]!, /^ {4}customer_profile:/);
  assert.match(lines[lineOf({ kind: 'feature', view: 'customer_activity', feature: 'basket_value' })]!, /^ {8}basket_value: float64/);
  // a flow mapping: the feature's key is inside the line
  const r = parsed.rangeOf(definitionPath({ kind: 'feature', view: 'customer_profile', feature: 'country' })!.path, 'key')!;
  assert.equal(lines[r.start.line]!.slice(r.start.character, r.end.character), 'country');
  // an undeclared entity goes to where a view names it
  const shopper = definitionPath({ kind: 'entity', entity: 'shopper', declared: false, firstView: 'shopper_visits' })!;
  const sr = parsed.rangeOf(shopper.path, shopper.part)!;
  assert.equal(lines[sr.start.line]!.slice(sr.start.character, sr.end.character), 'shopper');
  assert.equal(definitionPath({ kind: 'entity', entity: 'ghost', declared: false }), undefined);
  assert.equal(parsed.rangeOf(definitionPath({ kind: 'view', view: 'renamed' })!.path, 'key'), undefined, 'a view that is gone has no range');
});

test('age and ttl as text', () => {
  assert.equal(ageText(0), '0 s ago');
  assert.equal(ageText(89), '89 s ago');
  assert.equal(ageText(90), '2 min ago');
  assert.equal(ageText(3 * 3600 + 100), '3 h ago');
  assert.equal(ageText(47 * 3600), '47 h ago');
  assert.equal(ageText(40 * 86_400), '40 d ago');
  assert.equal(ageText(-7200), 'in 2 h');
});

const fresh = (over: Partial<ViewFreshness>): ViewFreshness => ({
  view: 'v',
  source: 's',
  rows: 10,
  latest: '2026-01-01T00:00:00Z',
  oldest: '2025-12-01T00:00:00Z',
  now: '2026-01-01T03:00:00Z',
  ageSeconds: 3 * 3600,
  ttlSeconds: 30 * 86_400,
  stale: false,
  ...over,
});

test('freshness text: latest and ttl; stale first when stale; no events', () => {
  assert.equal(freshnessText(fresh({}), '30d'), 'latest 3 h ago · ttl 30d');
  assert.equal(freshnessText(fresh({ ageSeconds: 40 * 86_400, stale: true }), '30d'), 'stale · latest 40 d ago · ttl 30d');
  assert.equal(freshnessText(fresh({ ttlSeconds: null }), undefined), 'latest 3 h ago · no ttl');
  assert.equal(freshnessText(fresh({ rows: 0, latest: null, oldest: null, ageSeconds: null, stale: true }), '1d'), 'no events · stale · ttl 1d');
  assert.equal(freshnessText(fresh({ ageSeconds: -3600 }), '30d'), 'latest in 60 min · ttl 30d');
  const view = shapeFeatures(project.pipeline.features)[0]!.views[0]!;
  assert.match(freshnessTooltip(view, fresh({ ageSeconds: 40 * 86_400, stale: true })).join('\n'), /\*\*stale\*\*: the latest event is 40 d ago, older than the ttl 30d/);
});

test('the stale rule on real data: stale exactly when the latest event is older than the ttl', async () => {
  const probe = await viewFreshness(project, 'customer_activity', new Date(), { db });
  const latest = Date.parse(probe.latest!);
  const ttl = 30 * 86_400_000;
  const before = await viewFreshness(project, 'customer_activity', new Date(latest + ttl), { db });
  assert.equal(before.stale, false, 'age = ttl: still valid');
  assert.equal(freshnessText(before, '30d'), 'latest 30 d ago · ttl 30d');
  const after = await viewFreshness(project, 'customer_activity', new Date(latest + ttl + 1000), { db });
  assert.equal(after.stale, true);
  assert.match(freshnessText(after, '30d'), /^stale · latest 30 d ago · ttl 30d$/);
  // no ttl: never stale while it has events
  const noTtl = await viewFreshness(project, 'shopper_visits', new Date(latest + 1000 * ttl), { db }).catch((e: Error) => e);
  assert.ok(noTtl instanceof FeatureInputError, 'an undeclared entity cannot be read');
  assert.match(noTtl.message, /unknown entity 'shopper'/);
});

test('unreadable sources: the core says why, the tree says it in a few words', async () => {
  const reason = async (view: string) => {
    const e = await viewFreshness(project, view, new Date(), { db }).then(
      () => assert.fail(`${view} should not be readable`),
      (x: Error) => x,
    );
    assert.ok(e instanceof FeatureInputError, `${view}: ${e.message}`);
    return e.message;
  };
  const lost = await reason('lost');
  assert.match(lost, /data\/nowhere\.parquet: no such file/);
  assert.equal(errorDescription(lost), 'source not found');
  const corrupt = await reason('corrupt');
  assert.match(corrupt, /data\/broken\.parquet: cannot read it/);
  assert.equal(errorDescription(corrupt), 'cannot read source');
  const orphan = await reason('orphan');
  assert.equal(errorDescription(orphan), 'unknown source');
  assert.equal(errorDescription(await reason('shopper_visits')), 'unknown entity');
  assert.equal(errorDescription('the freshness of x took longer than 60 s and was stopped'), 'timed out');
  assert.equal(errorDescription('view v does not match its data:\n  missing column'), 'data does not match');
});

test('numbers and percentages as text', () => {
  assert.equal(formatNumber(8174), '8,174');
  assert.equal(formatNumber(3.3934426229508197), '3.3934');
  assert.equal(formatNumber(-0.5), '-0.5');
  assert.equal(formatNumber(1.5e12), '1,500,000,000,000', 'whole numbers in full');
  assert.equal(formatNumber(1.5e12 + 0.5), '1.500e+12');
  assert.equal(formatNumber(0.00001234), '1.234e-5');
  assert.equal(formatNumber(Number.NaN), 'NaN');
  assert.equal(percentText(0), '0%');
  assert.equal(percentText(0.001), '<0.01%');
  assert.equal(percentText(1.2345), '1.23%');
  assert.equal(percentText(99.999), '>99.99%');
  assert.equal(percentText(100), '100%');
});

test('statistics of an integer feature: summary, measures, histogram bins', async () => {
  const s = await featureStats(project, 'customer_activity', 'sessions', { db });
  assert.equal(statsSummary(s), `${s.rows.toLocaleString('en-US')} rows · 0% null · ${s.distinct} distinct · mean ${formatNumber(s.mean!)}`);
  const m = Object.fromEntries(statsMetrics(s).map((x) => [x.label, x.value]));
  assert.deepEqual(Object.keys(m), ['Rows', 'Nulls', 'Distinct', 'Min', 'Max', 'Mean', 'Std', 'Type']);
  assert.equal(m.Nulls, '0 (0%)');
  assert.equal(m.Min, formatNumber(s.min as number));
  assert.equal(m.Type, 'int64 (column BIGINT)');
  const v = statsView(s, 12);
  assert.equal(v.histogram!.length, 10);
  assert.equal(v.histogram!.reduce((a, b) => a + b.count, 0), s.rows);
  assert.equal(v.histogram![0]!.label, `${formatNumber(s.min as number)} – ${formatNumber(Number(s.histogram![0]!.to))}`);
  assert.equal(v.top, undefined);
});

test('statistics of a float feature with nulls and of a string feature', async () => {
  const basket = await featureStats(project, 'customer_activity', 'basket_value', { db });
  assert.ok(basket.nulls > 0, 'the example has tracking gaps');
  const m = Object.fromEntries(statsMetrics(basket).map((x) => [x.label, x.value]));
  assert.equal(m.Nulls, `${basket.nulls.toLocaleString('en-US')} (${percentText(basket.nullPercent)})`);
  assert.ok('NaN / ±Inf' in m, 'floats count their non-finite values');
  assert.match(statsSummary(basket), new RegExp(`· ${percentText(basket.nullPercent).replace('.', '\\.')} null ·`));

  const plan = await featureStats(project, 'customer_profile', 'plan', { db });
  const v = statsView(plan, 5);
  assert.equal(v.histogram, undefined);
  assert.deepEqual(v.top!.map((t) => t.value).sort(), ['basic', 'plus', 'premium']);
  assert.equal(v.top!.reduce((a, t) => a + t.count, 0), plan.rows - plan.nulls);
  assert.match(statsSummary(plan), new RegExp(`· top ${String(plan.top![0]!.value)}$`));
});

test('statistics of timestamps and of an empty source', () => {
  const ts: FeatureStats = {
    view: 'v',
    feature: 'since',
    declared: 'timestamp',
    actual: 'TIMESTAMP WITH TIME ZONE',
    rows: 3,
    nulls: 1,
    nullPercent: 100 / 3,
    distinct: 2,
    min: '2025-06-01T00:00:00Z',
    max: '2025-07-01T00:00:00Z',
    histogram: [
      { from: '2025-06-01T00:00:00Z', to: '2025-06-16T00:00:00Z', count: 1 },
      { from: '2025-06-16T00:00:00Z', to: '2025-07-01T00:00:00Z', count: 1 },
    ],
  };
  assert.equal(statsSummary(ts), '3 rows · 33.33% null · 2 distinct · 2025-06-01 … 2025-07-01');
  assert.deepEqual(histogramLabels(ts.histogram), ['2025-06-01 – 2025-06-16', '2025-06-16 – 2025-07-01']);
  const short = [{ from: '2025-06-01T00:00:00Z', to: '2025-06-01T12:30:00Z', count: 4 }];
  assert.deepEqual(histogramLabels(short), ['2025-06-01 00:00 – 2025-06-01 12:30'], 'a short range shows the time');
  const empty: FeatureStats = { view: 'v', feature: 'x', declared: 'int64', actual: 'BIGINT', rows: 0, nulls: 0, nullPercent: 0, distinct: 0, min: null, max: null, mean: null, std: null };
  assert.equal(statsSummary(empty), '0 rows · 0% null · 0 distinct');
  const m = Object.fromEntries(statsMetrics(empty).map((x) => [x.label, x.value]));
  assert.equal(m.Min, '—');
  assert.equal(m.Mean, '—');
  assert.deepEqual(histogramLabels(undefined), []);
});

test('preview cells: text never markup, nulls marked, nested values as JSON', async () => {
  assert.deepEqual(cellOf(null), { text: 'null', kind: 'null' });
  assert.deepEqual(cellOf(undefined), { text: 'null', kind: 'null' });
  assert.deepEqual(cellOf('<img src=x onerror=alert(1)>'), { text: '<img src=x onerror=alert(1)>', kind: 'string' });
  assert.deepEqual(cellOf(2.5), { text: '2.5', kind: 'number' });
  assert.deepEqual(cellOf(false), { text: 'false', kind: 'bool' });
  assert.deepEqual(cellOf({ a: [1, null] }), { text: '{"a":[1,null]}', kind: 'json' });

  const p = await previewView(project, 'customer_activity', 50, { db });
  const v = previewViewOf(p, project.pipeline.features.views['customer_activity']!.features, 50);
  assert.deepEqual(v.columns.map((c) => [c.name, c.role, c.declared]), [
    ['customer_id', 'join-key', undefined],
    ['event_ts', 'timestamp', undefined],
    ['sessions', 'feature', 'int64'],
    ['basket_value', 'feature', 'float64'],
    ['support_tickets', 'feature', 'int64'],
  ]);
  assert.equal(v.rows.length, 50);
  assert.ok(v.rows.every((r) => r.length === 5));
  assert.equal(v.rows[0]![0]!.text, String(p.rows[0]!['customer_id']));
  assert.match(v.rows[0]![1]!.text, /^\d{4}-\d\d-\d\dT/);
});

test('the example file: its views and their definition lines', async () => {
  const text = await readFile(join(EXAMPLE, 'slipway.yaml'), 'utf8');
  const parsed = parsePipeline(text);
  const groups = shapeFeatures(parsed.model.features);
  assert.deepEqual(groups.map((g) => [g.name, g.views.map((v) => v.name)]), [['customer', ['customer_activity', 'customer_profile']]]);
  const where = definitionPath({ kind: 'feature', view: 'customer_activity', feature: 'sessions' })!;
  const line = parsed.rangeOf(where.path, where.part)!.start.line;
  assert.match(text.split('\n')[line]!, /^\s+sessions: int64/);
});

test('the shared session: one piece of work at a time, in order, on one DuckDB session', async () => {
  const session = new FeatureSession();
  try {
    const order: string[] = [];
    const slow = session.run('slow', 10_000, undefined, async (d) => {
      order.push('slow start');
      await new Promise((r) => setTimeout(r, 50));
      order.push('slow end');
      return d;
    });
    const quick = session.run('quick', 10_000, undefined, async (d) => {
      order.push('quick');
      return (await d.rows('SELECT 42 AS x'))[0]!.x;
    });
    const [a, x] = await Promise.all([slow, quick]);
    assert.deepEqual(order, ['slow start', 'slow end', 'quick']);
    assert.equal(x, 42);
    assert.equal(await session.run('again', 10_000, undefined, async (d) => d), a, 'the session is reused');
  } finally {
    session.dispose();
  }
});

test('the shared session: a deadline interrupts a running query, and the session goes on', async () => {
  const session = new FeatureSession();
  try {
    const started = Date.now();
    const slow = session.run('the slow query', 300, undefined, (d, signal) => d.rows('SELECT count(*) FROM range(10000000000) a', signal));
    await assert.rejects(slow, (e: Error) => e instanceof DeadlineError && /the slow query took longer than 300 ms and was stopped/.test(e.message));
    assert.ok(Date.now() - started < 5000, 'stopped near the deadline');
    assert.equal(await session.run('next', 10_000, undefined, async (d) => (await d.rows('SELECT 1 AS one'))[0]!.one), 1);
    // the caller's cancellation, before the work starts and while it waits
    const ac = new AbortController();
    ac.abort(new Error('refreshed'));
    await assert.rejects(session.run('cancelled', 10_000, ac.signal, async () => 1), /refreshed/);
  } finally {
    session.dispose();
  }
});

test('the shared session: work that ignores its interrupt keeps its session; later work gets a new one', async () => {
  let opened = 0;
  const session = new FeatureSession({
    graceMs: 50,
    open: async () => {
      opened++;
      return FeatureDb.open({ threads: 1 });
    },
  });
  let release!: () => void;
  try {
    const first = await session.run('first', 10_000, undefined, async (d) => d);
    const stuck = session.run('the stuck work', 100, undefined, () => new Promise<void>((r) => (release = r)));
    await assert.rejects(stuck, DeadlineError);
    const fresh = await session.run('after', 10_000, undefined, async (d) => d);
    assert.notEqual(fresh, first, 'a new session');
    assert.equal(opened, 2);
    assert.equal((await fresh.rows('SELECT 7 AS n'))[0]!.n, 7);
  } finally {
    release?.();
    session.dispose();
  }
});

test('the shared session: a failed open is reported and tried again next time', async () => {
  let calls = 0;
  const session = new FeatureSession({
    open: async () => {
      if (++calls === 1) throw new Error('cannot load DuckDB');
      return FeatureDb.open({ threads: 1 });
    },
  });
  try {
    await assert.rejects(session.run('x', 10_000, undefined, async () => 1), /cannot load DuckDB/);
    assert.equal(await session.run('y', 10_000, undefined, async () => 2), 2);
    assert.equal(calls, 2);
  } finally {
    session.dispose();
  }
  await assert.rejects(session.run('after dispose', 10_000, undefined, async () => 3), /closed/);
});
