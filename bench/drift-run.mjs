// Runs `slipway drift ARGS` from out/cli.js in this process and prints its peak RSS on stderr
// ("maxrss_kb N"): DuckDB's native memory counts too. Used by bench/drift.mjs.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const { runCli } = require(resolve('out/cli.js'));
const io = {
  cwd: process.cwd(),
  env: process.env,
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  interactive: false,
  ask: async () => undefined,
};
const code = await runCli(['drift', ...process.argv.slice(2)], io);
process.stderr.write(`maxrss_kb ${process.resourceUsage().maxRSS}\n`);
process.exitCode = code;
