import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../io';
import { projectFor } from '../project';
import { findPipelineFile, type LoadedProject } from '../../core/project/loadProject';
import { cliServeResolver } from '../registry';
import { INFERENCE_LOG_DEFAULTS, SERVING_DEFAULTS, ServingServer, type Enricher, type ModelResolver } from '../../core/serving/index';
import { DEFAULT_ONLINE_STORE, OnlineStore, onlineEnricher } from '../../core/features/index';

declare const SLIPWAY_VERSION: string | undefined;

const DEFAULT_LOG = 'logs/inference'; // serving.log's default in slipway.yaml

function number(value: string | undefined, flag: string, { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** slipway serve: the in-process ServingServer until SIGINT/SIGTERM. */
export function makeServeCommand(deps: { resolver?: ModelResolver } = {}): CliCommand {
  return {
    name: 'serve',
    summary: 'serve an ONNX model over the Open Inference Protocol v2 (KServe v2 REST), with /metrics and the inference table',
    usage:
      'slipway serve --model PATH|models:/NAME@ALIAS [--port 8080] [--host 127.0.0.1] [--name NAME] [--log DIR] ' +
      '[--model-version V] [--max-batch 64] [--batch-wait-ms 0] [--threads 1] [--log-max-mb 64] [--features [PATH]] [--file slipway.yaml]',
    async run(argv, io) {
      const { features, args } = featuresFlag(argv);
      const { values, positionals } = parse(args, {
        model: { type: 'string', short: 'm' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        name: { type: 'string' },
        'model-version': { type: 'string' },
        log: { type: 'string' },
        'max-batch': { type: 'string' },
        'batch-wait-ms': { type: 'string' },
        threads: { type: 'string' },
        'log-max-mb': { type: 'string' },
        file: { type: 'string' },
      });
      if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
      if (!values.model) throw new UsageError('--model is required: a .onnx file, a folder with model.onnx and model.json, or models:/NAME@ALIAS');
      const project = await optionalProject(io, values.file);
      const port = number(values.port, '--port', { max: 65535 }) ?? project?.pipeline.serving.port ?? SERVING_DEFAULTS.port;
      const logDir = values.log
        ? resolve(io.cwd, values.log)
        : project
          ? resolve(project.dir, project.pipeline.serving.log)
          : resolve(io.cwd, DEFAULT_LOG);
      const name = values.name ?? project?.pipeline.model.name;
      // the version it reports: --model-version, else SLIPWAY_MODEL_VERSION (the Deployment sets it), else the registry's or the file's hash
      const version = values['model-version'] ?? (io.env.SLIPWAY_MODEL_VERSION?.trim() || undefined);
      if (version !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/.test(version)) throw new UsageError(`--model-version ${JSON.stringify(version)}: letters, digits and . _ + - only (at most 128)`);
      const resolver = deps.resolver ?? cliServeResolver(io, project);
      const logMb = number(values['log-max-mb'], '--log-max-mb', { min: 0.001, max: 1024 * 1024, integer: false });
      const online = features === undefined ? undefined : await openOnlineStore(io, project, features);
      const server = new ServingServer({
        model: values.model,
        cwd: io.cwd,
        ...(name ? { name } : {}),
        ...(version ? { version } : {}),
        host: values.host ?? SERVING_DEFAULTS.host,
        port,
        log: { dir: logDir, maxFileBytes: logMb ? Math.round(logMb * 1024 * 1024) : INFERENCE_LOG_DEFAULTS.maxFileBytes },
        maxBatch: number(values['max-batch'], '--max-batch', { min: 1, max: 65536 }) ?? SERVING_DEFAULTS.maxBatch,
        batchWaitMs: number(values['batch-wait-ms'], '--batch-wait-ms', { max: 10_000, integer: false }) ?? SERVING_DEFAULTS.batchWaitMs,
        threads: number(values.threads, '--threads', { min: 1, max: 256 }) ?? SERVING_DEFAULTS.threads,
        resolver,
        ...(online ? { enrich: online.enrich } : {}),
        serverVersion: typeof SLIPWAY_VERSION === 'string' ? SLIPWAY_VERSION : 'dev',
        onProblem: (m) => io.err(`slipway serve: ${m}\n`),
      });
      const stopped = waitForStopSignal(io);
      let ep;
      try {
        ep = await server.start();
      } catch (e) {
        stopped.dispose();
        online?.store.close();
        throw e;
      }
      const m = ep.model;
      const shown = (p: string) => (relative(io.cwd, p).startsWith('..') ? p : relative(io.cwd, p));
      io.out(
        [
          `serving ${m.name} version ${m.version} from ${shown(m.path)}${m.signature.batchable ? '' : ' (no micro-batching: its first dimension is fixed)'}`,
          `listening on ${ep.url}`,
          `  infer:    POST ${ep.url}/v2/models/${m.name}/infer`,
          `  model:    GET  ${ep.url}/v2/models/${m.name}`,
          `  health:   GET  ${ep.url}/v2/health/ready`,
          `  metrics:  GET  ${ep.url}/metrics`,
          `  inference table: ${ep.logFile ? shown(ep.logFile) : 'off'}`,
          ...(online ? [`  features: ${shown(online.store.path)} (${Object.keys(online.store.meta.entities).join(', ')}; as of ${online.store.meta.asOf}): requests may send "parameters": {"entity": ..., "keys": [...]} instead of features`] : []),
          'Ctrl+C stops (the inference table is written out first)',
          '',
        ].join('\n'),
      );
      const signal = await stopped.signal;
      io.err(`slipway serve: ${signal}: stopping\n`);
      await server.stop();
      online?.store.close();
      stopped.dispose();
      const written = server.metrics.logRecords.labels(m.name).value;
      io.err(`slipway serve: stopped; ${written} prediction record(s) written this run\n`);
      return EXIT.ok;
    },
  };
}

export const serveCommand = makeServeCommand();

/**
 * `--features` takes an optional PATH, which node's parseArgs cannot express: it is taken out
 * first (`--features PATH`, `--features=PATH`, or `--features` alone: '' for the project's store).
 */
function featuresFlag(argv: readonly string[]): { features: string | undefined; args: string[] } {
  const args: string[] = [];
  let features: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a !== '--features' && !a.startsWith('--features=')) {
      args.push(a);
      continue;
    }
    if (features !== undefined) throw new UsageError('--features is given twice');
    if (a.startsWith('--features=')) {
      features = a.slice('--features='.length);
      if (!features) throw new UsageError('--features= needs a PATH (or write --features alone for the project\'s online store)');
    } else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) features = argv[++i]!;
    else features = '';
  }
  return { features, args };
}

/** The online store of --features: PATH, else the project's .slipway/online.duckdb; its Enricher. */
async function openOnlineStore(io: CliIo, project: LoadedProject | undefined, path: string): Promise<{ store: OnlineStore; enrich: Enricher }> {
  if (!path && !project) throw new UsageError(`--features without a PATH serves the project's online store (${DEFAULT_ONLINE_STORE}), and there is no slipway.yaml here: pass --file or --features PATH`);
  const file = path ? resolve(io.cwd, path) : resolve(project!.dir, DEFAULT_ONLINE_STORE);
  if (!existsSync(file)) throw new UsageError(`--features: there is no online store at ${file}: run \`slipway features materialize\` first`);
  let store: OnlineStore;
  try {
    store = await OnlineStore.open(file);
  } catch (e) {
    throw new UsageError(`--features: ${(e as Error).message}`);
  }
  return { store, enrich: onlineEnricher(store) };
}

/** The project of --file or ./slipway.yaml when there is one: only its serving and model sections are read. */
async function optionalProject(io: CliIo, file: string | undefined): Promise<LoadedProject | undefined> {
  if (!file && !findPipelineFile(io.cwd)) return undefined;
  const project = await projectFor(io.cwd, file, { requireNoErrors: false });
  if (project.errors.length) {
    io.err(`slipway serve: ${relative(io.cwd, project.path) || project.path} has ${project.errors.length} error(s) (slipway validate lists them); using its serving settings where valid\n`);
  }
  return project;
}

/** Resolves with the signal's name on the first SIGINT or SIGTERM; a second one exits at once. */
function waitForStopSignal(io: CliIo): { signal: Promise<string>; dispose(): void } {
  let on: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<string>((resolve) => {
    let seen = false;
    on = (s) => {
      if (seen) {
        io.err(`slipway serve: ${s} again: exiting without waiting\n`);
        process.exit(EXIT.failed);
      }
      seen = true;
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
  return {
    signal,
    dispose: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}
