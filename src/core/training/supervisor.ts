/**
 * The local job supervisor, started detached by LocalRunner (bundled as out/job-supervisor.js):
 * runs the training command without a shell, its output going straight to the job's log file,
 * and records how it ended in `<id>.exit.json`. Because it does not depend on the window that
 * started it, a job survives a reload and its outcome is never lost.
 *
 * argv: <control.json>  = { command, args, cwd, log, exit }; the environment is inherited,
 * so secrets never touch the disk.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

interface Control {
  command: string;
  args: string[];
  cwd: string;
  log: string;
  exit: string;
}

export interface ExitRecord {
  status: 'SUCCEEDED' | 'FAILED' | 'STOPPED';
  exitCode?: number;
  signal?: string;
  message?: string;
  startedAt?: string;
  endedAt: string;
  pid?: number;
}

function writeExit(path: string, record: ExitRecord): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(record));
  renameSync(`${path}.tmp`, path);
}

export function supervise(controlPath: string): void {
  const control = JSON.parse(readFileSync(controlPath, 'utf8')) as Control;
  const out = openSync(control.log, 'a');
  const startedAt = new Date().toISOString();
  let stopping = false;
  let done = false;
  const finish = (record: Omit<ExitRecord, 'endedAt' | 'startedAt'>) => {
    if (done) return;
    done = true;
    writeExit(control.exit, { ...record, startedAt, endedAt: new Date().toISOString() });
    process.exit(0);
  };
  // its own process group, so a cancel reaches the script's children too
  const child = spawn(control.command, control.args, { cwd: control.cwd, stdio: ['ignore', out, out], detached: true, shell: false });
  closeSync(out);
  child.on('error', (e) => {
    appendFileSync(control.log, `\nslipway: could not start ${control.command}: ${e.message}\n`);
    finish({ status: 'FAILED', message: `could not start ${control.command}: ${e.message}` });
  });
  const kill = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const stop = () => {
    stopping = true;
    kill('SIGTERM');
    setTimeout(() => kill('SIGKILL'), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {}); // the window closing must not end the job
  child.on('exit', (code, signal) => {
    if (stopping) return finish({ status: 'STOPPED', exitCode: code ?? undefined, signal: signal ?? undefined, pid: child.pid, message: 'cancelled' });
    if (code === 0) return finish({ status: 'SUCCEEDED', exitCode: 0, pid: child.pid });
    finish({
      status: 'FAILED',
      exitCode: code ?? undefined,
      signal: signal ?? undefined,
      pid: child.pid,
      message: signal ? `killed by ${signal}` : `exited with code ${code}`,
    });
  });
}

if (require.main === module) supervise(process.argv[2]!);
