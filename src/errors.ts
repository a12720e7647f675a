/**
 * One typed error hierarchy with stable string codes (docs/architecture.md §Errors).
 * `code` is part of the public contract: the CLI prints it, tests assert it.
 */
import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

export class LancelogError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.details = details;
  }
  toJSON(): { error: string; code: ErrorCode; details: Record<string, unknown> } {
    return { error: this.message, code: this.code, details: this.details };
  }
}

/** A position in a source file; line and column are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** Renders the offending source line with a caret under the column. */
export function excerptAt(source: string, line: number, column: number): string {
  const text = source.split(/\r?\n/)[line - 1] ?? '';
  const gutter = `${line} | `;
  return `${gutter}${text}\n${' '.repeat(gutter.length + Math.max(0, column - 1))}^`;
}

/** Syntax error in a .pg or .gq file. */
export class ParseError extends LancelogError {
  constructor(message: string, pos: SourcePosition, source: string) {
    const excerpt = excerptAt(source, pos.line, pos.column);
    super('ParseError', `${pos.file}:${pos.line}:${pos.column}: ${message}\n${excerpt}`, {
      file: pos.file,
      line: pos.line,
      column: pos.column,
      excerpt,
      reason: message,
    });
  }
}

/**
 * A semantic error in a schema: `code` names the rule (e.g. `UnknownEndpointType`),
 * `declaration` names the type or edge it was found in.
 */
export class SchemaError extends LancelogError {
  constructor(
    code: ErrorCode,
    message: string,
    pos: SourcePosition & { declaration: string },
    source?: string,
  ) {
    const excerpt = source === undefined ? undefined : excerptAt(source, pos.line, pos.column);
    super(
      code,
      `${pos.file}:${pos.line}:${pos.column}: ${message} (in ${pos.declaration})${excerpt ? `\n${excerpt}` : ''}`,
      {
        file: pos.file,
        line: pos.line,
        column: pos.column,
        declaration: pos.declaration,
        reason: message,
        ...(excerpt ? { excerpt } : {}),
      },
    );
  }
}

/** The repo (or a table inside it) is not in the state an operation needs. */
export class RepoError extends LancelogError {}

/** A storage-layer failure, naming the table key and path. */
export class StorageError extends LancelogError {}

/** User input (CLI flags, API arguments) that is malformed. */
export class UsageError extends LancelogError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('UsageError', message, details);
  }
}

/**
 * What the operating system, SQLite or Lance said, as one of Lancelog's codes:
 * `DiskFull`, `PermissionDenied`, `ReadOnlyRepo` (a read-only file system or file),
 * `JournalCorrupt`. Undefined when the failure is none of these. Read from errno
 * codes (`ENOSPC`), SQLite result codes (`SQLITE_FULL`) and — Lance reports I/O
 * failures only as text — from the message (`No space left on device`, `os error 28`).
 */
export type SystemCode = 'DiskFull' | 'PermissionDenied' | 'ReadOnlyRepo' | 'JournalCorrupt';

/**
 * A system failure as the class its code's table entry names (ReadOnlyRepo is a
 * RepoError, the others plain LancelogErrors), wherever in the engine it was caught.
 */
export function systemError(
  code: SystemCode,
  message: string,
  details: Record<string, unknown>,
): LancelogError {
  return code === 'ReadOnlyRepo'
    ? new RepoError(code, message, details)
    : new LancelogError(code, message, details);
}

export function systemErrorCode(err: unknown): SystemCode | undefined {
  // A typed error already says what it is; only lance's wrapped failures are read again.
  if (err instanceof LancelogError && err.code !== 'StorageFailure') return undefined;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return 'DiskFull';
    if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH')
      return 'PermissionDenied';
    if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) return 'ReadOnlyRepo';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'JournalCorrupt';
  }
  const text =
    err instanceof LancelogError && typeof err.details.cause === 'string'
      ? err.details.cause
      : err instanceof Error
        ? err.message
        : String(err);
  if (
    /no space left on device|os error 28\b|ENOSPC|disk quota exceeded|database or disk is full/i.test(
      text,
    )
  )
    return 'DiskFull';
  if (/read-only file system|os error 30\b|EROFS|attempt to write a readonly database/i.test(text))
    return 'ReadOnlyRepo';
  if (/permission denied|operation not permitted|os error (1|13)\b|EACCES|EPERM/i.test(text))
    return 'PermissionDenied';
  if (/database disk image is malformed|file is not a database/i.test(text))
    return 'JournalCorrupt';
  return undefined;
}

const SYSTEM_ADVICE: Record<string, string> = {
  // Whether anything was published is the write protocol's to say (it adds "nothing was
  // published" only when that is true; src/write/protocol/run.ts `refused`).
  DiskFull: 'free space on the file system holding the repo, then retry',
  PermissionDenied: "check the repo's owner and permissions",
  ReadOnlyRepo:
    'the repo is on a read-only file system or its files are read-only; nothing can be written there (to read it, copy the repo to a writable place: SQLite needs its -shm file even to read)',
  JournalCorrupt: "run 'lancelog doctor <repo>' to see what is damaged",
};

/**
 * `err` as a typed error when it is a system failure (see systemErrorCode), keeping
 * the underlying message as `details.cause`; otherwise `err` unchanged.
 */
export function asSystemError(
  err: unknown,
  what: string,
  details: Record<string, unknown> = {},
): unknown {
  const code = systemErrorCode(err);
  if (code === undefined) return err;
  const cause =
    err instanceof LancelogError && typeof err.details.cause === 'string'
      ? err.details.cause
      : err instanceof Error
        ? err.message
        : String(err);
  return systemError(code, `${what}: ${cause} — ${SYSTEM_ADVICE[code]}`, {
    ...(err instanceof LancelogError ? err.details : {}),
    ...details,
    cause,
  });
}
