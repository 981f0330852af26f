import { readFile } from 'node:fs/promises';
import { parse } from '../args';
import { EXIT, UsageError, type CliCommand } from '../io';
import { projectFor } from '../project';
import { cliJobStore, cliRunner, follow } from './train';
import { isFinal, type JobRecord } from '../../core/training/types';

function duration(r: JobRecord): string {
  if (!r.startedAt) return '';
  const ms = (r.endedAt ? Date.parse(r.endedAt) : Date.now()) - Date.parse(r.startedAt);
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** A record as the JSON output shows it: stable field names, no internal state. */
function publicRecord(r: JobRecord) {
  return {
    id: r.id,
    target: r.target,
    status: r.status,
    script: r.spec.script,
    params: r.spec.params,
    submitted_at: r.submittedAt,
    started_at: r.startedAt ?? null,
    ended_at: r.endedAt ?? null,
    exit_code: r.exitCode ?? null,
    message: r.message ?? null,
    mlflow_run_id: r.mlflowRunId ?? null,
  };
}

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'list, follow and cancel training jobs: jobs list | logs ID [--follow] | cancel ID',
  usage: 'slipway jobs list [--format text|json] | slipway jobs logs ID [--follow] | slipway jobs cancel ID  [--file slipway.yaml]',
  async run(args, io) {
    const { values, positionals } = parse(args, {
      format: { type: 'string', default: 'text' },
      follow: { type: 'boolean', short: 'f' },
      file: { type: 'string' },
    });
    const [action, id, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
    if (values.format !== 'text' && values.format !== 'json') throw new UsageError('--format must be text or json');
    const project = await projectFor(io.cwd, values.file, { requireNoErrors: false });
    const store = cliJobStore(project.dir);
    if (action === 'list' || action === undefined) {
      const records = await store.list();
      if (values.format === 'json') io.out(JSON.stringify(records.map(publicRecord), null, 2) + '\n');
      else if (records.length === 0) io.out('no jobs yet: slipway train starts one\n');
      else for (const r of records) io.out(`${r.id}  ${r.target.padEnd(10)} ${r.status.padEnd(9)} ${duration(r).padStart(7)}  ${r.spec.script}${r.message ? `  (${r.message})` : ''}\n`);
      return EXIT.ok;
    }
    if (action !== 'logs' && action !== 'cancel') throw new UsageError(`unknown action ${JSON.stringify(action)}: list, logs or cancel`);
    if (!id) throw new UsageError(`slipway jobs ${action} needs a job id (slipway jobs list shows them)`);
    let record: JobRecord | undefined;
    try {
      record = await store.get(id);
    } catch {
      record = undefined;
    }
    if (!record) throw new UsageError(`no job ${JSON.stringify(id)} in ${store.dir}`);
    if (action === 'logs' && !values.follow) {
      try {
        io.out(await readFile(store.logPath(record.id), 'utf8'));
      } catch {
        io.err(`job ${id} has no output yet\n`);
      }
      return EXIT.ok;
    }
    const handle = await cliRunner(record.target, project, io).attach(record);
    if (action === 'cancel') {
      if (isFinal(record.status)) {
        handle.detach();
        io.err(`job ${id} already ended: ${record.status}\n`);
        return EXIT.ok;
      }
      await handle.cancel();
      const final = await handle.done;
      io.err(`job ${id} ${final.status}\n`);
      return EXIT.ok;
    }
    return follow(handle, io);
  },
};
