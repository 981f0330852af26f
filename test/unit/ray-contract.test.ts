/**
 * The Ray stand-in and the Ray client against every recording of a real Ray 2.58 Jobs API
 * (test/fixtures/ray-jobs-api):
 *  1. each recorded request (or the same sequence, where the request was not recorded) is
 *     replayed against the stand-in: same status, same kind of content type, same JSON shape
 *     (keys recursively, value types), equal deterministic values; for text/plain tracebacks
 *     the same status and the same final exception line;
 *  2. RayJobsClient parses each recorded answer, served by a tiny replay server, into the
 *     right typed value or RayError kind.
 * A recording that cannot be matched goes into KNOWN_GAPS with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import WebSocket, { WebSocketServer } from 'ws';
import { pythonErrorLine, RayError, type RayErrorKind } from '../../src/core/training/ray/errors';
import { RayJobsClient } from '../../src/core/training/ray/RayJobsClient';
import { startRayStandin, type RayStandin } from '../support/ray-standin';

const DIR = resolve('test/fixtures/ray-jobs-api');

/**
 * What the stand-in cannot reproduce. `ignore`: fields left out of the comparison (the rest of
 * the recording is still compared); without it the recording as a whole is not matched.
 */
const KNOWN_GAPS: Readonly<Record<string, { readonly ignore: readonly string[]; readonly reason: string }>> = {
  '21_get_train_job': {
    ignore: ['job_id', 'driver_info'],
    reason:
      'the recorded job called ray.init(), so Ray linked its driver: job_id "02000000" and driver_info {id, node_ip_address, pid}. ' +
      'The stand-in runs no Ray driver: both stay null, as for the recorded jobs that never call ray.init (02, 03, 09, 15)',
  },
  '23_get_torchtrainer_job': { ignore: ['job_id', 'driver_info'], reason: 'as 21_get_train_job: the recorded TorchTrainer job had a Ray driver' },
  '11_list_jobs': {
    ignore: ['(order)'],
    reason: 'the order of the list is not compared: Ray lists jobs in the order of its GCS key scan, not submission order; each element is compared with its recorded twin',
  },
};

// ---------------------------------------------------------------------------------------------
// the recordings

interface Recording {
  readonly name: string;
  readonly status: number;
  /** from NN_*.headers or the raw headers in the .txt, when recorded */
  readonly contentType?: string;
  readonly kind: 'json' | 'text' | 'empty' | 'ws-raw' | 'ws-frames';
  readonly body: string;
  readonly json?: unknown;
  readonly request?: unknown;
}

function loadRecordings(): Map<string, Recording> {
  const files = readdirSync(DIR).filter((f) => /^\d/.test(f));
  const names = [...new Set(files.map((f) => f.replace(/\.(request\.json|response\.json|response\.txt|headers)$/, '').replace(/\.(txt|jsonl)$/, '')))].sort();
  const out = new Map<string, Recording>();
  for (const name of names) {
    const read = (suffix: string) => {
      try {
        return readFileSync(join(DIR, name + suffix), 'utf8');
      } catch {
        return undefined;
      }
    };
    const headers = read('.headers');
    const headerStatus = headers ? Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)![1]) : undefined;
    const headerType = headers ? /^content-type: (.*)$/im.exec(headers)?.[1]?.trim() : undefined;
    const requestText = read('.request.json');
    const request = requestText ? (JSON.parse(requestText) as unknown) : undefined;
    const json = read('.response.json');
    const txt = read('.response.txt');
    if (json !== undefined) {
      out.set(name, { name, status: headerStatus ?? 200, ...(headerType ? { contentType: headerType } : {}), kind: 'json', body: json, json: JSON.parse(json), request });
    } else if (txt !== undefined) {
      let status: number;
      let body: string;
      let contentType = headerType;
      const suffix = / \[HTTP (\d{3})\]\s*$/.exec(txt);
      if (suffix) {
        status = Number(suffix[1]);
        body = txt.slice(0, suffix.index);
      } else {
        // raw answer: status line, headers, blank line, body
        const split = /\r?\n\r?\n/.exec(txt)!;
        const head = txt.slice(0, split.index);
        status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)![1]);
        contentType = /^content-type: (.*)$/im.exec(head)?.[1]?.trim();
        // (Content-Length no longer matches: machine paths in the body were rewritten to /srv/...)
        body = txt.slice(split.index + split[0].length);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      const kind = !body.trim() ? 'empty' : parsed !== undefined ? 'json' : 'text';
      out.set(name, { name, status, ...(contentType ? { contentType } : {}), kind, body, ...(parsed !== undefined ? { json: parsed } : {}), request });
    } else if (name.startsWith('06_')) {
      out.set(name, { name, status: 101, kind: 'ws-raw', body: readFileSync(join(DIR, `${name}.txt`), 'latin1') });
    } else if (name.startsWith('07_')) {
      out.set(name, { name, status: 101, kind: 'ws-frames', body: readFileSync(join(DIR, `${name}.jsonl`), 'utf8') });
    } else {
      throw new Error(`no response in recording ${name}`);
    }
  }
  return out;
}

const RECORDINGS = loadRecordings();
const rec = (name: string): Recording => {
  const r = RECORDINGS.get(name);
  if (!r) throw new Error(`no recording ${name}`);
  return r;
};
const recJson = <T = Record<string, unknown>>(name: string) => rec(name).json as T;

/** kind of a content type, as the contract compares it */
function typeKind(contentType: string | undefined, body: string): string {
  if (contentType) return /json/i.test(contentType) ? 'json' : /text\/plain/i.test(contentType) ? 'text' : /octet-stream/i.test(contentType) ? 'empty' : contentType;
  return !body.trim() ? 'empty' : /^\s*[[{]/.test(body) ? 'json' : 'text';
}

/** timestamps and generated submission ids vary from run to run */
function norm(text: string): string {
  return text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}/g, '<TS>').replace(/raysubmit_[A-Za-z0-9]{16}/g, '<RAYSUBMIT>');
}

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Same keys (in the same order), recursively, and the same value types. */
function assertSameShape(actual: unknown, expected: unknown, path = '$', ignore: readonly string[] = []): void {
  assert.equal(typeOf(actual), typeOf(expected), `${path}: ${typeOf(actual)}, recorded ${typeOf(expected)}`);
  if (typeOf(expected) === 'object') {
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    assert.deepEqual(Object.keys(a), Object.keys(e), `${path}: keys`);
    for (const k of Object.keys(e)) if (!ignore.includes(k)) assertSameShape(a[k], e[k], `${path}.${k}`);
  } else if (typeOf(expected) === 'array') {
    // each item has the shape of one of the recorded items (a job with metadata, one without)
    const e = expected as unknown[];
    for (const [i, item] of (actual as unknown[]).entries()) {
      const errors: string[] = [];
      for (const candidate of e) {
        try {
          assertSameShape(item, candidate, `${path}[${i}]`, ignore);
          errors.length = 0;
          break;
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
      assert.equal(errors.length, 0, errors.join('; '));
    }
  }
}

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. the stand-in replays every recording

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

test('the Ray stand-in answers every recorded request as Ray 2.58 did', async (t) => {
  // `python` must be a real interpreter for the recorded entrypoints (python -c ...)
  const python = process.env.SLIPWAY_PYTHON;
  const env = python ? { ...process.env, PATH: `${dirname(python)}:${process.env.PATH}` } : process.env;
  // two clusters: A replays the session of 01-14 (its job list must hold only those jobs, as
  // recorded in 11), B the jobs of 15-34, while A's long job prints the ticks 06/07 need
  const standin: RayStandin = await startRayStandin({ env, pendingMs: 1000 }); // 02 must catch a job PENDING
  const other: RayStandin = await startRayStandin({ env, pendingMs: 300 });
  const matched = new Set<string>();
  const callOn = async (on: RayStandin, method: string, path: string, body?: string | Uint8Array): Promise<Answer> => {
    const res = await fetch(on.url + path, { method, body: body as BodyInit | undefined, headers: typeof body === 'string' ? { 'content-type': 'application/json' } : {} });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const call = (method: string, path: string, body?: string | Uint8Array) => callOn(standin, method, path, body);
  const callB = (method: string, path: string, body?: string | Uint8Array) => callOn(other, method, path, body);
  const jobOn = async (on: RayStandin, id: string) => JSON.parse((await callOn(on, 'GET', `/api/jobs/${id}`)).text) as Record<string, unknown>;
  const finalOn = (on: RayStandin, id: string) =>
    waitFor(`job ${id} to end`, async () => {
      const j = await jobOn(on, id);
      return ['SUCCEEDED', 'FAILED', 'STOPPED'].includes(j.status as string) ? j : undefined;
    });
  const final = (id: string) => finalOn(standin, id);
  const finalB = (id: string) => finalOn(other, id);
  /** status, content type (exactly when recorded, else its kind), and for JSON the shape */
  const same = (name: string, a: Answer, ignore: readonly string[] = []) => {
    const r = rec(name);
    assert.equal(a.status, r.status, `${name}: status`);
    if (r.contentType) assert.equal(a.contentType, r.contentType, `${name}: content type`);
    else assert.equal(typeKind(a.contentType, a.text), typeKind(undefined, r.body), `${name}: kind of content (${a.contentType})`);
    if (r.kind === 'json') assertSameShape(JSON.parse(a.text), r.json, name, ignore);
    if (r.kind === 'empty') assert.equal(a.text, '', `${name}: empty body`);
  };
  /** text/plain errors: same status, same final exception line (and the same sentence when not a traceback) */
  const sameError = (name: string, a: Answer) => {
    same(name, a);
    const r = rec(name);
    assert.equal(/^Traceback/.test(a.text), /^Traceback/.test(r.body), `${name}: traceback or not`);
    assert.equal(pythonErrorLine(a.text), pythonErrorLine(r.body), `${name}: exception line`);
    assert.equal(a.text.trimEnd().split('\n').at(-1), r.body.trimEnd().split('\n').at(-1), `${name}: last line`);
  };
  const step = async (name: string, fn: () => Promise<void>) => {
    await t.test(name, async () => {
      await fn();
      matched.add(name);
    });
  };
  const DETAIL_VALUES = ['type', 'status', 'entrypoint', 'message', 'error_type', 'metadata', 'runtime_env', 'driver_exit_code'];

  try {
    // the long job first: the log tail recordings (06, 07) need it to have printed 7 ticks
    const longEntrypoint = (recJson('09_get_stopped_job').entrypoint as string);
    let longAnswer!: Answer;
    await step('05_post_long_job', async () => {
      longAnswer = await call('POST', '/api/jobs/', JSON.stringify({ entrypoint: longEntrypoint, submission_id: 'probe-long-1' }));
      same('05_post_long_job', longAnswer);
      assert.equal(longAnswer.text, rec('05_post_long_job').body);
    });

    let helloId = '';
    await step('01_post_job', async () => {
      const a = await call('POST', '/api/jobs/', JSON.stringify(rec('01_post_job').request));
      same('01_post_job', a);
      const body = JSON.parse(a.text) as { job_id: string; submission_id: string };
      assert.match(body.submission_id, /^raysubmit_[A-Za-z0-9]{16}$/);
      assert.equal(body.job_id, body.submission_id);
      helloId = body.submission_id;
    });
    await step('02_get_job_early', async () => {
      const a = await call('GET', `/api/jobs/${helloId}`);
      same('02_get_job_early', a);
      const j = JSON.parse(a.text) as Record<string, unknown>;
      assert.deepEqual(pick(j, [...DETAIL_VALUES, 'job_id', 'end_time', 'driver_agent_http_address', 'driver_node_id']), pick(recJson('02_get_job_early'), [...DETAIL_VALUES, 'job_id', 'end_time', 'driver_agent_http_address', 'driver_node_id']));
    });
    await step('03_get_job_final', async () => {
      await final(helloId);
      const a = await call('GET', `/api/jobs/${helloId}`);
      same('03_get_job_final', a);
      const j = JSON.parse(a.text) as Record<string, number>;
      assert.deepEqual(pick(j, DETAIL_VALUES), pick(recJson('03_get_job_final'), DETAIL_VALUES));
      assert.ok(j.end_time! >= j.start_time! && j.start_time! > 1.7e12, 'times in ms since the epoch');
    });
    await step('04_get_logs', async () => {
      const a = await call('GET', `/api/jobs/${helloId}/logs`);
      same('04_get_logs', a);
      assert.equal(norm((JSON.parse(a.text) as { logs: string }).logs), norm(recJson<{ logs: string }>('04_get_logs').logs));
    });

    await step('12_get_missing_job', async () => sameError('12_get_missing_job', await call('GET', '/api/jobs/does-not-exist')));
    await step('12b_get_missing_logs', async () => sameError('12b_get_missing_logs', await call('GET', '/api/jobs/does-not-exist/logs')));
    await step('13_post_bad_body', async () => sameError('13_post_bad_body', await call('POST', '/api/jobs/', JSON.stringify({ entrypoint: 'echo x', foo: 'bar' }))));
    await step('14_post_duplicate_id', async () => sameError('14_post_duplicate_id', await call('POST', '/api/jobs/', JSON.stringify({ entrypoint: 'echo again', submission_id: 'probe-long-1' }))));

    const failing = rec('15_get_failed_job').json as Record<string, unknown>;
    await step('15_get_failed_job', async () => {
      await callB('POST', '/api/jobs/', JSON.stringify({ entrypoint: failing.entrypoint, submission_id: 'probe-fail-1', metadata: failing.metadata, runtime_env: failing.runtime_env }));
      await finalB('probe-fail-1');
      const a = await callB('GET', '/api/jobs/probe-fail-1');
      same('15_get_failed_job', a);
      const j = JSON.parse(a.text) as Record<string, unknown>;
      assert.deepEqual(norm(JSON.stringify(pick(j, DETAIL_VALUES))), norm(JSON.stringify(pick(failing, DETAIL_VALUES))));
    });
    await step('15b_failed_job_logs', async () => {
      const a = await callB('GET', '/api/jobs/probe-fail-1/logs');
      same('15b_failed_job_logs', a);
      assert.equal(norm((JSON.parse(a.text) as { logs: string }).logs), norm(recJson<{ logs: string }>('15b_failed_job_logs').logs));
    });
    await step('16_delete_job', async () => {
      const a = await callB('DELETE', '/api/jobs/probe-fail-1');
      same('16_delete_job', a);
      assert.equal(a.text, rec('16_delete_job').body);
      assert.equal((await callB('GET', '/api/jobs/probe-fail-1')).status, 404, 'deleted means gone');
    });
    await step('17_delete_running_job', async () => {
      await callB('POST', '/api/jobs/', JSON.stringify({ entrypoint: 'sleep 30', submission_id: 'probe-sleep-del' }));
      await waitFor('probe-sleep-del to run', async () => ((await jobOn(other, 'probe-sleep-del')).status === 'RUNNING' ? true : undefined));
      sameError('17_delete_running_job', await callB('DELETE', '/api/jobs/probe-sleep-del'));
      await callB('POST', '/api/jobs/probe-sleep-del/stop');
    });

    // 20-24: the recorded training jobs ran scripts of the recording machine; the request of 20
    // is replayed as it was (the job then fails here), 21-24 with equivalent jobs
    await step('20_post_train_job', async () => {
      const a = await callB('POST', '/api/jobs/', JSON.stringify(rec('20_post_train_job').request));
      same('20_post_train_job', a);
      assert.equal(a.text, rec('20_post_train_job').body);
    });
    const trainReq = rec('20_post_train_job').request as Record<string, unknown>;
    await callB('POST', '/api/jobs/', JSON.stringify({ ...trainReq, submission_id: 'probe-train-twin', entrypoint: `python -c "print('RESULT {}')"` }));
    await callB('POST', '/api/jobs/', JSON.stringify({ submission_id: 'probe-torchtrainer-twin', entrypoint: `python -c "print('RESULT {}')"` }));
    for (const [name, id, logsName] of [
      ['21_get_train_job', 'probe-train-twin', '22_train_job_logs'],
      ['23_get_torchtrainer_job', 'probe-torchtrainer-twin', '24_torchtrainer_job_logs'],
    ] as const) {
      await step(name, async () => {
        await finalB(id);
        const a = await callB('GET', `/api/jobs/${id}`);
        same(name, a, KNOWN_GAPS[name]!.ignore);
        const j = JSON.parse(a.text) as Record<string, unknown>;
        const values = DETAIL_VALUES.filter((k) => k !== 'entrypoint');
        assert.deepEqual(pick(j, values), pick(recJson(name), values));
      });
      await step(logsName, async () => {
        const a = await callB('GET', `/api/jobs/${id}/logs`);
        same(logsName, a);
        const lines = (s: string) => norm(s).split('\n').slice(0, 2).map((l) => l.replace(/^(Running entrypoint for job )\S+: .*$/, '$1<ID>: <ENTRYPOINT>'));
        assert.deepEqual(lines((JSON.parse(a.text) as { logs: string }).logs), lines(recJson<{ logs: string }>(logsName).logs));
      });
    }

    // 30-34: a working_dir package, as the recording: hello_wd.py and ray_train_job.py
    const pkgPath = '/api/packages/gcs/_ray_pkg_840ab30decb8a621.zip';
    await step('30_get_package_missing', async () => sameError('30_get_package_missing', await callB('GET', pkgPath)));
    await step('31_put_package', async () => {
      const zip = zipSync({
        'hello_wd.py': new TextEncoder().encode('import os, sys\nprint("cwd:", os.getcwd())\nprint("files:", sorted(os.listdir(".")))\nprint("python:", sys.executable)\n'),
        'ray_train_job.py': new TextEncoder().encode('print("not run")\n'),
      });
      same('31_put_package', await callB('PUT', pkgPath, zip));
    });
    await step('32_get_package_exists', async () => same('32_get_package_exists', await callB('GET', pkgPath)));
    await step('33_post_job_working_dir', async () => {
      const a = await callB('POST', '/api/jobs/', JSON.stringify({ entrypoint: 'python hello_wd.py', submission_id: 'probe-wd-1', runtime_env: { working_dir: 'gcs://_ray_pkg_840ab30decb8a621.zip' } }));
      same('33_post_job_working_dir', a);
      assert.equal(a.text, rec('33_post_job_working_dir').body);
    });
    await step('34_job_working_dir_logs', async () => {
      assert.equal((await finalB('probe-wd-1')).status, 'SUCCEEDED');
      const a = await callB('GET', '/api/jobs/probe-wd-1/logs');
      same('34_job_working_dir_logs', a);
      const shape = (logs: string) =>
        norm(logs)
          .replace(/^cwd: .*(\/runtime_resources\/working_dir_files\/_ray_pkg_[0-9a-f]+)$/m, 'cwd: <SESSION>$1')
          .replace(/^python: \/.*\/bin\/python[\d.]*$/m, 'python: <PYTHON>');
      assert.equal(shape((JSON.parse(a.text) as { logs: string }).logs), shape(recJson<{ logs: string }>('34_job_working_dir_logs').logs));
    });

    // the which-python job of the list (11)
    const listed = recJson<Record<string, unknown>[]>('11_list_jobs');
    const whichPython = listed.find((j) => j.submission_id === 'probe-which-python')!;
    await call('POST', '/api/jobs/', JSON.stringify({ entrypoint: whichPython.entrypoint, submission_id: 'probe-which-python' }));

    // 06 + 07: the log tail of the long job, once it has printed at least 7 ticks
    await waitFor('the long job to print tick 6', () => (standin.jobs.get('probe-long-1')?.logs.includes('tick 6\n') ? true : undefined));
    await step('06_logs_tail_ws_raw_curl', async () => {
      const raw = rec('06_logs_tail_ws_raw_curl').body;
      const got = await rawUpgrade(standin.port, '/api/jobs/probe-long-1/logs/tail');
      const head = (s: string) => s.slice(0, s.indexOf('\r\n\r\n'));
      const headers = (s: string) => Object.fromEntries(head(s).split('\r\n').slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      assert.equal(head(got).split('\r\n')[0], head(raw).split('\r\n')[0]);
      const [gh, rh] = [headers(got), headers(raw)];
      for (const h of ['upgrade', 'connection', 'sec-websocket-accept']) assert.equal(gh[h]?.toLowerCase(), rh[h]?.toLowerCase(), `header ${h}`);
      const [gotFrames, rawFrames] = [parseFrames(got.slice(head(got).length + 4)), parseFrames(raw.slice(head(raw).length + 4))];
      assert.ok(gotFrames.length >= 1 && rawFrames.length >= 1);
      assert.equal(gotFrames[0]!.opcode, 1, 'a text frame');
      assert.equal(norm(gotFrames[0]!.text), norm(rawFrames[0]!.text), 'the first frame: the log from its start, 10 lines');
    });
    let stopAnswer: Answer | undefined;
    await step('07_logs_tail_ws_frames', async () => {
      const recorded = rec('07_logs_tail_ws_frames')
        .body.trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { t_rel_s: number; type?: string; data?: string; closed?: boolean; close_code?: number });
      const frames: { t: number; data: string; binary: boolean }[] = [];
      const ws = new WebSocket(`ws://127.0.0.1:${standin.port}/api/jobs/probe-long-1/logs/tail`);
      const t0 = Date.now();
      ws.on('message', (data, binary) => frames.push({ t: (Date.now() - t0) / 1000, data: data.toString(), binary }));
      const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
      await new Promise((r) => ws.once('open', r));
      await sleep(2600);
      // 08: stopping the job ends the tail with 1000, as in the recording
      stopAnswer = await call('POST', '/api/jobs/probe-long-1/stop');
      const code = await closed;
      assert.equal(code, recorded.at(-1)!.close_code);
      assert.ok(frames.every((f) => !f.binary), 'plain text frames');
      assert.equal(norm(frames[0]!.data), norm(recorded[0]!.data!), 'first frame');
      assert.equal(norm(frames[1]!.data).split('\n')[0], 'tick 6');
      for (const f of [...frames, ...recorded.filter((r) => r.data).map((r) => ({ data: r.data! }))]) {
        assert.ok(f.data.endsWith('\n') && f.data.split('\n').length - 1 <= 10, 'whole lines, at most 10 per frame');
      }
      const ticks = frames.flatMap((f) => [...f.data.matchAll(/^tick (\d+)$/gm)].map((m) => Number(m[1])));
      assert.deepEqual(ticks, ticks.map((_, i) => i), 'every tick once, in order');
      // after the backlog, about one frame a second
      const later = frames.filter((f) => f.t > frames[0]!.t + 0.5);
      for (let i = 1; i < later.length; i++) assert.ok(later[i]!.t - later[i - 1]!.t > 0.7, 'about one frame a second');
    });
    await step('08_stop_job', async () => {
      assert.ok(stopAnswer, 'the job was stopped during 07');
      same('08_stop_job', stopAnswer);
      assert.equal(stopAnswer.text, rec('08_stop_job').body);
    });
    await step('09_get_stopped_job', async () => {
      const j = await final('probe-long-1');
      const a = await call('GET', '/api/jobs/probe-long-1');
      same('09_get_stopped_job', a);
      assert.deepEqual(pick(j, DETAIL_VALUES), pick(recJson('09_get_stopped_job'), DETAIL_VALUES));
    });
    await step('10_stop_already_stopped', async () => {
      const a = await call('POST', '/api/jobs/probe-long-1/stop');
      same('10_stop_already_stopped', a);
      assert.equal(a.text, rec('10_stop_already_stopped').body);
    });
    await step('11_list_jobs', async () => {
      await final('probe-which-python');
      const a = await call('GET', '/api/jobs/');
      same('11_list_jobs', a);
      const mine = JSON.parse(a.text) as Record<string, unknown>[];
      for (const recorded of listed) {
        const id = recorded.submission_id === 'raysubmit_CDzmxiWMzMgKbAKW' ? helloId : (recorded.submission_id as string);
        const twin = mine.find((j) => j.submission_id === id);
        assert.ok(twin, `${id} is listed`);
        assertSameShape(twin, recorded, `11_list_jobs[${id}]`);
        const values = DETAIL_VALUES.filter((k) => k !== 'message' || recorded.status !== 'FAILED');
        assert.deepEqual(pick(twin!, values), pick(recorded, values));
      }
    });
  } finally {
    await standin.close();
    await other.close();
  }

  const all = [...RECORDINGS.keys()];
  const gapsWithoutMatch = Object.keys(KNOWN_GAPS).filter((n) => !matched.has(n) && KNOWN_GAPS[n]!.ignore.length === 0);
  t.diagnostic(`stand-in: ${matched.size}/${all.length} recordings matched (${Object.keys(KNOWN_GAPS).filter((n) => matched.has(n)).length} with known gaps in some fields); unmatched known gaps: ${gapsWithoutMatch.length}`);
  assert.deepEqual(all.filter((n) => !matched.has(n) && !gapsWithoutMatch.includes(n)), [], 'every recording is matched or a known gap');
});

/** Upgrades with the sample key of RFC 6455 (as the recording's curl did) and returns the raw bytes of the first second. */
function rawUpgrade(port: number, path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    setTimeout(() => {
      socket.destroy();
      resolvePromise(data);
    }, 1200);
  });
}

/** Unmasked server frames from raw bytes (a latin1 string); a cut-off last frame is dropped. */
function parseFrames(bytes: string): { opcode: number; text: string }[] {
  const buf = Buffer.from(bytes, 'latin1');
  const out: { opcode: number; text: string }[] = [];
  let i = 0;
  while (i + 2 <= buf.length) {
    const opcode = buf[i]! & 0x0f;
    let len = buf[i + 1]! & 0x7f;
    let at = i + 2;
    if (len === 126) {
      len = buf.readUInt16BE(at);
      at += 2;
    } else if (len === 127) {
      len = Number(buf.readBigUInt64BE(at));
      at += 8;
    }
    if (at + len > buf.length) break;
    out.push({ opcode, text: buf.subarray(at, at + len).toString('utf8') });
    i = at + len;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 2. the client parses every recorded answer

function recordedContentType(r: Recording): string {
  if (r.contentType) return r.contentType;
  return r.kind === 'json' ? 'application/json; charset=utf-8' : r.kind === 'empty' ? 'application/octet-stream' : 'text/plain; charset=utf-8';
}

test('RayJobsClient parses every recorded answer into a typed value or the right RayError', async (t) => {
  let current: Recording | undefined;
  let lastRequest = '';
  const server: Server = createHttpServer((req, res) => {
    lastRequest = `${req.method} ${req.url}`;
    req.resume();
    req.on('end', () => {
      const r = current!;
      res.writeHead(r.status, { 'Content-Type': recordedContentType(r) });
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new RayJobsClient({ address: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  const matched = new Set<string>();
  const expectError = async (p: Promise<unknown>, kind: RayErrorKind, line: RegExp) => {
    const e = await p.then(
      () => assert.fail('expected a RayError'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof RayError, String(e));
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, line);
    return e;
  };
  const cases: Record<string, () => Promise<void>> = {};
  /** the request the client sent for each recording */
  const expected: Record<string, string> = {
    '01_post_job': 'POST /api/jobs/',
    '02_get_job_early': 'GET /api/jobs/x',
    '04_get_logs': 'GET /api/jobs/x/logs',
    '08_stop_job': 'POST /api/jobs/probe-long-1/stop',
    '11_list_jobs': 'GET /api/jobs/',
    '12_get_missing_job': 'GET /api/jobs/does-not-exist',
    '12b_get_missing_logs': 'GET /api/jobs/does-not-exist/logs',
    '16_delete_job': 'DELETE /api/jobs/probe-fail-1',
    '30_get_package_missing': 'GET /api/packages/gcs/_ray_pkg_840ab30decb8a621.zip',
    '31_put_package': 'PUT /api/packages/gcs/_ray_pkg_840ab30decb8a621.zip',
  };
  for (const name of ['01_post_job', '05_post_long_job', '20_post_train_job', '33_post_job_working_dir']) {
    cases[name] = async () => assert.deepEqual(await client.submit({ entrypoint: 'python x.py' }), rec(name).json);
  }
  for (const name of ['02_get_job_early', '03_get_job_final', '09_get_stopped_job', '15_get_failed_job', '21_get_train_job', '23_get_torchtrainer_job']) {
    cases[name] = async () => {
      const d = await client.get('x');
      assert.deepEqual(d, rec(name).json);
      assert.equal(d.status, (rec(name).json as { status: string }).status);
    };
  }
  for (const name of ['04_get_logs', '15b_failed_job_logs', '22_train_job_logs', '24_torchtrainer_job_logs', '34_job_working_dir_logs']) {
    cases[name] = async () => assert.equal(await client.logs('x'), (rec(name).json as { logs: string }).logs);
  }
  cases['08_stop_job'] = async () => assert.equal(await client.stop('probe-long-1'), true);
  cases['10_stop_already_stopped'] = async () => assert.equal(await client.stop('probe-long-1'), false);
  cases['11_list_jobs'] = async () => {
    const jobs = await client.list();
    assert.deepEqual(jobs.map((j) => [j.submission_id, j.status]), (rec('11_list_jobs').json as { submission_id: string; status: string }[]).map((j) => [j.submission_id, j.status]));
  };
  cases['12_get_missing_job'] = async () => void (await expectError(client.get('does-not-exist'), 'not-found', /^Job does-not-exist does not exist \(Ray at /));
  cases['12b_get_missing_logs'] = async () => void (await expectError(client.logs('does-not-exist'), 'not-found', /Job does-not-exist does not exist/));
  cases['13_post_bad_body'] = async () => {
    const e = await expectError(client.submit({ entrypoint: 'x' }), 'bad-request', /rejected POST \/api\/jobs\/ \(HTTP 400\): TypeError: JobSubmitRequest.__init__\(\) got an unexpected keyword argument 'foo'$/);
    assert.equal(e.status, 400);
    assert.equal(e.detail, rec('13_post_bad_body').body, 'the whole traceback is kept');
    assert.equal(e.exception, "TypeError: JobSubmitRequest.__init__() got an unexpected keyword argument 'foo'");
  };
  cases['14_post_duplicate_id'] = async () => {
    const e = await expectError(client.submit({ entrypoint: 'x', submission_id: 'probe-long-1' }), 'server', /HTTP 500\): ValueError: Job with submission_id probe-long-1 already exists/);
    assert.ok(!e.message.includes('Traceback'), 'only the exception line in the message');
  };
  cases['16_delete_job'] = async () => assert.equal(await client.delete('probe-fail-1'), true);
  cases['17_delete_running_job'] = async () =>
    void (await expectError(client.delete('probe-sleep-del'), 'server', /RuntimeError: Attempted to delete job 'probe-sleep-del', but it is in a non-terminal state RUNNING\.$/));
  cases['30_get_package_missing'] = async () => assert.equal(await client.packageExists('gcs://_ray_pkg_840ab30decb8a621.zip'), false);
  cases['31_put_package'] = async () => client.uploadPackage('gcs://_ray_pkg_840ab30decb8a621.zip', new Uint8Array([80, 75, 5, 6]));
  cases['32_get_package_exists'] = async () => assert.equal(await client.packageExists('gcs://_ray_pkg_840ab30decb8a621.zip'), true);
  cases['06_logs_tail_ws_raw_curl'] = () => replayRaw(rec('06_logs_tail_ws_raw_curl').body);
  cases['07_logs_tail_ws_frames'] = () => replayFrames(rec('07_logs_tail_ws_frames').body);

  try {
    for (const name of RECORDINGS.keys()) {
      await t.test(name, async () => {
        const run = cases[name];
        assert.ok(run, `no client case for ${name}`);
        current = rec(name);
        lastRequest = '';
        await run();
        if (expected[name]) assert.equal(lastRequest, expected[name], 'the request sent');
        matched.add(name);
      });
    }
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  t.diagnostic(`client: ${matched.size}/${RECORDINGS.size} recordings parsed`);
  assert.equal(matched.size, RECORDINGS.size);
});

/** 06: the recorded bytes after the upgrade, with Sec-WebSocket-Accept computed for the client's key; then the connection drops. */
async function replayRaw(raw: string): Promise<void> {
  const headEnd = raw.indexOf('\r\n\r\n');
  const server = createTcpServer((socket) => {
    let req = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      req += d;
      if (!req.includes('\r\n\r\n')) return;
      const key = /^sec-websocket-key: (.*)$/im.exec(req)![1]!.trim();
      const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
      socket.end(Buffer.from(raw.slice(0, headEnd).replace(/^Sec-WebSocket-Accept: .*$/m, `Sec-WebSocket-Accept: ${accept}`) + raw.slice(headEnd), 'latin1'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const texts: string[] = [];
    const client = new RayJobsClient({ address: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const tail = await client.openLogTail('probe-long-1', (t) => texts.push(t));
    const closed = await tail.closed;
    assert.deepEqual(texts, parseFrames(raw.slice(headEnd + 4)).map((f) => f.text));
    assert.equal(texts.length, 3);
    assert.equal(closed.code, 1006, 'cut off without a close frame: an abnormal closure');
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** 07: the recorded frames, at a tenth of the recorded pace, then the recorded close code. */
async function replayFrames(jsonl: string): Promise<void> {
  const recorded = jsonl
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { t_rel_s: number; data?: string; close_code?: number });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', async (ws) => {
    let t = 0;
    for (const r of recorded) {
      await sleep((r.t_rel_s - t) * 100);
      t = r.t_rel_s;
      if (r.data !== undefined) ws.send(r.data);
      else ws.close(r.close_code);
    }
  });
  try {
    const texts: string[] = [];
    const client = new RayJobsClient({ address: `127.0.0.1:${(wss.address() as AddressInfo).port}` });
    const tail = await client.openLogTail('probe-long-1', (t) => texts.push(t));
    const closed = await tail.closed;
    assert.deepEqual(texts, recorded.filter((r) => r.data !== undefined).map((r) => r.data));
    assert.equal(closed.code, 1000);
  } finally {
    await new Promise((r) => wss.close(r));
  }
}
