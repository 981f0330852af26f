import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { mergeGitignore, pipelineTemplate, projectNameProblem, trainScriptTemplate } from './templates';

export interface ScaffoldFile {
  /** path relative to the project root, '/'-separated */
  readonly path: string;
  readonly content: string;
  /** 'create' writes the whole file; 'merge' adds lines to an existing file without asking */
  readonly mode: 'create' | 'merge';
}

export type ScaffoldOutcome = 'created' | 'overwritten' | 'merged' | 'kept' | 'unchanged';

export interface ScaffoldResult {
  readonly root: string;
  readonly files: ReadonlyArray<{ path: string; outcome: ScaffoldOutcome }>;
  /** the user cancelled at an overwrite question: the files after it were not touched */
  readonly cancelled: boolean;
}

/**
 * Asked once per existing file that differs from the template: true overwrites it, false keeps
 * it, 'cancel' stops the scaffold there. Never called for files that do not exist.
 */
export type OverwritePrompt = (relativePath: string) => Promise<boolean | 'cancel'>;

export class ScaffoldError extends Error {}

export function scaffoldFiles(name: string): ScaffoldFile[] {
  return [
    { path: 'slipway.yaml', content: pipelineTemplate(name), mode: 'create' },
    { path: 'src/train.py', content: trainScriptTemplate(name), mode: 'create' },
    { path: '.gitignore', content: '', mode: 'merge' },
  ];
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Writes a new project into `root`. Existing files are overwritten only when `confirmOverwrite`
 * says so; .gitignore only ever gains the missing entries.
 */
export async function writeScaffold(root: string, name: string, confirmOverwrite: OverwritePrompt): Promise<ScaffoldResult> {
  const problem = projectNameProblem(name);
  if (problem) throw new ScaffoldError(`Invalid project name "${name}": ${problem}`);
  const absRoot = resolve(root);
  const results: { path: string; outcome: ScaffoldOutcome }[] = [];
  for (const file of scaffoldFiles(name)) {
    const target = resolve(absRoot, file.path);
    if (relative(absRoot, target).startsWith('..' + sep)) throw new ScaffoldError(`refusing to write outside ${absRoot}`);
    const existing = await readIfExists(target);
    if (file.mode === 'merge') {
      const merged = mergeGitignore(existing);
      if (merged.added.length === 0) {
        results.push({ path: file.path, outcome: 'unchanged' });
        continue;
      }
      await writeFile(target, merged.text, 'utf8');
      results.push({ path: file.path, outcome: existing === undefined ? 'created' : 'merged' });
      continue;
    }
    if (existing !== undefined) {
      if (existing === file.content) {
        results.push({ path: file.path, outcome: 'unchanged' });
        continue;
      }
      const answer = await confirmOverwrite(file.path);
      if (answer === 'cancel') return { root: absRoot, files: results, cancelled: true };
      if (!answer) {
        results.push({ path: file.path, outcome: 'kept' });
        continue;
      }
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, 'utf8');
    results.push({ path: file.path, outcome: existing === undefined ? 'created' : 'overwritten' });
  }
  return { root: absRoot, files: results, cancelled: false };
}
