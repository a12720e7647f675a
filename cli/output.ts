/** How the CLI prints results and errors: human text by default, JSON with --json. */
import { asSystemError, ERROR_CODES, exitStatusOf, LancelogError } from '../src/light.js';

export interface OutputOptions {
  json?: boolean;
}

export function printResult(opts: OutputOptions, value: unknown, human: () => string): void {
  if (opts.json) process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** 64-bit integers outside the JS safe range are printed as strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  return value;
}

/** Exit status of a failure: 2 for a usage error (bad flags or arguments), else 1. */
export const USAGE_EXIT = ERROR_CODES.UsageError.exit;

/**
 * Expected failures print `{error, code, details}` (JSON) or the message (text), never
 * a stack trace. A system failure (full disk, permissions, read-only or damaged files)
 * becomes its typed code (`DiskFull`, `PermissionDenied`, `ReadOnlyRepo`,
 * `JournalCorrupt`); anything else unexpected is `InternalError`, with its stack only
 * under `--debug`. Returns the exit status from the error-code table (src/error-codes.ts):
 * 2 for `UsageError`, else 1.
 */
export function printError(err: unknown, json: boolean, debug = false): number {
  const typed = asSystemError(err, 'failed');
  const payload =
    typed instanceof LancelogError
      ? typed.toJSON()
      : {
          error: typed instanceof Error ? typed.message : String(typed),
          code: 'InternalError',
          details: {},
        };
  // A lost compare-and-swap carries the reference's structured body as well.
  const details = payload.details as Record<string, unknown>;
  const out =
    payload.code === 'PreconditionFailed'
      ? { ...payload, precondition_failure: { expected: details.expected, actual: details.actual } }
      : payload;
  if (json) process.stdout.write(`${JSON.stringify(out, jsonReplacer, 2)}\n`);
  else process.stderr.write(`error [${payload.code}]: ${payload.error}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else if (!(typed instanceof LancelogError) && !json)
    process.stderr.write('(run with --debug for the stack trace)\n');
  return exitStatusOf(payload.code);
}
