// Benchmark: an MLflow experiment of 10,000 runs (20 metrics, 20 params each) on the stand-in server.
//
//   node bench/mlflow.mjs [--runs N] [--repeats N] [--cli-repeats N] [--json]   (run `npm run build` first)
//
// Measures:
//   1. seeding the stand-in (test/support/mlflow-standin.ts, bundled here with esbuild);
//   2. the Experiments view's first page: MlflowClient.searchRuns(max_results 50) and shaping
//      each run into a tree item (label, description, tooltip), p50/p95 over repeats — newest
//      first, and sorted by a metric with a filter;
//   3. `node out/cli.js runs list --max 10000 --format json` as a child process writing to a
//      file: wall time and peak RSS (/usr/bin/time -v, else VmHWM from /proc/<pid>/status).
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const RUNS = opt('--runs', 10_000);
const REPEATS = opt('--repeats', 50);
const CLI_REPEATS = opt('--cli-repeats', 3);
const asJson = args.includes('--json');
const require = createRequire(import.meta.url);
const CLI = resolve('out/cli.js');
if (!existsSync(CLI)) {
  console.error('out/cli.js is missing: run "npm run build" first');
  process.exit(2);
}

// the stand-in, its seed and the client, bundled from source
const bundle = join(tmpdir(), `slipway-bench-mlflow-${process.pid}.cjs`);
await esbuild.build({
  stdin: {
    contents: [
      "export { MlflowStandin } from './test/support/mlflow-standin';",
      "export { syntheticSeed } from './test/support/mlflow-seed';",
      "export { MlflowClient } from './src/core/tracking';",
      "export { toRun } from './src/core/tracking/types';",
    ].join('\n'),
    resolveDir: process.cwd(),
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: bundle,
  logLevel: 'warning',
});
const { MlflowStandin, syntheticSeed, MlflowClient, toRun } = require(bundle);
rmSync(bundle, { force: true });

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => `${x.toFixed(1)} ms`;

// 1. seed
const t0 = performance.now();
const seed = syntheticSeed({ runs: RUNS, metrics: 20, params: 20, experimentName: 'bench', nestEvery: 10 });
const server = new MlflowStandin({ keepRequests: 0 }).seed(seed);
const seedMs = performance.now() - t0;
const url = await server.start();
const heapMb = process.memoryUsage().heapUsed / 1048576;

// 2. the Experiments view's first page
const client = new MlflowClient({ trackingUri: url });
const experiment = await client.getExperimentByName('bench');
/** what the tree shows for a run: label, description, tooltip (metrics and params), nesting */
function shape(run) {
  const metrics = Object.values(run.metrics);
  return {
    id: run.info.runId,
    label: run.info.runName,
    description: `${run.info.status.toLowerCase()} · ${new Date(run.info.startTime ?? 0).toISOString().slice(0, 16).replace('T', ' ')}`,
    tooltip: [
      ...metrics.map((m) => `${m.key}: ${Number.isFinite(m.value) ? Number(m.value.toPrecision(4)) : m.value}`),
      ...Object.entries(run.params).map(([k, v]) => `${k} = ${v}`),
    ].join('\n'),
    parent: run.parentRunId,
    collapsible: false,
  };
}
async function firstPage(query) {
  const start = performance.now();
  const page = await client.searchRuns({ experimentIds: [experiment.experimentId], maxResults: 50, ...query });
  const items = page.items.map(shape);
  if (items.length !== 50) throw new Error(`expected 50 runs, got ${items.length}`);
  return performance.now() - start;
}
const views = {};
for (const [name, query] of Object.entries({
  'newest first': {},
  'filter + order by metric': { filter: "metrics.accuracy > 0.5 and params.param_01 != 'v3'", orderBy: ['metrics.loss ASC'] },
})) {
  for (let i = 0; i < 5; i++) await firstPage(query); // warm-up
  const times = [];
  for (let i = 0; i < REPEATS; i++) times.push(await firstPage(query));
  views[name] = { p50: pct(times, 50), p95: pct(times, 95) };
}

// the client's share of it: parse the answer, type the runs, shape them (no network, no server)
const raw = await (await fetch(`${url}/api/2.0/mlflow/runs/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experiment_ids: [experiment.experimentId], max_results: 50 }) })).text();
const clientTimes = [];
for (let i = 0; i < REPEATS + 5; i++) {
  const start = performance.now();
  const items = JSON.parse(raw).runs.map(toRun).map(shape);
  if (items.length !== 50) throw new Error('shape');
  if (i >= 5) clientTimes.push(performance.now() - start);
}
const clientShare = { p50: pct(clientTimes, 50), p95: pct(clientTimes, 95), kb: raw.length / 1024 };

// 3. the CLI, 10,000 runs as JSON into a file
const work = mkdtempSync(join(tmpdir(), 'slipway-bench-mlflow-'));
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
async function runCli() {
  const outFile = join(work, 'runs.json');
  const fd = openSync(outFile, 'w');
  const cliArgs = [CLI, 'runs', 'list', '--max', String(RUNS), '--format', 'json', '--experiment', 'bench', '--tracking-uri', url];
  const [cmd, argv] = timeBin ? [timeBin, ['-v', process.execPath, ...cliArgs]] : [process.execPath, cliArgs];
  const start = performance.now();
  const child = spawn(cmd, argv, { cwd: work, stdio: ['ignore', fd, 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // without /usr/bin/time: sample the child's high-water mark until it exits
  let hwmKb = 0;
  const sampler = timeBin
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
        } catch {
          /* exited */
        }
      }, 10);
  const code = await new Promise((r) => child.on('close', r));
  const wall = performance.now() - start;
  if (sampler) clearInterval(sampler);
  closeSync(fd);
  if (code !== 0) throw new Error(`slipway runs list exited ${code}: ${stderr}`);
  if (timeBin) hwmKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0);
  const bytes = statSync(outFile).size;
  const parsed = JSON.parse(readFileSync(outFile, 'utf8'));
  if (parsed.length !== RUNS) throw new Error(`expected ${RUNS} runs, got ${parsed.length}`);
  if (Object.keys(parsed[0].metrics).length !== 20 || Object.keys(parsed[0].params).length !== 20) throw new Error('runs lack metrics or params');
  return { wall, rssMb: hwmKb / 1024, bytes };
}
const cliRuns = [];
for (let i = 0; i < CLI_REPEATS; i++) cliRuns.push(await runCli());
rmSync(work, { recursive: true, force: true });
await server.stop();

const result = {
  runs: RUNS,
  metricsPerRun: 20,
  paramsPerRun: 20,
  seedMs,
  standinHeapMb: heapMb,
  firstPage: views,
  firstPageClientShare: clientShare,
  cli: {
    wallMsP50: pct(cliRuns.map((r) => r.wall), 50),
    wallMsMax: Math.max(...cliRuns.map((r) => r.wall)),
    peakRssMb: Math.max(...cliRuns.map((r) => r.rssMb)),
    outputMb: cliRuns[0].bytes / 1048576,
    rssFrom: timeBin ? '/usr/bin/time -v' : '/proc/<pid>/status VmHWM',
  },
};
if (asJson) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`MLflow stand-in: ${RUNS.toLocaleString('en')} runs × 20 metrics × 20 params (Node ${process.versions.node})`);
  console.log(`  seed                         ${ms(seedMs)}  (heap after seeding ${heapMb.toFixed(0)} MB)`);
  for (const [name, v] of Object.entries(views)) console.log(`  first page of 50, ${name.padEnd(24)} p50 ${ms(v.p50)}  p95 ${ms(v.p95)}  (${REPEATS} repeats, fetch + shape)`);
  console.log(`    of which the client: parse + type + shape 50 runs (${clientShare.kb.toFixed(0)} KB of JSON) p50 ${ms(clientShare.p50)}  p95 ${ms(clientShare.p95)}`);
  console.log(`  slipway runs list --max ${RUNS} --format json`);
  console.log(`    wall p50 ${ms(result.cli.wallMsP50)} (max ${ms(result.cli.wallMsMax)}, ${CLI_REPEATS} runs)   peak RSS ${result.cli.peakRssMb.toFixed(0)} MB (${result.cli.rssFrom})   output ${result.cli.outputMb.toFixed(1)} MB`);
}
