/**
 * Error codes of one area (the table is src/error-codes.ts). The repo API (RepoError): a repo,
 * table or branch not in the state an operation needs.
 */
import type { ErrorCodeSpec } from './spec.js';

export const REPO_CODES = {
  BlobNotFound: {
    classes: ['RepoError'],
    exit: 1,
    http: 404,
    details: ['type', 'id', 'property', 'commit_id'],
  },
  CommitNotOnBranch: { classes: ['RepoError'], exit: 1, http: 400, details: ['commit', 'branch'] },
  CommitVersionUnexpected: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['table_key', 'pin', 'version', 'expected'],
  },
  DuplicateTableAction: { classes: ['RepoError'], exit: 1, http: 500, details: ['table_keys'] },
  InvalidFilter: { classes: ['RepoError'], exit: 1, http: 400, details: ['table', 'column'] },
  InvalidMerge: { classes: ['RepoError'], exit: 1, http: 400, details: ['source', 'target'] },
  NotABlobProperty: {
    classes: ['RepoError'],
    exit: 1,
    http: 400,
    details: ['type', 'property', 'property_type'],
  },
  InvalidRepoPath: {
    classes: ['RepoError'],
    exit: 1,
    http: 400,
    details: ['repo', 'path', 'reason'],
  },
  InvariantBroken: {
    classes: ['InvariantBroken'],
    exit: 1,
    http: 500,
    details: ['invariant', 'op_id', 'phase', 'table_key', 'projection', 'expected', 'actual'],
  },
  /**
   * A write failed after its Lance commits began and even its failure could not be
   * journaled: recovery decides from what is on disk (`recover_decides`). Exit 3.
   */
  OutcomeUnknown: {
    classes: ['OutcomeUnknown'],
    exit: 3,
    http: 500,
    details: ['op_id', 'phase', 'recover_decides', 'tables', 'cause', 'journal_cause'],
  },
  NotANodeType: { classes: ['RepoError'], exit: 1, http: 400, details: ['type'] },
  NotARepo: { classes: ['RepoError'], exit: 1, http: 404, details: ['repo'] },
  NotAnEdgeType: { classes: ['RepoError'], exit: 1, http: 400, details: ['type'] },
  QueryNotMutation: { classes: ['RepoError'], exit: 1, http: 400, details: ['query', 'file'] },
  QueryNotRead: { classes: ['RepoError'], exit: 1, http: 400, details: ['query', 'file'] },
  QuerySourceMissing: { classes: ['RepoError'], exit: 1, http: 400, details: ['query'] },
  RecoveryAborted: {
    classes: ['RecoveryAborted'],
    exit: 1,
    http: 500,
    // An operation recovery could not decide (table_key, branch), one it aborted
    // (op_id, tables), or the run's summary (errors: each as {error, code, details}, report).
    details: ['table_key', 'branch', 'op_id', 'tables', 'errors', 'report'],
  },
  RecoveryRequired: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['table_key', 'branch', 'head', 'pin', 'doctor'],
  },
  RepoNotEmpty: { classes: ['RepoError'], exit: 1, http: 409, details: ['repo'] },
  SchemaApplyBlocked: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['reason', 'branches', 'table_key', 'table_path'],
  },
  SchemaApplyRefused: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['type', 'property', 'step', 'rule', 'row_ids', 'rows', 'violations'],
  },
  SchemaApplyUnsupported: {
    classes: ['RepoError'],
    exit: 1,
    http: 400,
    details: ['steps'],
  },
  SchemaChanged: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['recorded', 'current', 'op_id'],
  },
  SchemaDrift: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['repo', 'recorded', 'current', 'file'],
  },
  TableNotPinned: {
    classes: ['RepoError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'branch'],
  },
  CleanupBlocked: { classes: ['RepoError'], exit: 1, http: 409, details: ['operations'] },
  InvalidStorageUri: {
    classes: ['RepoError'],
    exit: 1,
    http: 400,
    details: ['uri', 'reason', 'variable'],
  },
  StorageClaimMismatch: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['repo', 'tables', 'reason'],
  },
  VersionCleanedUp: {
    classes: ['RepoError'],
    exit: 1,
    http: 404,
    details: ['commit', 'branch', 'manifest_version', 'table_key', 'version', 'cleanup_op_id'],
  },
  VersionDamaged: {
    classes: ['RepoError'],
    exit: 1,
    http: 404,
    details: ['commit', 'branch', 'manifest_version', 'repair_op_id'],
  },
} as const satisfies Record<string, ErrorCodeSpec>;
