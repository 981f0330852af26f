// Model quality over time (src/core/drift/quality.ts) on generated inference logs, against a
// plain TypeScript computation and, when SLIPWAY_PYTHON is set, pandas + scikit-learn.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentTimeColumns, qualityOverTime, QualityUnavailable, DriftInputError, type QualityBucket } from '../../src/core/drift/index';

const PYTHON = process.env.SLIPWAY_PYTHON;

/** a seeded generator (mulberry32) so failures reproduce */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rec {
  request_id: string;
  row: number;
  timestamp: string;
  model_name: string;
  model_version: string;
  inputs: Record<string, unknown>;
  outputs: { label: number; probabilities: number[] };
  /** ground truth; absent for a share of the records */
  truth?: number;
}

const START = Date.parse('2025-03-03T00:00:00Z'); // a Monday
let dir = '';
let records: Rec[] = [];

function generate(n: number, seed: number): Rec[] {
  const r = rng(seed);
  const out: Rec[] = [];
  let req = 0;
  while (out.length < n) {
    const rows = r() < 0.2 ? 3 : 1; // some batched requests: several rows share a request_id
    const t = START + Math.floor(r() * 20 * 86400_000);
    req++;
    for (let row = 0; row < rows; row++) {
      // probabilities rounded to 2 decimals: many ties, which the AUC must average
      const p = Math.round(r() * 100) / 100;
      const truth = r() < (t > START + 10 * 86400_000 ? 0.3 + 0.4 * p : p) ? 1 : 0; // the model gets worse after day 10
      out.push({
        request_id: `req-${req}`,
        row,
        timestamp: new Date(t + row).toISOString(),
        model_name: 'churn',
        model_version: '3',
        inputs: { x: r(), plan: r() < 0.5 ? 'basic' : 'plus' },
        outputs: { label: p >= 0.5 ? 1 : 0, probabilities: [Math.round((1 - p) * 100) / 100, p] },
        ...(r() < 0.85 ? { truth } : {}),
      });
    }
  }
  return out;
}

const jsonl = (rows: unknown[]) => rows.map((x) => JSON.stringify(x)).join('\n') + '\n';

/** the bucket start of a time, in UTC; weeks start on Monday as DuckDB's date_trunc('week') */
function bucketStart(ms: number, bucket: QualityBucket): number {
  if (bucket === 'hour') return Math.floor(ms / 3600_000) * 3600_000;
  const day = Math.floor(ms / 86400_000);
  if (bucket === 'day') return day * 86400_000;
  return (day - ((day + 3) % 7)) * 86400_000; // 1970-01-01 was a Thursday
}

/** AUC by comparing every positive with every negative (ties count one half) */
function pairwiseAuc(pairs: { y: number; p: number }[]): number | undefined {
  const pos = pairs.filter((x) => x.y === 1).map((x) => x.p);
  const neg = pairs.filter((x) => x.y === 0).map((x) => x.p);
  if (!pos.length || !neg.length) return undefined;
  let s = 0;
  for (const a of pos) for (const b of neg) s += a > b ? 1 : a === b ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

function expected(recs: Rec[], bucket: QualityBucket, from?: number, to?: number) {
  const inWindow = recs.filter((x) => (from === undefined || Date.parse(x.timestamp) >= from) && (to === undefined || Date.parse(x.timestamp) < to));
  const groups = new Map<number, Rec[]>();
  for (const x of inWindow) {
    if (x.truth === undefined) continue;
    const b = bucketStart(Date.parse(x.timestamp), bucket);
    groups.set(b, [...(groups.get(b) ?? []), x]);
  }
  const points = [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([b, xs]) => {
      const correct = xs.filter((x) => x.outputs.label === x.truth).length;
      return { start: new Date(b).toISOString(), count: xs.length, correct, accuracy: correct / xs.length, auc: pairwiseAuc(xs.map((x) => ({ y: x.truth!, p: x.outputs.probabilities[1]! }))) };
    });
  const labeled = inWindow.filter((x) => x.truth !== undefined);
  return { rows: inWindow.length, points, overallAuc: pairwiseAuc(labeled.map((x) => ({ y: x.truth!, p: x.outputs.probabilities[1]! }))), labeled: labeled.length };
}

function close(a: number | undefined, b: number | undefined, what: string): void {
  if (a === undefined || b === undefined) return assert.equal(a, b, what);
  assert.ok(Math.abs(a - b) <= 1e-12, `${what}: ${a} vs ${b}`);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-drift-quality-'));
  records = generate(3000, 7);
  // (1) ground truth inside the records, as `label`
  writeFileSync(join(dir, 'with-labels.jsonl'), jsonl(records.map(({ truth, ...x }) => (truth === undefined ? x : { ...x, label: truth }))));
  // (2) an inference log without labels, and the labels in a file joined by request_id + row, in another order
  writeFileSync(join(dir, 'log.jsonl'), jsonl(records.map(({ truth: _t, ...x }) => x)));
  const truths = records.filter((x) => x.truth !== undefined).map((x) => ({ request_id: x.request_id, row: x.row, label: x.truth }));
  writeFileSync(join(dir, 'truth.jsonl'), jsonl(truths.reverse()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const bucket of ['hour', 'day', 'week'] as const) {
  test(`accuracy and AUC per ${bucket}, labels in the records, match a direct computation`, async () => {
    const q = await qualityOverTime({ current: join(dir, 'with-labels.jsonl'), bucket });
    const want = expected(records, bucket);
    assert.equal(q.labelSource, 'records');
    assert.equal(q.predictionSource, 'outputs.label');
    assert.equal(q.timestampColumn, 'timestamp');
    assert.equal(q.positiveLabel, '1');
    assert.equal(q.rows, want.rows);
    assert.equal(q.unlabeled, want.rows - want.labeled);
    assert.equal(q.points.length, want.points.length);
    q.points.forEach((p, i) => {
      const w = want.points[i]!;
      assert.equal(p.start, w.start);
      assert.deepEqual([p.count, p.correct], [w.count, w.correct], p.start);
      close(p.accuracy, w.accuracy, `accuracy ${p.start}`);
      close(p.auc, w.auc, `auc ${p.start}`);
    });
    close(q.overall.auc, want.overallAuc, 'overall auc');
    assert.equal(q.overall.count, want.labeled);
  });
}

test('ground truth in a separate file is joined by request_id and row', async () => {
  const joined = await qualityOverTime({ current: join(dir, 'log.jsonl'), labels: join(dir, 'truth.jsonl'), bucket: 'day' });
  const inline = await qualityOverTime({ current: join(dir, 'with-labels.jsonl'), bucket: 'day' });
  assert.equal(joined.labelSource, 'file');
  assert.deepEqual(joined.points, inline.points);
  assert.equal(joined.unlabeled, inline.unlabeled);
  assert.deepEqual(joined.messages, []);
});

test('the window keeps [from, to) of the timestamp column', async () => {
  const from = '2025-03-08T00:00:00Z';
  const to = '2025-03-15T12:00:00Z';
  const q = await qualityOverTime({ current: join(dir, 'with-labels.jsonl'), bucket: 'day', window: { from, to } });
  const want = expected(records, 'day', Date.parse(from), Date.parse(to));
  assert.equal(q.rows, want.rows);
  assert.deepEqual(
    q.points.map((p) => [p.start, p.count, p.correct]),
    want.points.map((p) => [p.start, p.count, p.correct]),
  );
  close(q.overall.auc, want.overallAuc, 'overall auc in the window');
});

test('the time columns of the current data, with their range', async () => {
  const cols = await currentTimeColumns(join(dir, 'log.jsonl'));
  const times = records.map((x) => Date.parse(x.timestamp));
  assert.deepEqual(cols, [{ name: 'timestamp', min: new Date(Math.min(...times)).toISOString(), max: new Date(Math.max(...times)).toISOString() }]);
  // a feature table without time columns
  writeFileSync(join(dir, 'plain.csv'), 'a,b\n1,x\n2,y\n');
  assert.deepEqual(await currentTimeColumns(join(dir, 'plain.csv')), []);
});

test('a prediction column, text labels, epoch-second times: accuracy without AUC when there is no probability', async () => {
  const lines = ['event_time,prediction,label'];
  const r = rng(3);
  const want = new Map<number, [number, number]>();
  for (let i = 0; i < 500; i++) {
    const t = 1_700_000_000 + Math.floor(r() * 5 * 86400);
    const label = r() < 0.5 ? 'yes' : 'no';
    const prediction = r() < 0.8 ? label : label === 'yes' ? 'no' : 'yes';
    lines.push(`${t},${prediction},${label}`);
    const b = bucketStart(t * 1000, 'day');
    const [n, ok] = want.get(b) ?? [0, 0];
    want.set(b, [n + 1, ok + (prediction === label ? 1 : 0)]);
  }
  writeFileSync(join(dir, 'table.csv'), lines.join('\n') + '\n');
  const q = await qualityOverTime({ current: join(dir, 'table.csv'), bucket: 'day', timestampColumn: 'event_time' });
  assert.equal(q.predictionSource, 'prediction');
  assert.equal(q.overall.auc, undefined);
  assert.deepEqual(
    q.points.map((p) => [Date.parse(p.start), p.count, p.correct]),
    [...want.entries()].sort((a, b) => a[0] - b[0]).map(([b, [n, ok]]) => [b, n, ok]),
  );
});

test('multi-class labels get accuracy and no AUC', async () => {
  const recs = records.slice(0, 200).map((x, i) => ({ ...x, outputs: { label: i % 3, probabilities: [0.2, 0.3, 0.5] }, label: (i * 7) % 3 }));
  writeFileSync(join(dir, 'multi.jsonl'), jsonl(recs.map(({ truth: _t, ...x }) => x)));
  const q = await qualityOverTime({ current: join(dir, 'multi.jsonl'), bucket: 'week' });
  assert.equal(q.overall.auc, undefined);
  assert.equal(q.overall.correct, recs.filter((x) => x.outputs.label === x.label).length);
});

test('no ground truth, no predictions, no time: QualityUnavailable says which', async () => {
  await assert.rejects(qualityOverTime({ current: join(dir, 'log.jsonl'), bucket: 'day' }), (e: Error) => e instanceof QualityUnavailable && /no ground truth/.test(e.message));
  writeFileSync(join(dir, 'nopred.jsonl'), jsonl([{ timestamp: '2025-01-01T00:00:00Z', label: 1, inputs: { x: 1 } }]));
  await assert.rejects(qualityOverTime({ current: join(dir, 'nopred.jsonl'), bucket: 'day' }), (e: Error) => e instanceof QualityUnavailable && /no predictions/.test(e.message));
  await assert.rejects(qualityOverTime({ current: join(dir, 'plain.csv'), bucket: 'day' }), (e: Error) => e instanceof QualityUnavailable && /no timestamp/.test(e.message));
  writeFileSync(join(dir, 'bad-truth.jsonl'), jsonl([{ id: 'x', label: 1 }]));
  await assert.rejects(
    qualityOverTime({ current: join(dir, 'log.jsonl'), labels: join(dir, 'bad-truth.jsonl'), bucket: 'day' }),
    (e: Error) => e instanceof DriftInputError && !(e instanceof QualityUnavailable) && /no request_id column/.test(e.message),
  );
  await assert.rejects(qualityOverTime({ current: join(dir, 'log.jsonl'), bucket: 'day', timestampColumn: 'nope' }), /not a time column/);
});

test('cancellation stops the computation', async () => {
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  await assert.rejects(qualityOverTime({ current: join(dir, 'with-labels.jsonl'), bucket: 'day', signal: ac.signal }), /stop/);
});

test('pandas + scikit-learn agree per day', { skip: PYTHON ? false : 'SLIPWAY_PYTHON is not set (source scripts/env.sh && slipway_ensure_python)' }, async () => {
  const q = await qualityOverTime({ current: join(dir, 'log.jsonl'), labels: join(dir, 'truth.jsonl'), bucket: 'day' });
  const py = `
import json, sys, pandas as pd
from sklearn.metrics import roc_auc_score, accuracy_score
log = pd.read_json(sys.argv[1], lines=True)
truth = pd.read_json(sys.argv[2], lines=True)
df = log.merge(truth, on=["request_id", "row"], how="inner")
df["pred"] = df.outputs.map(lambda o: o["label"])
df["p"] = df.outputs.map(lambda o: o["probabilities"][1])
df["day"] = pd.to_datetime(df.timestamp, utc=True).dt.floor("D")
out = []
for day, g in sorted(df.groupby("day"), key=lambda kv: kv[0]):
    auc = roc_auc_score(g.label, g.p) if g.label.nunique() == 2 else None
    out.append({"start": day.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "count": len(g), "accuracy": accuracy_score(g.label, g.pred), "auc": auc})
print(json.dumps({"points": out, "auc": roc_auc_score(df.label, df.p)}))
`;
  const r = spawnSync(PYTHON!, ['-c', py, join(dir, 'log.jsonl'), join(dir, 'truth.jsonl')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const want = JSON.parse(r.stdout) as { points: { start: string; count: number; accuracy: number; auc: number | null }[]; auc: number };
  assert.equal(q.points.length, want.points.length);
  q.points.forEach((p, i) => {
    const w = want.points[i]!;
    assert.equal(p.start, w.start);
    assert.equal(p.count, w.count);
    close(p.accuracy, w.accuracy, `accuracy ${p.start}`);
    close(p.auc, w.auc ?? undefined, `auc ${p.start}`);
  });
  close(q.overall.auc, want.auc, 'overall auc');
});
