// Images for the deploy tests, made locally (no registry can be reached): a Node base image from
// the local Debian image plus the Node 24 binary the tests run on, and serving images built by
// Slipway's own context writer with either the real runtime (out/cli.js) or the stand-in
// (test/k8s/serve-test-image/cli.js).
import Docker from 'dockerode';
import { copyFile, mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildImage, writeServeContext } from '../../src/core/deploy/image';

export const NODE_BASE = 'slipway-test/node-base:24';
export const STAND_IN_CLI = resolve('test/k8s/serve-test-image/cli.js');
/** The stand-in in the repository at `root` (integration tests run with another working directory). */
export const standInCli = (root: string) => join(root, 'test/k8s/serve-test-image/cli.js');

/** The Node binary to put in the base image: the cached Node 24 (glibc only), else the one running. */
function nodeBinary(): string {
  const cached = process.env.NODE24_DIR && join(process.env.NODE24_DIR, 'bin', 'node');
  return cached && existsSync(cached) ? cached : process.execPath;
}

async function hasImage(docker: Docker, tag: string): Promise<boolean> {
  return docker.getImage(tag).inspect().then(() => true, () => false);
}

/** FROM local/debian:bookworm + node, tagged slipway-test/node-base:24; built once per Docker data dir. */
export async function ensureNodeBase(docker: Docker, log: (t: string) => void = () => {}): Promise<string> {
  if (await hasImage(docker, NODE_BASE)) return NODE_BASE;
  const dir = await mkdtemp(join(tmpdir(), 'slipway-node-base-'));
  try {
    await copyFile(nodeBinary(), join(dir, 'node'));
    await writeFile(join(dir, 'Dockerfile'), 'FROM local/debian:bookworm\nCOPY node /usr/local/bin/node\n');
    await buildImage({ dir, entries: ['Dockerfile', 'node'] }, NODE_BASE, log, { docker });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return NODE_BASE;
}

/** A model folder for the stand-in runtime: model.json (with the version it reports) and a placeholder model.onnx. */
export async function standInModel(root: string, version: string, extra: Record<string, unknown> = {}): Promise<string> {
  const dir = join(root, `model-${version}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), `stand-in model ${version}\n`);
  await writeFile(join(dir, 'model.json'), JSON.stringify({ version, metrics: { val_auc: 0.9 }, ...extra }));
  return dir;
}

/** Builds a serving image through writeServeContext + buildImage; `cliJs` picks the runtime. */
export async function buildServing(
  docker: Docker,
  tag: string,
  options: { modelDir: string; port: number; modelName?: string; cliJs?: string; log?: (t: string) => void; slipwayRoot?: string },
): Promise<{ id: string; dockerfile: string; log: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-serve-ctx-'));
  let log = '';
  try {
    const ctx = await writeServeContext(dir, {
      modelDir: options.modelDir,
      port: options.port,
      baseImage: NODE_BASE,
      // the repository (its node_modules hold onnxruntime): the cwd, unless told (the extension host runs elsewhere)
      slipwayRoot: options.slipwayRoot ?? process.cwd(),
      ...(options.cliJs ? { cliJs: options.cliJs } : {}),
      ...(options.modelName ? { modelName: options.modelName } : {}),
      labels: { 'slipway.dev/model-version': tag.split(':').pop()! },
    });
    const id = await buildImage(ctx, tag, (t) => {
      log += t;
      options.log?.(t);
    }, { docker });
    return { id, dockerfile: ctx.dockerfile, log };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A TCP port nobody listens on now (for hostNetwork pods, which bind on this machine). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}
