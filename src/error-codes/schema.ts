/**
 * Error codes of one area (the table is src/error-codes.ts). `.pg` schemas: syntax
 * (ParseError, shared with `.gq`) and the schema compiler's rules (SchemaError).
 */
import type { ErrorCodeSpec } from './spec.js';

export const SCHEMA_CODES = {
  CheckOnNonString: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  ConflictingInterfaceProperty: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  ConstraintNotAllowed: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  DuplicateConstraint: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  DuplicateInterface: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  DuplicateProperty: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  DuplicateType: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidCardinality: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidCheckRegex: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidConstraint: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidEmbed: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidKeyType: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidListElement: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidRange: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidVectorDimension: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  KeyOnEdge: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  KeyOnListProperty: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  KeyOnNullableProperty: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  MisplacedConstraint: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  MultipleKeys: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  ParseError: {
    classes: ['ParseError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'excerpt', 'reason'],
  },
  RangeOnNonNumeric: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  ReservedPropertyName: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  UnknownConstraintProperty: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  UnknownEndpointType: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  UnknownInterface: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  UnknownPropertyType: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
} as const satisfies Record<string, ErrorCodeSpec>;
