/**
 * The entrypoint of a Ray job. Ray runs it with `/bin/sh -c` (subprocess shell=True), so this
 * is the one place where a parameter value could become a command: every word is quoted.
 */
import { posix } from 'node:path';
import { paramsToArgs } from '../types';

// no '=': a quoted first word can never be read as a VAR=value assignment
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** One word for a POSIX shell: inert whatever it contains (`$(...)`, quotes, newlines, globs). */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error(`${JSON.stringify(word)} contains a NUL character, which no command line can carry`);
  if (SAFE_WORD.test(word)) return word;
  // inside single quotes nothing is special but the quote itself: close, add \', reopen
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** training.script as a path inside the uploaded folder, `/`-separated; refuses paths that leave it. */
export function scriptInPackage(script: string): string {
  const normal = posix.normalize(script.replace(/\\/g, '/'));
  if (posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new Error(`training.script ${script} is outside the project folder, and only that folder is uploaded to Ray: move the script into the project`);
  }
  return normal.replace(/^\.\//, '');
}

/** `python <script> --k v ...`, each word quoted for the shell Ray runs it with. */
export function rayEntrypoint(python: string, script: string, params: Readonly<Record<string, string | number | boolean>>): string {
  return [python, scriptInPackage(script), ...paramsToArgs(params)].map(shellQuote).join(' ');
}
