/**
 * Error codes of one area (the table is src/error-codes.ts). `lancelog serve` (HttpError) and
 * its access policies (PolicyError).
 */
import type { ErrorCodeSpec } from './spec.js';

export const SERVER_CODES = {
  Forbidden: { classes: ['HttpError'], exit: 1, http: 403, details: ['action', 'actor', 'ref'] },
  GraphNotFound: { classes: ['HttpError'], exit: 1, http: 404, details: ['graph_id'] },
  InvalidRequest: { classes: ['HttpError'], exit: 1, http: 400, details: ['field', 'issues'] },
  NodeNotFound: {
    classes: ['HttpError'],
    exit: 1,
    http: 404,
    details: ['type', 'id', 'branch'],
  },
  PolicyEvaluationFailed: { classes: ['PolicyError'], exit: 1, http: 500, details: ['errors'] },
  PolicyInvalid: {
    classes: ['PolicyError'],
    exit: 1,
    http: 400,
    details: ['file', 'field', 'rule'],
  },
  PolicyTestsInvalid: { classes: ['PolicyError'], exit: 1, http: 400, details: ['file', 'field'] },
  QueryNameRequired: { classes: ['HttpError'], exit: 1, http: 400, details: ['queries'] },
  RangeNotSatisfiable: { classes: ['HttpError'], exit: 1, http: 416, details: ['range', 'size'] },
  StoredQueryInvalid: {
    classes: ['StoredQueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'graph_id', 'reason'],
  },
  StoredQueryNotFound: { classes: ['HttpError'], exit: 1, http: 404, details: ['name'] },
  Unauthorized: { classes: ['HttpError'], exit: 1, http: 401, details: [] },
  UnknownTableKey: { classes: ['HttpError'], exit: 1, http: 400, details: ['table_key'] },
} as const satisfies Record<string, ErrorCodeSpec>;
