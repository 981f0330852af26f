// Integration layer: runs test/integration/suite (built to out/test/integration) inside the
// extension host of real VS Code (code-server), with the extension loaded from this folder.
// Usage: node test/integration/run.mjs   (after npm run build)
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { parseDocument } = createRequire(import.meta.url)('yaml');
import { join, resolve } from 'node:path';
import { startMlflowStandin } from '../harness/mlflow.mjs';
import { checkPrerequisites, launchBrowser, OFFLINE_NOISE, runDir, startCodeServer } from '../harness/vscode.mjs';

const root = resolve(import.meta.dirname, '../..');
const missing = checkPrerequisites();
if (missing.length) { console.error('integration tests need:\n  ' + missing.join('\n  ')); process.exit(2); }
if (!existsSync(join(root, 'out/test/integration/index.js'))) { console.error('out/test/integration is missing: run "npm run build" first'); process.exit(2); }

const run = runDir('slipway-integration-');
// the tests write into the workspace, so they get a copy of the example, never the repo's
const workspace = join(run.dir, 'workspace');
cpSync(process.env.SLIPWAY_TEST_EXAMPLE || join(root, 'examples/churn'), workspace, { recursive: true, filter: (s) => !/(^|\/)(artifacts|mlruns|logs|__pycache__)(\/|$)/.test(s) });
// a live MLflow for the Experiments and Models views: the stand-in checked against real recordings
const mlflow = await startMlflowStandin(root);
{
  const file = join(workspace, 'slipway.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.setIn(['tracking', 'uri'], mlflow.url);
  writeFileSync(file, doc.toString());
}
const results = resolve(root, 'test-results/integration.json');
mkdirSync(resolve(root, 'test-results'), { recursive: true });
writeFileSync(results, JSON.stringify({ passed: 0, failed: 1, skipped: 0, failures: ['the suite did not report'] }));

const server = await startCodeServer(run, {
  smokeTestDriver: true,
  // the extension host inherits code-server's environment: this is how the suite learns where things are
  extraEnv: {
    SLIPWAY_MLFLOW_URI: mlflow.url,
    SLIPWAY_TEST_RESULTS: results, SLIPWAY_TEST_WORKSPACE: workspace, SLIPWAY_REPO: root, SLIPWAY_TEST_GREP: process.argv[2] || '',
    // the cluster npm test started, as the user's kubeconfig
    ...(process.env.SLIPWAY_KUBECONFIG ? { KUBECONFIG: process.env.SLIPWAY_KUBECONFIG } : {}),
  },
});
const payload = [
  ['extensionDevelopmentPath', server.remote(root)],
  ['extensionTestsPath', server.remote(join(root, 'out/test/integration/index.js'))],
  ['skipWelcome', 'true'],
];
const browser = await launchBrowser(run);
const page = browser.pages()[0] || (await browser.newPage());
let exit;
const exited = new Promise((r) => (exit = r));
await page.exposeFunction('codeAutomationLog', (_type, args) => {
  const text = args.map(String).join(' ');
  if (process.env.SLIPWAY_VERBOSE || !OFFLINE_NOISE.test(text)) console.log(...args);
});
await page.exposeFunction('codeAutomationExit', (code) => exit(code));
const started = Date.now();
await page.goto(`${server.base}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
const timeout = (+process.env.SLIPWAY_INTEGRATION_TIMEOUT || 900) * 1000;
const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r(124), timeout))]);
if (code === 124) console.error(`integration tests timed out after ${timeout / 1000} s`);
await browser.close().catch(() => {});
server.stop();
mlflow.stop();
const counts = JSON.parse(readFileSync(results, 'utf8'));
console.log(`integration: ${counts.passed} passed, ${counts.failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${code})`);
if (code !== 0) console.error(`code-server log: ${join(run.dir, 'code-server.log')}`);
else run.cleanup();
process.exit(code === 0 && counts.failed === 0 ? 0 : 1);
