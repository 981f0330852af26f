/**
 * The contract with a real MLflow 3.11 server, pinned by its recordings (test/fixtures/mlflow-rest):
 * (a) the stand-in server, seeded with the recorded data set, answers every recorded request as
 *     MLflow did: status, content type, JSON shape and the values the seed determines;
 * (b) MlflowClient/RegistryClient turn every recorded answer they meet into the right typed
 *     object or MlflowError.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowClient, MlflowError, collect, type MlflowErrorKind } from '../../src/core/tracking';
import { RegistryClient } from '../../src/core/registry';
import { MlflowStandin } from '../support/mlflow-standin';
import { MODEL, RUN, recordedSeed } from '../support/mlflow-seed';
import { ReplayServer, loadRecordings, recordedBody, type Recording } from '../support/mlflow-recordings';

const recordings = loadRecordings();
const byFile = new Map(recordings.map((r) => [r.file, r]));
const rec = (file: string): Recording => {
  const r = byFile.get(file);
  assert.ok(r, `no recording ${file}`);
  return r;
};

/**
 * Recordings the stand-in does not reproduce, and why. Empty: every recording is matched,
 * including GraphQL and the Host/Origin checks. A new recording it cannot match goes here.
 */
const KNOWN_GAPS: Readonly<Record<string, string>> = {};

/**
 * The 95-* recordings are writes and the reads that see them. They were recorded in this
 * order (the reads need the writes; params and tags come back in logging order), not in
 * file-name order, so they are replayed in it, on the same server, after all the others.
 */
const WRITE_ORDER = [
  '95-write-experiments-create.json',
  '95-write-experiments-create-local-artifacts.json',
  '95-write-runs-create.json',
  '95-write-runs-log-metric.json',
  '95-write-runs-log-metric-nan.json',
  '95-write-runs-log-metric-inf.json',
  '95-write-runs-log-param.json',
  '95-write-runs-log-batch.json',
  '95-write-param-overwrite-error.json',
  '95-write-runs-set-tag.json',
  '95-write-runs-update.json',
  '95-write-runs-delete.json',
  '95-write-runs-restore.json',
  '95-write-artifact-upload.json',
  '95-write-alias-set.json',
  '95-read-alias-get-rest.json',
  '95-read-artifacts-list-after-upload.json',
  '95-read-metric-history-nan-inf.json',
  '95-read-runs-get-after-writes.json',
  '95-write-alias-delete.json',
  '95-write-alias-delete-body.json',
];

test('the write-order list names every 95-* recording once', () => {
  assert.deepEqual([...WRITE_ORDER].sort(), recordings.filter((r) => r.file.startsWith('95-')).map((r) => r.file).sort());
});

// ---------------------------------------------------------------- (a) the stand-in

/** ids the server makes up (a new run's) are mapped from the recorded ones */
const ID_KEYS = new Set(['run_id', 'run_uuid', 'experiment_id', 'model_id']);
/** values that depend on when a call was made: their type is checked, not their value */
const VOLATILE = /time|timestamp/i;

function learnIds(recorded: unknown, actual: unknown, map: Map<string, string>): void {
  if (Array.isArray(recorded) && Array.isArray(actual)) recorded.forEach((r, i) => learnIds(r, actual[i], map));
  else if (recorded && actual && typeof recorded === 'object' && typeof actual === 'object') {
    for (const [k, v] of Object.entries(recorded)) {
      const a = (actual as Record<string, unknown>)[k];
      if (ID_KEYS.has(k) && typeof v === 'string' && typeof a === 'string' && v !== a) map.set(v, a);
      else learnIds(v, a, map);
    }
  }
}

function substitute(text: string, map: Map<string, string>): string {
  let out = text;
  for (const [from, to] of map) out = out.split(from).join(to);
  return out;
}

/** Same keys (recursively), same value types, same values except the volatile ones. */
function compareShape(recorded: unknown, actual: unknown, path: string, back: Map<string, string>, problems: string[], key = ''): void {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(recorded) !== kind(actual)) {
    problems.push(`${path}: ${kind(recorded)} ${JSON.stringify(recorded)?.slice(0, 80)} recorded, ${kind(actual)} ${JSON.stringify(actual)?.slice(0, 80)} served`);
    return;
  }
  if (Array.isArray(recorded)) {
    const a = actual as unknown[];
    if (recorded.length !== a.length) problems.push(`${path}: ${recorded.length} items recorded, ${a.length} served`);
    recorded.forEach((r, i) => i < a.length && compareShape(r, a[i], `${path}[${i}]`, back, problems, key));
    return;
  }
  if (recorded && typeof recorded === 'object') {
    const a = actual as Record<string, unknown>;
    const rk = Object.keys(recorded).sort();
    const ak = Object.keys(a).sort();
    if (rk.join() !== ak.join()) problems.push(`${path}: keys ${rk.join(',')} recorded, ${ak.join(',')} served`);
    for (const k of rk) if (k in a) compareShape((recorded as Record<string, unknown>)[k], a[k], `${path}.${k}`, back, problems, k);
    return;
  }
  if (VOLATILE.test(key)) return;
  const norm = (v: unknown) => (typeof v === 'string' ? substitute(v, back).replace(/\b\d{13}\b/g, '<time>') : v);
  if (!Object.is(norm(recorded), norm(actual)) && norm(recorded) !== norm(actual)) {
    problems.push(`${path}: ${JSON.stringify(recorded)?.slice(0, 120)} recorded, ${JSON.stringify(actual)?.slice(0, 120)} served`);
  }
}

interface Served {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function replay(base: URL, r: Recording, ids: Map<string, string>): Promise<Served> {
  const path = substitute(r.request.raw_path, ids);
  const headers: Record<string, string> = { ...(r.request.headers ?? {}) };
  let body: string | undefined;
  if (typeof r.request.body === 'string') body = substitute(r.request.body, ids);
  else if (r.request.body !== null && r.request.body !== undefined) body = substitute(JSON.stringify(r.request.body), ids);
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (body !== undefined && !hasType && r.request.method !== 'PUT') headers['Content-Type'] = 'application/json';
  // node:http sends a DELETE body without a length unless told
  if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method: r.request.method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('(a) the stand-in answers every recorded request as MLflow 3.11 did', async (t) => {
  const server = new MlflowStandin().seed(recordedSeed());
  const base = new URL(await server.start());
  const ids = new Map<string, string>();
  const order = [...recordings.filter((r) => !r.file.startsWith('95-')), ...WRITE_ORDER.map(rec)];
  let matched = 0;
  try {
    for (const r of order) {
      if (KNOWN_GAPS[r.file]) {
        await t.test(`${r.file} (known gap: ${KNOWN_GAPS[r.file]})`, { skip: KNOWN_GAPS[r.file] }, () => undefined);
        continue;
      }
      await t.test(r.file, async () => {
        const served = await replay(base, r, ids);
        const problems: string[] = [];
        if (served.status !== r.status) problems.push(`status ${r.status} recorded, ${served.status} served`);
        const ct = String(served.headers['content-type'] ?? '');
        if (ct !== r.response_headers['content-type']) problems.push(`content-type ${r.response_headers['content-type']} recorded, ${ct} served`);
        const disposition = r.response_headers['content-disposition'];
        if (disposition && served.headers['content-disposition'] !== disposition) problems.push(`content-disposition ${disposition} recorded, ${served.headers['content-disposition']} served`);
        if (r.response_headers['transfer-encoding'] === 'chunked' && served.headers['content-length'] !== undefined) problems.push('streamed (chunked) when recorded, served with a content-length');
        if (r.response_kind === 'json') {
          let json: unknown;
          try {
            json = JSON.parse(served.body.toString('utf8'));
          } catch {
            problems.push(`JSON recorded, served ${served.body.toString('utf8').slice(0, 100)}`);
          }
          if (json !== undefined) {
            learnIds(r.response, json, ids);
            const back = new Map([...ids].map(([recorded, actual]) => [actual, recorded] as [string, string]));
            compareShape(r.response, json, 'body', back, problems);
          }
        } else if (!recordedBody(r).equals(served.body)) {
          problems.push(`body ${JSON.stringify(String(r.response).slice(0, 100))} recorded, ${JSON.stringify(served.body.toString('utf8').slice(0, 100))} served`);
        }
        assert.deepEqual(problems, [], `${r.file} (${r.request.method} ${r.request.raw_path})`);
        matched++;
      });
    }
  } finally {
    await server.stop();
  }
  t.diagnostic(`stand-in matched ${matched} of ${recordings.length} recordings; known gaps: ${Object.keys(KNOWN_GAPS).length}`);
  assert.equal(matched + Object.keys(KNOWN_GAPS).length, recordings.length);
});

// ---------------------------------------------------------------- (b) the client

let replayServer: ReplayServer;
let client: MlflowClient;
let registry: RegistryClient;
let dir: string;
const exercised = new Set<string>();

before(async () => {
  replayServer = new ReplayServer(recordings);
  const url = await replayServer.start();
  client = new MlflowClient({ trackingUri: url, timeoutMs: 5000 });
  registry = new RegistryClient(client.http);
  dir = mkdtempSync(join(tmpdir(), 'slipway-mlflow-contract-'));
});

after(async () => {
  await replayServer.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn` and records which recordings it was answered from (the hits must include `files`). */
async function uses<T>(files: string[], fn: () => Promise<T>): Promise<T> {
  const before = replayServer.hits.length;
  const missesBefore = replayServer.misses.length;
  try {
    return await fn();
  } finally {
    assert.deepEqual(replayServer.misses.slice(missesBefore), [], 'requests without a recording');
    const hit = new Set(replayServer.hits.slice(before));
    for (const f of files) {
      assert.ok(hit.has(f), `${f} was not used`);
      exercised.add(f);
    }
  }
}

/** Serves one recording whatever the client asks (for answers the client's own requests never get). */
async function served<T>(file: string, fn: () => Promise<T>): Promise<T> {
  replayServer.force = rec(file);
  try {
    return await uses([file], fn);
  } finally {
    replayServer.force = undefined;
  }
}

async function rejectsWith(p: Promise<unknown>, kind: MlflowErrorKind, message: RegExp, extra: { status?: number; errorCode?: string } = {}): Promise<MlflowError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MlflowError, `not an MlflowError: ${e}`);
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    if (extra.status !== undefined) assert.equal(e.status, extra.status);
    if (extra.errorCode !== undefined) assert.equal(e.errorCode, extra.errorCode);
    return e;
  }
  assert.fail(`expected MlflowError ${kind}`);
}

test('(b) server version', async () => {
  assert.equal(await uses(['00-version.json'], () => client.serverVersion()), '3.11.2.dev0');
});

test('(b) experiments: get, by name, search, pages', async () => {
  const a = await uses(['01-experiments-get.json'], () => client.getExperiment('1'));
  assert.deepEqual(a, {
    experimentId: '1',
    name: 'probe-exp-a',
    artifactLocation: 'mlflow-artifacts:/1',
    lifecycleStage: 'active',
    creationTime: 1795344199462,
    lastUpdateTime: 1795344199462,
    tags: { team: 'probe', 'mlflow.note.content': 'Experiment A description' },
    description: 'Experiment A description',
  });
  const b = await uses(['01-experiments-get-by-name.json'], () => client.getExperimentByName('probe-exp-b'));
  assert.equal(b.experimentId, '2');
  assert.deepEqual(b.tags, { team: 'probe-b' });
  assert.equal(b.description, undefined);
  const filtered = await uses(['01-experiments-search-filter.json'], () => client.searchExperiments({ filter: "name LIKE 'probe-%' AND tags.team = 'probe'", maxResults: 100 }));
  assert.deepEqual(filtered.items.map((e) => e.name), ['probe-exp-a']);
  assert.equal(filtered.nextPageToken, undefined);
  // pages are fetched only when asked for: two pages, two requests
  const names: string[] = [];
  await uses(['01-experiments-search-post-page1.json', '01-experiments-search-post-page2.json'], async () => {
    for await (const page of client.searchExperimentsPages({ maxResults: 1, orderBy: ['name ASC'], viewType: 'ALL' })) {
      names.push(...page.items.map((e) => e.name));
      if (names.length === 2) break;
    }
  });
  assert.deepEqual(names, ['Default', 'probe-exp-a']);
});

test('(b) runs: search (default, attributes, children, deleted), pages, nested runs', async () => {
  const all = await uses(['02-runs-search-all-default.json'], () => client.searchRuns({ experimentIds: ['1', '2'] }));
  assert.deepEqual(all.items.map((r) => r.info.runName), ['run-7-failed', 'run-6', 'run-5', 'run-3', 'run-2', 'run-1-child', 'run-1-parent']);
  const child = all.items.find((r) => r.info.runName === 'run-1-child')!;
  assert.equal(child.parentRunId, RUN.parent);
  assert.equal(all.items.find((r) => r.info.runName === 'run-1-parent')!.parentRunId, undefined);
  assert.deepEqual(all.items.find((r) => r.info.runName === 'run-1-parent')!.modelOutputs, [{ modelId: MODEL.parent, step: 0 }]);
  const failed = all.items[0]!;
  assert.equal(failed.info.status, 'FAILED');
  assert.equal(failed.info.userId, 'unknown');
  assert.deepEqual(failed.metrics, {});
  assert.deepEqual(failed.params, { lr: '0.9' });
  assert.deepEqual(child.params, { lr: '0.05', optimizer: 'sgd', epochs: '10' });
  assert.deepEqual(child.metrics.loss, { key: 'loss', value: 0.637628, timestamp: 1795344209180, step: 9 });

  const attrs = await uses(['02-runs-search-attributes.json'], () =>
    client.searchRuns({ experimentIds: ['2'], filter: "attributes.status = 'FAILED' AND attributes.run_name LIKE 'run-%'", orderBy: ['attributes.start_time ASC'] }),
  );
  assert.deepEqual(attrs.items.map((r) => r.info.runId), [RUN.failed]);
  const children = await uses(['02-runs-search-children.json'], () => client.searchRuns({ experimentIds: ['1'], filter: `tags.mlflow.parentRunId = '${RUN.parent}'` }));
  assert.deepEqual(children.items.map((r) => r.info.runId), [RUN.child]);
  const deleted = await uses(['02-runs-search-deleted-only.json'], () => client.searchRuns({ experimentIds: ['1'], viewType: 'DELETED_ONLY' }));
  assert.deepEqual(deleted.items.map((r) => [r.info.runName, r.info.lifecycleStage]), [['run-4-to-delete', 'deleted']]);

  const pages = await uses(['02-runs-search-page1.json', '02-runs-search-page2.json', '02-runs-search-page3.json'], () =>
    collect(client.searchRunsPages({ experimentIds: ['1', '2'], filter: "metrics.accuracy > 0.55 and params.optimizer = 'sgd'", orderBy: ['metrics.accuracy DESC'], maxResults: 2 })),
  );
  assert.deepEqual(pages.map((r) => [r.info.runName, r.metrics.accuracy!.value]), [['run-3', 0.8], ['run-6', 0.75], ['run-2', 0.7], ['run-5', 0.65], ['run-1-parent', 0.6]]);
});

test('(b) runs/get: parent, child, failed, deleted', async () => {
  const parent = await uses(['03-runs-get-parent.json'], () => client.getRun(RUN.parent));
  assert.deepEqual(parent.info, {
    runId: RUN.parent,
    experimentId: '1',
    runName: 'run-1-parent',
    userId: 'root',
    status: 'FINISHED',
    startTime: 1795344199653,
    endTime: 1795344209417,
    artifactUri: `mlflow-artifacts:/1/${RUN.parent}/artifacts`,
    lifecycleStage: 'active',
  });
  assert.deepEqual(Object.keys(parent.metrics), ['loss', 'accuracy', 'f1']);
  assert.equal(parent.tags['mlflow.note.content'], 'run-1-parent notes');
  const child = await uses(['03-runs-get-child.json'], () => client.getRun(RUN.child));
  assert.equal(child.parentRunId, RUN.parent);
  const failed = await uses(['03-runs-get-failed.json'], () => client.getRun(RUN.failed));
  assert.equal(failed.info.status, 'FAILED');
  assert.deepEqual(failed.metrics, {});
  const deleted = await uses(['03-runs-get-deleted.json'], () => client.getRun(RUN.deleted));
  assert.equal(deleted.info.lifecycleStage, 'deleted');
});

test('(b) metric history: pages with max_results, bulk interval, missing key, the looping token', async () => {
  const points: number[] = [];
  await uses(['04-metrics-get-history-page1.json', '04-metrics-get-history-page2.json'], async () => {
    for await (const page of client.getMetricHistoryPages(RUN.parent, 'loss', 20)) {
      points.push(...page.items.map((m) => m.step));
      if (points.length >= 40) break;
    }
  });
  assert.deepEqual(points, Array.from({ length: 40 }, (_, i) => i));
  const bulk = await uses(['04-metrics-get-history-bulk-interval.json'], () => client.getMetricHistoryBulkInterval([RUN.parent, RUN.run2], 'loss', { maxResults: 10 }));
  assert.equal(bulk.length, 22);
  assert.deepEqual(bulk.filter((m) => m.runId === RUN.run2).map((m) => m.step), [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 49]);
  assert.deepEqual(bulk[0], { key: 'loss', value: 1, timestamp: 1795344199804, step: 0, runId: RUN.parent });
  assert.deepEqual(await served('04-metrics-get-history-missing-key.json', () => client.getMetricHistory(RUN.parent, 'nope')), []);
  // what MLflow answers without max_results: no points, a token back to the start
  await rejectsWith(served('04-metrics-get-history.json', () => client.getMetricHistory(RUN.parent, 'loss')), 'protocol', /no points but another page/);
});

test('(b) artifacts: both listings, downloads through the proxy and /get-artifact, missing files', async () => {
  const root = await uses(['05-artifacts-list-root.json'], () => client.listArtifacts(RUN.parent));
  assert.deepEqual(root, { rootUri: `mlflow-artifacts:/1/${RUN.parent}/artifacts`, files: [{ path: 'config', isDir: true }, { path: 'notes', isDir: true }] });
  const sub = await uses(['05-artifacts-list-subdir.json'], () => client.listArtifacts(RUN.parent, 'notes'));
  assert.deepEqual(sub.files, [{ path: 'notes/readme.txt', isDir: false, fileSize: 24 }]);
  const none = await uses(['05-artifacts-list-run-without-artifacts.json'], () => client.listArtifacts(RUN.run3));
  assert.deepEqual(none.files, []);
  const b = await uses(['05-artifacts-list-exp-b.json'], () => client.listArtifacts(RUN.run5));
  assert.equal(b.files.length, 2);
  const proxy = await uses(['05-mlflow-artifacts-list.json'], () => client.listArtifactsProxy(`1/${RUN.parent}/artifacts`));
  assert.deepEqual(proxy, [{ path: 'config', isDir: true }, { path: 'notes', isDir: true }]);
  const proxySub = await uses(['05-mlflow-artifacts-list-sub.json'], () => client.listArtifactsProxy(`1/${RUN.parent}/artifacts/config`));
  assert.deepEqual(proxySub, [{ path: 'params.json', isDir: false, fileSize: 40 }]);
  const model = await uses(['06-mlflow-artifacts-list-model.json'], () => client.listArtifactsProxy(`1/models/${MODEL.parent}/artifacts`));
  assert.deepEqual(model.map((f) => f.path), ['MLmodel', 'conda.yaml', 'model.pkl', 'python_env.yaml', 'requirements.txt']);

  const artifactUri = `mlflow-artifacts:/1/${RUN.parent}/artifacts`;
  const progress: number[] = [];
  const text = await uses(['05-mlflow-artifacts-download-text.json'], () => client.downloadArtifact(RUN.parent, 'notes/readme.txt', dir, { artifactUri, onProgress: (p) => progress.push(p.bytes) }));
  assert.equal(readFileSync(text.file, 'utf8'), 'hello from run-1-parent\n');
  assert.equal(text.file, join(dir, 'notes', 'readme.txt'));
  assert.equal(progress.at(-1), 24);
  const json = await uses(['05-mlflow-artifacts-download-json.json'], () => client.downloadArtifact(RUN.parent, 'config/params.json', dir, { artifactUri }));
  assert.deepEqual(JSON.parse(readFileSync(json.file, 'utf8')), { run: 'run-1-parent', lr: 0.1 });
  await rejectsWith(uses(['05-mlflow-artifacts-download-missing.json'], () => client.downloadArtifact(RUN.parent, 'notes/nope.txt', dir, { artifactUri })), 'not-found', /No such artifact/, { status: 404, errorCode: 'RESOURCE_DOES_NOT_EXIST' });

  // any other store: /get-artifact?run_uuid&path
  const ui = await uses(['05-get-artifact-ui.json'], () => client.downloadArtifact(RUN.parent, 'notes/readme.txt', join(dir, 'ui'), { artifactUri: 's3://bucket/1/run/artifacts' }));
  assert.equal(readFileSync(ui.file, 'utf8'), 'hello from run-1-parent\n');
  await rejectsWith(uses(['05-get-artifact-ui-missing.json'], () => client.downloadArtifact(RUN.parent, 'nope.txt', dir, { artifactUri: 's3://bucket/x' })), 'not-found', /No such artifact/);

  // a logged model's files through the proxy: binary and text
  const modelRoot = `mlflow-artifacts:/1/models/${MODEL.parent}/artifacts`;
  const pkl = await uses(['06-mlflow-artifacts-download-binary.json'], () => client.downloadArtifact(RUN.parent, 'model.pkl', join(dir, 'model'), { artifactUri: modelRoot }));
  assert.deepEqual(readFileSync(pkl.file), recordedBody(rec('06-mlflow-artifacts-download-binary.json')));
  assert.equal(pkl.bytes, 720);
  const mlmodel = await uses(['06-mlflow-artifacts-download-mlmodel.json'], () => client.downloadArtifact(RUN.parent, 'MLmodel', join(dir, 'model'), { artifactUri: modelRoot }));
  assert.match(readFileSync(mlmodel.file, 'utf8'), /^artifact_path: mlflow-artifacts:\/1\/models\//);
});

test('(b) logged models', async () => {
  const m = await uses(['06-logged-models-get.json'], () => client.getLoggedModel(MODEL.parent));
  assert.equal(m.sourceRunId, RUN.parent);
  assert.deepEqual(m.params, { epochs: '50', lr: '0.1', optimizer: 'sgd' });
  assert.deepEqual(m.metrics.map((x) => x.key), ['loss', 'accuracy', 'f1']);
  const files = await uses(['06-logged-models-artifacts-list.json'], () => client.listLoggedModelArtifacts(MODEL.parent));
  assert.equal(files.rootUri, `mlflow-artifacts:/1/models/${MODEL.parent}/artifacts`);
  assert.deepEqual(files.files.find((f) => f.path === 'model.pkl'), { path: 'model.pkl', isDir: false, fileSize: 720 });
});

test('(b) registry: models, versions, pages, download URI, version file, aliases', async () => {
  const m = await uses(['07-registered-models-get.json'], () => registry.getRegisteredModel('probe-model'));
  assert.equal(m.description, 'Probe registered model');
  assert.deepEqual(m.tags, { domain: 'probe' });
  assert.deepEqual(m.aliases, [{ alias: 'challenger', version: '1' }, { alias: 'champion', version: '2' }]);
  assert.deepEqual(m.latestVersions.map((v) => [v.version, v.currentStage, v.runId]), [['1', 'Staging', RUN.parent], ['2', 'None', RUN.run2]]);
  assert.equal(m.latestVersions[0]!.description, undefined);
  const filtered = await uses(['07-registered-models-search-filter.json'], () => registry.searchRegisteredModels({ filter: "name LIKE 'probe-model%' AND tags.domain = 'probe'" }));
  assert.deepEqual(filtered.items.map((x) => x.name), ['probe-model']);
  const all = await uses(['07-registered-models-search.json'], () => registry.searchRegisteredModels());
  assert.deepEqual(all.items.map((x) => [x.name, x.aliases.length, x.description ?? null]), [['probe-model', 2, 'Probe registered model'], ['probe-model-from-run', 0, null]]);
  const paged = await uses(['07-registered-models-search-page1.json', '07-registered-models-search-page2.json'], () => collect(registry.searchRegisteredModelsPages({ maxResults: 1, orderBy: ['name ASC'] })));
  assert.deepEqual(paged.map((x) => x.name), ['probe-model', 'probe-model-from-run']);

  const v2 = await uses(['08-model-versions-get.json'], () => registry.getModelVersion('probe-model', 2));
  assert.deepEqual(v2, {
    name: 'probe-model',
    version: '2',
    creationTime: 1795344228736,
    lastUpdateTime: 1795344229495,
    currentStage: 'None',
    description: 'Version 2 (champion)',
    source: `models:/${MODEL.run2}`,
    runId: RUN.run2,
    status: 'READY',
    tags: { validation_status: 'approved' },
    aliases: ['champion'],
  });
  const byTag = await uses(['08-model-versions-search-by-tag.json'], () => registry.searchModelVersions({ filter: "tags.validation_status = 'approved'" }));
  assert.deepEqual(byTag.items.map((v) => v.version), ['2']);
  assert.deepEqual(byTag.items[0]!.aliases, []);
  const desc = await uses(['08-model-versions-search.json'], () => registry.searchModelVersions({ filter: "name='probe-model'", orderBy: ['version_number DESC'] }));
  assert.deepEqual(desc.items.map((v) => v.version), ['2', '1']);
  const pages = await uses(['08-model-versions-search-page1.json', '08-model-versions-search-page2.json'], () => collect(registry.searchModelVersionsPages({ filter: "name='probe-model'", maxResults: 1 })));
  assert.deepEqual(pages.map((v) => v.version), ['1', '2']);
  assert.equal(await uses(['08-model-versions-get-download-uri.json'], () => registry.getModelVersionDownloadUri('probe-model', '2')), `mlflow-artifacts:/1/models/${MODEL.run2}/artifacts`);
  const f = await uses(['08-model-versions-get-artifact-ui.json'], () => registry.downloadModelVersionFile('probe-model', 2, 'MLmodel', join(dir, 'v2')));
  assert.match(readFileSync(f.file, 'utf8'), new RegExp(`model_id: ${MODEL.run2}`));

  const champion = await uses(['09-alias-get-champion.json'], () => registry.getModelVersionByAlias('probe-model', 'champion'));
  assert.equal(champion.version, '2');
  assert.deepEqual(champion.aliases, ['champion']);
  // MLflow answers a missing alias with 400; the client calls it what it is
  await rejectsWith(uses(['09-alias-get-missing.json'], () => registry.getModelVersionByAlias('probe-model', 'nope')), 'not-found', /no alias "nope"/, { status: 400, errorCode: 'INVALID_PARAMETER_VALUE' });
});

test('(b) MLflow error answers become MlflowErrors a person can act on', async () => {
  await rejectsWith(uses(['90-error-create-experiment-duplicate.json'], () => client.createExperiment('probe-exp-a')), 'bad-request', /already exists/, { status: 400, errorCode: 'RESOURCE_ALREADY_EXISTS' });
  await rejectsWith(uses(['90-error-experiments-get-by-name-missing.json'], () => client.getExperimentByName('nope')), 'not-found', /Could not find experiment with name 'nope'/, { status: 404 });
  assert.equal(await uses(['90-error-experiments-get-by-name-missing.json'], () => client.findExperimentByName('nope')), undefined);
  await rejectsWith(uses(['90-error-experiments-get-missing.json'], () => client.getExperiment('999')), 'not-found', /No Experiment with id=999/);
  await rejectsWith(uses(['90-error-model-version-missing.json'], () => registry.getModelVersion('probe-model', 99)), 'not-found', /version=99/);
  await rejectsWith(uses(['90-error-registered-model-missing.json'], () => registry.getRegisteredModel('nope')), 'not-found', /name=nope not found/);
  await rejectsWith(uses(['90-error-runs-get-missing.json'], () => client.getRun('00000000000000000000000000000000')), 'not-found', /Run with id=0+ not found/);
  await rejectsWith(served('90-error-runs-get-no-param.json', () => client.getRun('')), 'bad-request', /Missing value for required parameter 'run_id'/);
  await rejectsWith(uses(['90-error-runs-search-bad-filter.json'], () => client.searchRuns({ experimentIds: ['1'], filter: 'metrics.accuracy >>> 1' })), 'bad-request', /Invalid comparator '>>>'/);
  await rejectsWith(uses(['90-error-runs-search-bad-maxresults.json'], () => client.searchRuns({ experimentIds: ['1'], maxResults: 100000 })), 'bad-request', /max_results/);
  await rejectsWith(uses(['90-error-runs-search-bad-token.json'], () => client.searchRuns({ experimentIds: ['1'], pageToken: 'garbage' })), 'bad-request', /Invalid page token/);
  await rejectsWith(
    uses(['90-error-runs-search-or-filter.json'], () => client.searchRuns({ experimentIds: ['2'], filter: "attributes.status = 'FAILED' OR attributes.run_name LIKE 'run-5%'", orderBy: ['attributes.start_time ASC'] })),
    'bad-request',
    /'OR'/,
  );
  await rejectsWith(
    uses(['90-error-runs-search-status-in-list.json'], () => client.searchRuns({ experimentIds: ['2'], filter: "attributes.status IN ('FAILED', 'FINISHED')", orderBy: ['attributes.start_time ASC'], maxResults: 5 })),
    'bad-request',
    /run_id' attribute supports comparison with a list/,
  );
  await rejectsWith(served('90-error-wrong-type.json', () => client.searchRuns({ experimentIds: ['1'] })), 'bad-request', /experiment_ids/);
  await rejectsWith(served('91-post-without-json-content-type.json', () => client.searchRuns({ experimentIds: ['1'] })), 'bad-request', /Content-Type/);
  // not MLflow's JSON: HTML pages and text
  const html404 = await rejectsWith(served('90-error-unknown-endpoint.json', () => client.getRun(RUN.parent)), 'protocol', /HTML page \(HTTP 404\) — is tracking.uri pointing at MLflow\?/);
  assert.equal(html404.status, 404);
  await rejectsWith(served('90-error-wrong-method.json', () => client.searchRuns({ experimentIds: ['1'] })), 'protocol', /HTML page \(HTTP 405\) — is tracking.uri pointing at MLflow/);
  await rejectsWith(served('91-security-bad-host-header.json', () => client.searchExperiments()), 'auth', /Host header.*--allowed-hosts/);
  await rejectsWith(served('91-cors-foreign-origin-post.json', () => client.searchRuns({ experimentIds: ['1'] })), 'auth', /cross-origin/);
});

test('(b) writes: experiments, runs, metrics with NaN/Inf, params, tags, lifecycle, aliases', async () => {
  assert.equal(await uses(['95-write-experiments-create.json'], () => client.createExperiment('probe-exp-rest', { tags: { via: 'curl' } })), '3');
  assert.equal(await uses(['95-write-experiments-create-local-artifacts.json'], () => client.createExperiment('probe-exp-rest-local', { artifactLocation: '/srv/mlflow/artifacts-direct/rest-local' })), '4');
  const run = await uses(['95-write-runs-create.json'], () => client.createRun({ experimentId: '3', runName: 'run-rest', startTime: 1795344451264, tags: { via: 'curl' } }));
  const id = run.info.runId;
  assert.equal(id, '5a788ad84189459f8a21e4bd2998307b');
  assert.equal(run.info.status, 'RUNNING');
  assert.equal(run.info.userId, '');
  await uses(['95-write-runs-log-metric.json'], () => client.logMetric(id, { key: 'rmse', value: 0.5, timestamp: 1795344451264, step: 0 }));
  await uses(['95-write-runs-log-metric-nan.json'], () => client.logMetric(id, { key: 'weird', value: NaN, timestamp: 1795344451264, step: 0 }));
  await uses(['95-write-runs-log-metric-inf.json'], () => client.logMetric(id, { key: 'weird', value: Infinity, timestamp: 1795344451265, step: 1 }));
  await uses(['95-write-runs-log-param.json'], () => client.logParam(id, 'alpha', '0.3'));
  await uses(['95-write-runs-log-batch.json'], () =>
    client.logBatch(id, {
      metrics: [0.25, 1 / 6, 0.125, 0.1, 1 / 12].map((value, i) => ({ key: 'rmse', value, timestamp: 1795344451265 + i, step: i + 1 })),
      params: { beta: '2' },
      tags: { batch: 'yes' },
    }),
  );
  await rejectsWith(uses(['95-write-param-overwrite-error.json'], () => client.logParam(id, 'alpha', '0.9')), 'bad-request', /Changing param values is not allowed/);
  await uses(['95-write-runs-set-tag.json'], () => client.setTag(id, 'mlflow.note.content', 'set via REST'));
  const info = await uses(['95-write-runs-update.json'], () => client.updateRun(id, { status: 'FINISHED', endTime: 1795344456264 }));
  assert.equal(info.endTime, 1795344456264);
  await uses(['95-write-runs-delete.json'], () => client.deleteRun(id));
  await uses(['95-write-runs-restore.json'], () => client.restoreRun(id));
  await uses(['95-write-alias-set.json'], () => registry.setAlias('probe-model', 'rest-alias', '1'));
  const v1 = await uses(['95-read-alias-get-rest.json'], () => registry.getModelVersionByAlias('probe-model', 'rest-alias'));
  assert.deepEqual(v1.aliases, ['challenger', 'rest-alias']);
  const listed = await uses(['95-read-artifacts-list-after-upload.json'], () => client.listArtifacts(id, 'uploaded'));
  assert.deepEqual(listed.files, [{ path: 'uploaded/hello.txt', isDir: false, fileSize: 16 }]);
  const weird = await uses(['95-read-metric-history-nan-inf.json'], () => client.getMetricHistory(id, 'weird', { pageSize: 100 }));
  assert.deepEqual(weird.map((m) => m.value), [NaN, Infinity]);
  const after = await uses(['95-read-runs-get-after-writes.json'], () => client.getRun(id));
  assert.equal(after.metrics.weird!.value, Infinity);
  assert.equal(after.metrics.rmse!.step, 5);
  assert.deepEqual(after.params, { alpha: '0.3', beta: '2' });
  assert.equal(after.tags['mlflow.note.content'], 'set via REST');
  // DELETE sends its parameters as a JSON body: the query form is what MLflow refuses
  await uses(['95-write-alias-delete-body.json'], () => registry.deleteAlias('probe-model', 'rest-alias'));
});

/** Recordings the client has no call for (by design), with the reason. */
const NOT_CLIENT_CALLS: Readonly<Record<string, string>> = {
  '00-health.json': 'liveness probe of the server, not a client call (serverVersion is)',
  '00-server-info.json': 'store type; not needed by Slipway',
  '01-experiments-search-get.json': 'the client searches experiments with POST',
  '06-logged-models-artifact-file.json': 'UI-only (/ajax-api) file endpoint; the client uses the proxy or model-versions/get-artifact',
  '06-logged-models-search.json': 'logged models are reached from runs (outputs) and versions, not searched',
  '10-get-latest-versions-get.json': 'stages are deprecated: the client uses aliases',
  '10-get-latest-versions-post.json': 'stages are deprecated: the client uses aliases',
  '10-get-latest-versions-post-stages.json': 'stages are deprecated: the client uses aliases',
  '90-ajax-prefix-equivalent.json': 'the client uses /api (ajax-api only for bulk-interval, which exists only there)',
  '90-error-malformed-json.json': 'the client always sends well-formed JSON',
  '91-cors-preflight-localhost-origin.json': 'browsers send preflights; the client is not a browser',
  '92-graphql-get-experiment.json': 'the client uses REST, not GraphQL',
  '92-graphql-get-run.json': 'the client uses REST, not GraphQL',
  '95-write-alias-delete.json': 'DELETE with query parameters is the mistake MLflow refuses; the client sends a body (95-write-alias-delete-body)',
  '95-write-artifact-upload.json': 'Slipway does not upload artifacts through the tracking server (training code logs them)',
};

test('(b) every recording is either used by the client or listed with a reason', (t) => {
  const unaccounted = recordings.map((r) => r.file).filter((f) => !exercised.has(f) && !NOT_CLIENT_CALLS[f]);
  assert.deepEqual(unaccounted, []);
  for (const f of Object.keys(NOT_CLIENT_CALLS)) assert.ok(byFile.has(f), `${f} is not a recording`);
  t.diagnostic(`client parsed ${exercised.size} of ${recordings.length} recordings; ${Object.keys(NOT_CLIENT_CALLS).length} are not client calls`);
});
