// Real VS Code for the tests: code-server (VS Code's server + workbench, from npm) driven by
// headless Debian Chromium through playwright-core. Installed into the cache by scripts/env.sh.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, writeFileSync, createWriteStream, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const require = createRequire(import.meta.url);
export const { chromium } = require('playwright-core');

const cache = process.env.SLIPWAY_CACHE || join(process.env.XDG_CACHE_HOME || join(process.env.HOME || tmpdir(), '.cache'), 'slipway');
export const CODE_SERVER = process.env.CODE_SERVER_BIN || join(process.env.VSCODE_DIR || join(cache, `code-server-${process.env.CODE_SERVER_VERSION || '4.139.1'}`), 'node_modules/.bin/code-server');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// this closed network refuses Chromium's own connections; these flags keep it quiet and fast
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function checkPrerequisites() {
  const missing = [];
  if (!existsSync(CODE_SERVER)) missing.push(`code-server (${CODE_SERVER}): run "npm test", which installs it into the cache`);
  if (!existsSync(CHROMIUM)) missing.push(`Chromium (${CHROMIUM}): install Debian's "chromium" package or set CHROMIUM`);
  if (+process.versions.node.split('.')[0] < 22) missing.push(`Node >= 22 (this is ${process.version}): run through "npm test", which uses Node 24`);
  return missing;
}

export const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** A per-run folder for everything VS Code and Chromium write, so runs never share state. */
export function runDir(prefix) {
  const dir = mkdtempSync(join(process.env.TMPDIR || tmpdir(), prefix));
  const env = {
    XDG_CONFIG_HOME: join(dir, 'xdg-config'), XDG_DATA_HOME: join(dir, 'xdg-data'), XDG_CACHE_HOME: join(dir, 'xdg-cache'),
    TMPDIR: join(dir, 'tmp'),
  };
  for (const d of Object.values(env)) mkdirSync(d, { recursive: true });
  const userData = join(dir, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
    'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.autoUpdate': false, 'extensions.autoCheckUpdates': false,
    'workbench.startupEditor': 'none', 'workbench.enableExperiments': false, 'security.workspace.trust.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden', 'chat.disableAIFeatures': true, 'workbench.tips.enabled': false,
  }, null, 1));
  const extensions = join(dir, 'extensions');
  mkdirSync(extensions, { recursive: true });
  return { dir, env, userData, extensions, cleanup: () => { if (!process.env.SLIPWAY_KEEP_RUN) rmSync(dir, { recursive: true, force: true }); } };
}

/** Starts code-server on 127.0.0.1 and waits until it answers. */
export async function startCodeServer(run, { smokeTestDriver = false, extraEnv = {} } = {}) {
  const port = await freePort();
  const args = ['--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', '--reconnection-grace-time', '5',
    '--user-data-dir', run.userData, '--extensions-dir', run.extensions];
  if (smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  const env = { ...process.env, ...run.env, ...extraEnv };
  const child = spawn(CODE_SERVER, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = createWriteStream(join(run.dir, 'code-server.log'));
  child.stdout.pipe(log); child.stderr.pipe(log);
  const stop = () => { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ } };
  process.on('exit', stop);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${join(run.dir, 'code-server.log')}`);
    try { if ((await fetch(base + '/healthz')).ok) break; } catch { /* not yet */ }
    if (i > 600) throw new Error(`code-server did not answer within 60 s; see ${join(run.dir, 'code-server.log')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, base, stop, remote: (p) => `vscode-remote://127.0.0.1:${port}${p}` };
}

export async function launchBrowser(run, viewport = { width: 1400, height: 900 }) {
  return chromium.launchPersistentContext(join(run.dir, 'chromium'), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, env: { ...process.env, ...run.env },
  });
}

/** Output of the workbench that is noise on a machine without internet. */
export const OFFLINE_NOISE = /open-vsx\.org|ENOTFOUND|ERR_NAME_NOT_RESOLVED|\/static\/out\/vs\/|^\[AgentHost\]|^\[AccountPolicyGate\]|^Creating a socket|^\[reconnection-grace-time\]|marketplace|update\.code\.visualstudio/;
