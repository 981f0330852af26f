import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../io';
import { projectFor } from '../project';
import { cliRunner } from './train';
import { jobSpecFromPipeline, targetProblem } from '../../core/training/spec';
import { newJobId } from '../../core/training/types';
import type { LoadedProject } from '../../core/project/loadProject';
import {
  COLUMN_TYPES,
  DRIFT_METHODS,
  DriftInputError,
  computeDrift,
  formatText,
  monitoringSettingsFromPipelineText,
  renderHtml,
  toJson,
  type ColumnType,
  type DriftOptions,
  type DriftReport,
  type MethodOption,
} from '../../core/drift/index';

const FORMATS = ['text', 'json', 'html'] as const;

/** a path of slipway.yaml (relative to its folder) as seen from `cwd`; URIs stay as they are */
function fromFolder(p: string, folder: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p)) return p;
  const rel = relative(cwd, resolve(folder, p));
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : resolve(folder, p);
}

function number(flag: string, text: string | undefined, ok: (n: number) => boolean, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!text.trim() || !Number.isFinite(n) || !ok(n)) throw new UsageError(`--${flag} must be ${what}, not '${text}'`);
  return n;
}

function columnTypes(specs: readonly string[]): Record<string, ColumnType> {
  const out: Record<string, ColumnType> = {};
  for (const spec of specs) {
    const at = spec.lastIndexOf('=');
    const [name, type] = [spec.slice(0, at), spec.slice(at + 1)];
    if (at <= 0 || !COLUMN_TYPES.includes(type as ColumnType)) throw new UsageError(`--type takes column=${COLUMN_TYPES.join('|')}, not '${spec}'`);
    out[name] = type as ColumnType;
  }
  return out;
}

/** what --reference/--current do not give, from monitoring in slipway.yaml (paths relative to that file) */
function fromPipeline(io: CliIo, file: string | undefined, need: { reference: boolean; current: boolean }) {
  const path = file ? resolve(io.cwd, file) : ['slipway.yaml', 'slipway.yml'].map((n) => join(io.cwd, n)).find((p) => existsSync(p));
  if (!path || !existsSync(path)) {
    const missing = [need.reference && '--reference', need.current && '--current'].filter(Boolean).join(' and ');
    throw new UsageError(file ? `${file}: no such file` : `give ${missing}, or run where slipway.yaml has a monitoring section`);
  }
  const settings = monitoringSettingsFromPipelineText(readFileSync(path, 'utf8'));
  if (settings.problems.length) throw new UsageError(`${path}: ${settings.problems.join('; ')}`);
  const base = dirname(path);
  for (const key of ['reference', 'current'] as const) {
    if (need[key] && !settings[key]) throw new UsageError(`${path} has no monitoring.${key}${key === 'current' ? ' (nor serving.log)' : ''}: add it, or pass --${key}`);
  }
  return { ...settings, reference: settings.reference && fromFolder(settings.reference, base, io.cwd), current: settings.current && fromFolder(settings.current, base, io.cwd) };
}

/** What --retrain / on_drift: retrain did: the job started, or why none could start. */
type Retrain = { job_id: string; target: 'local'; script: string } | { error: string };

/** Starts training.script locally, detached (as `slipway train`); the job outlives this process. */
async function startRetraining(project: LoadedProject, io: CliIo): Promise<Retrain> {
  if (project.errors.length) return { error: `${project.path} has ${project.errors.length} error(s) (slipway validate lists them)` };
  const problem = targetProblem(project.pipeline, 'local');
  if (problem) return { error: problem };
  try {
    const spec = jobSpecFromPipeline(project.pipeline, project.dir, { trackingUri: io.env.MLFLOW_TRACKING_URI });
    const id = newJobId();
    const handle = await cliRunner('local', project, io).submit(spec, id);
    handle.detach();
    return { job_id: id, target: 'local', script: spec.script };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function render(report: DriftReport, format: (typeof FORMATS)[number], retrain?: Retrain): string {
  if (format === 'json') return `${JSON.stringify(retrain ? { ...toJson(report), retrain } : toJson(report), null, 2)}\n`;
  if (format === 'html') return renderHtml(report);
  return formatText(report);
}

export const driftCommand: CliCommand = {
  name: 'drift',
  summary: 'compare current data with the reference: a drift test per column, and whether the data set drifted',
  usage:
    'slipway drift [--reference R] [--current C] [--columns a,b] [--method auto|ks|chisquare|ztest|wasserstein|jensenshannon|psi] ' +
    '[--threshold T] [--share S] [--type column=numerical|categorical|boolean|text ...] [--window-column COL [--from T] [--to T]] ' +
    '[--format text|json|html] [--out FILE] [--fail-on-drift] [--retrain] [--file slipway.yaml]',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      reference: { type: 'string', multiple: true },
      current: { type: 'string', multiple: true },
      columns: { type: 'string' },
      method: { type: 'string' },
      threshold: { type: 'string' },
      share: { type: 'string' },
      type: { type: 'string', multiple: true },
      'window-column': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'text' },
      out: { type: 'string' },
      'fail-on-drift': { type: 'boolean' },
      retrain: { type: 'boolean' },
      file: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const format = values.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be ${FORMATS.join(', ')}, not '${values.format}'`);
    const method = values.method as MethodOption | undefined;
    if (method !== undefined && method !== 'auto' && !DRIFT_METHODS.includes(method)) throw new UsageError(`--method must be auto, ${DRIFT_METHODS.join(', ')}, not '${method}'`);
    const threshold = number('threshold', values.threshold, (n) => n > 0, 'a positive number');
    const share = number('share', values.share, (n) => n >= 0 && n <= 1, 'between 0 and 1');
    if ((values.from || values.to) && !values['window-column']) throw new UsageError('--from and --to need --window-column');
    const columns = values.columns?.split(',').map((c) => c.trim()).filter(Boolean);

    let reference = values.reference;
    let current = values.current;
    let settings: ReturnType<typeof fromPipeline> | undefined;
    if (!reference || !current || values.file) {
      settings = fromPipeline(io, values.file, { reference: !reference, current: !current });
      reference ??= [settings.reference!];
      current ??= [settings.current!];
    }
    // --retrain trains on drift whatever monitoring.on_drift says; it needs the project, so check that first
    let project: LoadedProject | undefined;
    if (values.retrain) {
      project = await projectFor(io.cwd, values.file);
      const problem = targetProblem(project.pipeline, 'local');
      if (problem) throw new UsageError(`--retrain: ${problem}`);
    } else if (settings) {
      // monitoring came from slipway.yaml: so does on_drift (errors elsewhere in the file do not stop a drift check)
      project = await projectFor(io.cwd, values.file, { requireNoErrors: false }).catch(() => undefined);
    }
    const options: DriftOptions = {
      reference,
      current,
      baseDir: io.cwd,
      columns,
      columnTypes: columnTypes(values.type ?? []),
      method: method ?? settings?.method ?? 'auto',
      threshold: threshold ?? settings?.threshold,
      share: share ?? settings?.share,
      currentWindow: values['window-column'] ? { column: values['window-column'], from: values.from, to: values.to } : undefined,
    };

    let report: DriftReport;
    try {
      report = await computeDrift(options);
    } catch (e) {
      if (e instanceof DriftInputError) {
        io.err(`slipway drift: ${e.message}\n`);
        return EXIT.failed;
      }
      throw e;
    }
    const wantsRetrain = report.dataset_drift && project && (values.retrain || project.pipeline.monitoring?.onDrift === 'retrain');
    const retrain = wantsRetrain ? await startRetraining(project!, io) : undefined;
    const text = render(report, format, retrain);
    if (values.out) {
      const out = resolve(io.cwd, values.out);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, text);
      io.err(`${report.dataset_drift ? 'data set drift' : 'no data set drift'}: ${report.drifted_columns} of ${report.columns.length} columns drifted; report in ${values.out}\n`);
    } else {
      io.out(text);
    }
    // the text report lists its own problems; the other formats carry them in the file
    if (format !== 'text' || values.out) for (const m of report.messages.filter((m) => m.level !== 'info')) io.err(`${m.level}: ${m.text}\n`);
    if (retrain && 'error' in retrain) {
      io.err(`slipway drift: the data set drifted but retraining could not start: ${retrain.error}\n`);
      return EXIT.failed;
    }
    if (retrain) io.err(`retraining: job ${retrain.job_id} started (${retrain.target}): ${retrain.script}; follow it with "slipway jobs logs ${retrain.job_id} --follow"\n`);
    return values['fail-on-drift'] && report.dataset_drift ? EXIT.failed : EXIT.ok;
  },
};
