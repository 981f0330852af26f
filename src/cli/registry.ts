/**
 * `models:/` URIs in the CLI (serve, deploy, build-image): the MLflow registry of tracking.uri
 * (or MLFLOW_TRACKING_URI), versions downloaded once into .slipway/models of the project, s3://
 * locations through the artifact store with the environment's AWS credentials.
 */
import { join } from 'node:path';
import { homedir } from 'node:os';
import type { LoadedProject } from '../core/project/loadProject';
import { artifactStoreFor, fetcherFor } from '../core/artifacts/index';
import { MlflowClient } from '../core/tracking/index';
import { RegistryClient, RegistryModels } from '../core/registry/index';
import type { ModelResolver as DeployModelResolver } from '../core/deploy/index';
import type { ModelResolver as ServeModelResolver } from '../core/serving/index';
import { UsageError, type CliIo } from './io';
import { openTracking } from './commands/runs';

/** Where versions are cached: the project's .slipway/models (gitignored by slipway init), else ~/.cache/slipway/models. */
export function modelCacheDir(io: CliIo, project: LoadedProject | undefined): string {
  if (project) return join(project.dir, '.slipway', 'models');
  return join(io.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'slipway', 'models');
}

/** The registry, opened on first use (a local --model never needs a tracking server). */
export function cliRegistryModels(io: CliIo, project: LoadedProject | undefined): (uri: string) => Promise<RegistryModels> {
  let models: Promise<RegistryModels> | undefined;
  const open = async () => {
    const { http } = await openTracking(project ? { ...io, cwd: project.dir } : io, undefined);
    const store = project ? artifactStoreFor(project.pipeline.artifacts, { baseDir: project.dir }) : undefined;
    return new RegistryModels({
      registry: new RegistryClient(http),
      mlflow: new MlflowClient(http),
      cacheDir: modelCacheDir(io, project),
      ...(store ? { fetchToLocal: fetcherFor(store, join(modelCacheDir(io, project), '.s3')) } : {}),
    });
  };
  return (uri) =>
    (models ??= open()).catch((e: Error) => {
      models = undefined;
      // say why a tracking server is needed, and the way around it
      throw new UsageError(`${uri} names a version in the model registry: ${e.message}; or pass --model <folder> holding model.onnx and model.json (the --out folder of training)`);
    });
}

/** deploy and build-image: models:/ → a DeployModel with metrics and a local copy; overrides are recorded on registry versions only. */
export function cliDeployResolver(io: CliIo, project: LoadedProject): DeployModelResolver {
  const models = cliRegistryModels(io, project);
  const fromRegistry = new Map<string, string>();
  return {
    resolve: async (uri, signal) => {
      const m = await (await models(uri)).deployModel(uri, signal);
      fromRegistry.set(`${m.name}\n${m.version}`, uri);
      return m;
    },
    recordOverride: async (model, tag) => {
      const uri = fromRegistry.get(`${model.name}\n${model.version}`);
      if (uri) await (await models(uri)).recordOverride(model, tag);
    },
  };
}

/** serve: models:/ → the version's .onnx file. */
export function cliServeResolver(io: CliIo, project: LoadedProject | undefined): ServeModelResolver {
  const models = cliRegistryModels(io, project);
  return async (uri) => (await models(uri)).serveModel(uri);
}
