import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePipeline, PipelineCache } from '../../src/core/pipeline/index';
import { PieceCache, parseYamlTree } from '../../src/core/pipeline/yaml/incremental';

// The piecewise parse behind the language server's speed: same results as a fresh parse, after
// any edit, and only the edited piece is parsed again.

function bigPipeline(views: number): string {
  const out = [
    'version: 1',
    'name: big',
    'features:',
    '  entities:',
    '    customer: { join_keys: [customer_id] }',
    '  sources:',
    '    activity: { path: data/activity.parquet, timestamp: event_ts }',
    '  views:',
  ];
  for (let i = 0; i < views; i++) {
    out.push(`    view_${i}:`, '      entity: customer', '      source: activity', '      ttl: 30d', '      features:');
    for (let j = 0; j < 10; j++) out.push(`        f_${j}: ${['int64', 'float64', 'string'][j % 3]}`);
  }
  out.push('training:', '  script: src/train.py', '  dataset:', '    labels: data/labels.parquet', '    label: churned', '    timestamp: event_ts', '    features:');
  for (let i = 0; i < views; i += 7) out.push(`      - view_${i}:f_${i % 10}`);
  out.push('model:', '  format: onnx', '');
  return out.join('\n');
}

const strip = (p: ReturnType<typeof parsePipeline>) => ({ diagnostics: p.diagnostics, model: JSON.parse(JSON.stringify(p.model)), refs: p.references });

test('a 5,000-line file is cut into pieces, and an edit re-parses one', () => {
  const text = bigPipeline(330);
  assert.ok(text.split('\n').length > 5000);
  const cache = new PipelineCache();
  const first = parsePipeline(text, { cache });
  assert.deepEqual(first.diagnostics, []);
  assert.ok(first.doc.pieces > 300, `${first.doc.pieces} pieces`);
  const misses = cache.pieces.misses;
  const at = text.indexOf('f_3: int64', text.length / 2);
  const edited = `${text.slice(0, at + 5)}float64${text.slice(at + 10)}`;
  const second = parsePipeline(edited, { cache });
  assert.equal(cache.pieces.misses - misses, 1);
  assert.deepEqual(strip(second), strip(parsePipeline(edited)));
});

test('after every kind of edit the cached parse equals a fresh one', () => {
  let text = bigPipeline(40);
  const cache = new PipelineCache();
  parsePipeline(text, { cache });
  const edits: ((t: string) => string)[] = [
    (t) => t.replace('ttl: 30d', 'ttl: 3d'), // one character
    (t) => t.replace('    view_3:\n', '    view_3:\n      bogus: 1\n'), // a line inserted
    (t) => t.replace('      ttl: 30d\n', ''), // a line deleted, offsets shift
    (t) => t.replace('entity: customer', 'entity: "customer'), // a syntax error mid-typing
    (t) => t.replace('entity: "customer', 'entity: customer'),
    (t) => t.replace('    view_10:', '  view_10:'), // broken indentation
    (t) => t.replace('  view_10:', '    view_10:'),
    (t) => t.replace('  views:\n', '  views: &v\n'), // an anchor on a split key: no split there
    (t) => `${t}extra: *v\n`,
    (t) => t.replace('name: big', 'name: big\n---'), // a second document: parsed whole
    (t) => t.replace('name: big\n---', 'name: big'),
    (t) => t.replace(/\n/g, '\r\n'), // line ends change everywhere
    (t) => t.replace('version: 1', '\tversion: 1'), // a tab: parsed whole
    (t) => t.replace('\tversion: 1', 'version: 1'),
    (t) => `\ufeff${t}`,
  ];
  for (const [i, edit] of edits.entries()) {
    text = edit(text);
    assert.deepEqual(strip(parsePipeline(text, { cache })), strip(parsePipeline(text)), `edit ${i}`);
  }
});

test('pieces equal a whole parse on clean files, mutated at random', () => {
  const base = bigPipeline(20);
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let compared = 0;
  for (let i = 0; i < 200; i++) {
    const lines = base.split('\n');
    for (let k = 0; k < 3; k++) {
      const l = rnd(lines.length);
      const r = rnd(6);
      if (r === 0) lines.splice(l, 1);
      else if (r === 1) lines.splice(l, 0, lines[rnd(lines.length)]!);
      else if (r === 2) lines[l] = `  ${lines[l]}`;
      else if (r === 3) lines[l] = lines[l]!.replace(/^ {2}/, '');
      else if (r === 4) lines[l] = `${lines[l]} # note`;
      else lines.splice(l, 0, '', '# comment at column 0');
    }
    const text = lines.join('\n');
    const whole = parseYamlTree(text, new PieceCache(), 'whole');
    if (whole.errors.length) continue;
    const pieces = parseYamlTree(text, new PieceCache());
    assert.deepEqual(pieces.root, whole.root, text);
    assert.deepEqual(pieces.errors, []);
    compared++;
  }
  assert.ok(compared > 50, `${compared}`);
});

test('block scalars, flow collections and comments between entries survive the cut', () => {
  const text = `version: 1
name: x
features:
  views:
${Array.from({ length: 30 }, (_, i) => `    v${i}:
      entity: e   # trailing
# a comment at column 0
      source: |
        keep
          this

      features: { a: int64,
        b: float64 }`).join('\n')}
`;
  const whole = parseYamlTree(text, new PieceCache(), 'whole');
  const pieces = parseYamlTree(text, new PieceCache());
  assert.ok(pieces.pieces > 10);
  assert.deepEqual(pieces.root, whole.root);
  assert.deepEqual(pieces.errors, whole.errors);
});
