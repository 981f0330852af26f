import * as vscode from 'vscode';
import { join } from 'node:path';
import { JobStore } from '../../core/training/jobStore';
import { LocalRunner } from '../../core/training/local';
import { loadKube } from '../../core/kube/load';
import { RayRunner } from '../../core/training/ray/RayRunner';
import { describeExclusions } from '../../core/training/ray/package';
import type { LoadedProject } from '../../core/project/loadProject';
import type { JobTarget, Runner } from '../../core/training/types';
import type { ProjectStore } from '../project/ProjectStore';
import { JobLogProvider, JOB_LOG_SCHEME } from './JobLogProvider';
import { JobsModel } from './JobsModel';
import { JobsTreeProvider } from './JobsTreeProvider';
import { registerNotebookTraining } from './NotebookTraining';
import { TrainingCodeLensProvider } from './TrainingCodeLensProvider';
import { registerTrainingCommands } from './TrainingCommands';

/** Training in the editor: the Jobs view, CodeLens on scripts, notebooks, and the job commands. */
export async function activateTraining(context: vscode.ExtensionContext, projects: ProjectStore, log: vscode.LogOutputChannel): Promise<JobsModel> {
  const storage = context.storageUri ?? vscode.Uri.joinPath(context.globalStorageUri, 'no-workspace');
  const ownStore = new JobStore(join(storage.fsPath, 'jobs'));
  const supervisor = {
    node: process.execPath,
    script: vscode.Uri.joinPath(context.extensionUri, 'out', 'job-supervisor.js').fsPath,
    // desktop VS Code's executable is Electron: this makes it behave as plain Node
    env: { ELECTRON_RUN_AS_NODE: '1' },
  };
  const runners = (target: JobTarget, store: JobStore, options: { python?: string; project?: LoadedProject }): Runner => {
    if (target === 'local') return new LocalRunner({ store, python: options.python ?? 'python3', supervisor });
    if (target === 'kubernetes') return new (loadKube().KubernetesRunner)({ store, target: options.project?.pipeline.training?.targets.kubernetes });
    if (target === 'ray') {
      return new RayRunner({
        store,
        target: options.project?.pipeline.training?.targets.ray,
        onPackage: (p) => log.info(`ray: ${p.uploaded ? "uploaded" : "reused"} ${p.uri} (${p.files} files, ${(p.bytes / 1024).toFixed(0)} KiB)${p.excluded.length ? `; left out: ${describeExclusions(p.excluded)}` : ''}`),
      });
    }
    throw new Error(`training on ${target} is not available in this version of Slipway yet`);
  };
  const jobs = new JobsModel(ownStore, runners, log);
  const cliStores = () => (projects.active ? [new JobStore(join(vscode.Uri.joinPath(projects.active.uri, '..').fsPath, '.slipway', 'jobs'))] : []);
  const tree = new JobsTreeProvider(jobs);
  const logs = new JobLogProvider(jobs);
  const lenses = new TrainingCodeLensProvider(projects);
  context.subscriptions.push(
    jobs,
    tree,
    logs,
    lenses,
    vscode.window.createTreeView('slipway.jobs', { treeDataProvider: tree, showCollapseAll: false }),
    vscode.workspace.registerTextDocumentContentProvider(JOB_LOG_SCHEME, logs),
    vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, lenses),
    ...registerTrainingCommands({ projects, jobs, log }),
    ...registerNotebookTraining(projects, log),
    vscode.commands.registerCommand('slipway.jobs.refresh', () => jobs.load(cliStores())),
    projects.onDidChange(() => void jobs.load(cliStores())),
  );
  await jobs.load(cliStores());
  return jobs;
}
