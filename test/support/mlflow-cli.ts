/** Runs the slipway CLI in-process for the CLI tests (MLflow commands, validate, features). */
import type { CliIo } from '../../src/cli/io';

type RunCli = (argv: string[], io: CliIo) => Promise<number>;
let runCli: RunCli | undefined;

/** main.ts runs the CLI when it is the main module, which a bundled test is: give it harmless arguments, silenced. */
export async function loadCli(): Promise<RunCli> {
  if (runCli) return runCli;
  const [argv, write] = [process.argv, process.stdout.write];
  process.argv = [argv[0]!, argv[1]!, '--version'];
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    ({ runCli } = await import('../../src/cli/main.js'));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.stdout.write = write;
    process.argv = argv;
    process.exitCode = undefined;
  }
  return runCli!;
}

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  /** how many times `out` was called */
  readonly writes: number;
}

export async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const run = await loadCli();
  let out = '';
  let err = '';
  let writes = 0;
  const io: CliIo = {
    cwd,
    env,
    out: (t) => {
      out += t;
      writes++;
    },
    err: (t) => void (err += t),
    interactive: false,
    ask: async () => undefined,
  };
  const code = await run(args, io);
  return { code, out, err, writes };
}
