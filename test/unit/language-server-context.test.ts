import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { cursorContext } from '../../language-server/context';
import { complete } from '../../language-server/completion';
import { parsePipeline } from '../../src/core/pipeline/index';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-languageserver/node';

// Where the cursor is, in schema terms, while the line is still being typed.

const DOC = `version: 1
training:
  script: src/
  sc
  dataset:
    features: [customer_activity:se
  targets:
    kubernetes:
      resources: { cpu: 1, mem
model:
  gates:
    - metric: auc
      o
    - { metric: auc, op: >
features:
- a
deploy:
  target: k
`;
const lines = DOC.split('\n');
const at = (line: number, character = lines[line]!.length) => cursorContext(lines, line, character);

test('values: the key path and what was typed', () => {
  assert.deepEqual(at(2), { kind: 'value', path: ['training', 'script'], prefix: 'src/', start: 10, inFlow: false });
  assert.deepEqual(at(17), { kind: 'value', path: ['deploy', 'target'], prefix: 'k', start: 10, inFlow: false });
  assert.deepEqual(at(11), { kind: 'value', path: ['model', 'gates', '[]', 'metric'], prefix: 'auc', start: 14, inFlow: false });
});

test('keys: a half-typed key belongs to the block its indentation puts it in', () => {
  assert.deepEqual(at(3), { kind: 'key', path: ['training'], prefix: 'sc', start: 2, inFlow: false, listItem: false });
  assert.deepEqual(at(12), { kind: 'key', path: ['model', 'gates', '[]'], prefix: 'o', start: 6, inFlow: false, listItem: false });
  assert.deepEqual(at(15), { kind: 'key', path: ['features', '[]'], prefix: 'a', start: 2, inFlow: false, listItem: true });
  assert.deepEqual(at(0, 0), { kind: 'key', path: [], prefix: '', start: 0, inFlow: false, listItem: false });
});

test('flow collections: items of a list, keys and values of a mapping', () => {
  assert.deepEqual(at(5), { kind: 'value', path: ['training', 'dataset', 'features', '[]'], prefix: 'customer_activity:se', start: 15, inFlow: true });
  assert.deepEqual(at(8), { kind: 'key', path: ['training', 'targets', 'kubernetes', 'resources'], prefix: 'mem', start: 27, inFlow: true, listItem: false });
  assert.deepEqual(at(13), { kind: 'value', path: ['model', 'gates', '[]', 'op'], prefix: '>', start: 25, inFlow: true });
});

test('comments are not completed', () => {
  assert.deepEqual(cursorContext(['a: 1 # no'], 0, 9), { kind: 'none' });
});

test('completion in block lists: references for scalar items, keys for mapping items', () => {
  const text = `version: 1
name: demo
features:
  entities: { c: { join_keys: [id] } }
  sources: { s: { path: a.csv, timestamp: t } }
  views:
    v1: { entity: c, source: s, features: { a: int64, b: string } }
training:
  script: t.py
  dataset:
    labels: l.csv
    label: y
    timestamp: t
    features:
      - v1:a
      - v
model:
  gates:
    - metric: auc
      op: ">="
    - 
`;
  const parsed = parsePipeline(text);
  const labels = (line: number, character: number) => complete(parsed, { line, character }, undefined).items.map((i) => i.label);
  assert.deepEqual(labels(15, 9), ['v1:*', 'v1:a', 'v1:b']);
  assert.deepEqual(labels(20, 6), ['metric', 'op', 'value']);
  assert.deepEqual(labels(19, 6), ['op', 'value']); // metric is set above, in the same item
  const op = complete(parsed, { line: 19, character: 10 }, undefined).items.map((i) => i.label);
  assert.deepEqual(op, ['">="', '">"', '"<="', '"<"', '"=="', '"!="']);
});

test('the server also speaks over Node IPC, as the extension starts it', async () => {
  const child = fork('out/language-server.js', ['--node-ipc'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  conn.listen();
  try {
    const init = (await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} })) as { serverInfo: { name: string } };
    assert.equal(init.serverInfo.name, 'slipway-language-server');
    await conn.sendRequest('shutdown');
  } finally {
    conn.dispose();
    child.kill();
  }
});
