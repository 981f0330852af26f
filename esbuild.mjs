// One build for every entry point: extension, language server, CLI, each webview, and the tests.
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { readdirSync, existsSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const version = JSON.parse(readFileSync('package.json', 'utf8')).version;

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** files under dir (recursively) whose name matches re */
function find(dir, re) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? find(p, re) : re.test(name) ? [p] : [];
  });
}

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  minify: production,
  logLevel: 'warning',
  // native or optional modules are loaded at run time, never bundled
  define: { SLIPWAY_VERSION: JSON.stringify(version) },
  external: ['vscode', '@duckdb/node-api', '@duckdb/node-bindings', 'onnxruntime-node', 'cpu-features', 'ssh2', 'bufferutil', 'utf-8-validate'],
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/activate.ts' }, outdir: 'out' },
  { ...node, entryPoints: { 'language-server': 'language-server/server.ts' }, outdir: 'out' },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'out', banner: { js: '#!/usr/bin/env node' } },
  // the Kubernetes client is big: its own bundle, required on first use (src/core/kube/load.ts)
  { ...node, entryPoints: { kube: 'src/core/kube/bundle.ts' }, outdir: 'out' },
  // runs a local training job detached from the window that started it
  { ...node, entryPoints: { 'job-supervisor': 'src/core/training/supervisor.ts' }, outdir: 'out' },
  // each webview is a browser bundle, loaded by its panel under a strict CSP
  ...find('webview', /^main\.ts$/).map((entry) => ({
    entryPoints: { [entry.split('/')[1]]: entry },
    outdir: 'out/webview',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: true,
    minify: production,
    logLevel: 'warning',
  })),
];

if (!production) {
  // tests: each unit test file stays its own module so node --test reports per file
  builds.push({
    ...node,
    entryPoints: find('test/unit', /\.test\.ts$/),
    outdir: 'out/test/unit',
    outbase: 'test/unit',
    external: [...node.external, 'mocha'],
  });
  // test servers the VS Code layers start as processes
  builds.push({ ...node, entryPoints: { 'mlflow-standin': 'test/support/mlflow-standin-main.ts' }, outdir: 'out/test/support' });
  builds.push({
    ...node,
    entryPoints: [...find('test/integration/suite', /\.ts$/)],
    outdir: 'out/test/integration',
    outbase: 'test/integration/suite',
    external: [...node.external, 'mocha'],
  });
}

const existing = builds.filter((b) => (Array.isArray(b.entryPoints) ? b.entryPoints.length : Object.values(b.entryPoints).every(existsSync)));
// a production build (for the .vsix) replaces the product bundles and leaves built tests alone
if (!watch && !production) rmSync('out', { recursive: true, force: true });
if (production) for (const f of ['extension.js', 'language-server.js', 'cli.js', 'job-supervisor.js', 'kube.js', 'webview']) rmSync(join('out', f), { recursive: true, force: true });
if (watch) {
  for (const b of existing) await (await esbuild.context(b)).watch();
  console.log('esbuild: watching');
} else {
  const t0 = Date.now();
  await Promise.all(existing.map((b) => esbuild.build(b)));
  console.log(`esbuild: ${existing.length} builds in ${Date.now() - t0} ms`);
}
