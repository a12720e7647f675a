/** How the CLI prints results and errors: human text by default, JSON with --json. */
import { LancelogError } from '../src/index.js';

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

/**
 * Expected failures print `{error, code, details}` (JSON) or the message (text), never
 * a stack trace; an unexpected failure is still reported with code `InternalError`.
 */
export function printError(err: unknown, json: boolean): number {
  const payload =
    err instanceof LancelogError
      ? err.toJSON()
      : {
          error: err instanceof Error ? err.message : String(err),
          code: 'InternalError',
          details: {},
        };
  if (json) process.stdout.write(`${JSON.stringify(payload, jsonReplacer, 2)}\n`);
  else {
    process.stderr.write(`error [${payload.code}]: ${payload.error}\n`);
    if (!(err instanceof LancelogError) && err instanceof Error && err.stack)
      process.stderr.write(`${err.stack}\n`);
  }
  return 1;
}
