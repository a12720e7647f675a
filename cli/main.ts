#!/usr/bin/env node
/**
 * The `lancelog` command. Thin: parse arguments, call the public API, format output.
 * Every command takes --json; errors print {error, code, details} and exit non-zero.
 */
import { CommanderError } from 'commander';
import { UsageError } from '../src/light.js';
import { printError, USAGE_EXIT } from './output.js';
import { buildProgram } from './program.js';

/** `--json`, or `--format json` (the `read` command's spelling of it). */
const wantsJson =
  process.argv.includes('--json') ||
  process.argv.includes('--format=json') ||
  process.argv.some((a, i) => a === '--format' && process.argv[i + 1] === 'json');
/** `--debug` (any position, every command): print the stack trace of a failure. */
const debug = process.argv.includes('--debug') || process.env.LANCELOG_DEBUG === '1';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram(wantsJson);
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      if (err.exitCode === 0) return 0;
      // Usage errors exit 2, with or without --json (runtime errors exit 1).
      if (wantsJson)
        printError(
          new UsageError(err.message.replace(/^error: /, ''), { commander_code: err.code }),
          true,
        );
      return USAGE_EXIT;
    }
    return printError(err, wantsJson, debug);
  }
}

void main(process.argv.filter((a) => a !== '--debug')).then((code) => {
  process.exitCode = code;
});
