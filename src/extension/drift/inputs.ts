import * as vscode from 'vscode';
import { mkdirSync } from 'node:fs';
import { loadProject, type LoadedProject } from '../../core/project/loadProject';
import type { DriftOptions, FetchToLocal } from '../../core/drift/index';
import { artifactStoreFor, fetcherFor, type S3CredentialsProvider } from '../../core/artifacts/index';
import type { FixAction } from '../../../webview/drift/protocol';
import type { ProjectStore } from '../project/ProjectStore';

/** Why drift cannot be computed, what to do about it, and the action that does it. */
export interface DriftProblem {
  readonly message: string;
  readonly fix?: string;
  readonly action?: FixAction;
  readonly actionLabel?: string;
}

/** The active project's monitoring, ready for computeDrift. */
export interface DriftInputs {
  readonly project: LoadedProject;
  /** the pipeline file relative to its workspace folder */
  readonly relativePath: string;
  readonly current: string;
  readonly options: Omit<DriftOptions, 'signal' | 'currentWindow'>;
  readonly onDrift: 'notify' | 'retrain';
}

export interface DriftEnv {
  readonly projects: ProjectStore;
  /** where s3:// data is downloaded to (cached by ETag) */
  readonly cacheDir: string;
  readonly credentials?: S3CredentialsProvider;
}

const isS3 = (p: string) => /^s3:\/\//i.test(p);

/** s3:// monitoring data goes through the artifact store (endpoint and region of slipway.yaml's artifacts) */
function fetcher(project: LoadedProject, env: DriftEnv): FetchToLocal {
  return async (uri, signal) => {
    mkdirSync(env.cacheDir, { recursive: true });
    const store = artifactStoreFor(project.pipeline.artifacts, { baseDir: project.dir, credentials: env.credentials, timeoutMs: 60_000 });
    return fetcherFor(store, env.cacheDir)(uri, signal);
  };
}

export async function driftInputs(env: DriftEnv): Promise<DriftInputs | DriftProblem> {
  const active = env.projects.active;
  if (!active) {
    return { message: 'This workspace has no slipway.yaml.', fix: 'Create one: its monitoring section names the reference and current data.', action: 'newProject', actionLabel: 'New Project' };
  }
  let project: LoadedProject;
  try {
    project = await loadProject(active.uri.fsPath);
  } catch (e) {
    return { message: (e as Error).message, action: 'retry', actionLabel: 'Retry' };
  }
  if (project.errors.length) {
    const first = project.errors[0]!;
    return {
      message: `${active.relativePath} has ${project.errors.length} error(s), e.g. line ${first.range.start.line + 1}: ${first.message}`,
      fix: 'Fix them, then refresh.',
      action: 'showProblems',
      actionLabel: 'Show Problems',
    };
  }
  const monitoring = project.pipeline.monitoring;
  if (!monitoring) {
    return {
      message: `${active.relativePath} has no monitoring section.`,
      fix: 'Add monitoring.reference (the data the model was trained on, e.g. data/train.parquet) and monitoring.current (production data; default: serving.log).',
      action: 'openPipeline',
      actionLabel: 'Open slipway.yaml',
    };
  }
  if (!monitoring.reference) {
    return {
      message: `${active.relativePath} has no monitoring.reference.`,
      fix: 'Set it to the data the model was trained on (Parquet, CSV or JSON Lines), e.g. data/train.parquet.',
      action: 'openPipeline',
      actionLabel: 'Open slipway.yaml',
    };
  }
  const sources = [monitoring.reference, monitoring.current];
  const { method, threshold, share } = monitoring.drift;
  return {
    project,
    relativePath: active.relativePath,
    current: monitoring.current,
    onDrift: monitoring.onDrift,
    options: {
      reference: monitoring.reference,
      current: monitoring.current,
      baseDir: project.dir,
      method,
      share,
      ...(threshold !== undefined ? { threshold } : {}),
      ...(sources.some(isS3) ? { fetchToLocal: fetcher(project, env) } : {}),
    },
  };
}

/** A DriftInputError as a problem: which key of slipway.yaml to look at. */
export function inputProblem(inputs: DriftInputs, message: string): DriftProblem {
  const key = message.includes(String(inputs.options.reference)) ? 'monitoring.reference' : 'monitoring.current';
  const fromLog = key === 'monitoring.current' && inputs.current === inputs.project.pipeline.serving.log;
  const fix = fromLog
    ? `monitoring.current defaults to serving.log (${inputs.current}): serve the model so it logs predictions, or set monitoring.current in ${inputs.relativePath}.`
    : `Check ${key} in ${inputs.relativePath} (paths are relative to it), then refresh.`;
  return { message, fix, action: 'openPipeline', actionLabel: 'Open slipway.yaml' };
}

/** Runs what a problem's button offers. */
export async function runFix(action: FixAction | undefined, retry: () => unknown): Promise<void> {
  if (action === 'newProject') await vscode.commands.executeCommand('slipway.init');
  else if (action === 'showProblems') await vscode.commands.executeCommand('workbench.actions.view.problems');
  else if (action === 'openPipeline') await vscode.commands.executeCommand('slipway.project.reveal', 'monitoring');
  else if (action === 'retry') await retry();
}

export const isProblem = (x: DriftInputs | DriftProblem): x is DriftProblem => 'message' in x;
