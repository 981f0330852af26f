/** What a CLI command gets: its arguments and the streams, so tests can run commands in-process. */
export interface CliIo {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** true when stdin is a terminal a person can answer */
  readonly interactive: boolean;
  /** one answer from the person at the terminal; undefined when nobody can answer */
  ask(question: string): Promise<string | undefined>;
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export class UsageError extends Error {}

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}
