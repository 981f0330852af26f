/**
 * A stand-in for Ray's Jobs REST API (the dashboard of Ray 2.58), for tests: the endpoints,
 * status codes, content types and JSON shapes of test/fixtures/ray-jobs-api, checked against
 * every recording by test/unit/ray-contract.test.ts.
 *
 * It RUNS the entrypoint, as Ray does: the uploaded working_dir zip is extracted into a temp
 * folder and the entrypoint runs there with `/bin/sh -c`, env_vars applied, stdout and stderr
 * captured as the job's log. What it does not do:
 *  - install runtime_env.pip (it is recorded in `pipRequests`). When the list is not empty and
 *    SLIPWAY_RAY_STANDIN_PYTHON (or the `python` option) names a Python, that Python's bin folder
 *    goes first on PATH, so `python` is a venv that already has the packages.
 *  - start a Ray driver: job_id and driver_info stay null (a real job that calls ray.init gets both).
 *  - restore file modes from the zip (fflate does not expose them); scripts run as `python x.py`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { unzipSync } from 'fflate';
import { WebSocketServer, type WebSocket } from 'ws';

export type StandinStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface StandinJob {
  readonly submissionId: string;
  readonly entrypoint: string;
  status: StandinStatus;
  message: string | null;
  errorType: string | null;
  readonly startTime: number;
  endTime: number | null;
  readonly metadata: Record<string, string> | null;
  readonly runtimeEnv: Record<string, unknown> | null;
  readonly numCpus?: number;
  readonly numGpus?: number;
  driverAgent: string | null;
  driverNodeId: string | null;
  exitCode: number | null;
  /** Ray's job-driver-<id>.log: its own lines, then the entrypoint's stdout and stderr, in one file */
  readonly logFile: string;
  /** the log file's content */
  readonly logs: string;
  /** where the entrypoint ran */
  cwd?: string;
  /** the PATH it ran with */
  path?: string;
  proc?: ChildProcess;
  stopping?: boolean;
  timer?: NodeJS.Timeout;
}

export interface RayStandinOptions {
  /** how long a job stays PENDING (Ray: setting up the runtime env); default 300 ms */
  readonly pendingMs?: number;
  /** how often the log WebSocket sends what is new; default 1000 ms, as Ray */
  readonly tailIntervalMs?: number;
  /** SIGTERM, then SIGKILL after this; default 3000 ms (RAY_JOB_STOP_WAIT_TIME_S) */
  readonly stopWaitMs?: number;
  /** the environment jobs start from; default this process's */
  readonly env?: NodeJS.ProcessEnv;
  /** a Python whose bin folder is put first on PATH for jobs with runtime_env.pip */
  readonly python?: string;
}

export interface RayStandin {
  readonly url: string;
  readonly port: number;
  readonly jobs: Map<string, StandinJob>;
  readonly packages: Map<string, Uint8Array>;
  /** every non-empty runtime_env.pip, in submission order: recorded, never installed */
  readonly pipRequests: { readonly submissionId: string; readonly pip: readonly string[] }[];
  /** every request, `METHOD /path` */
  readonly requests: string[];
  close(): Promise<void>;
}

const FINAL: readonly StandinStatus[] = ['SUCCEEDED', 'FAILED', 'STOPPED'];
const SUBMIT_FIELDS = ['entrypoint', 'submission_id', 'job_id', 'runtime_env', 'metadata', 'entrypoint_num_cpus', 'entrypoint_num_gpus', 'entrypoint_memory', 'entrypoint_resources', 'entrypoint_label_selector'];
const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const RAY_SITE = '/srv/ray-standin/venv/lib/python3.11/site-packages/ray/dashboard/modules/job';

/** json.dumps as Python writes it: `", "` and `": "` separators, non-ASCII as \uXXXX. */
export function pyJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyJson(k)}: ${pyJson(x)}`).join(', ')}}`;
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return JSON.stringify(v);
}

/** Python's type() repr of a JSON value, for Ray's TypeError messages */
function pyType(v: unknown): string {
  if (v === null) return "<class 'NoneType'>";
  if (Array.isArray(v)) return "<class 'list'>";
  if (typeof v === 'boolean') return "<class 'bool'>";
  if (typeof v === 'number') return Number.isInteger(v) ? "<class 'int'>" : "<class 'float'>";
  if (typeof v === 'string') return "<class 'str'>";
  return "<class 'dict'>";
}

function traceback(frames: readonly [string, number, string, string][], error: string): string {
  return `Traceback (most recent call last):\n${frames.map(([file, line, fn, code]) => `  File "${RAY_SITE}/${file}", line ${line}, in ${fn}\n    ${code}\n`).join('')}${error}\n`;
}

/** The traceback Ray's head writes when its job agent failed: the agent's traceback inside a RuntimeError. */
function agentTraceback(headFn: string, agentStatus: number, agentFrames: readonly [string, number, string, string][], error: string): string {
  const inner = traceback(agentFrames, error);
  return traceback(
    [
      ['job_head.py', 407, headFn, `resp = await job_agent_client.${headFn}_internal(...)`],
      ['job_head.py', 130, '_raise_error', 'raise RuntimeError(f"Request failed with status code {status}: {error_text}.")'],
    ],
    `RuntimeError: Request failed with status code ${agentStatus}: ${inner}.`,
  );
}

function rayTimestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

function generateSubmissionId(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz123456789'; // Ray leaves out I l o O 0
  return `raysubmit_${Array.from(randomBytes(16), (b) => alphabet[b % alphabet.length]).join('')}`;
}

function pendingMessage(job: StandinJob): string {
  let m = 'Job has not started yet.';
  if ((job.numCpus ?? 0) > 0 || (job.numGpus ?? 0) > 0) m += ' It may be waiting for resources (CPUs, GPUs, memory, custom resources) to become available.';
  if (job.runtimeEnv && Object.keys(job.runtimeEnv).length) m += ' It may be waiting for the runtime environment to be set up.';
  return m;
}

/** GET /api/jobs/<id>: the keys and order of Ray 2.58's JobDetails */
export function jobDetails(job: StandinJob): Record<string, unknown> {
  return {
    type: 'SUBMISSION',
    job_id: null,
    submission_id: job.submissionId,
    driver_info: null,
    status: job.status,
    entrypoint: job.entrypoint,
    message: job.message,
    error_type: job.errorType,
    start_time: job.startTime,
    end_time: job.endTime,
    metadata: job.metadata,
    runtime_env: job.runtimeEnv,
    driver_agent_http_address: job.driverAgent,
    driver_node_id: job.driverNodeId,
    driver_exit_code: job.exitCode,
  };
}

/** The last 10 lines of the log, at most 20,000 characters (Ray's message for a failed job). */
function lastLines(logs: string): string {
  const lines = logs.split(/(?<=\n)/);
  return lines.slice(-10).join('').slice(-20_000);
}

/** Up to 10 lines or 20,000 characters per frame, as Ray's file_tail_iterator. */
function frames(text: string): string[] {
  const out: string[] = [];
  let lines: string[] = [];
  let chars = 0;
  for (const line of text.split(/(?<=\n)/)) {
    if (!line) continue;
    lines.push(line);
    chars += line.length;
    if (lines.length >= 10 || chars > 20_000) {
      out.push(lines.join(''));
      lines = [];
      chars = 0;
    }
  }
  if (lines.length) out.push(lines.join(''));
  return out;
}

export async function startRayStandin(options: RayStandinOptions = {}): Promise<RayStandin> {
  const pendingMs = options.pendingMs ?? 300;
  const tailMs = options.tailIntervalMs ?? 1000;
  const stopWaitMs = options.stopWaitMs ?? 3000;
  const python = options.python ?? process.env.SLIPWAY_RAY_STANDIN_PYTHON;
  const root = mkdtempSync(join(tmpdir(), 'ray-standin-'));
  mkdirSync(join(root, 'logs'));
  const nodeId = randomBytes(28).toString('hex');
  const jobs = new Map<string, StandinJob>();
  const packages = new Map<string, Uint8Array>();
  const extracted = new Map<string, string>();
  const pipRequests: { submissionId: string; pip: readonly string[] }[] = [];
  const requests: string[] = [];
  let agent = '';

  const send = (res: ServerResponse, status: number, body: string | Buffer, type: string) => {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length, Server: 'slipway-ray-standin (Ray 2.58 Jobs API)' });
    res.end(buf);
  };
  const json = (res: ServerResponse, v: unknown) => send(res, 200, pyJson(v), JSON_TYPE);
  const text = (res: ServerResponse, status: number, body: string) => send(res, status, body, TEXT_TYPE);
  const noJob = (res: ServerResponse, id: string) => text(res, 404, `Job ${id} does not exist`);

  const finish = (job: StandinJob, status: StandinStatus, fields: Partial<StandinJob> = {}) => {
    if (FINAL.includes(job.status)) return;
    Object.assign(job, { status, endTime: Date.now(), message: null, ...fields });
    if (job.message === null) job.message = status === 'SUCCEEDED' ? 'Job finished successfully.' : status === 'STOPPED' ? 'Job was intentionally stopped.' : 'Job failed.';
    clearTimeout(job.timer);
  };

  const workingDir = (uri: unknown): string => {
    const m = typeof uri === 'string' ? /^gcs:\/\/(_ray_pkg_[A-Za-z0-9]+)\.zip$/.exec(uri) : null;
    if (!m) throw new Error(`working_dir ${JSON.stringify(uri)}: the stand-in only has packages uploaded to it (gcs://_ray_pkg_<hash>.zip)`);
    const data = packages.get(`${m[1]}.zip`);
    if (!data) throw new Error(`The package ${uri} does not exist in the GCS`);
    let dir = extracted.get(m[1]!);
    if (!dir) {
      dir = join(root, 'runtime_resources', 'working_dir_files', m[1]!);
      mkdirSync(dir, { recursive: true });
      for (const [name, content] of Object.entries(unzipSync(data))) {
        const target = resolve(dir, name);
        // as Ray: members that would land outside the folder are skipped
        if (name.includes('\\') || !target.startsWith(dir + sep)) continue;
        if (name.endsWith('/')) mkdirSync(target, { recursive: true });
        else {
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, content);
        }
      }
      extracted.set(m[1]!, dir);
    }
    return dir;
  };

  const log = (job: StandinJob, text: string) => appendFileSync(job.logFile, text);
  const run = (job: StandinJob) => {
    if (job.status !== 'PENDING') return;
    log(job, `${rayTimestamp()}\tINFO job_manager.py:583 -- Runtime env is setting up.\n`);
    const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
    let cwd = join(root, 'jobs', job.submissionId);
    try {
      const re = job.runtimeEnv ?? {};
      if (re.working_dir !== undefined) cwd = workingDir(re.working_dir);
      else mkdirSync(cwd, { recursive: true });
      if (re.env_vars && typeof re.env_vars === 'object') Object.assign(env, re.env_vars);
      const pip = Array.isArray(re.pip) ? (re.pip as string[]) : [];
      if (pip.length) {
        pipRequests.push({ submissionId: job.submissionId, pip });
        // never installed: the stand-in runs the packages of an existing venv instead
        if (python) env.PATH = `${dirname(python)}:${env.PATH ?? ''}`;
      }
    } catch (e) {
      const message = `runtime_env setup failed: Failed to set up runtime environment.\n${(e as Error).message}`;
      log(job, `${message}\n`);
      return finish(job, 'FAILED', { errorType: 'RUNTIME_ENV_SETUP_FAILURE', message });
    }
    job.cwd = cwd;
    job.path = env.PATH;
    Object.assign(job, { status: 'RUNNING', message: 'Job is currently running.', driverAgent: agent, driverNodeId: nodeId });
    log(job, `Running entrypoint for job ${job.submissionId}: ${job.entrypoint}\n`);
    // Ray: subprocess.Popen(entrypoint, shell=True, start_new_session=True, stdout=logs_file, stderr=STDOUT)
    const fd = openSync(job.logFile, 'a');
    const proc = spawn('/bin/sh', ['-c', job.entrypoint], { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    job.proc = proc;
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      job.proc = undefined;
      if (job.stopping) return finish(job, 'STOPPED');
      const exit = code ?? -(signal ? (({ SIGTERM: 15, SIGKILL: 9, SIGINT: 2 }) as Record<string, number>)[signal] ?? 1 : 1);
      if (exit === 0) return finish(job, 'SUCCEEDED', { exitCode: 0 });
      const tail = lastLines(job.logs);
      finish(job, 'FAILED', {
        exitCode: exit,
        errorType: 'JOB_ENTRYPOINT_COMMAND_ERROR',
        message: tail
          ? `Job entrypoint command failed with exit code ${exit}, last available logs (truncated to 20,000 chars):\n${tail}`
          : `Job entrypoint command failed with exit code ${exit}. No logs available.`,
      });
    };
    proc.on('error', (e) => {
      ended = true;
      finish(job, 'FAILED', { errorType: 'JOB_ENTRYPOINT_COMMAND_START_ERROR', message: traceback([['job_supervisor.py', 183, 'run', 'child_process = self._exec_entrypoint(env, log_path)']], `${e.name}: ${e.message}`) });
    });
    proc.on('exit', end);
  };

  const stop = (job: StandinJob): boolean => {
    if (FINAL.includes(job.status)) return false;
    job.stopping = true;
    if (job.status === 'PENDING') {
      finish(job, 'STOPPED');
      return true;
    }
    const pid = job.proc?.pid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      setTimeout(() => {
        try {
          if (job.proc) process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, stopWaitMs).unref();
    }
    return true;
  };

  const submit = (res: ServerResponse, raw: string) => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      // Ray reads the body outside its error handling: aiohttp's bare 500
      return text(res, 500, '500 Internal Server Error\n\nServer got itself in trouble');
    }
    const bad = (error: string) => text(res, 400, traceback([['utils.py', 128, 'parse_and_validate_request', 'return validate_request_type(json_data, request_type)'], ['common.py', 439, 'validate_request_type', 'return request_type(**json_data)']], error));
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad(`TypeError: ray.dashboard.modules.job.common.JobSubmitRequest() argument after ** must be a mapping, not ${pyType(body).slice(8, -2)}`);
    const req = Object.fromEntries(Object.entries(body as Record<string, unknown>).filter(([, v]) => v !== null)); // Ray strips None values
    const unknown = Object.keys(req).find((k) => !SUBMIT_FIELDS.includes(k));
    if (unknown) return bad(`TypeError: JobSubmitRequest.__init__() got an unexpected keyword argument '${unknown}'`);
    if (!('entrypoint' in req)) return bad("TypeError: JobSubmitRequest.__init__() missing 1 required positional argument: 'entrypoint'");
    if (typeof req.entrypoint !== 'string') return bad(`TypeError: entrypoint must be a string, got ${pyType(req.entrypoint)}`);
    if (req.submission_id !== undefined && typeof req.submission_id !== 'string') return bad(`TypeError: submission_id must be a string if provided, got ${pyType(req.submission_id)}`);
    const isDict = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (req.runtime_env !== undefined && !isDict(req.runtime_env)) return bad(`TypeError: runtime_env must be a dict, got ${pyType(req.runtime_env)}`);
    if (req.metadata !== undefined) {
      if (!isDict(req.metadata)) return bad(`TypeError: metadata must be a dict, got ${pyType(req.metadata)}`);
      const badValue = Object.values(req.metadata as object).find((v) => typeof v !== 'string');
      if (badValue !== undefined) return bad(`TypeError: metadata values must be strings, got ${pyType(badValue)}`);
    }
    for (const k of ['entrypoint_num_cpus', 'entrypoint_num_gpus', 'entrypoint_memory'] as const) {
      if (req[k] !== undefined && typeof req[k] !== 'number') return bad(`TypeError: ${k} must be a number, got ${pyType(req[k])}`);
    }
    const id = (req.submission_id as string | undefined) ?? (req.job_id as string | undefined) ?? generateSubmissionId();
    if (jobs.has(id)) {
      return text(
        res,
        500,
        agentTraceback('submit_job', 400, [['job_agent.py', 45, 'submit_job', 'submission_id = await self.get_job_manager().submit_job('], ['job_manager.py', 555, 'submit_job', 'raise ValueError(']], `ValueError: Job with submission_id ${id} already exists. Please use a different submission_id.`),
      );
    }
    const job: StandinJob = {
      submissionId: id,
      entrypoint: req.entrypoint,
      status: 'PENDING',
      message: null,
      errorType: null,
      startTime: Date.now(),
      endTime: null,
      metadata: (req.metadata as Record<string, string> | undefined) ?? null,
      runtimeEnv: (req.runtime_env as Record<string, unknown> | undefined) ?? null,
      ...(typeof req.entrypoint_num_cpus === 'number' ? { numCpus: req.entrypoint_num_cpus } : {}),
      ...(typeof req.entrypoint_num_gpus === 'number' ? { numGpus: req.entrypoint_num_gpus } : {}),
      driverAgent: null,
      driverNodeId: null,
      exitCode: null,
      logFile: join(root, 'logs', `job-driver-${id}.log`),
      get logs() {
        return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
      },
    };
    job.message = pendingMessage(job);
    jobs.set(id, job);
    job.timer = setTimeout(() => run(job), pendingMs);
    json(res, { job_id: id, submission_id: id });
  };

  const route = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const method = req.method ?? 'GET';
    requests.push(`${method} ${path}`);
    const notAllowed = () => text(res, 405, '405: Method Not Allowed');
    let m: RegExpExecArray | null;
    if (path === '/api/jobs/') {
      if (method === 'GET') return json(res, [...jobs.values()].map(jobDetails));
      if (method === 'POST') return submit(res, body.toString('utf8'));
      return notAllowed();
    }
    if ((m = /^\/api\/packages\/([^/]+)\/([^/]+)$/.exec(path))) {
      const uri = `${m[1]}://${decodeURIComponent(m[2]!)}`;
      const name = decodeURIComponent(m[2]!);
      if (method === 'GET') return packages.has(name) && m[1] === 'gcs' ? send(res, 200, '', 'application/octet-stream') : text(res, 404, `Package ${uri} does not exist`);
      if (method === 'PUT') {
        packages.set(name, new Uint8Array(body));
        return send(res, 200, '', 'application/octet-stream');
      }
      return notAllowed();
    }
    if ((m = /^\/api\/jobs\/([^/]+)(\/logs|\/stop|\/logs\/tail)?$/.exec(path))) {
      const id = decodeURIComponent(m[1]!);
      const job = jobs.get(id);
      const what = m[2] ?? '';
      if (what === '' && method === 'GET') return job ? json(res, jobDetails(job)) : noJob(res, id);
      if (what === '' && method === 'DELETE') {
        if (!job) return noJob(res, id);
        if (!FINAL.includes(job.status)) {
          return text(
            res,
            500,
            agentTraceback('delete_job', 500, [['job_agent.py', 129, 'delete_job', 'deleted = await self.get_job_manager().delete_job(job.submission_id)'], ['job_manager.py', 659, 'delete_job', 'raise RuntimeError(']], `RuntimeError: Attempted to delete job '${id}', but it is in a non-terminal state ${job.status}.`),
          );
        }
        jobs.delete(id);
        return json(res, { deleted: true });
      }
      if (what === '/logs' && method === 'GET') return job ? json(res, { logs: job.logs }) : noJob(res, id);
      if (what === '/stop' && method === 'POST') return job ? json(res, { stopped: stop(job) }) : noJob(res, id);
      if (what === '/logs/tail' && method === 'GET') return job ? text(res, 400, 'No WebSocket UPGRADE hdr: None\n Can "Upgrade" only to "WebSocket".') : noJob(res, id);
      return notAllowed();
    }
    return text(res, 404, '404: Not Found');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => route(req, res, Buffer.concat(chunks)));
  });

  // the log tail: the whole log from its start, then what is new about once a second, closed with 1000 after the end
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const tail = (ws: WebSocket, job: StandinJob) => {
    let offset = 0;
    let sawFinal = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = () => {
      if (ws.readyState !== ws.OPEN) return;
      const final = FINAL.includes(job.status);
      const logs = job.logs;
      // whole lines while the job writes (a line being written may end in half a character)
      const upTo = final ? logs.length : logs.lastIndexOf('\n') + 1;
      if (!job.driverAgent) {
        // exited before it started (stopped while PENDING, runtime env failure): nothing to follow
        if (final) return ws.close(1000);
      } else if (upTo > offset) {
        for (const frame of frames(logs.slice(offset, upTo))) ws.send(frame);
        offset = upTo;
      } else if (sawFinal) {
        return ws.close(1000);
      }
      sawFinal = final;
      timer = setTimeout(tick, tailMs);
    };
    ws.on('close', () => clearTimeout(timer));
    tick();
  };
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(`GET ${path} (WebSocket)`);
    const m = /^\/api\/jobs\/([^/]+)\/logs\/tail$/.exec(path);
    const id = m ? decodeURIComponent(m[1]!) : '';
    const job = jobs.get(id);
    if (!job) {
      const body = Buffer.from(m ? `Job ${id} does not exist` : '404: Not Found');
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: ${TEXT_TYPE}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString()}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => tail(ws, job));
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  agent = url;
  return {
    url,
    port,
    jobs,
    packages,
    pipRequests,
    requests,
    async close() {
      for (const job of jobs.values()) {
        clearTimeout(job.timer);
        if (job.proc?.pid) {
          try {
            process.kill(-job.proc.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
