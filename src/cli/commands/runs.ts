import { parse } from '../args';
import { EXIT, UsageError, type CliCommand, type CliIo } from '../io';
import {
  MlflowClient,
  MlflowHttp,
  credentialsFromEnv,
  readPipelineTrackingSettings,
  resolveTrackingUri,
  type PipelineTrackingSettings,
  type Run,
  type ViewType,
} from '../../core/tracking';

export const CLI_AUTH_HINT = 'set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD';

/** The tracking server of the command line: --tracking-uri, else slipway.yaml tracking.uri, else MLFLOW_TRACKING_URI. */
export async function openTracking(io: CliIo, trackingUri: string | undefined): Promise<{ http: MlflowHttp; settings: PipelineTrackingSettings & { file?: string } }> {
  const settings = await readPipelineTrackingSettings(io.cwd);
  const syntax = settings.problems.filter((p) => p.startsWith('slipway.yaml:') || p.startsWith('tracking.'));
  if (syntax.length && !trackingUri) throw new UsageError(`cannot read ${settings.file}: ${syntax.join('; ')}`);
  const uri = trackingUri?.trim() || resolveTrackingUri({ pipelineUri: settings.uri, env: io.env });
  if (!uri) {
    throw new UsageError(
      'no MLflow tracking server: pass --tracking-uri URL, set tracking.uri in slipway.yaml, or set MLFLOW_TRACKING_URI (e.g. http://127.0.0.1:5000)',
    );
  }
  const seconds = Number(io.env.MLFLOW_HTTP_REQUEST_TIMEOUT);
  const http = new MlflowHttp({
    trackingUri: uri,
    credentials: () => credentialsFromEnv(io.env),
    authHint: CLI_AUTH_HINT,
    ...(seconds > 0 ? { timeoutMs: seconds * 1000 } : {}),
  });
  return { http, settings };
}

/** ms since epoch → ISO 8601 (UTC); null when absent */
const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** JSON has no NaN/Infinity: written as MLflow writes NaN, as strings */
const jsonNumber = (v: number): number | string => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');

/** One run as `slipway runs list` prints it. */
export function runRecord(r: Run): Record<string, unknown> {
  return {
    run_id: r.info.runId,
    name: r.info.runName,
    status: r.info.status,
    start_time: iso(r.info.startTime),
    end_time: iso(r.info.endTime),
    parent_run_id: r.parentRunId ?? null,
    lifecycle_stage: r.info.lifecycleStage,
    metrics: Object.fromEntries(Object.values(r.metrics).map((m) => [m.key, jsonNumber(m.value)])),
    params: r.params,
    tags: r.tags,
  };
}

function textLine(r: Run): string {
  const metrics = Object.values(r.metrics)
    .slice(0, 6)
    .map((m) => `${m.key}=${Number.isFinite(m.value) ? Number(m.value.toPrecision(6)) : m.value}`)
    .join(' ');
  const start = r.info.startTime === undefined ? '-' : new Date(r.info.startTime).toISOString().slice(0, 19).replace('T', ' ');
  const name = (r.parentRunId ? `  ${r.info.runName}` : r.info.runName) + (r.info.lifecycleStage === 'deleted' ? ' (deleted)' : '');
  return `${r.info.runId}  ${name.padEnd(24)}  ${r.info.status.padEnd(8)}  ${start}  ${metrics}`;
}

function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${flag} must be a positive whole number, not ${JSON.stringify(v)}`);
  return Number(v);
}

function format(v: string | undefined): 'json' | 'text' {
  if (v === undefined || v === 'json' || v === 'text') return v ?? 'json';
  throw new UsageError(`--format must be json or text, not ${JSON.stringify(v)}`);
}

/**
 * Runs per request. Smaller than MLflow's default (1000): each page's JSON, its parsed objects
 * and its output are garbage by the next page, and 250 keeps `--max 10000` with 20 metrics and
 * 20 params per run near 135 MB RSS (1000: ~200 MB) at the same wall time (bench/mlflow.mjs).
 */
const PAGE = 250;

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: "list MLflow runs of the project's experiment (metrics, params, tags)",
  usage:
    'slipway runs list [--experiment NAME] [--filter F] [--max N] [--order-by X]... [--all] [--format json|text] [--tracking-uri URL]\n\n' +
    '  --experiment  default: tracking.experiment of ./slipway.yaml, else its name\n' +
    "  --filter      MLflow's filter, e.g. \"metrics.val_auc > 0.8 and params.lr = '0.1'\"\n" +
    '  --max         at most N runs (default 1000); pages are fetched and written one at a time\n' +
    "  --order-by    e.g. 'metrics.val_auc DESC' (repeatable; default: newest first)\n" +
    '  --all         include deleted runs (lifecycle_stage tells them apart)\n' +
    '  JSON: [{run_id, name, status, start_time, end_time (ISO 8601, UTC, or null), parent_run_id,\n' +
    '          lifecycle_stage, metrics (latest values; NaN/Infinity as strings), params, tags}]',
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== 'list') throw new UsageError(sub ? `unknown subcommand '${sub}' (expected: list)` : 'missing subcommand: list');
    const { values, positionals } = parse(rest, {
      experiment: { type: 'string' },
      filter: { type: 'string' },
      max: { type: 'string' },
      'order-by': { type: 'string', multiple: true },
      all: { type: 'boolean' },
      format: { type: 'string' },
      'tracking-uri': { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const max = positiveInt('--max', values.max, 1000);
    const fmt = format(values.format);
    const { http, settings } = await openTracking(io, values['tracking-uri']);
    const experimentName = values.experiment ?? settings.experiment;
    if (!experimentName) throw new UsageError('no experiment: pass --experiment NAME, or set tracking.experiment (or name) in slipway.yaml');
    const client = new MlflowClient(http);
    const experiment = await client.getExperimentByName(experimentName);
    const viewType: ViewType = values.all ? 'ALL' : 'ACTIVE_ONLY';
    const pages = client.searchRunsPages({
      experimentIds: [experiment.experimentId],
      ...(values.filter ? { filter: values.filter } : {}),
      ...(values['order-by']?.length ? { orderBy: values['order-by'] } : {}),
      maxResults: Math.min(max, PAGE),
      viewType,
    });
    let count = 0;
    if (fmt === 'json') io.out('[');
    else io.out(`${'RUN ID'.padEnd(32)}  ${'NAME'.padEnd(24)}  ${'STATUS'.padEnd(8)}  ${'START (UTC)'.padEnd(19)}  METRICS\n`);
    for await (const page of pages) {
      // one write per page: the output grows with the page, never with the whole listing
      let chunk = '';
      for (const run of page.items) {
        if (count >= max) break;
        chunk += fmt === 'json' ? `${count ? ',' : ''}\n${JSON.stringify(runRecord(run))}` : `${textLine(run)}\n`;
        count++;
      }
      if (chunk) io.out(chunk);
      if (count >= max) break;
    }
    if (fmt === 'json') io.out(count ? '\n]\n' : ']\n');
    else if (!count) io.out(`(no runs in experiment ${experimentName})\n`);
    return EXIT.ok;
  },
};
