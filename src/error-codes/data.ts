/**
 * Error codes of one area (the table is src/error-codes.ts). Data in and out: JSONL files and
 * their validation, embeddings, query execution, merges.
 */
import type { ErrorCodeSpec } from './spec.js';

export const DATA_CODES = {
  DataFileError: {
    classes: ['DataFileError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'field', 'rule'],
  },
  EmbeddingConfigInvalid: {
    classes: ['EmbeddingConfigInvalid'],
    exit: 1,
    http: 500,
    details: ['variable', 'option', 'value', 'reason'],
  },
  EmbeddingFailed: {
    classes: ['EmbeddingFailed'],
    exit: 1,
    http: 500,
    details: [
      'provider',
      'base_url',
      'model',
      'attempts',
      'reason',
      'status',
      'texts',
      'dimension',
      'table',
      'property',
      'source',
      'rows',
      'file',
      'line',
      'last_line',
    ],
  },
  EmbeddingNotConfigured: {
    classes: ['EmbeddingNotConfigured'],
    exit: 1,
    http: 500,
    details: [
      'provider',
      'how_to_configure',
      'table',
      'property',
      'source',
      'rows',
      'file',
      'line',
      'last_line',
    ],
  },
  InvalidSearchArgument: {
    classes: ['ReadError'],
    exit: 1,
    http: 400,
    details: ['feature', 'max_edits'],
  },
  MergeConflicts: {
    classes: ['MergeConflictsError'],
    exit: 1,
    http: 409,
    details: ['source', 'target', 'conflicts'],
  },
  UnsupportedQueryFeature: {
    classes: ['ReadError'],
    exit: 1,
    http: 501,
    details: ['feature', 'reason'],
  },
  VectorDimensionMismatch: {
    classes: ['ReadError'],
    exit: 1,
    http: 400,
    details: ['property', 'expected', 'got'],
  },
  ValidationError: {
    classes: ['ValidationError'],
    exit: 1,
    http: 400,
    details: ['table', 'id', 'line', 'file', 'field', 'rule'],
  },
} as const satisfies Record<string, ErrorCodeSpec>;
