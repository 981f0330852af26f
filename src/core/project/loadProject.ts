import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { validatePipeline, type Diagnostic, type Pipeline } from '../pipeline/index';

/** A pipeline file read from disk and checked, ready for the capabilities to act on. */
export interface LoadedProject {
  readonly path: string;
  readonly dir: string;
  readonly pipeline: Pipeline;
  readonly diagnostics: readonly Diagnostic[];
  readonly errors: readonly Diagnostic[];
}

export class ProjectError extends Error {}

/** The pipeline file of `cwd`: slipway.yaml, else slipway.yml. */
export function findPipelineFile(cwd: string): string | undefined {
  for (const name of ['slipway.yaml', 'slipway.yml']) {
    const p = resolve(cwd, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export async function loadProject(path: string): Promise<LoadedProject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ProjectError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const parsed = validatePipeline(text, { path, baseDir: dirname(path) });
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  return { path, dir: dirname(path), pipeline: parsed.model, diagnostics: parsed.diagnostics, errors };
}

/** Throws a ProjectError that lists the first problems when the file has errors. */
export function requireValid(project: LoadedProject, cwd = process.cwd()): LoadedProject {
  if (project.errors.length === 0) return project;
  const shown = project.errors.slice(0, 5).map((d) => `  ${relative(cwd, project.path) || project.path}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.code} ${d.message}`);
  const more = project.errors.length > 5 ? `\n  … and ${project.errors.length - 5} more (slipway validate lists them)` : '';
  throw new ProjectError(`${relative(cwd, project.path) || project.path} has ${project.errors.length} error(s); fix them first:\n${shown.join('\n')}${more}`);
}
