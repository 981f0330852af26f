import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../io';
import { validatePipeline, type Diagnostic, type ParsedPipeline } from '../../core/pipeline/index';
import { FeatureDb } from '../../core/features/db';
import { byPosition, checkPipelineData, dataCheckable } from '../../core/features/diagnostics';

/** One problem as `--format json` prints it: 1-based lines and columns, end exclusive. */
export interface JsonProblem {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Diagnostic['severity'];
  code: string;
  message: string;
}

const DEFAULT_NAMES = ['slipway.yaml', 'slipway.yml'];

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check pipeline files: YAML, keys, types, references, files, the data against features (exit 1 on errors)',
  usage: 'slipway validate [FILE...] [--format text|json] [--no-data]',
  async run(args, io) {
    const { values, positionals } = parse(args, { format: { type: 'string', default: 'text' }, 'no-data': { type: 'boolean', default: false } });
    const format = values.format;
    if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`);
    let files = positionals;
    if (files.length === 0) {
      const found = DEFAULT_NAMES.find((n) => isFile(join(io.cwd, n)));
      if (!found) {
        io.err(`slipway validate: no slipway.yaml in ${io.cwd} (give the file: slipway validate path/to/slipway.yaml)\n`);
        return EXIT.usage;
      }
      files = [found];
    }
    const problems: JsonProblem[] = [];
    let ioError = false;
    let errors = 0;
    const data = values['no-data'] ? undefined : new DataCheck(io);
    for (const file of files) {
      let path = resolve(io.cwd, file);
      let shown = file;
      if (isDir(path)) {
        const found = DEFAULT_NAMES.find((n) => isFile(join(path, n)));
        if (!found) {
          io.err(`slipway validate: ${file}: no slipway.yaml in this folder\n`);
          ioError = true;
          continue;
        }
        path = join(path, found);
        shown = join(file, found);
      }
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        io.err(`slipway validate: ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
        ioError = true;
        continue;
      }
      const parsed = validatePipeline(text, { path });
      let diagnostics = parsed.diagnostics;
      if (data) {
        const checked = await data.add(parsed, dirname(path), shown);
        if (checked) diagnostics = checked;
        else ioError = true;
      }
      let fileErrors = 0;
      let fileWarnings = 0;
      const mine: JsonProblem[] = [];
      for (const d of diagnostics) {
        if (d.severity === 'error') fileErrors++;
        else if (d.severity === 'warning') fileWarnings++;
        mine.push({
          file: shown,
          line: d.range.start.line + 1,
          column: d.range.start.character + 1,
          endLine: d.range.end.line + 1,
          endColumn: d.range.end.character + 1,
          severity: d.severity,
          code: d.code,
          message: d.message,
        });
      }
      errors += fileErrors;
      problems.push(...mine);
      if (format === 'text') {
        for (const p of mine) io.out(`${p.file}:${p.line}:${p.column}: ${p.severity} ${p.code} ${p.message}\n`);
        io.err(`${shown}: ${fileErrors || fileWarnings ? `${plural(fileErrors, 'error')}, ${plural(fileWarnings, 'warning')}` : 'ok'}\n`);
      }
    }
    await data?.close();
    if (format === 'json') io.out(`${JSON.stringify(problems, null, 2)}\n`);
    if (ioError) return EXIT.usage;
    return errors > 0 ? EXIT.failed : EXIT.ok;
  },
};

/**
 * The language server's data check (the files `features` names against their declared columns and
 * types), for every file with one DuckDB session, opened for the first file that needs it.
 */
class DataCheck {
  private db: Promise<FeatureDb> | undefined;
  private failed = false;

  constructor(private readonly io: CliIo) {}

  /** The file's diagnostics with its data problems, sorted; undefined (after saying why) when the data could not be read. */
  async add(parsed: ParsedPipeline, dir: string, shown: string): Promise<readonly Diagnostic[] | undefined> {
    if (!dataCheckable(parsed)) return parsed.diagnostics;
    if (this.failed) return undefined;
    this.db ??= FeatureDb.open();
    let db: FeatureDb;
    try {
      db = await this.db;
    } catch (e) {
      this.failed = true;
      this.io.err(`slipway validate: cannot check the data files: DuckDB did not load (${String((e as Error).message).split('\n')[0]}); --no-data checks the pipeline files alone\n`);
      return undefined;
    }
    try {
      const found = await checkPipelineData(parsed, dir, parsed.diagnostics, { db });
      return found.length ? [...parsed.diagnostics, ...found].sort(byPosition) : parsed.diagnostics;
    } catch (e) {
      this.io.err(`slipway validate: ${shown}: cannot check the data files: ${(e as Error).message}\n`);
      return undefined;
    }
  }

  async close(): Promise<void> {
    (await this.db?.catch(() => undefined))?.close();
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
