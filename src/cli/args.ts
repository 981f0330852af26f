import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io';

/** node:util parseArgs with errors turned into usage errors (exit 2). */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
