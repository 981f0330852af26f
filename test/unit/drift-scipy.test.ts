// Slipway's drift numbers against NumPy/SciPy: the special functions over their branches, the
// tests on random samples, and computeDrift end to end on varied files (test/python/drift_*.py).
// Tolerance: 1e-9 relative, 1e-12 absolute near zero. Needs SLIPWAY_PYTHON (npm test sets it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { computeDrift, DRIFT_METHODS, type ColumnType, type DriftReport } from '../../src/core/drift/index';
import { kolmogorovSf } from '../../src/core/drift/stattests/kolmogorov';
import { smirnovSf } from '../../src/core/drift/stattests/smirnov';
import { ks2samp } from '../../src/core/drift/stattests/ks';
import { mergeSorted } from '../../src/core/drift/stattests/sorted';
import { chi2Sf, chiSquare } from '../../src/core/drift/stattests/chisquare';
import { zTestCounts } from '../../src/core/drift/stattests/ztest';
import { jensenShannon } from '../../src/core/drift/stattests/distances';
import { sturgesEdges } from '../../src/core/drift/binning';

const PYTHON = process.env.SLIPWAY_PYTHON;
const skip = PYTHON ? false : 'SLIPWAY_PYTHON is not set: the SciPy comparison needs the Python venv ("npm test" creates it; or source scripts/env.sh && slipway_ensure_python)';
const PY_DIR = resolve('test/python');
const REL = 1e-9;
const ABS = 1e-12;

function python(script: string, input: unknown, args: string[] = []): any {
  const r = spawnSync(PYTHON!, [join(PY_DIR, script), ...args], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 30, timeout: 240_000 });
  assert.equal(r.status, 0, `${script}: ${r.stderr}`);
  return JSON.parse(r.stdout, (_k, v) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));
}

/** the largest relative difference seen where the reference is not zero, for the report */
const worst = { rel: 0, where: '' };
function close(actual: number, expected: number, where: string): void {
  if (Object.is(actual, expected) || actual === expected || (Number.isNaN(actual) && Number.isNaN(expected))) return;
  const diff = Math.abs(actual - expected);
  if (expected !== 0 && Number.isFinite(expected) && diff / Math.abs(expected) > worst.rel) {
    worst.rel = diff / Math.abs(expected);
    worst.where = where;
  }
  assert.ok(diff <= Math.abs(expected) * REL || diff <= ABS, `${where}: ${actual} vs SciPy ${expected} (relative ${diff / Math.abs(expected)})`);
}

/** a seeded generator (mulberry32) so failures reproduce */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let dir = '';
let manifest: { name: string; format: string; current_format?: string; reference: string[]; current: string[]; columns: Record<string, ColumnType>; methods: string[]; window?: any; glob?: { reference: string; current: string } }[] = [];

before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'slipway-drift-scipy-'));
  manifest = python('drift_fixtures.py', null, [dir]);
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!skip) console.log(`drift vs SciPy: largest relative difference ${worst.rel.toExponential(2)} (${worst.where})`);
});

test('kstwo.sf and smirnov equal SciPy in every branch (Ruben-Gambino, Durbin, Pomeranz, Pelz-Good, Smirnov sums)', { skip }, () => {
  const r = rng(7);
  const cases: [number, number][] = [];
  for (const n of [1, 2, 3, 7, 20, 60, 139, 140, 141, 400, 2000, 9999, 30000, 99999, 100001, 250000]) {
    const points = n > 50000 ? 4 : 14;
    for (let i = 0; i < points; i++) {
      let x = (r() * 3.2 + 0.05) / Math.sqrt(n);
      if (i % 4 === 0 || x >= 1) x = r();
      cases.push([n, x]);
    }
    cases.push([n, 1 / n], [n, 0.5 / n], [n, 0.8 / n], [n, 1 - 1 / n], [n, 0.5]);
  }
  const refs = python('drift_special_reference.py', [...cases.map((args) => ({ fn: 'kstwo_sf', args })), ...cases.map((args) => ({ fn: 'smirnov', args }))]);
  cases.forEach(([n, x], i) => {
    close(kolmogorovSf(n, x), refs[i], `kstwo.sf(${x}, ${n})`);
    close(smirnovSf(n, x), refs[cases.length + i], `smirnov(${n}, ${x})`);
  });
});

test('ks_2samp on random samples: exact (n1 = n2 and n1 ≠ n2) and asymptotic p-values, ties', { skip }, () => {
  const r = rng(11);
  const samples: [Float64Array, Float64Array][] = [];
  for (const [n1, n2, shift, ties] of [
    [5, 7, 0, 0], [40, 40, 0.3, 0], [200, 150, 0.2, 1], [333, 333, 0, 1], [1000, 700, 0.1, 0], [3000, 4500, 0.05, 1],
    [10000, 10000, 0.02, 0], [12000, 9000, 0.03, 0], [15000, 15000, 0, 1], [20001, 5000, 0.2, 0],
  ]) {
    const draw = (n: number, s: number) => Float64Array.from({ length: n }, () => (ties ? Math.round((r() + r() + r() + s) * 6) : r() + r() + r() + s)).sort();
    samples.push([draw(n1, 0), draw(n2, shift)]);
  }
  const ref = python('drift_special_reference.py', samples.map(([a, b]) => ({ fn: 'ks_2samp', args: [Array.from(a), Array.from(b)] })));
  samples.forEach(([a, b], i) => {
    const m = mergeSorted(a, b);
    const got = ks2samp(a.length, b.length, m.maxDiff, Math.min(Math.max(-m.minDiff, 0), 1));
    close(got.statistic, ref[i][0], `ks_2samp statistic n=${a.length},${b.length}`);
    close(got.pValue, ref[i][1], `ks_2samp p n=${a.length},${b.length}`);
  });
});

test('chi2.sf, chisquare, the z-test, Jensen-Shannon and Sturges edges equal SciPy/NumPy', { skip }, () => {
  const r = rng(5);
  const calls: { fn: string; args: unknown[] }[] = [];
  const checks: ((got: any) => void)[] = [];
  const add = (fn: string, args: unknown[], check: (ref: any) => void) => {
    calls.push({ fn, args });
    checks.push(check);
  };
  for (const df of [1, 2, 3, 9, 40, 300]) {
    for (const x0 of [0.01, 0.5, 2, 10, 60, 400, 1300]) {
      const x = x0 * (1 + r());
      add('chi2_sf', [x, df], (ref) => close(chi2Sf(x, df), ref, `chi2.sf(${x}, ${df})`));
    }
  }
  for (const o of [[30, 20, 50], [1, 0, 99, 3], [500, 510, 490, 505, 495]]) {
    const w = o.map(() => 0.5 + r());
    const s = w.reduce((a, b) => a + b, 0);
    const n = o.reduce((a, b) => a + b, 0);
    const e = w.map((v) => (v / s) * n);
    add('chisquare', [o, e], (ref) => {
      const got = chiSquare(o, e);
      close(got.statistic, ref[0], `chisquare statistic ${o}`);
      close(got.pValue, ref[1], `chisquare p ${o}`);
    });
  }
  for (const [a, b] of [[[700, 300], [600, 400]], [[50, 50], [49, 51]], [[10000, 1], [9000, 1001]], [[3, 997], [40, 960]]]) {
    add('ztest', [a, b], (ref) => {
      const got = zTestCounts(a, b);
      close(got.statistic, ref[0], `z-test z ${a} ${b}`);
      close(got.pValue, ref[1], `z-test p ${a} ${b}`);
    });
  }
  for (const [p, q] of [[[0.2, 0.3, 0.5], [0.25, 0.25, 0.5]], [[0.1, 0, 0.9], [0, 0.5, 0.5]], [Array.from({ length: 40 }, () => r()), Array.from({ length: 40 }, () => r())]]) {
    add('jensenshannon', [p, q], (ref) => close(jensenShannon(p, q), ref, `jensenshannon ${p.length}`));
  }
  const data = [
    { values: Array.from({ length: 1000 }, () => r() * 17 - 3), int: false },
    { values: Array.from({ length: 1024 }, () => Math.floor(r() * 9)), int: true },
    { values: Array.from({ length: 5000 }, () => Math.floor(r() * 100000)), int: true },
    { values: Array.from({ length: 777 }, () => 1e-9 * r()), int: false },
  ];
  data.forEach((d, i) =>
    add('bin_edges', [d.values, d.int], (ref) => {
      const got = sturgesEdges(d.values.length, Math.min(...d.values), Math.max(...d.values), d.int);
      assert.equal(got.length, ref.length, `Sturges bin count ${i}`);
      got.forEach((e, k) => close(e, ref[k], `Sturges edge ${k} of data ${i}`));
    }),
  );
  const refs = python('drift_special_reference.py', calls);
  checks.forEach((check, i) => check(refs[i]));
});

function compare(report: DriftReport, ref: Record<string, any>, where: string): void {
  for (const [name, expected] of Object.entries(ref)) {
    const got = report.columns.find((c) => c.name === name);
    assert.ok(got, `${where}: ${name} was not tested (${JSON.stringify(report.skipped.find((s) => s.name === name) ?? report.messages)})`);
    assert.equal(got.method, expected.method, `${where} ${name}: method`);
    close(got.score, expected.score, `${where} ${name} ${got.method} score`);
    if (expected.statistic !== null) close(got.statistic!, expected.statistic, `${where} ${name} ${got.method} statistic`);
    assert.equal(got.drifted, expected.drifted, `${where} ${name}: drifted`);
    assert.equal(got.referenceStats.count, expected.n_ref, `${where} ${name}: reference count`);
    assert.equal(got.currentStats.count, expected.n_cur, `${where} ${name}: current count`);
    if (expected.bins) {
      assert.equal(got.histogram.kind, 'bins', `${where} ${name}: histogram kind`);
      if (got.histogram.kind === 'bins') {
        got.histogram.edges.forEach((e, k) => close(e, expected.bins.edges[k], `${where} ${name} edge ${k}`));
        assert.deepEqual(got.histogram.reference, expected.bins.reference, `${where} ${name}: reference bin counts`);
        assert.deepEqual(got.histogram.current, expected.bins.current, `${where} ${name}: current bin counts`);
      }
    }
  }
}

test('computeDrift equals the NumPy/SciPy reference on every data set and method', { skip }, async (t) => {
  assert.ok(manifest.length >= 8);
  const runs = manifest.flatMap((d) => d.methods.map((method) => ({ d, method })));
  const refs = python('drift_reference.py', runs.map(({ d, method }) => ({ ...d, method, threshold: null })));
  for (const [i, { d, method }] of runs.entries()) {
    await t.test(`${d.name}, ${method}`, async () => {
      assert.ok(method === 'auto' || (DRIFT_METHODS as readonly string[]).includes(method));
      const report = await computeDrift({
        reference: d.glob?.reference ?? d.reference,
        current: d.glob?.current ?? d.current,
        columns: Object.keys(d.columns),
        method: method as any,
        currentWindow: d.window,
      });
      for (const c of report.columns) assert.equal(c.type, d.columns[c.name], `${d.name} ${c.name}: inferred type`);
      compare(report, refs[i], `${d.name}/${method}`);
    });
  }
});
