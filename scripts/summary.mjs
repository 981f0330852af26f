// Adds up the layers' counts (test-results/<layer>.json) into the run's closing line.
// A layer that wrote no counts failed before it could report, and counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

const layers = process.argv.slice(2);
const total = { passed: 0, failed: 0, skipped: 0 };
for (const layer of layers) {
  const file = `test-results/${layer}.json`;
  const c = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { passed: 0, failed: 1, skipped: 0, failures: ['did not report'] };
  for (const k of Object.keys(total)) total[k] += c[k] ?? 0;
  console.log(`${layer.padEnd(12)} ${c.passed} passed, ${c.failed} failed, ${c.skipped ?? 0} skipped`);
  for (const f of c.failures ?? []) console.log(`  failed: ${f}`);
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(total.failed ? 1 : 0);
