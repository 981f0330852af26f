import * as vscode from 'vscode';
import { join } from 'node:path';
import { artifactStoreFor, fetcherFor, type S3CredentialsProvider } from '../../core/artifacts/index';
import { RegistryModels } from '../../core/registry/index';
import type { DeployModel } from '../../core/deploy/index';
import type { LoadedProject } from '../../core/project/loadProject';
import type { TrackingConnection } from '../tracking/TrackingConnection';

/**
 * `models:/` URIs in the editor: the registry of the tracking connection, versions downloaded
 * once into the project's .slipway/models (with a cancellable progress notification), s3://
 * locations through the artifact store with SecretStorage's credentials.
 */
export class EditorModels {
  constructor(
    private readonly tracking: TrackingConnection,
    private readonly credentials: S3CredentialsProvider | undefined,
  ) {}

  private models(project: LoadedProject): RegistryModels {
    const { registry, mlflow } = this.tracking.api;
    const cacheDir = join(project.dir, '.slipway', 'models');
    const store = artifactStoreFor(project.pipeline.artifacts, { baseDir: project.dir, ...(this.credentials ? { credentials: this.credentials } : {}) });
    return new RegistryModels({ registry, mlflow, cacheDir, fetchToLocal: fetcherFor(store, join(cacheDir, '.s3')), timeoutMs: 60_000 });
  }

  private withProgress<T>(uri: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return Promise.resolve(
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Fetching ${uri} from the model registry…`, cancellable: true }, (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return work(abort.signal);
      }),
    );
  }

  /** The version with its run metrics and a local copy (deploy, image builds). */
  deployModel(project: LoadedProject, uri: string): Promise<DeployModel> {
    return this.withProgress(uri, (signal) => this.models(project).deployModel(uri, signal));
  }

  /** The version's .onnx file (serve, try). */
  serveModel(project: LoadedProject, uri: string): Promise<{ path: string; name: string; version: string }> {
    return this.withProgress(uri, (signal) => this.models(project).serveModel(uri, signal));
  }

  recordOverride(project: LoadedProject, model: Pick<DeployModel, 'name' | 'version'>, tag: { key: string; value: string }): Promise<void> {
    return this.models(project).recordOverride(model, tag);
  }
}
