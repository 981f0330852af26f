// Entry point VS Code loads as extensionTestsPath: runs every *.test.js next to it with mocha
// inside the extension host, and writes the counts where the runner reads them.
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec' });
  if (process.env.SLIPWAY_TEST_GREP) mocha.grep(process.env.SLIPWAY_TEST_GREP);
  for (const f of readdirSync(__dirname).filter((n) => n.endsWith('.test.js')).sort()) mocha.addFile(join(__dirname, f));
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] as string[] };
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    runner.on('pass', () => counts.passed++);
    runner.on('pending', () => counts.skipped++);
    runner.on('fail', (t, err) => {
      counts.failed++;
      counts.failures.push(`${t.fullTitle()}: ${(err as Error).message}`);
    });
  });
  if (process.env.SLIPWAY_TEST_RESULTS) writeFileSync(process.env.SLIPWAY_TEST_RESULTS, JSON.stringify(counts));
  if (counts.failed > 0) throw new Error(`${counts.failed} integration test(s) failed:\n${counts.failures.join('\n')}`);
}
