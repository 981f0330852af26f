// Runs the unit layer (test/unit, built to out/test/unit) with Node's test runner.
// Usage: node scripts/run-unit.mjs [name-filter]   (build first: npm run build)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = 'out/test/unit';
if (!existsSync(dir)) {
  console.error(`${dir} is missing: run "npm run build" first`);
  process.exit(2);
}
const files = (function walk(d) {
  return readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : n.endsWith('.test.js') ? [join(d, n)] : []));
})(dir).filter((f) => !process.argv[2] || f.includes(process.argv[2]));
mkdirSync('test-results', { recursive: true });
const r = spawnSync(process.execPath, [
  '--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=300000',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/count-reporter.mjs', '--test-reporter-destination=test-results/unit.json',
  ...files,
], { stdio: 'inherit' });
process.exit(r.status ?? 1);
