// The drift engine and `slipway drift` without Python: the example project, inputs of every
// format, bad input that must become messages, the column rules, the report formats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  computeDrift,
  DriftInputError,
  formatText,
  monitoringSettingsFromPipelineText,
  renderHtml,
  toJson,
  type DriftReport,
} from '../../src/core/drift/index';
import { fillEmptyBins, sturgesEdges } from '../../src/core/drift/binning';
import { identifierLike } from '../../src/core/drift/load/columns';
import { sortNumbers } from '../../src/core/drift/stattests/sorted';
import { runCli } from '../../src/cli/main';

const CLI = resolve('out/cli.js');
let dir = '';
let CHURN = '';

/** a seeded generator (mulberry32) */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const normal = (r: () => number) => Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());

function csv(path: string, header: string[], rows: (string | number | boolean | null)[][]): string {
  writeFileSync(path, [header.join(','), ...rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n') + '\n');
  return path;
}

const cli = (args: string[], cwd = dir) => {
  const r = spawnSync(process.execPath, [CLI, 'drift', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

function inProcess(args: string[], cwd = dir) {
  let out = '';
  let err = '';
  const io = { cwd, env: process.env, out: (t: string) => void (out += t), err: (t: string) => void (err += t), interactive: false, ask: async () => undefined };
  return runCli(['drift', ...args], io).then((code) => ({ code, out, err }));
}

const column = (r: DriftReport, name: string) => {
  const c = r.columns.find((x) => x.name === name);
  assert.ok(c, `${name} not tested: ${JSON.stringify(r.skipped.find((s) => s.name === name))}`);
  return c;
};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-drift-'));
  CHURN = join(dir, 'churn');
  cpSync(resolve('examples/churn/slipway.yaml'), join(CHURN, 'slipway.yaml'));
  cpSync(resolve('examples/churn/data'), join(CHURN, 'data'), { recursive: true, filter: (s) => !s.endsWith('.py') });
  const r = rng(42);
  // a reference and a current with one shifted column, NaN/inf, an all-null column, a constant,
  // a text-like column, an identifier, a timestamp, a column only on one side, a type mismatch
  const header = ['id', 'ts', 'x', 'shifted', 'with_bad', 'empty', 'same', 'plan', 'note', 'code', 'only_ref'];
  const rows = (n: number, shift: number, side: string) =>
    Array.from({ length: n }, (_, i) => [
      i + 1,
      `2026-10-0${1 + (i % 9)}T10:00:00Z`,
      normal(r).toFixed(6),
      (normal(r) + shift).toFixed(6),
      i % 17 === 0 ? 'nan' : i % 23 === 0 ? 'inf' : i % 29 === 0 ? '-inf' : normal(r).toFixed(6),
      side === 'cur' ? null : normal(r).toFixed(3),
      5,
      ['basic', 'plus', 'premium'][Math.floor(r() * 3)],
      `free text number ${i} ${Math.floor(r() * 1e6)}`,
      side === 'ref' ? Math.floor(r() * 10) : `c${Math.floor(r() * 10)}`,
      1,
    ]);
  csv(join(dir, 'ref.csv'), header, rows(400, 0, 'ref'));
  csv(join(dir, 'cur.csv'), header.slice(0, -1), rows(300, 1.5, 'cur').map((row) => row.slice(0, -1)));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('slipway drift on the example reports exactly monthly_fee, avg_basket_30d and tickets_30d (KS / z at 500 rows)', async () => {
  const r = await inProcess(['--format', 'json'], CHURN);
  assert.equal(r.code, 0, r.err);
  const json = JSON.parse(r.out);
  assert.deepEqual(
    json.columns.filter((c: any) => c.drifted).map((c: any) => c.name).sort(),
    ['avg_basket_30d', 'monthly_fee', 'tickets_30d'],
  );
  assert.equal(json.columns.length, 9);
  assert.equal(json.drifted_columns, 3);
  assert.equal(json.dataset_drift, true); // share 0.3 in the example's slipway.yaml
  for (const c of json.columns) {
    assert.deepEqual(Object.keys(c).sort(), ['drifted', 'method', 'name', 'score', 'statistic', 'threshold', 'type'].sort());
    assert.ok(['ks', 'ztest', 'chisquare'].includes(c.method), c.method);
  }
  assert.deepEqual(json.skipped.map((s: any) => s.name).sort(), ['churned', 'customer_id', 'event_ts']);
  const monthlyFee = json.columns.find((c: any) => c.name === 'monthly_fee');
  assert.equal(monthlyFee.method, 'ks');
  assert.ok(monthlyFee.score < 1e-30);
});

test('--fail-on-drift exits 1 when the data set drifts; text, html and --out', { skip: !existsSync(CLI) && 'build first' }, () => {
  const drifted = cli(['--fail-on-drift'], CHURN);
  assert.equal(drifted.code, 1, drifted.err);
  assert.match(drifted.out, /DATA SET DRIFT: 3 of 9 columns drifted/);
  assert.match(drifted.out, /monthly_fee\s+numerical\s+ks\s+\S+\s+0\.05\s+DRIFT/);
  const calm = cli(['--fail-on-drift', '--columns', 'sessions_7d,tenure_days']);
  assert.equal(calm.code, 2, 'no slipway.yaml here and no --reference: a usage error');
  const ok = cli(['--reference', join(CHURN, 'data/train.parquet'), '--current', join(CHURN, 'data/current.parquet'), '--columns', 'sessions_7d,tenure_days', '--fail-on-drift']);
  assert.equal(ok.code, 0, ok.err);
  const html = cli(['--format', 'html', '--out', 'report/drift.html'], CHURN);
  assert.equal(html.code, 0, html.err);
  const text = readFileSync(join(CHURN, 'report/drift.html'), 'utf8');
  assert.match(html.err, /data set drift: 3 of 9 columns drifted/);
  assert.equal((text.match(/<svg /g) ?? []).length, 9);
  assert.doesNotMatch(text, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no remote resources');
  assert.doesNotMatch(text, /<script/i);
  assert.match(text, /Content-Security-Policy" content="default-src 'none'/);
});

test('bad input becomes messages and the other columns are still computed', async () => {
  const report = await computeDrift({ reference: 'ref.csv', current: 'cur.csv', baseDir: dir });
  assert.equal(column(report, 'shifted').drifted, true);
  assert.equal(column(report, 'x').drifted, false);
  assert.equal(column(report, 'plan').type, 'categorical');
  assert.equal(column(report, 'plan').method, 'chisquare');
  // NaN and infinities: counted, excluded, reported
  const bad = column(report, 'with_bad');
  assert.equal(bad.referenceStats.nan, 24); // i % 17 === 0 for i < 400
  assert.ok(bad.referenceStats.inf > 0);
  assert.equal(bad.referenceStats.count, 400 - bad.referenceStats.nan - bad.referenceStats.inf);
  assert.ok(report.messages.some((m) => m.column === 'with_bad' && m.level === 'warning' && /NaN/.test(m.text) && /infinite/.test(m.text)));
  // a column empty on one side
  assert.ok(report.messages.some((m) => m.column === 'empty' && m.level === 'error' && /no values to test in the current/.test(m.text)));
  // constant on both sides: tested, no drift
  const same = column(report, 'same');
  assert.equal(same.score, 1);
  assert.equal(same.drifted, false);
  // the rules: identifiers, timestamps, text-like, one side only, type mismatch
  const reason = (name: string) => report.skipped.find((s) => s.name === name)?.reason ?? '';
  assert.match(reason('id'), /identifier/);
  assert.match(reason('ts'), /timestamp/);
  assert.match(reason('note'), /text-like/);
  assert.match(reason('only_ref'), /only in the reference/);
  assert.match(reason('code'), /mismatch|not numbers/);
  assert.ok(report.messages.some((m) => m.column === 'code' && m.level === 'error'));
  assert.equal(report.drifted_columns, 1);
  assert.equal(report.dataset_drift, false);
});

test('explicit columns, type overrides and methods that do not apply', async () => {
  const report = await computeDrift({
    reference: join(dir, 'ref.csv'),
    current: join(dir, 'cur.csv'),
    columns: ['id', 'note', 'plan', 'missing', 'x'],
    columnTypes: { note: 'categorical' },
    method: 'ks',
  });
  assert.equal(column(report, 'id').method, 'ks'); // selected explicitly: tested by its type
  assert.equal(column(report, 'note').method, 'chisquare'); // ks needs numbers: the default test
  assert.ok(report.messages.some((m) => m.column === 'plan' && /ks needs a numerical column; tested with chisquare/.test(m.text)));
  assert.ok(report.messages.some((m) => m.column === 'missing' && m.level === 'error' && /neither side/.test(m.text)));
  assert.equal(column(report, 'x').method, 'ks');
  const z = await computeDrift({ reference: join(dir, 'ref.csv'), current: join(dir, 'cur.csv'), columns: ['plan', 'x'], method: 'ztest', threshold: 0.2 });
  assert.equal(column(z, 'plan').method, 'chisquare', 'three categories: no z-test');
  assert.equal(column(z, 'x').threshold, 0.2);
});

test('unreadable files: a message per file, the rest read; nothing readable is an error', async () => {
  const parts = join(dir, 'parts');
  mkdirSync(parts, { recursive: true });
  const r = rng(3);
  for (let p = 0; p < 3; p++) csv(join(parts, `part${p}.csv`), ['a', 'b'], Array.from({ length: 50 }, () => [normal(r).toFixed(4), Math.floor(r() * 4)]));
  writeFileSync(join(parts, 'broken.parquet.csv'), 'a,b\n1,2\n"unterminated,3\n');
  writeFileSync(join(dir, 'corrupt.parquet'), 'PAR1 this is not parquet');
  const report = await computeDrift({ reference: join(parts, 'part*.csv'), current: parts, baseDir: dir });
  assert.deepEqual(report.columns.map((c) => c.name).sort(), ['a', 'b']);
  assert.equal(report.reference.files.length, 3);
  // a corrupt Parquet file among good ones: one error naming it, the others read
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const pq = join(dir, 'pq');
  mkdirSync(pq, { recursive: true });
  for (const name of ['p1', 'p2']) await c.run(`COPY (SELECT random() AS v, CAST(floor(random() * 3) AS INTEGER) AS k FROM range(200)) TO '${join(pq, `${name}.parquet`)}'`);
  c.closeSync();
  db.closeSync();
  writeFileSync(join(pq, 'p3.parquet'), readFileSync(join(pq, 'p1.parquet')).subarray(0, 300));
  const partial = await computeDrift({ reference: join(pq, 'p1.parquet'), current: join(pq, '*.parquet') });
  assert.equal(partial.current.files.length, 2);
  assert.equal(partial.current.rows, 400);
  assert.deepEqual(partial.columns.map((col) => col.name), ['v', 'k']);
  const fileErrors = partial.messages.filter((m) => m.level === 'error' && m.file);
  assert.equal(fileErrors.length, 1);
  assert.match(fileErrors[0].text, /cannot read current file .*p3\.parquet/);
  await assert.rejects(computeDrift({ reference: 'corrupt.parquet', current: 'cur.csv', baseDir: dir }), (e: Error) => e instanceof DriftInputError && /cannot read the reference/.test(e.message));
  await assert.rejects(computeDrift({ reference: 'nope/*.parquet', current: 'cur.csv', baseDir: dir }), /no file matches/);
  await assert.rejects(computeDrift({ reference: 'absent.parquet', current: 'cur.csv', baseDir: dir }), /no such file/);
  await assert.rejects(computeDrift({ reference: 'ref.csv', current: ['ref.csv', 'corrupt.parquet'], baseDir: dir }), /mixes/);
});

test('s3:// needs a fetcher: a clear error without one, the fetched files with one', async () => {
  await assert.rejects(computeDrift({ reference: 's3://bucket/ref.parquet', current: 'cur.csv', baseDir: dir }), /s3:\/\/ needs the artifact store/);
  const fetched: string[] = [];
  const report = await computeDrift({
    reference: 's3://bucket/ref.csv',
    current: 'cur.csv',
    baseDir: dir,
    columns: ['x'],
    fetchToLocal: async (uri) => (fetched.push(uri), join(dir, 'ref.csv')),
  });
  assert.deepEqual(fetched, ['s3://bucket/ref.csv']);
  assert.equal(report.columns.length, 1);
  await assert.rejects(computeDrift({ reference: 'https://x/y.parquet', current: 'cur.csv', baseDir: dir }), /only local paths and s3/);
});

test('inference records: features from inputs, a time window over the current data', async () => {
  const r = rng(9);
  const lines: string[] = [];
  for (let i = 0; i < 240; i++) {
    const ts = new Date(Date.UTC(2026, 9, 1) + i * 3600_000).toISOString();
    const late = i >= 120; // the second half drifts
    lines.push(JSON.stringify({ request_id: `r${i}`, timestamp: ts, model_name: 'churn', model_version: '3', inputs: { x: normal(r) + (late ? 3 : 0), plan: ['basic', 'plus'][i % 2], ok: i % 3 === 0 }, outputs: { p: 0.2 } }));
  }
  writeFileSync(join(dir, 'log.jsonl'), lines.join('\n') + '\n');
  csv(join(dir, 'train.csv'), ['x', 'plan', 'ok'], Array.from({ length: 300 }, (_, i) => [normal(r).toFixed(5), ['basic', 'plus'][i % 2], i % 3 === 0]));
  const all = await computeDrift({ reference: 'train.csv', current: 'log.jsonl', baseDir: dir });
  assert.deepEqual(all.columns.map((c) => c.name).sort(), ['ok', 'plan', 'x']);
  assert.equal(all.current.rows, 240);
  assert.equal(column(all, 'x').drifted, true);
  assert.equal(column(all, 'ok').type, 'boolean');
  const early = await computeDrift({ reference: 'train.csv', current: 'log.jsonl', baseDir: dir, currentWindow: { column: 'timestamp', from: '2026-10-01T00:00:00Z', to: new Date(Date.UTC(2026, 9, 6)) } });
  assert.equal(early.current.rows, 120);
  assert.equal(column(early, 'x').drifted, false);
  await assert.rejects(computeDrift({ reference: 'train.csv', current: 'log.jsonl', baseDir: dir, currentWindow: { column: 'when' } }), /"when" is not a column/);
  writeFileSync(join(dir, 'batch.jsonl'), JSON.stringify({ request_id: 'b', inputs: [[1, 2], [3, 4]] }) + '\n');
  await assert.rejects(computeDrift({ reference: 'train.csv', current: 'batch.jsonl', baseDir: dir }), /inputs as an object/);
});

test('Parquet globs, integers and a large reference pick Wasserstein and Jensen-Shannon', async () => {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run('SELECT setseed(0.5)');
  for (const [name, shift] of [['big_ref', 0], ['big_cur', 0.5]] as const) {
    await c.run(
      `COPY (SELECT random() * 10 + ${shift} AS f, CAST(floor(random() * 4) AS BIGINT) AS small_int, CAST(floor(random() * 1000) AS INTEGER) AS wide_int, ` +
        `CASE WHEN random() < 0.5 THEN 'a' ELSE 'b' END AS cat, now() AS ts FROM range(3000)) TO '${join(dir, `${name}.parquet`)}'`,
    );
  }
  c.closeSync();
  db.closeSync();
  const report = await computeDrift({ reference: join(dir, 'big_ref.parquet'), current: join(dir, 'big_cur.parquet') });
  assert.equal(column(report, 'f').method, 'wasserstein');
  assert.equal(column(report, 'f').drifted, true);
  assert.equal(column(report, 'small_int').method, 'jensenshannon');
  assert.equal(column(report, 'wide_int').method, 'wasserstein');
  assert.equal(column(report, 'cat').method, 'jensenshannon');
  const h = column(report, 'wide_int').histogram;
  assert.equal(h.kind, 'bins');
  if (h.kind === 'bins') {
    assert.equal(h.edges.length, 15); // numpy: ceil(log2(6000) + 1) = 14 bins
    assert.equal(h.reference.reduce((a, b) => a + b, 0), 3000);
  }
  assert.match(report.skipped.find((s) => s.name === 'ts')!.reason, /timestamp/);
});

test('reports: JSON contract, text table, self-contained HTML with a chart per column', async () => {
  const report = await computeDrift({ reference: 'ref.csv', current: 'cur.csv', baseDir: dir });
  const json = toJson(report);
  assert.deepEqual(Object.keys(json).slice(0, 4), ['dataset_drift', 'drift_share', 'drifted_columns', 'columns']);
  assert.equal(json.drift_share, json.drifted_columns / json.columns.length);
  assert.ok(JSON.stringify(json).length > 100);
  const text = formatText(report);
  assert.match(text, /shifted\s+numerical\s+ks/);
  assert.match(text, /warning: with_bad/);
  const html = renderHtml(report);
  assert.equal((html.match(/<svg /g) ?? []).length, report.columns.length);
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org)/);
  assert.match(html, /<title>reference/);
});

test('monitoring settings from slipway.yaml, with problems in words', () => {
  const s = monitoringSettingsFromPipelineText('version: 1\nname: x\nserving:\n  log: logs/inference\nmonitoring:\n  reference: data/train.parquet\n  drift:\n    method: psi\n    threshold: 0.2\n    share: 0.25\n');
  assert.deepEqual(s, { problems: [], reference: 'data/train.parquet', current: 'logs/inference', method: 'psi', threshold: 0.2, share: 0.25 });
  const bad = monitoringSettingsFromPipelineText('monitoring:\n  reference: 3\n  drift: { method: magic, share: 2 }\n');
  assert.equal(bad.problems.length, 3);
  assert.equal(monitoringSettingsFromPipelineText('monitoring: [').problems.length > 0, true);
});

test('CLI: usage errors exit 2, yaml-relative paths, window flags', async () => {
  assert.equal((await inProcess(['--method', 'magic', '--reference', 'a', '--current', 'b'])).code, 2);
  assert.equal((await inProcess(['--share', '2', '--reference', 'a', '--current', 'b'])).code, 2);
  assert.equal((await inProcess(['--from', '2026-01-01', '--reference', 'a', '--current', 'b'])).code, 2);
  assert.equal((await inProcess(['--type', 'x=float', '--reference', 'a', '--current', 'b'])).code, 2);
  const missing = await inProcess(['--reference', 'nope.parquet', '--current', 'cur.csv']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /nope\.parquet: no such file/);
  const project = join(dir, 'proj');
  mkdirSync(join(project, 'sub'), { recursive: true });
  writeFileSync(join(project, 'slipway.yaml'), `version: 1\nname: p\nmonitoring:\n  reference: ../ref.csv\n  current: ../cur.csv\n  drift:\n    method: psi\n    share: 0.1\n`);
  const r = await inProcess(['--format', 'json', '--columns', 'x,shifted'], project);
  assert.equal(r.code, 0, r.err);
  const json = JSON.parse(r.out);
  assert.equal(json.share_threshold, 0.1);
  assert.ok(json.columns.every((c: any) => c.method === 'psi'));
  assert.equal(json.dataset_drift, true);
  assert.equal(json.reference.source, join(dir, 'ref.csv')); // slipway.yaml's ../ref.csv, outside the working folder
  const windowed = await inProcess(['--format', 'json', '--reference', 'ref.csv', '--current', 'cur.csv', '--window-column', 'ts', '--from', '2026-10-02', '--to', '2026-10-03', '--columns', 'x']);
  assert.equal(windowed.code, 0, windowed.err);
  assert.ok(JSON.parse(windowed.out).current.rows < 300);
});

test('binning details: empty-bin fill, integer Sturges widths, identifier names', () => {
  assert.deepEqual(fillEmptyBins([0.5, 0, 0.5]), [0.5, 0.0001, 0.5]);
  assert.deepEqual(fillEmptyBins([0.99995, 0, 0.00005]), [0.99995, 0.00005 / 1e6, 0.00005]);
  // 1,000,000 integers between 0 and 10: width < 1 becomes 1, so 10 bins
  assert.equal(sturgesEdges(1_000_000, 0, 10, true).length, 11);
  assert.equal(sturgesEdges(1_000_000, 0, 10, false).length, 22);
  for (const n of ['id', 'customer_id', 'customerId', 'request-uuid', '__index_level_0__']) assert.ok(identifierLike(n), n);
  for (const n of ['paid', 'valid', 'idle_days', 'fluid']) assert.ok(!identifierLike(n), n);
});

test('the radix sort orders like TypedArray#sort, signed zeros and extremes included', () => {
  const r = rng(1);
  const special = [0, -0, 1, -1, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, 1e-310, -1e-310];
  for (const gen of [() => normal(r) * 1e3, () => Math.floor(r() * 50), () => special[Math.floor(r() * special.length)]]) {
    const a = Float64Array.from({ length: 20000 }, gen);
    const expected = a.slice().sort();
    const got = sortNumbers(a);
    for (let i = 0; i < a.length; i++) assert.ok(Object.is(got[i], expected[i]), `index ${i}: ${got[i]} vs ${expected[i]}`);
  }
});
