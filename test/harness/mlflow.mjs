// Starts the MLflow stand-in (out/test/support/mlflow-standin.js) as a child process for the
// VS Code layers and returns its URL; stop() ends it.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export async function startMlflowStandin(root) {
  const child = spawn(process.execPath, [join(root, 'out/test/support/mlflow-standin.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = () => { try { child.kill('SIGTERM'); } catch { /* gone */ } };
  process.on('exit', stop);
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the MLflow stand-in did not start within 20 s')), 20_000);
    createInterface({ input: child.stdout }).once('line', (line) => { clearTimeout(timer); resolve(line.trim()); });
    child.once('exit', (code) => reject(new Error(`the MLflow stand-in exited with ${code}`)));
  });
  return { url, stop };
}
