import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../io';
import { projectFor } from '../project';
import { loadKube } from '../../core/kube/load';
import { ProjectError, type LoadedProject } from '../../core/project/loadProject';
import { cliDeployResolver } from '../registry';
import { evaluateGates } from '../../core/registry/gates';
import {
  checkGates,
  defaultImage,
  defaultModelRef,
  deployGuard,
  ModelRefError,
  RenderError,
  renderNotes,
  renderServing,
  resolveModel,
  servingName,
  toYamlStream,
  writeGitops,
  type DeployModel,
  type GateEvaluator,
  type HpaApiVersion,
  type KubeObject,
  type ModelResolver,
  type RolloutEvent,
  type RolloutResult,
  type ServingStatus,
  registryOf,
} from '../../core/deploy/index';
import type { Deploy } from '../../core/pipeline/index';

const USAGE = [
  'slipway deploy <render|apply|status|rollback|build-image> [options]',
  '  render      [--out DIR] [--format yaml|json] [--hpa-api-version autoscaling/v2|autoscaling/v2beta2]',
  '  apply       [--wait] [--timeout SEC] [--problem-grace SEC] [--force] [--format text|json]',
  '  status      [--format text|json]',
  '  rollback    [--wait] [--timeout SEC] [--format text|json]',
  '  build-image [--base-image IMAGE] [--push] [--context-dir DIR]',
  'model and target: --model PATH|models:/name@alias  --model-version V  --storage-uri URI  --image TAG',
  '                  --context NAME  --namespace NS  --host-network  --file slipway.yaml',
].join('\n');

/** The registry's resolver for models:/ URIs: the MLflow registry of tracking.uri (opened when a models:/ URI is used). */
export type RegistryResolverFactory = (project: LoadedProject, io: CliIo) => ModelResolver | undefined;
let registryResolver: RegistryResolverFactory = (project, io) => cliDeployResolver(io, project);
/** Lets the composition (or a test) plug in the registry: `models:/` URIs then resolve. */
export function setDeployRegistryResolver(factory: RegistryResolverFactory): void {
  registryResolver = factory;
}

const evaluate: GateEvaluator = (gates, metrics) => evaluateGates(gates, metrics);

const MODEL_OPTIONS = {
  file: { type: 'string' },
  model: { type: 'string' },
  'model-version': { type: 'string' },
  'storage-uri': { type: 'string' },
  image: { type: 'string' },
  namespace: { type: 'string' },
  'host-network': { type: 'boolean' },
} as const;
const CLUSTER_OPTIONS = { context: { type: 'string' }, namespace: { type: 'string' }, file: { type: 'string' } } as const;
const WAIT_OPTIONS = { wait: { type: 'boolean' }, timeout: { type: 'string', default: '300' }, 'problem-grace': { type: 'string', default: '60' } } as const;

function seconds(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a number of seconds > 0`);
  return n * 1000;
}

function format(value: string | undefined, allowed: readonly string[], dflt: string): string {
  const f = value ?? dflt;
  if (!allowed.includes(f)) throw new UsageError(`--format must be ${allowed.join(' or ')}`);
  return f;
}

/** --hpa-api-version, for renders that do not ask a cluster (render, gitops): autoscaling/v2 by default. */
function hpaFlag(value: string | undefined): HpaApiVersion {
  const v = value ?? 'autoscaling/v2';
  if (v !== 'autoscaling/v2' && v !== 'autoscaling/v2beta2') throw new UsageError('--hpa-api-version must be autoscaling/v2 or autoscaling/v2beta2');
  return v;
}

function requireDeploy(project: LoadedProject): Deploy {
  const deploy = project.pipeline.deploy;
  if (!deploy) throw new UsageError('slipway.yaml has no deploy section: add `deploy: { target: kubernetes, namespace: <ns> }` (or target: kserve)');
  return deploy;
}

async function model(project: LoadedProject, io: CliIo, v: { model?: string; 'model-version'?: string; 'storage-uri'?: string }): Promise<{ model: DeployModel; resolver?: ModelResolver }> {
  const deploy = requireDeploy(project);
  const resolver = registryResolver(project, io);
  const ref = v.model ?? defaultModelRef(project.pipeline.model.name, deploy.alias);
  const m = await resolveModel(ref, {
    modelName: project.pipeline.model.name,
    baseDir: io.cwd,
    ...(resolver ? { registry: resolver } : {}),
    ...(v['model-version'] ? { version: v['model-version'] } : {}),
    ...(v['storage-uri'] ? { storageUri: v['storage-uri'] } : {}),
  });
  const withUri = v['storage-uri'] && !m.storageUri ? { ...m, storageUri: v['storage-uri'] } : m;
  return { model: withUri, ...(resolver ? { resolver } : {}) };
}

function who(io: CliIo): string {
  return io.env.SLIPWAY_USER || io.env.USER || io.env.LOGNAME || io.env.USERNAME || 'unknown';
}

function progressLine(e: RolloutEvent): string {
  return `  [${e.ready}/${e.desired}] ${e.message}\n`;
}

function resultLine(r: RolloutResult): string {
  const what = `${r.kind} ${r.namespace}/${r.name}${r.modelVersion ? ` (version ${r.modelVersion})` : ''}`;
  if (r.phase === 'ready') return `${what} is ready: ${r.message} (${(r.elapsedMs / 1000).toFixed(1)}s)\n`;
  if (r.phase === 'unknown') return `${what} was applied, but ${r.message}\n`;
  return `${what} failed to roll out: ${r.message}\n`;
}

async function render(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ...MODEL_OPTIONS,
    out: { type: 'string' },
    format: { type: 'string' },
    'hpa-api-version': { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const fmt = format(values.format, ['yaml', 'json'], 'yaml');
  const hpa = hpaFlag(values['hpa-api-version']);
  const project = await projectFor(io.cwd, values.file);
  requireDeploy(project);
  const { model: m } = await model(project, io, values);
  const objects = renderServing(project.pipeline, m, {
    image: values.image ?? defaultImage(project.pipeline, m.version),
    hpaApiVersion: hpa,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['host-network'] ? { hostNetwork: true } : {}),
  });
  for (const note of renderNotes(project.pipeline)) io.err(`note: ${note}\n`);
  if (values.out) {
    const dir = resolve(io.cwd, values.out);
    const { written, removed } = await writeGitops(dir, objects);
    io.err(`wrote ${written.length} file(s) to ${relative(io.cwd, dir) || '.'}${removed.length ? `; removed ${removed.join(', ')}` : ''}\n`);
    io.out(written.map((f) => join(values.out!, f)).join('\n') + '\n');
    return EXIT.ok;
  }
  io.out(fmt === 'json' ? JSON.stringify(objects, null, 2) + '\n' : toYamlStream(objects));
  return EXIT.ok;
}

async function apply(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ...MODEL_OPTIONS,
    ...CLUSTER_OPTIONS,
    ...WAIT_OPTIONS,
    force: { type: 'boolean' },
    format: { type: 'string' },
    'hpa-api-version': { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const fmt = format(values.format, ['text', 'json'], 'text');
  const timeoutMs = seconds(values.timeout, '--timeout');
  const problemGraceMs = seconds(values['problem-grace'], '--problem-grace');
  const project = await projectFor(io.cwd, values.file);
  const deploy = requireDeploy(project);
  const { model: m, resolver } = await model(project, io, values);

  // only versions that pass model.gates are deployed, unless a person overrides (recorded)
  const gates = checkGates(m, project.pipeline.model.gates, evaluate);
  let force = values.force ?? false;
  if (!gates.passed && !force && io.interactive) {
    const failing = gates.results.filter((r) => !r.passed).map((r) => `  - ${r.reason}`).join('\n');
    const answer = await io.ask(`${m.name} version ${m.version} fails model.gates:\n${failing}\nDeploy it anyway? The override is recorded on the deployment. [y/N] `);
    force = /^y(es)?$/i.test(answer?.trim() ?? '');
  }
  const decision = deployGuard(m, gates, { force, who: who(io) });
  if (!decision.allowed) {
    io.err(`slipway deploy: ${decision.message}\n`);
    return EXIT.failed;
  }
  if (decision.overridden) {
    io.err(`warning: ${decision.message}\n`);
    if (decision.tag && resolver?.recordOverride) await resolver.recordOverride(m, decision.tag);
  }

  const image = values.image ?? defaultImage(project.pipeline, m.version);
  const renderOptions = {
    image,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values['host-network'] ? { hostNetwork: true } : {}),
    annotations: decision.annotations,
  };
  for (const note of renderNotes(project.pipeline)) io.err(`note: ${note}\n`);

  if (deploy.gitops) {
    const hpa = hpaFlag(values['hpa-api-version']);
    const objects = renderServing(project.pipeline, m, { ...renderOptions, hpaApiVersion: hpa });
    const dir = resolve(project.dir, deploy.gitops);
    const { written, removed } = await writeGitops(dir, objects);
    io.err(
      `deploy.gitops is set: wrote ${written.length} file(s) to ${relative(io.cwd, dir) || '.'}${removed.length ? ` (removed ${removed.join(', ')})` : ''} and applied nothing; commit them for Argo CD or Flux to apply\n`,
    );
    if (fmt === 'json') io.out(JSON.stringify({ gitops: dir, files: written, removed }, null, 2) + '\n');
    return EXIT.ok;
  }

  const kube = loadKube();
  const client = new kube.DeployClient({ ...(values.context ?? deploy.context ? { context: values.context ?? deploy.context } : {}), pollMs: 1000 });
  const hpaApiVersion = deploy.autoscale ? await client.hpaApiVersion() : undefined;
  const objects: KubeObject[] = renderServing(project.pipeline, m, { ...renderOptions, ...(hpaApiVersion ? { hpaApiVersion } : {}) });
  await client.apply(objects);
  for (const o of objects) io.err(`applied ${o.kind} ${o.metadata.namespace}/${o.metadata.name} (${o.apiVersion}, context ${client.context})\n`);
  const workload = kube.workloadOf(objects);
  if (!values.wait) {
    if (fmt === 'json') io.out(JSON.stringify({ applied: objects.map((o) => ({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace })), modelVersion: m.version, image }, null, 2) + '\n');
    else io.out(`${workload.kind} ${workload.namespace}/${workload.name}: ${m.name} version ${m.version} (${image}) applied; slipway deploy status shows the rollout\n`);
    return EXIT.ok;
  }
  const result = await client.watch(workload, { timeoutMs, problemGraceMs, onProgress: (e) => e.phase === 'progressing' && io.err(progressLine(e)) });
  if (fmt === 'json') io.out(JSON.stringify(result, null, 2) + '\n');
  else io.out(resultLine(result));
  if (result.phase === 'failed' && workload.kind === 'Deployment') io.err('slipway deploy rollback returns to the previous version\n');
  return result.phase === 'ready' ? EXIT.ok : EXIT.failed;
}

function statusTable(rows: readonly ServingStatus[]): string {
  if (rows.length === 0) return 'nothing deployed\n';
  const table = [
    ['KIND', 'NAME', 'NAMESPACE', 'VERSION', 'READY', 'CANARY', 'STATUS', 'MESSAGE'],
    ...rows.map((r) => [r.kind, r.name, r.namespace, r.modelVersion ?? '-', `${r.ready}/${r.desired}`, r.canaryPercent === undefined ? '-' : `${r.canaryPercent}%`, r.status, r.message ?? '']),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

async function status(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...CLUSTER_OPTIONS, format: { type: 'string' } });
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const fmt = format(values.format, ['text', 'json'], 'text');
  const project = await projectFor(io.cwd, values.file);
  const deploy = requireDeploy(project);
  const context = values.context ?? deploy.context;
  const client = new (loadKube().DeployClient)(context ? { context } : {});
  const rows = await client.status(project.pipeline.name, values.namespace ?? deploy.namespace);
  io.out(fmt === 'json' ? JSON.stringify(rows, null, 2) + '\n' : statusTable(rows));
  return EXIT.ok;
}

async function rollback(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...CLUSTER_OPTIONS, ...WAIT_OPTIONS, format: { type: 'string' } });
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const fmt = format(values.format, ['text', 'json'], 'text');
  const timeoutMs = seconds(values.timeout, '--timeout');
  const problemGraceMs = seconds(values['problem-grace'], '--problem-grace');
  const project = await projectFor(io.cwd, values.file);
  const deploy = requireDeploy(project);
  if (deploy.gitops) throw new UsageError(`deploy.gitops is set: roll back by reverting the commit that changed ${deploy.gitops} (Argo CD or Flux applies it)`);
  const context = values.context ?? deploy.context;
  const client = new (loadKube().DeployClient)(context ? { context } : {});
  const ref = { kind: deploy.target === 'kserve' ? ('InferenceService' as const) : ('Deployment' as const), name: servingName(project.pipeline.name), namespace: values.namespace ?? deploy.namespace };
  const done = await client.rollback(ref);
  // two revisions of one version differ by image: name the images then
  const images = done.fromImage && done.toImage && (done.fromVersion === done.toVersion || !done.toVersion);
  const from = `${done.fromVersion ? `version ${done.fromVersion}` : 'the current version'}${images ? ` (${done.fromImage})` : ''}`;
  const to = `${done.toVersion ? `version ${done.toVersion}` : 'the previous version'}${images ? ` (${done.toImage})` : ''}`;
  io.err(`rolling back ${ref.kind} ${ref.namespace}/${ref.name} from ${from} to ${to}${done.toRevision ? ` (revision ${done.toRevision})` : ''}\n`);
  if (!values.wait) {
    io.out(fmt === 'json' ? JSON.stringify(done, null, 2) + '\n' : `${ref.kind} ${ref.namespace}/${ref.name} rolled back to ${to}\n`);
    return EXIT.ok;
  }
  const result = await client.watch(ref, { timeoutMs, problemGraceMs, onProgress: (e) => e.phase === 'progressing' && io.err(progressLine(e)) });
  io.out(fmt === 'json' ? JSON.stringify({ ...done, result }, null, 2) + '\n' : resultLine(result));
  return result.phase === 'ready' ? EXIT.ok : EXIT.failed;
}

/** Registry credentials for a push: SLIPWAY_REGISTRY_USERNAME/PASSWORD, else ~/.docker/config.json's `auths`. */
function registryAuth(io: CliIo, server: string): { username: string; password: string; serveraddress: string } | undefined {
  if (io.env.SLIPWAY_REGISTRY_USERNAME && io.env.SLIPWAY_REGISTRY_PASSWORD) {
    return { username: io.env.SLIPWAY_REGISTRY_USERNAME, password: io.env.SLIPWAY_REGISTRY_PASSWORD, serveraddress: io.env.SLIPWAY_REGISTRY_SERVER || server };
  }
  const config = join(io.env.DOCKER_CONFIG || join(io.env.HOME || homedir(), '.docker'), 'config.json');
  if (!existsSync(config)) return undefined;
  try {
    const auths = (JSON.parse(readFileSync(config, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths ?? {};
    const entry = auths[server] ?? auths[`https://${server}`] ?? (server === 'docker.io' ? auths['https://index.docker.io/v1/'] : undefined);
    if (!entry?.auth) return undefined;
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    return colon > 0 ? { username: text.slice(0, colon), password: text.slice(colon + 1), serveraddress: server } : undefined;
  } catch {
    return undefined;
  }
}

async function buildImageCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ...MODEL_OPTIONS,
    'base-image': { type: 'string' },
    push: { type: 'boolean' },
    'context-dir': { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const project = await projectFor(io.cwd, values.file, { requireNoErrors: true });
  const ref = values.model ?? (project.pipeline.deploy ? defaultModelRef(project.pipeline.model.name, project.pipeline.deploy.alias) : undefined);
  if (!ref) throw new UsageError('pass --model <folder with model.onnx and model.json>');
  const resolver = registryResolver(project, io);
  const m = await resolveModel(ref, {
    modelName: project.pipeline.model.name,
    baseDir: io.cwd,
    ...(resolver ? { registry: resolver } : {}),
    ...(values['model-version'] ? { version: values['model-version'] } : {}),
  });
  if (!m.localDir) throw new UsageError(`${ref} has no local copy to build an image from: pass --model <folder>`);
  const tag = values.image ?? defaultImage(project.pipeline, m.version);
  const kube = loadKube();
  const dir = values['context-dir'] ? resolve(io.cwd, values['context-dir']) : mkdtempSync(join(tmpdir(), 'slipway-image-'));
  try {
    io.err(`building ${tag} from ${relative(io.cwd, m.localDir) || '.'} (${m.name} version ${m.version})\n`);
    const { id } = await kube.buildServeImage(
      dir,
      tag,
      {
        modelDir: m.localDir,
        modelName: m.name,
        port: project.pipeline.serving.port,
        ...(values['base-image'] ? { baseImage: values['base-image'] } : {}),
        labels: { 'org.opencontainers.image.title': `${project.pipeline.name} model service`, 'slipway.dev/model': m.name, 'slipway.dev/model-version': m.version },
      },
      (t) => io.err(t),
    );
    io.err(`built ${tag} (${id.slice(0, 19)})\n`);
    if (values.push) {
      const auth = registryAuth(io, registryOf(tag));
      const digest = await kube.pushImage(tag, auth, (t) => io.err(t));
      io.err(`pushed ${tag}${digest ? ` (${digest})` : ''}\n`);
    }
  } finally {
    if (!values['context-dir']) rmSync(dir, { recursive: true, force: true });
  }
  io.out(`${tag}\n`);
  return EXIT.ok;
}

export const deployCommand: CliCommand = {
  name: 'deploy',
  summary: 'render, apply, watch and roll back the model service (Kubernetes or KServe); build its image',
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    try {
      switch (sub) {
        case 'render':
          return await render(rest, io);
        case 'apply':
          return await apply(rest, io);
        case 'status':
          return await status(rest, io);
        case 'rollback':
          return await rollback(rest, io);
        case 'build-image':
          return await buildImageCommand(rest, io);
        default:
          throw new UsageError(sub ? `unknown subcommand '${sub}'` : 'which one? render, apply, status, rollback or build-image');
      }
    } catch (e) {
      // a project, model or kubeconfig the user must fix is a usage/config error (exit 2)
      if (e instanceof ProjectError || e instanceof ModelRefError || e instanceof RenderError) throw new UsageError(e.message);
      if ((e as { kind?: string }).kind === 'config' && e instanceof loadKube().KubeError) throw new UsageError((e as Error).message);
      throw e;
    }
  },
};
