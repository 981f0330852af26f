import { basename, resolve } from 'node:path';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand } from '../io';
import { writeScaffold } from '../../core/scaffold/scaffold';
import { projectNameProblem, suggestProjectName } from '../../core/scaffold/templates';

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'create slipway.yaml, src/train.py and .gitignore entries in a folder',
  usage: 'slipway init [DIR] [--name NAME] [--force]',
  async run(args, io) {
    const { values, positionals } = parse(args, { name: { type: 'string' }, force: { type: 'boolean' } });
    if (positionals.length > 1) throw new UsageError('at most one folder');
    const dir = resolve(io.cwd, positionals[0] ?? '.');
    const name = values.name ?? suggestProjectName(basename(dir));
    const problem = projectNameProblem(name);
    if (problem) throw new UsageError(`--name ${JSON.stringify(name)}: ${problem}`);
    const result = await writeScaffold(dir, name, async (path) => {
      if (values.force) return true;
      if (!io.interactive) {
        io.err(`${path} exists: kept (use --force to overwrite)\n`);
        return false;
      }
      const answer = await io.ask(`${path} exists. Overwrite? [y/N] `);
      return /^y(es)?$/i.test((answer ?? '').trim());
    });
    for (const f of result.files) io.out(`${f.outcome.padEnd(11)} ${f.path}\n`);
    return EXIT.ok;
  },
};
