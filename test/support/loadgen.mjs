#!/usr/bin/env node
// A small closed-loop HTTP/1.1 load generator: N keep-alive connections, each with one request
// in flight, until a fixed number of requests is done. Raw sockets and pre-built requests, so
// the generator spends little CPU of its own (it shares the machine with the server).
// Prints one JSON object: ok, errors, status counts, throughput, latency percentiles (ms).
//
//   node test/support/loadgen.mjs --url http://127.0.0.1:8080/v2/models/m/infer \
//     [--connections 64] [--requests 10000] [--warmup 0] [--method POST]
//     [--body JSON | --body-file bodies.jsonl (one body per line, used in turn)]
//     [--timeout-ms 30000] [--check 'JS expression on the parsed body, e.g. b.outputs.length === 2']
//
// Targets 127.0.0.1 / localhost only.
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Buffer } from 'node:buffer';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    connections: { type: 'string', default: '64' },
    requests: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '0' },
    method: { type: 'string' },
    body: { type: 'string' },
    'body-file': { type: 'string' },
    'timeout-ms': { type: 'string', default: '30000' },
    check: { type: 'string' },
  },
});

function fail(message) {
  process.stderr.write(`loadgen: ${message}\n`);
  process.exit(2);
}

if (!values.url) fail('--url is required');
const url = new URL(values.url);
if (url.protocol !== 'http:') fail('only http:// URLs');
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) fail(`only local targets (127.0.0.1, localhost, [::1]), not ${url.hostname}`);
const host = url.hostname === '[::1]' ? '::1' : url.hostname;
const port = Number(url.port || 80);
const connections = Number(values.connections);
const total = Number(values.requests);
const warmup = Number(values.warmup);
const timeoutMs = Number(values['timeout-ms']);
if (!(connections >= 1) || !(total >= 1) || !(warmup >= 0)) fail('--connections and --requests must be >= 1, --warmup >= 0');

const bodies = values['body-file']
  ? readFileSync(values['body-file'], 'utf8').split('\n').filter((l) => l.trim())
  : values.body !== undefined ? [values.body] : [];
const method = values.method ?? (bodies.length ? 'POST' : 'GET');
const path = `${url.pathname}${url.search}`;
const requests = (bodies.length ? bodies : [undefined]).map((b) => {
  const body = b === undefined ? Buffer.alloc(0) : Buffer.from(b);
  const head = `${method} ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: slipway-loadgen\r\nAccept: application/json\r\n` +
    (b === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n`) + '\r\n';
  return Buffer.concat([Buffer.from(head), body]);
});
const check = values.check ? new Function('b', `return (${values.check});`) : undefined;

const CRLF2 = Buffer.from('\r\n\r\n');

/** Parses one HTTP/1.1 response from buf; undefined while incomplete. */
function parseResponse(buf) {
  const end = buf.indexOf(CRLF2);
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString('latin1');
  const lines = head.split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  let length = 0;
  let chunked = false;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const c = line.indexOf(':');
    const name = line.slice(0, c).trim().toLowerCase();
    const value = line.slice(c + 1).trim();
    if (name === 'content-length') length = Number(value);
    else if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
    else if (name === 'connection' && /close/i.test(value)) close = true;
  }
  let pos = end + 4;
  if (!chunked) {
    if (buf.length < pos + length) return undefined;
    return { status, body: buf.subarray(pos, pos + length), used: pos + length, close };
  }
  const parts = [];
  for (;;) {
    const nl = buf.indexOf('\r\n', pos);
    if (nl < 0) return undefined;
    const size = parseInt(buf.subarray(pos, nl).toString('latin1'), 16);
    if (buf.length < nl + 2 + size + 2) return undefined;
    if (size === 0) return { status, body: Buffer.concat(parts), used: nl + 4, close };
    parts.push(buf.subarray(nl + 2, nl + 2 + size));
    pos = nl + 2 + size + 2;
  }
}

const latencies = new Float64Array(total);
let measured = 0;
let issued = 0;
let ok = 0;
let errors = 0;
const statuses = {};
const errorSamples = [];
let phaseStart = 0;
let phaseTotal = 0;

function sample(text) {
  if (errorSamples.length < 5) errorSamples.push(text.slice(0, 300));
}

/** One keep-alive connection issuing requests until the phase's count is reached. */
function worker(done) {
  let socket;
  let buf = Buffer.alloc(0);
  let t0 = 0;
  let busy = false;
  let timer;
  const open = () => {
    const s = connect({ host, port, noDelay: true });
    socket = s;
    s.on('data', (d) => {
      if (s !== socket) return;
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      const r = busy && parseResponse(buf);
      if (!r) return;
      buf = buf.subarray(r.used);
      finish(r.status, r.body);
      if (r.close) {
        s.destroy();
        buf = Buffer.alloc(0);
        open();
      }
      next();
    });
    let lastError = 'connection closed before the response';
    s.on('error', (e) => {
      lastError = `socket error: ${e.message}`;
    });
    s.on('close', () => {
      if (s !== socket || !busy) return;
      finish(0, Buffer.from(lastError));
      buf = Buffer.alloc(0);
      setTimeout(() => {
        open();
        next();
      }, 5);
    });
  };
  const finish = (status, body) => {
    clearTimeout(timer);
    busy = false;
    const ms = performance.now() - t0;
    statuses[status] = (statuses[status] ?? 0) + 1;
    let good = status >= 200 && status < 300;
    if (good && check) {
      try {
        good = Boolean(check(JSON.parse(body.toString('utf8'))));
      } catch (e) {
        good = false;
        sample(`check threw: ${e.message}`);
      }
      if (!good) sample(`check failed: ${body.toString('utf8')}`);
    } else if (!good) sample(`${status}: ${body.toString('utf8')}`);
    if (good) ok++;
    else errors++;
    latencies[measured++] = ms;
  };
  const next = () => {
    if (busy) return;
    if (issued >= phaseTotal) {
      socket.end();
      done();
      return;
    }
    const req = requests[issued % requests.length];
    issued++;
    busy = true;
    t0 = performance.now();
    timer = setTimeout(() => {
      sample(`timeout after ${timeoutMs} ms`);
      socket.destroy();
    }, timeoutMs);
    socket.write(req);
  };
  open();
  next();
}

function phase(n) {
  issued = 0;
  measured = 0;
  ok = 0;
  errors = 0;
  for (const k of Object.keys(statuses)) delete statuses[k];
  phaseTotal = n;
  phaseStart = performance.now();
  return new Promise((resolve) => {
    let running = Math.min(connections, n);
    for (let i = 0; i < Math.min(connections, n); i++) worker(() => --running === 0 && resolve());
  });
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

if (warmup > 0) await phase(warmup);
errorSamples.length = 0;
await phase(total);
const seconds = (performance.now() - phaseStart) / 1000;
const sorted = latencies.slice(0, measured).sort();
const round = (x) => Math.round(x * 1000) / 1000;
const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
process.stdout.write(JSON.stringify({
  url: values.url,
  connections,
  requests: total,
  warmup,
  ok,
  errors,
  statuses,
  seconds: round(seconds),
  throughput: Math.round(total / seconds),
  latencyMs: { mean: round(mean), p50: round(pct(sorted, 50)), p90: round(pct(sorted, 90)), p99: round(pct(sorted, 99)), p999: round(pct(sorted, 99.9)), max: round(sorted[sorted.length - 1] ?? 0) },
  errorSamples,
}) + '\n');
