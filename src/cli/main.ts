import { createInterface } from 'node:readline/promises';
import { EXIT, UsageError, type CliCommand, type CliIo } from './io';
import { initCommand } from './commands/init';
import { validateCommand } from './commands/validate';
import { trainCommand } from './commands/train';
import { jobsCommand } from './commands/jobs';
import { scheduleCommand } from './commands/schedule';
import { runsCommand } from './commands/runs';
import { modelsCommand } from './commands/models';
import { driftCommand } from './commands/drift';
import { deployCommand } from './commands/deploy';
import { serveCommand } from './commands/serve';
import { featuresCommand } from './commands/features';

declare const SLIPWAY_VERSION: string | undefined;

/** Every command of the CLI; each lives in its own file under commands/. */
export const COMMANDS: readonly CliCommand[] = [initCommand, validateCommand, trainCommand, jobsCommand, scheduleCommand, runsCommand, modelsCommand, driftCommand, deployCommand, serveCommand, featuresCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'slipway: the Slipway pipeline from a terminal or CI',
    '',
    'usage: slipway <command> [options]',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'slipway <command> --help shows a command\'s options.',
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version' || name === '-V') {
    io.out(`${typeof SLIPWAY_VERSION === 'string' ? SLIPWAY_VERSION : 'dev'}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`slipway: unknown command '${name}'\n\n${help()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${command.usage}\n\n${command.summary}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`slipway ${name}: ${e.message}\nusage: ${command.usage}\n`);
      return EXIT.usage;
    }
    io.err(`slipway ${name}: ${(e as Error).message}\n`);
    return EXIT.failed;
  }
}

function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    env: process.env,
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    interactive: Boolean(process.stdin.isTTY),
    async ask(question) {
      if (!process.stdin.isTTY) return undefined;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}

// not when bundled into a test file, where require.main is the test itself
if (require.main === module && !/\.test\.js$/.test(require.main.filename)) {
  runCli(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`slipway: ${(e as Error).stack ?? e}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
