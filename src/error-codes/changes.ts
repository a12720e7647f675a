/**
 * Error codes of one area (the table is src/error-codes.ts). Changes: per-commit changes,
 * the change feed and its cursors, and conditional writes (docs/branches-commits.md
 * "Commit changes", "The change feed", "Conditional writes").
 */
import type { ErrorCodeSpec } from './spec.js';

export const CHANGES_CODES = {
  /** The initial commit has no first parent, so no exact diff: bootstrap from a baseline. */
  ParentlessCommit: { classes: ['RepoError'], exit: 1, http: 409, details: ['commit', 'reason'] },
  /** The commit changed columns or dropped a type with rows: no entity diff is synthesized. */
  SchemaBoundary: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['commit', 'reason', 'table_key', 'type'],
  },
  /** A cursor or page token that is malformed, tampered with, or of another scope. */
  ChangeCursorRejected: {
    classes: ['RepoError'],
    exit: 1,
    http: 400,
    details: ['reason', 'branch', 'commit'],
  },
  /** `lancelog cleanup` removed a version the feed needs: take a new baseline. */
  ChangeFeedGap: {
    classes: ['RepoError'],
    exit: 1,
    http: 410,
    details: ['cursor', 'first_unreadable_commit_id', 'table_key', 'version'],
  },
  /** A conditional write found the branch head at another commit: nothing was written. */
  PreconditionFailed: {
    classes: ['RepoError'],
    exit: 4,
    http: 412,
    details: ['branch', 'expected', 'actual'],
  },
} as const satisfies Record<string, ErrorCodeSpec>;
