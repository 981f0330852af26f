import { EventEmitter } from 'node:events';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobRecord } from './types';

const ID = /^[0-9]{14}-[0-9a-z]{5}$/;

/**
 * Jobs on disk, one folder for a workspace: `<id>.json` (the record), `<id>.log` (all output),
 * `<id>.exit.json` (written by the local supervisor when the process ends). Survives reloads,
 * and the CLI and the extension can both read it.
 */
export class JobStore {
  private readonly events = new EventEmitter();

  constructor(readonly dir: string) {}

  logPath(id: string): string {
    return join(this.dir, `${this.checkId(id)}.log`);
  }

  exitPath(id: string): string {
    return join(this.dir, `${this.checkId(id)}.exit.json`);
  }

  controlPath(id: string): string {
    return join(this.dir, `${this.checkId(id)}.run.json`);
  }

  async save(record: JobRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = join(this.dir, `${this.checkId(record.id)}.json`);
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(record, null, 1));
    await rename(tmp, target); // readers never see half a record
    this.events.emit('change', record);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, `${this.checkId(id)}.json`), 'utf8')) as JobRecord;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Newest first. Unreadable records are skipped, not fatal: one bad file must not hide the rest. */
  async list(): Promise<JobRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const ids = names.filter((n) => n.endsWith('.json') && ID.test(n.slice(0, -5))).map((n) => n.slice(0, -5));
    const records = await Promise.all(ids.map((id) => this.get(id).catch(() => undefined)));
    return records.filter((r): r is JobRecord => Boolean(r)).sort((a, b) => b.submittedAt.localeCompare(a.submittedAt) || b.id.localeCompare(a.id));
  }

  async remove(id: string): Promise<void> {
    for (const suffix of ['.json', '.log', '.exit.json', '.run.json']) await rm(join(this.dir, `${this.checkId(id)}${suffix}`), { force: true });
    this.events.emit('remove', id);
  }

  onChange(listener: (record: JobRecord) => void): { dispose(): void } {
    this.events.on('change', listener);
    return { dispose: () => this.events.off('change', listener) };
  }

  private checkId(id: string): string {
    // ids become file names: anything else could walk out of the folder
    if (!ID.test(id)) throw new Error(`not a job id: ${JSON.stringify(id)}`);
    return id;
  }
}
