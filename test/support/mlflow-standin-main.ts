// Runs the MLflow stand-in as a process for the VS Code tests (integration and e2e), seeded with
// the data set of the recordings. Prints its URL on the first line of stdout; SIGTERM stops it.
import { MlflowStandin, recordedSeed } from './mlflow-standin';

async function main(): Promise<void> {
  const standin = new MlflowStandin();
  standin.seed(recordedSeed());
  const url = await standin.start();
  process.stdout.write(`${url}\n`);
  const stop = () => void standin.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
