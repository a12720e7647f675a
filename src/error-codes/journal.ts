/**
 * Error codes of one area (the table is src/error-codes.ts). The journal: branches, commits,
 * operations, leases, its own file and its events.
 */
import type { ErrorCodeSpec } from './spec.js';

export const JOURNAL_CODES = {
  BranchExists: {
    classes: ['LancelogError'],
    exit: 1,
    http: 409,
    details: ['table_key', 'table_path', 'branch', 'deleted'],
  },
  BranchInUse: {
    classes: ['LancelogError'],
    exit: 1,
    http: 409,
    details: ['branch', 'children', 'operations'],
  },
  BranchNotFound: {
    classes: ['LancelogError'],
    exit: 1,
    http: 404,
    details: ['table_key', 'table_path', 'branch'],
  },
  CommitNotFound: { classes: ['LancelogError'], exit: 1, http: 404, details: ['commit_id'] },
  EventPayloadInvalid: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['kind', 'issues', 'seq'],
  },
  ExpectedVersionMismatch: {
    classes: ['LancelogError'],
    exit: 1,
    http: 409,
    details: ['table_key', 'branch', 'expected', 'actual'],
  },
  ForkExists: {
    classes: ['LancelogError'],
    exit: 1,
    http: 409,
    details: ['branch', 'table_key', 'lance_branch'],
  },
  InvalidBranchName: {
    classes: ['LancelogError'],
    exit: 1,
    http: 400,
    details: ['table_key', 'table_path', 'name', 'reason', 'branch'],
  },
  JournalCorrupt: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['seq', 'kind', 'path', 'reason', 'cause', 'table_key'],
  },
  JournalExists: { classes: ['LancelogError'], exit: 1, http: 409, details: ['path'] },
  JournalMissing: { classes: ['LancelogError'], exit: 1, http: 500, details: ['path'] },
  JournalNeedsMigration: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['path', 'stamped'],
  },
  JournalReadOnly: { classes: ['LancelogError'], exit: 1, http: 403, details: ['path'] },
  JournalTooNew: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['path', 'stamped', 'supported'],
  },
  LeaseHeld: {
    classes: ['LancelogError'],
    exit: 1,
    http: 409,
    details: ['table_key', 'branch', 'owner'],
  },
  ManifestVersionNotFound: {
    classes: ['LancelogError'],
    exit: 1,
    http: 404,
    details: ['branch', 'manifest_version'],
  },
  OperationFinished: {
    classes: ['LancelogError'],
    exit: 1,
    http: 409,
    details: ['op_id', 'state'],
  },
  OperationNotFound: { classes: ['LancelogError'], exit: 1, http: 404, details: ['op_id'] },
  RepairImpossible: { classes: ['LancelogError'], exit: 1, http: 500, details: ['branch'] },
  SidecarSchemaError: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['file', 'reason'],
  },
} as const satisfies Record<string, ErrorCodeSpec>;
