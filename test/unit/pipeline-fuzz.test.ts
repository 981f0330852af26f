import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parsePipeline, validatePipeline, PipelineCache } from '../../src/core/pipeline/index';
import { PieceCache, parseYamlTree } from '../../src/core/pipeline/yaml/incremental';

// 10,000 random mutations of the example: the parser and validator never throw, never hang, answer
// every document within 100 ms, and the incremental (piecewise) parse agrees with a whole parse on
// every mutant yaml reads without errors.

const EXAMPLE = existsSync('examples/churn/slipway.yaml') ? 'examples/churn/slipway.yaml' : 'schemas/slipway.example.yaml';
const BASE = readFileSync(EXAMPLE, 'utf8');
const RUNS = 10_000;
const BUDGET_MS = 100;

/** mulberry32: small, fast, seeded */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

type Rng = ReturnType<typeof prng>;

const NOISE = [':', ' ', '-', '#', '&', '*', '!', '|', '>', '[', ']', '{', '}', ',', '"', "'", '\t', '\r', '\n', '%', '@', '`', '?', '\\', '\u0000', '\u00e9', '\ud83d\ude80', '\ufeff', '\u2028'];

function bomb(levels: number): string {
  let s = 'lol0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i <= levels; i++) s += `lol${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]\n`;
  return s;
}

const MUTATIONS: ((lines: string[], r: Rng) => string[])[] = [
  // delete a line
  (l, r) => (l.length ? l.filter((_, i) => i !== r.int(l.length)) : l),
  // duplicate a line
  (l, r) => {
    const i = r.int(l.length || 1);
    return [...l.slice(0, i + 1), l[i] ?? '', ...l.slice(i + 1)];
  },
  // indent or dedent a line
  (l, r) => {
    const i = r.int(l.length || 1);
    const line = l[i] ?? '';
    const out = [...l];
    out[i] = r.next() < 0.5 ? '  ' + line : line.replace(/^ {1,2}/, '');
    return out;
  },
  // swap the indentation of two lines
  (l, r) => {
    const i = r.int(l.length || 1);
    const j = r.int(l.length || 1);
    const ind = (s: string) => /^ */.exec(s)![0];
    const out = [...l];
    out[i] = ind(l[j] ?? '') + (l[i] ?? '').trimStart();
    out[j] = ind(l[i] ?? '') + (l[j] ?? '').trimStart();
    return out;
  },
  // random bytes somewhere
  (l, r) => {
    const i = r.int(l.length || 1);
    const line = l[i] ?? '';
    const at = r.int(line.length + 1);
    let noise = '';
    for (let k = 1 + r.int(4); k > 0; k--) noise += r.next() < 0.7 ? r.pick(NOISE) : String.fromCharCode(r.int(0x3000));
    const out = [...l];
    out[i] = line.slice(0, at) + noise + line.slice(at + (r.next() < 0.3 ? 1 : 0));
    return out;
  },
  // a huge scalar
  (l, r) => {
    const i = r.int(l.length || 1);
    const size = 1000 + r.int(100_000);
    const body = r.pick(['x', 'ab ', 'é', '9']).repeat(Math.ceil(size / 2));
    const value = r.pick([body, `"${body}"`, `'${body}'`, `|\n${'    ' + body}`]);
    const out = [...l];
    out[i] = (l[i] ?? '').replace(/:.*$/, `: ${value}`);
    return out;
  },
  // anchors and aliases, merges included
  (l, r) => {
    const out = [...l];
    const i = r.int(l.length || 1);
    const j = r.int(l.length || 1);
    out[i] = (l[i] ?? '').replace(/: /, ': &a ');
    out[j] = (l[j] ?? '').replace(/: .*$/, r.pick([': *a', ': *missing', ': [*a, *a]', ': { <<: *a }']));
    if (r.next() < 0.3) out.splice(j + 1, 0, `${/^ */.exec(l[j] ?? '')![0]}<<: *a`);
    return out;
  },
  // deeply nested flows
  (l, r) => {
    const depth = 1 + r.int(r.next() < 0.5 ? 40 : 3000);
    const open = r.pick(['[', '{a: ', '[{b: ']);
    const close = open === '[' ? ']' : open === '{a: ' ? '}' : '}]';
    const out = [...l];
    const i = r.int(l.length || 1);
    out[i] = (l[i] ?? '').replace(/:.*$/, `: ${open.repeat(depth)}x${r.next() < 0.8 ? close.repeat(depth) : ''}`);
    return out;
  },
  // a billion-laughs alias bomb, at the top or as a value
  (l, r) => {
    const levels = 5 + r.int(6);
    if (r.next() < 0.5) return [...bomb(levels).split('\n'), ...l];
    const out = [...l, ...bomb(levels).split('\n')];
    const i = r.int(l.length || 1);
    out[i] = (l[i] ?? '').replace(/:.*$/, `: *l${levels}`);
    return out;
  },
  // truncate
  (l, r) => l.slice(0, r.int(l.length + 1)),
  // swap two lines
  (l, r) => {
    const out = [...l];
    const i = r.int(l.length || 1);
    const j = r.int(l.length || 1);
    [out[i], out[j]] = [l[j] ?? '', l[i] ?? ''];
    return out;
  },
];

function mutate(text: string, r: Rng): string {
  let lines = text.split('\n');
  for (let k = 1 + r.int(3); k > 0; k--) lines = r.pick(MUTATIONS)(lines, r);
  return lines.join(r.next() < 0.05 ? '\r\n' : '\n');
}

test(`fuzz: ${RUNS} mutations of ${EXAMPLE} parse and validate within ${BUDGET_MS} ms each`, () => {
  const r = prng(20241123);
  const times: number[] = [];
  let compared = 0;
  let slowest = { ms: 0, text: '' };
  let cache = new PipelineCache();
  let previous = BASE;
  const fs = { baseDir: '/project', fileExists: (p: string) => p.length % 3 !== 0, globMatches: () => true };
  const time = (text: string, cache: PipelineCache) => {
    const t0 = performance.now();
    const parsed = validatePipeline(text, { ...fs, cache });
    parsed.nodeAt(r.int(text.length + 1));
    parsed.rangeOf(['training', 'script']);
    return { parsed, ms: performance.now() - t0 };
  };
  for (let i = 0; i < 20; i++) validatePipeline(BASE, fs); // warm the JIT: the budget is for the code, not the compiler
  let remeasured = 0;
  let rawMax = 0;
  for (let i = 0; i < RUNS; i++) {
    // half the runs edit the previous mutant through one cache, as a person typing would
    const typing = i % 2 === 1;
    const text = mutate(typing ? previous : BASE, r);
    if (!typing || i % 50 === 1) cache = new PipelineCache();
    let parsed;
    let ms: number;
    try {
      ({ parsed, ms } = time(text, cache));
      rawMax = Math.max(rawMax, ms);
      if (ms > BUDGET_MS / 4) {
        // a slow answer may be the machine (GC, other processes): measure again, fresh, and keep the best
        remeasured++;
        ms = Math.min(ms, ...[0, 1].map(() => time(text, new PipelineCache()).ms));
      }
    } catch (e) {
      assert.fail(`run ${i} threw ${(e as Error).stack}\n--- document ---\n${text.slice(0, 2000)}`);
    }
    times.push(ms);
    if (ms > slowest.ms) slowest = { ms, text };
    assert.ok(Array.isArray(parsed.diagnostics));
    previous = text.length > 300_000 ? BASE : text;

    // the piecewise parse must equal the whole parse whenever yaml reads the file cleanly
    if (i % 5 === 0) {
      const whole = parseYamlTree(text, new PieceCache(), 'whole');
      if (whole.errors.length === 0) {
        const pieces = parseYamlTree(text, new PieceCache(), 'auto');
        assert.deepEqual(pieces.root, whole.root, `run ${i}: piecewise tree differs\n${text.slice(0, 3000)}`);
        assert.deepEqual(pieces.errors, [], `run ${i}: piecewise errors\n${text.slice(0, 3000)}`);
        compared++;
      }
    }
  }
  times.sort((a, b) => a - b);
  const p99 = times[Math.floor(times.length * 0.99)]!;
  const p50 = times[Math.floor(times.length * 0.5)]!;
  console.log(
    `fuzz: ${RUNS} documents, p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${slowest.ms.toFixed(2)} ms (first measure: max ${rawMax.toFixed(2)} ms; ${remeasured} over ${BUDGET_MS / 4} ms measured again); ${compared} clean mutants piecewise = whole`,
  );
  assert.ok(slowest.ms < BUDGET_MS, `slowest document took ${slowest.ms.toFixed(1)} ms:\n${slowest.text.slice(0, 500)}`);
  assert.ok(compared > 300, `only ${compared} clean mutants compared`);
});

test('an alias bomb is never expanded', () => {
  const text = `version: 1\nname: bomb\n${bomb(12)}training:\n  script: train.py\n  params: *l12\n`;
  const t0 = performance.now();
  const parsed = parsePipeline(text);
  const ms = performance.now() - t0;
  assert.ok(ms < BUDGET_MS, `${ms} ms`);
  assert.ok(parsed.diagnostics.some((d) => d.code === 'unknown-key' && d.message.includes("'lol0'")));
  assert.ok(parsed.diagnostics.some((d) => d.code === 'wrong-type' && d.data?.path?.join('.') === 'training.params'));
});

test('nesting deeper than 128 levels is refused quickly', () => {
  const text = `version: 1\nname: deep\ntraining:\n  script: train.py\n  params: ${'['.repeat(100_000)}\n`;
  const t0 = performance.now();
  const parsed = parsePipeline(text);
  assert.ok(performance.now() - t0 < BUDGET_MS);
  const d = parsed.diagnostics.find((x) => x.code === 'yaml-syntax' && /deeper than 128/.test(x.message));
  assert.ok(d, JSON.stringify(parsed.diagnostics));
  assert.equal(d.range.start.line, 4);
});
