// Benchmark: `slipway drift` against a NumPy/SciPy baseline on the same Parquet files.
//
//   node bench/drift.mjs [--rows N] [--runs K] [--json]     (npm run build first; SLIPWAY_PYTHON or python3 with scipy)
//
// Generates (once, cached in $TMPDIR/slipway-bench-drift-N) a reference and a current of N rows
// (default 1,000,000) × 20 columns — 15 numerical (10 floats, 3 wide integers, 2 integers with 4
// values), 5 categorical (3 to 200 categories), a few nulls and NaN, drift in 6 columns — then
// runs, in turn, K times each (default 3, reporting the median):
//   1. Slipway end to end: `node bench/drift-run.mjs --reference R --current C --format json`
//      (out/cli.js in a fresh process: start-up, DuckDB, the default tests);
//   2. the baseline: `python bench/drift_baseline.py R C` (pyarrow + NumPy + SciPy, the same tests).
// Prints wall times, their ratio, the peak RSS of each, and checks that both found the same
// methods and scores (1e-9 relative).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const ROWS = opt('--rows', 1_000_000);
const RUNS = opt('--runs', 3);
const asJson = args.includes('--json');
const PYTHON = process.env.SLIPWAY_PYTHON || 'python3';
const require = createRequire(import.meta.url);

if (!existsSync('out/cli.js')) {
  console.error('out/cli.js is missing: run "npm run build" first');
  process.exit(2);
}

/** 20 columns; `drift` shifts six of them */
function columns(drift) {
  const u = 'random()';
  const normal = `sqrt(-2 * ln(1 - ${u})) * cos(2 * pi() * ${u})`;
  const cat = (k, skew) => `'c' || CAST(floor(pow(${u}, ${skew}) * ${k}) AS INTEGER)`;
  return [
    `${normal} AS f01`,
    `${normal} * 3 + ${drift ? 0.4 : 0} AS f02`,
    `exp(${normal} * 0.5) AS f03`,
    `${u} * 100 AS f04`,
    `${u} * ${u} * ${drift ? 1.3 : 1} AS f05`,
    `CASE WHEN ${u} < 0.01 THEN NULL ELSE ${normal} * 10 END AS f06`,
    `CASE WHEN ${u} < 0.001 THEN 'nan'::DOUBLE ELSE ${normal} + 5 END AS f07`,
    `-ln(1 - ${u}) * ${drift ? 2.5 : 2} AS f08`,
    `${normal} * ${normal} AS f09`,
    `round(${normal} * 50, 2) AS f10`,
    `CAST(floor(${u} * 10000) AS BIGINT) AS i01`,
    `CAST(floor(-ln(1 - ${u}) * ${drift ? 40 : 30}) AS BIGINT) AS i02`,
    `CAST(floor(${normal} * 200) AS INTEGER) AS i03`,
    `CAST(floor(${u} * 4) AS BIGINT) AS i04`,
    `CAST(floor(pow(${u}, ${drift ? 1.5 : 1}) * 4) AS BIGINT) AS i05`,
    `${cat(3, 1)} AS c01`,
    `${cat(5, drift ? 1.4 : 1)} AS c02`,
    `${cat(10, 1.2)} AS c03`,
    `${cat(50, 1)} AS c04`,
    `${cat(200, drift ? 0.8 : 1)} AS c05`,
  ].join(', ');
}

async function generate(dir) {
  const { DuckDBInstance } = require('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: '1' }); // one thread: random() in a fixed order
  const c = await db.connect();
  mkdirSync(dir, { recursive: true });
  for (const [name, seed, drift] of [['reference', 0.11, false], ['current', 0.77, true]]) {
    await c.run(`SELECT setseed(${seed})`);
    await c.run(`COPY (SELECT ${columns(drift)} FROM range(${ROWS})) TO '${join(dir, `${name}.tmp`)}' (FORMAT parquet)`);
    renameSync(join(dir, `${name}.tmp`), join(dir, `${name}.parquet`));
  }
  c.closeSync();
  db.closeSync();
}

function measure(cmd, argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const rss = Number(/maxrss_kb (\d+)/.exec(r.stderr)?.[1]) * 1024;
  return { seconds, rss, out: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;

const dir = join(tmpdir(), `slipway-bench-drift-${ROWS}`);
if (!existsSync(join(dir, 'current.parquet'))) {
  console.error(`generating ${ROWS.toLocaleString('en')} rows × 20 columns per side in ${dir} …`);
  await generate(dir);
}
const ref = join(dir, 'reference.parquet');
const cur = join(dir, 'current.parquet');

const slipway = [];
const baseline = [];
for (let i = 0; i < RUNS; i++) {
  slipway.push(measure(process.execPath, ['bench/drift-run.mjs', '--reference', ref, '--current', cur, '--format', 'json']));
  baseline.push(measure(PYTHON, ['bench/drift_baseline.py', ref, cur]));
}

// both must have computed the same thing
const ours = JSON.parse(slipway[0].out);
const theirs = JSON.parse(baseline[0].out);
let maxRel = 0;
for (const c of ours.columns) {
  const b = theirs[c.name];
  if (!b || b.method !== c.method) throw new Error(`${c.name}: Slipway ran ${c.method}, the baseline ${b?.method}`);
  if (b.score !== 0) maxRel = Math.max(maxRel, Math.abs(c.score - b.score) / Math.abs(b.score));
}
if (ours.columns.length !== Object.keys(theirs).length) throw new Error(`Slipway tested ${ours.columns.length} columns, the baseline ${Object.keys(theirs).length}`);

const result = {
  rows: ROWS,
  columns: ours.columns.length,
  drifted: ours.drifted_columns,
  methods: Object.fromEntries(Object.entries(Object.groupBy(ours.columns, (c) => c.method)).map(([m, cs]) => [m, cs.length])),
  slipway: { seconds: median(slipway.map((r) => r.seconds)), peakRss: Math.max(...slipway.map((r) => r.rss)) },
  baseline: { seconds: median(baseline.map((r) => r.seconds)), peakRss: Math.max(...baseline.map((r) => r.rss)) },
  maxRelativeScoreDifference: maxRel,
};
result.ratio = result.slipway.seconds / result.baseline.seconds;
if (asJson) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`drift: ${ROWS.toLocaleString('en')} rows × 20 columns per side, default tests (${Object.entries(result.methods).map(([m, n]) => `${n} ${m}`).join(', ')}), ${result.drifted} drifted; median of ${RUNS}`);
  console.log(`  Slipway (node out/cli.js, DuckDB)  ${result.slipway.seconds.toFixed(2)} s   peak RSS ${mib(result.slipway.peakRss)}`);
  console.log(`  NumPy/SciPy baseline               ${result.baseline.seconds.toFixed(2)} s   peak RSS ${mib(result.baseline.peakRss)}`);
  console.log(`  ratio Slipway / baseline           ${result.ratio.toFixed(2)}`);
  console.log(`  scores agree to ${maxRel.toExponential(1)} relative`);
}
