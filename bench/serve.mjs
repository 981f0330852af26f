// Serving benchmark: `slipway serve` vs FastAPI + uvicorn + onnxruntime (1 and 2 workers) on
// the same ONNX model, the same machine and the same load generator (test/support/loadgen.mjs:
// batch-1 v2 requests over N keep-alive connections), one server after the other, in rounds.
//
//   npm run build && node bench/serve.mjs [--requests 20000] [--warmup 2000] [--connections 64]
//                                         [--rounds 3] [--retrain] [--json]
//
// Needs Python: the test venv (training) and test/python-requirements-serve.txt (FastAPI),
// both created through scripts/env.sh on first use. Servers listen on 127.0.0.1 only.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const { values: opt } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    retrain: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const log = (m) => process.stderr.write(`[bench serve] ${m}\n`);
const WORK = join(tmpdir(), 'slipway-bench-serve');
mkdirSync(WORK, { recursive: true });

/** $SLIPWAY_PYTHON after scripts/env.sh's slipway_ensure_python [requirements]. */
function ensurePython(requirements = '') {
  const r = spawnSync('bash', ['-c', `source scripts/env.sh >/dev/null && slipway_ensure_python ${requirements} >&2 && echo "$SLIPWAY_PYTHON"`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`could not create the Python venv ${requirements}`);
  return r.stdout.trim();
}

// ---- model, request bodies, CLI ----
const trainPy = process.env.SLIPWAY_PYTHON || ensurePython();
const servePy = process.env.SLIPWAY_SERVE_PYTHON || ensurePython('test/python-requirements-serve.txt');
const modelDir = join(WORK, 'model');
if (opt.retrain || !existsSync(join(modelDir, 'model.onnx'))) {
  log('training the churn example model (examples/churn/src/train.py)');
  execFileSync(trainPy, ['src/train.py', '--out', modelDir], { cwd: join(ROOT, 'examples/churn'), stdio: ['ignore', 'ignore', 'inherit'] });
}
const bodies = join(WORK, 'bodies.jsonl');
execFileSync(trainPy, ['-c', `
import json, sys, numpy as np, pandas as pd
meta = json.load(open(sys.argv[1]))
frame = pd.read_parquet(sys.argv[2])[meta["features"]]
with open(sys.argv[3], "w") as f:
    for row in frame.itertuples(index=False):
        data = [None if pd.isna(v) else float(v) for v in row]
        f.write(json.dumps({"inputs": [{"name": "features", "shape": [1, len(data)], "datatype": "FP32", "data": data}]}) + "\\n")
`, join(modelDir, 'model.json'), join(ROOT, 'examples/churn/data/current.parquet'), bodies]);
// a private copy of the CLI bundle: a concurrent `npm run build` empties out/
if (!existsSync(join(ROOT, 'out/cli.js'))) throw new Error('out/cli.js is missing: run `npm run build` first');
const cli = join(WORK, 'cli.js');
copyFileSync(join(ROOT, 'out/cli.js'), cli);
const nodeEnv = { ...process.env, NODE_PATH: join(ROOT, 'node_modules') };

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** CPU seconds (user + system) of a process and its descendants, from /proc (Linux). */
function treeCpuSeconds(pid) {
  if (!existsSync('/proc/self/stat')) return undefined;
  const stats = new Map();
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const s = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(p), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, s] of stats) {
      if (!tree.has(p) && tree.has(s.ppid)) {
        tree.add(p);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const p of tree) ticks += stats.get(p)?.ticks ?? 0;
  return ticks / 100; // USER_HZ
}

const SERVERS = [
  {
    key: 'slipway',
    label: 'slipway serve',
    async start(port) {
      const logDir = join(WORK, 'inference-log');
      rmSync(logDir, { recursive: true, force: true });
      return spawn(process.execPath, [cli, 'serve', '--model', modelDir, '--name', 'churn', '--host', '127.0.0.1', '--port', String(port), '--log', logDir], { env: nodeEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    },
  },
  ...[1, 2].map((workers) => ({
    key: `fastapi-${workers}w`,
    label: `FastAPI + uvicorn, ${workers} worker${workers > 1 ? 's' : ''}`,
    async start(port) {
      return spawn(servePy, ['-m', 'uvicorn', 'fastapi_server:app', '--app-dir', join(ROOT, 'bench'), '--host', '127.0.0.1', '--port', String(port), '--workers', String(workers), '--no-access-log', '--log-level', 'warning'], {
        env: { ...process.env, MODEL_PATH: join(modelDir, 'model.onnx'), MODEL_NAME: 'churn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    },
  })),
];

async function waitReady(url, child, stderr) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${stderr()}`);
    try {
      if ((await fetch(`${url}/v2/health/ready`)).ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new Error(`server not ready after 30 s:\n${stderr()}`);
}

function loadgen(url, requests, extra = []) {
  const out = execFileSync(process.execPath, [join(ROOT, 'test/support/loadgen.mjs'), '--url', `${url}/v2/models/churn/infer`, '--connections', opt.connections, '--requests', String(requests), '--body-file', bodies, ...extra], { encoding: 'utf8', maxBuffer: 16 << 20 });
  return JSON.parse(out);
}

const firstBody = readFileSync(bodies, 'utf8').split('\n')[0];
let referenceAnswer;

async function measure(server) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await server.start(port);
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  try {
    await waitReady(url, child, () => err);
    // the same answer from every server (probabilities within 1e-6: onnxruntime's thread pool
    // may sum the trees in another order)
    const answer = await (await fetch(`${url}/v2/models/churn/infer`, { method: 'POST', body: firstBody, headers: { 'content-type': 'application/json' } })).json();
    const outputs = Object.fromEntries(answer.outputs.map((o) => [o.name, o.data]));
    referenceAnswer ??= outputs;
    const same = outputs.label?.[0] === referenceAnswer.label[0] && outputs.probabilities?.every((p, i) => Math.abs(p - referenceAnswer.probabilities[i]) <= 1e-6);
    if (!same) throw new Error(`${server.label} answers ${JSON.stringify(outputs)}, slipway ${JSON.stringify(referenceAnswer)}`);
    if (Number(opt.warmup) > 0) loadgen(url, Number(opt.warmup));
    const cpu0 = treeCpuSeconds(child.pid);
    const r = loadgen(url, Number(opt.requests));
    const cpu1 = treeCpuSeconds(child.pid);
    if (cpu0 !== undefined && cpu1 !== undefined) r.serverCpuMsPerRequest = Math.round(((cpu1 - cpu0) * 1000 * 1000) / Number(opt.requests)) / 1000;
    return r;
  } finally {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(15_000, 'timeout')]);
    if (code === 'timeout') child.kill('SIGKILL');
    else if (server.key === 'slipway' && code !== 0) log(`slipway serve exited ${code}: ${err}`);
  }
}

const results = Object.fromEntries(SERVERS.map((s) => [s.key, []]));
const rounds = Number(opt.rounds);
for (let round = 1; round <= rounds; round++) {
  for (const s of SERVERS) {
    const r = await measure(s);
    results[s.key].push(r);
    log(`round ${round}/${rounds} ${s.label}: ${r.throughput} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.errors} errors${r.serverCpuMsPerRequest !== undefined ? `, ${r.serverCpuMsPerRequest} CPU ms/request` : ''}`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = Object.fromEntries(
  SERVERS.map((s) => {
    const rs = results[s.key];
    return [s.key, {
      label: s.label,
      throughput: Math.round(median(rs.map((r) => r.throughput))),
      p50: median(rs.map((r) => r.latencyMs.p50)),
      p99: median(rs.map((r) => r.latencyMs.p99)),
      errors: rs.reduce((n, r) => n + r.errors, 0),
      cpuMsPerRequest: rs[0].serverCpuMsPerRequest === undefined ? undefined : median(rs.map((r) => r.serverCpuMsPerRequest)),
    }];
  }),
);
const sw = summary.slipway;
const ratios = Object.fromEntries(['fastapi-1w', 'fastapi-2w'].map((k) => [k, {
  throughput: Math.round((sw.throughput / summary[k].throughput) * 100) / 100,
  p99: Math.round((sw.p99 / summary[k].p99) * 100) / 100,
  goalMet: sw.throughput >= 2 * summary[k].throughput && sw.p99 < summary[k].p99,
}]));

if (opt.json) {
  process.stdout.write(JSON.stringify({ settings: { requests: Number(opt.requests), warmup: Number(opt.warmup), connections: Number(opt.connections), rounds }, summary, ratios, results }, null, 2) + '\n');
} else {
  const rows = Object.values(summary).map((s) => `| ${s.label} | ${s.throughput} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.errors} |${s.cpuMsPerRequest === undefined ? '' : ` ${s.cpuMsPerRequest.toFixed(3)} |`}`);
  const cpu = sw.cpuMsPerRequest !== undefined;
  console.log(`\nbatch-1 requests, ${opt.connections} connections, ${opt.requests} requests after ${opt.warmup} warm-up, median of ${rounds} round(s)\n`);
  console.log(`| server | req/s | p50 ms | p99 ms | errors |${cpu ? ' server CPU ms/req |' : ''}`);
  console.log(`| --- | --- | --- | --- | --- |${cpu ? ' --- |' : ''}`);
  for (const r of rows) console.log(r);
  console.log('');
  for (const [k, r] of Object.entries(ratios)) {
    console.log(`slipway serve vs ${summary[k].label}: ${r.throughput}x throughput, p99 ${r.p99}x — goal (>= 2x throughput at a lower p99) ${r.goalMet ? 'met' : 'NOT met'}`);
  }
}
