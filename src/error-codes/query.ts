/**
 * Error codes of one area (the table is src/error-codes.ts). `.gq` queries: the query
 * compiler's rules (QueryError) and query parameters (ParamError).
 */
import type { ErrorCodeSpec } from './spec.js';

export const QUERY_CODES = {
  AggregateMisuse: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  ArgumentCount: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  AsymmetricUndirectedEdge: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  DuplicateAssignment: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  DuplicateBinding: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  DuplicateColumn: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  DuplicateParameter: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  DuplicateQuery: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  EdgeBindingMisuse: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  EdgeInsertMissingEndpoint: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  EndpointMismatch: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  FunctionMisuse: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  InvalidHopBounds: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  InvalidLimit: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  InvalidValue: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  MissingRequiredProperty: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  NearestWithoutLimit: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  ParamMissing: {
    classes: ['ParamError'],
    exit: 1,
    http: 400,
    details: ['query', 'param', 'expected'],
  },
  ParamType: {
    classes: ['ParamError'],
    exit: 1,
    http: 400,
    details: ['query', 'param', 'expected', 'reason'],
  },
  ParamUnknown: { classes: ['ParamError'], exit: 1, http: 400, details: ['query', 'param'] },
  ParamsInvalid: { classes: ['ParamError'], exit: 1, http: 400, details: ['query', 'from'] },
  QueryNotFound: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  TypeMismatch: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnboundVariable: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnknownAlias: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnknownEdge: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnknownFunction: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnknownParameter: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnknownProperty: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt', 'table'],
  },
  UnknownType: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt', 'type'],
  },
  WildcardMisuse: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
} as const satisfies Record<string, ErrorCodeSpec>;
