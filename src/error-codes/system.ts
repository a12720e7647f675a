/**
 * Error codes of one area (the table is src/error-codes.ts). The process, its input and the
 * file system: usage, internal failures, a full disk or a refused file, failpoints.
 */
import type { ErrorCodeSpec } from './spec.js';

export const SYSTEM_CODES = {
  DiskFull: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['cause', 'path', 'table_key'],
  },
  FailpointTriggered: { classes: ['LancelogError'], exit: 1, http: 500, details: ['failpoint'] },
  FileNotFound: { classes: ['LancelogError'], exit: 1, http: 404, details: ['file', 'reason'] },
  InternalError: { classes: ['LancelogError'], exit: 1, http: 500, details: [] },
  InvalidArgument: { classes: ['LancelogError'], exit: 1, http: 500, details: ['table_key'] },
  InvalidFailpointSpec: { classes: ['LancelogError'], exit: 1, http: 400, details: ['spec'] },
  PermissionDenied: {
    classes: ['LancelogError'],
    exit: 1,
    http: 403,
    details: ['cause', 'path', 'table_key'],
  },
  ReadOnlyRepo: {
    classes: ['RepoError'],
    exit: 1,
    http: 403,
    details: ['repo', 'cause', 'path', 'table_key'],
  },
  UnknownFailpoint: { classes: ['LancelogError'], exit: 1, http: 400, details: ['failpoint'] },
  UsageError: { classes: ['UsageError'], exit: 2, http: 400, details: [] },
} as const satisfies Record<string, ErrorCodeSpec>;
