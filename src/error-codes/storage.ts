/**
 * Error codes of one area (the table is src/error-codes.ts). Lance tables (StorageError):
 * every detail names table_key and table_path.
 */
import type { ErrorCodeSpec } from './spec.js';

export const STORAGE_CODES = {
  DuplicateIds: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  EmptyCommit: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  HandleClosed: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  InvalidRows: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  InvalidTablePath: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  ReadOnlyHandle: {
    classes: ['StorageError'],
    exit: 1,
    http: 403,
    details: ['table_key', 'table_path'],
  },
  ObjectStoreFailure: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['bucket', 'key', 'action', 'cause'],
  },
  StorageFailure: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path', 'action', 'cause'],
  },
  StoreClosed: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  TableExists: {
    classes: ['StorageError'],
    exit: 1,
    http: 409,
    details: ['table_key', 'table_path'],
  },
  TableNotFound: {
    classes: ['StorageError'],
    exit: 1,
    http: 404,
    details: ['table_key', 'table_path'],
  },
  VersionNotFound: {
    classes: ['StorageError'],
    exit: 1,
    http: 404,
    details: ['table_key', 'table_path', 'branch', 'version'],
  },
} as const satisfies Record<string, ErrorCodeSpec>;
