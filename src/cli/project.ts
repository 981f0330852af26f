import { resolve } from 'node:path';
import { findPipelineFile, loadProject, requireValid, type LoadedProject } from '../core/project/loadProject';
import { UsageError } from './io';

/** The project a command acts on: --file, else slipway.yaml in the current folder. Exits 2 when there is none. */
export async function projectFor(cwd: string, file: string | undefined, { requireNoErrors = true } = {}): Promise<LoadedProject> {
  const path = file ? resolve(cwd, file) : findPipelineFile(cwd);
  if (!path) throw new UsageError(`no slipway.yaml in ${cwd}: run in a project folder, pass --file, or create one with "slipway init"`);
  const project = await loadProject(path);
  return requireNoErrors ? requireValid(project, cwd) : project;
}
