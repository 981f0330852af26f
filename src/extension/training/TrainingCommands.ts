import * as vscode from 'vscode';
import { relative } from 'node:path';
import { loadProject, type LoadedProject } from '../../core/project/loadProject';
import { jobSpecFromPipeline, targetProblem } from '../../core/training/spec';
import { resolvePython } from '../../core/training/local';
import { loadKube } from '../../core/kube/load';
import { isFinal, jobEnv, paramsToArgs, type JobRecord, type JobSpec, type JobTarget } from '../../core/training/types';
import type { ProjectStore } from '../project/ProjectStore';
import { selectedPython } from '../python';
import { jobLogUri } from './JobLogProvider';
import type { JobsModel } from './JobsModel';

/** The file training.script names in a pipeline file, if it has one. */
export async function trainingScriptUri(pipelineUri: vscode.Uri): Promise<vscode.Uri | undefined> {
  try {
    const project = await loadProject(pipelineUri.fsPath);
    const script = project.pipeline.training?.script;
    return script ? vscode.Uri.joinPath(pipelineUri, '..', script) : undefined;
  } catch {
    return undefined;
  }
}

const UNTRUSTED = 'Slipway runs training only in a trusted workspace: a training script is code from this folder.';

export async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const pick = await vscode.window.showWarningMessage(UNTRUSTED, 'Manage Workspace Trust');
  if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

interface Deps {
  projects: ProjectStore;
  jobs: JobsModel;
  log: vscode.LogOutputChannel;
}

/** The project to act on, checked; shows why not and returns undefined when it cannot be used. */
async function activeProject(deps: Deps): Promise<LoadedProject | undefined> {
  const active = deps.projects.active;
  if (!active) {
    const pick = await vscode.window.showWarningMessage('This workspace has no slipway.yaml: create one first.', 'New Project');
    if (pick) await vscode.commands.executeCommand('slipway.init');
    return undefined;
  }
  const project = await loadProject(active.uri.fsPath);
  if (project.errors.length) {
    const first = project.errors[0]!;
    const pick = await vscode.window.showErrorMessage(
      `${active.relativePath} has ${project.errors.length} error(s), e.g. line ${first.range.start.line + 1}: ${first.message}`,
      'Show Problems',
    );
    if (pick) await vscode.commands.executeCommand('workbench.actions.view.problems');
    return undefined;
  }
  return project;
}

/** The job for `script` (a file the user chose) or for training.script. */
function specFor(project: LoadedProject, script: vscode.Uri | undefined): JobSpec {
  const base = jobSpecFromPipeline(project.pipeline, project.dir, { trackingUri: process.env.MLFLOW_TRACKING_URI });
  if (!script) return base;
  const rel = relative(project.dir, script.fsPath).split('\\').join('/');
  if (rel.startsWith('..')) throw new Error(`${script.fsPath} is outside the project folder ${project.dir}`);
  // another script of the project runs without training.params: they belong to training.script
  return rel === base.script ? base : { ...base, script: rel, params: {} };
}

export async function showJobLogs(record: JobRecord, preserveFocus = false): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(jobLogUri(record.id, record.spec.script));
  await vscode.window.showTextDocument(doc, { preview: false, preserveFocus });
}

async function run(deps: Deps, target: JobTarget, script?: vscode.Uri): Promise<JobRecord | undefined> {
  if (!(await requireTrust())) return undefined;
  const project = await activeProject(deps);
  if (!project) return undefined;
  const problem = targetProblem(project.pipeline, target);
  if (problem) {
    const pick = await vscode.window.showWarningMessage(problem, 'Open slipway.yaml');
    if (pick) await vscode.commands.executeCommand('slipway.project.reveal', target === 'local' ? 'training' : 'training.targets');
    return undefined;
  }
  try {
    const spec = specFor(project, script);
    const python =
      target === 'local'
        ? resolvePython({ selected: await selectedPython(vscode.Uri.file(project.dir), deps.log), configured: project.pipeline.training?.python, projectDir: project.dir })
        : undefined;
    const record = await deps.jobs.start(target, spec, { python, project });
    await showJobLogs(record, true);
    void deps.jobs.whenDone(record.id)?.then(async (final) => {
      const text = `Training ${final.spec.script} on ${final.target}: ${final.status.toLowerCase()}${final.message ? ` (${final.message})` : ''}.`;
      const show = final.status === 'SUCCEEDED' ? vscode.window.showInformationMessage(text, 'Show Logs') : vscode.window.showErrorMessage(text, 'Show Logs');
      if (await show) await showJobLogs(final);
    });
    return record;
  } catch (e) {
    deps.log.error(`cannot start training on ${target}: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Slipway could not start training on ${target}: ${(e as Error).message}`);
    return undefined;
  }
}

async function debug(deps: Deps, script?: vscode.Uri): Promise<boolean> {
  if (!(await requireTrust())) return false;
  const project = await activeProject(deps);
  if (!project) return false;
  const problem = targetProblem(project.pipeline, 'local');
  if (problem) {
    void vscode.window.showWarningMessage(problem);
    return false;
  }
  if (!vscode.extensions.getExtension('ms-python.debugpy')) {
    const pick = await vscode.window.showWarningMessage(
      'Debugging a training script needs the Python Debugger extension (ms-python.debugpy).',
      'Show Extension',
    );
    if (pick) await vscode.commands.executeCommand('workbench.extensions.search', 'ms-python.debugpy');
    return false;
  }
  const spec = specFor(project, script);
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(project.dir));
  const python = await selectedPython(vscode.Uri.file(project.dir), deps.log);
  const config: vscode.DebugConfiguration = {
    type: 'debugpy',
    request: 'launch',
    name: `Slipway: debug ${spec.script}`,
    program: vscode.Uri.joinPath(vscode.Uri.file(project.dir), spec.script).fsPath,
    args: paramsToArgs(spec.params),
    cwd: project.dir,
    env: jobEnv(spec, 'debug'),
    console: 'integratedTerminal',
    justMyCode: true,
    ...(python || project.pipeline.training?.python ? { python: python ?? project.pipeline.training?.python } : {}),
  };
  return vscode.debug.startDebugging(folder, config);
}

/** slipway.training.* and slipway.jobs.*: start, debug and manage training jobs. */
export function registerTrainingCommands(deps: Deps): vscode.Disposable[] {
  const reg = vscode.commands.registerCommand;
  const recordOf = (arg: unknown): JobRecord | undefined => {
    if (arg && typeof arg === 'object' && 'id' in arg) return deps.jobs.get(String((arg as JobRecord).id));
    if (typeof arg === 'string') return deps.jobs.get(arg);
    return undefined;
  };
  const pickJob = async (arg: unknown, filter: (r: JobRecord) => boolean, title: string): Promise<JobRecord | undefined> => {
    const given = recordOf(arg);
    if (given) return given;
    const items = deps.jobs.all.filter(filter).map((r) => ({ label: `${r.spec.script} · ${r.target}`, description: `${r.status} · ${r.id}`, r }));
    if (!items.length) {
      void vscode.window.showInformationMessage('No such job in this workspace.');
      return undefined;
    }
    return (await vscode.window.showQuickPick(items, { title }))?.r;
  };
  return [
    reg('slipway.training.runLocal', (uri?: vscode.Uri) => run(deps, 'local', uri instanceof vscode.Uri ? uri : undefined)),
    reg('slipway.training.runRay', (uri?: vscode.Uri) => run(deps, 'ray', uri instanceof vscode.Uri ? uri : undefined)),
    reg('slipway.training.runKubernetes', (uri?: vscode.Uri) => run(deps, 'kubernetes', uri instanceof vscode.Uri ? uri : undefined)),
    reg('slipway.training.debug', (uri?: vscode.Uri) => debug(deps, uri instanceof vscode.Uri ? uri : undefined)),
    reg('slipway.training.applySchedule', async () => {
      if (!(await requireTrust())) return undefined;
      const project = await activeProject(deps);
      if (!project) return undefined;
      const schedule = project.pipeline.training?.schedule;
      const problem = !schedule ? 'slipway.yaml has no training.schedule: add a 5-field cron such as "0 3 * * 1".' : targetProblem(project.pipeline, 'kubernetes');
      if (problem) {
        void vscode.window.showWarningMessage(problem);
        return undefined;
      }
      const target = project.pipeline.training!.targets.kubernetes!;
      try {
        const manifest = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Applying the retraining CronJob…' }, () =>
          loadKube().applyTrainingSchedule(jobSpecFromPipeline(project.pipeline, project.dir, { trackingUri: process.env.MLFLOW_TRACKING_URI }), target, schedule!),
        );
        const name = (manifest.metadata as { name: string }).name;
        deps.log.info(`applied CronJob ${target.namespace}/${name} (${manifest.apiVersion}) schedule "${schedule}"`);
        void vscode.window.showInformationMessage(`Retraining scheduled: CronJob ${target.namespace}/${name} runs "${schedule}" (UTC).`);
        return manifest;
      } catch (e) {
        void vscode.window.showErrorMessage(`Slipway could not apply the schedule: ${(e as Error).message}`);
        return undefined;
      }
    }),
    reg('slipway.jobs.showLogs', async (arg?: unknown) => {
      const r = await pickJob(arg, () => true, 'Show the logs of a job');
      if (r) await showJobLogs(r);
    }),
    reg('slipway.jobs.cancel', async (arg?: unknown) => {
      const r = await pickJob(arg, (j) => !isFinal(j.status), 'Cancel a running job');
      if (r) await deps.jobs.cancel(r.id);
    }),
    reg('slipway.jobs.rerun', async (arg?: unknown) => {
      const r = await pickJob(arg, () => true, 'Run a job again');
      if (!r || !(await requireTrust())) return undefined;
      const project = await activeProject(deps);
      if (!project) return undefined;
      const python =
        r.target === 'local'
          ? resolvePython({ selected: await selectedPython(vscode.Uri.file(r.spec.projectDir), deps.log), configured: project.pipeline.training?.python, projectDir: r.spec.projectDir })
          : undefined;
      const record = await deps.jobs.start(r.target, r.spec, { python, project });
      await showJobLogs(record, true);
      return record;
    }),
    reg('slipway.jobs.delete', async (arg?: unknown) => {
      const r = await pickJob(arg, (j) => isFinal(j.status), 'Remove a finished job and its logs');
      if (r) await deps.jobs.remove(r.id);
    }),
    reg('slipway.jobs.openRun', async (arg?: unknown) => {
      const r = recordOf(arg);
      if (!r?.mlflowRunId) {
        void vscode.window.showInformationMessage('This job has no MLflow run: the script logs one when mlflow is installed and the tracking server answers.');
        return undefined;
      }
      return vscode.commands.executeCommand('slipway.experiments.openRun', r.mlflowRunId);
    }),
  ];
}
