// Shared by the serving tests: the churn example's model trained into a temp folder, Python
// onnxruntime's reference outputs, `slipway serve` as a child process, and the load generator.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const PYTHON = process.env.SLIPWAY_PYTHON;
export const EXAMPLE = resolve('examples/churn'); // the unit tests run from the repository root
export const CLI = resolve('out/cli.js');
export const LOADGEN = resolve('test/support/loadgen.mjs');
export const needsPython: string | false = PYTHON ? false : 'SLIPWAY_PYTHON is not set: run `npm test` (it creates the Python venv with scikit-learn and onnxruntime and sets it)';
export const needsCli: string | false = needsPython || (existsSync(CLI) ? false : 'out/cli.js is missing: run `npm run build` first');

export const FEATURES = ['sessions_7d', 'sessions_30d', 'avg_basket_30d', 'tickets_30d', 'days_since_last_event', 'tenure_days', 'monthly_fee', 'plan_plus', 'plan_premium'];

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function py(args: string[], cwd = EXAMPLE): Promise<string> {
  const env = { ...process.env };
  for (const k of ['MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_NAME', 'MLFLOW_RUN_ID', 'SLIPWAY_JOB_ID', 'PYTHONPATH']) delete env[k];
  try {
    return (await exec(PYTHON!, args, { cwd, env, maxBuffer: 64 << 20 })).stdout;
  } catch (e) {
    const err = e as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${err.message}\nstdout:\n${err.stdout ?? ''}\nstderr:\n${err.stderr ?? ''}`);
  }
}

/** Trains the churn example (few trees, for speed) into `<dir>/model`: model.onnx + model.json. */
export async function trainChurn(dir: string, trees = 30): Promise<string> {
  const out = join(dir, 'model');
  await py(['src/train.py', '--out', out, '--n_estimators', String(trees)]);
  return out;
}

export interface Reference {
  /** float32 values as doubles; null where missing */
  readonly features: (number | null)[][];
  readonly label: number[];
  readonly probabilities: number[][];
  readonly onnxruntime: string;
}

/** Python onnxruntime's outputs on `rows` rows of the example's data (test/python/serving_reference.py). */
export async function pythonReference(modelDir: string, rows: number, dir: string): Promise<Reference> {
  const out = join(dir, `reference-${rows}.json`);
  await py([resolve('test/python/serving_reference.py'), modelDir, '--rows', String(rows), '--out', out]);
  return JSON.parse(readFileSync(out, 'utf8')) as Reference;
}

/** A v2 request body for rows of features (null: missing). */
export function v2Body(rows: (number | null)[][], id?: string): string {
  return JSON.stringify({ ...(id ? { id } : {}), inputs: [{ name: 'features', shape: [rows.length, rows[0]!.length], datatype: 'FP32', data: rows.flat() }] });
}

export interface CliServer {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** sends the signal and resolves with the exit code (or the signal's name) */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** `node out/cli.js serve ...` as a child process, once it prints its URL. */
export function startCli(args: string[], cwd: string, timeoutMs = 30_000): Promise<CliServer> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | string>((r) => child.once('exit', (code, signal) => r(code ?? signal ?? -1)));
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`slipway serve did not start in ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`));
    }, timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve({
        url: m[1]!,
        child,
        stdout: () => out,
        stderr: () => err,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`slipway serve exited (${code}) before listening\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

export interface LoadReport {
  readonly ok: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
  readonly seconds: number;
  readonly throughput: number;
  readonly latencyMs: { mean: number; p50: number; p90: number; p99: number; p999: number; max: number };
  readonly errorSamples: string[];
}

/** test/support/loadgen.mjs in a second process. */
export async function loadgen(args: string[]): Promise<LoadReport> {
  try {
    const { stdout } = await exec(process.execPath, [LOADGEN, ...args], { maxBuffer: 16 << 20, timeout: 600_000 });
    return JSON.parse(stdout) as LoadReport;
  } catch (e) {
    const err = e as { message: string; stdout?: string; stderr?: string };
    throw new Error(`loadgen failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
}

/** Lines of every inference-table file in a folder. */
export function countRecords(files: readonly string[]): number {
  return files.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').filter((l) => l.length).length, 0);
}
