/**
 * Real Ray (2.58, from the pip mirror, without the dashboard extras): the churn example's
 * training runs inside ray.remote tasks (test/python/ray_train.py), proving the script is
 * Ray-ready. The Jobs API itself is tested against the stand-in (ray-runner.test.ts), which
 * ray-contract.test.ts holds to recordings of a real dashboard.
 *
 * Ray binds only 127.0.0.1 here (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0), and the test checks it.
 * Cleanup is `ray stop --force` limited to this test: `ray stop` would kill every Ray on the
 * machine, so the processes of this session (found by its temp folder, and their children)
 * are killed by pid instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';

const RAY_PYTHON = process.env.SLIPWAY_RAY_PYTHON;
const SKIP =
  !RAY_PYTHON &&
  'SLIPWAY_RAY_PYTHON is not set: it names a Python with ray (test/python-requirements-ray.txt); create it with ' +
    '`source scripts/env.sh && slipway_ensure_python test/python-requirements-ray.txt` and pass its $SLIPWAY_PYTHON as SLIPWAY_RAY_PYTHON';

interface Result {
  ray: string;
  driver_pid: number;
  cpus: number;
  results: { seed: number; pid: number; metrics: Record<string, number>; rows: { train: number; validation: number } }[];
  listeners: string[];
  non_loopback: string[];
  seconds: number;
}

/** pids of processes whose command line names `marker`, and their descendants */
async function processesOf(marker: string): Promise<number[]> {
  const parent = new Map<number, number>();
  const found = new Set<number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if ((await readFile(`/proc/${name}/cmdline`, 'utf8')).includes(marker)) found.add(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

test('real Ray trains the churn example in ray.remote tasks, on 127.0.0.1 only', { skip: SKIP, timeout: 150_000 }, async (t) => {
  // short: Ray's unix socket paths live under it and must stay under 108 characters
  const temp = await mkdtemp('/tmp/slray-');
  const started = Date.now();
  try {
    const stdout = await new Promise<string>((resolvePromise, reject) => {
      execFile(
        RAY_PYTHON!,
        ['test/python/ray_train.py', '--project', resolve('examples/churn'), '--temp-dir', temp, '--seeds', '1', '2'],
        { env: { ...process.env, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER: '0', RAY_USAGE_STATS_ENABLED: '0' }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err.slice(-4000)}`)) : resolvePromise(out)),
      );
    });
    const result = JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1)!) as Result;
    t.diagnostic(`ray ${result.ray}: 2 tasks in ${result.seconds} s inside Python, ${((Date.now() - started) / 1000).toFixed(1)} s in all`);
    assert.match(result.ray, /^2\.58\./);
    assert.equal(result.cpus, 2);
    assert.deepEqual(result.results.map((r) => r.seed), [1, 2]);
    for (const r of result.results) {
      assert.ok(r.metrics.val_auc! > 0.8, `seed ${r.seed}: val_auc ${r.metrics.val_auc}`);
      assert.notEqual(r.pid, result.driver_pid, 'trained in a Ray worker, not in the driver');
    }
    assert.notDeepEqual(result.results[0]!.metrics, result.results[1]!.metrics, 'the seeds differ, so do the splits');
    assert.ok(result.listeners.length > 0, 'the Ray processes were found');
    assert.deepEqual(result.non_loopback, [], `Ray listens on loopback only (${result.listeners.join(', ')})`);
  } finally {
    // ray.shutdown() stops them; whatever is left of this session goes now, by pid
    let left = await processesOf(temp);
    for (let i = 0; i < 50 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await processesOf(temp);
    }
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await rm(temp, { recursive: true, force: true });
    assert.deepEqual(left, [], 'ray.shutdown() left no Ray process behind');
  }
});
