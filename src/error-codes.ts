/**
 * Every error code Lancelog raises, as data: the classes that raise it, the CLI's exit
 * status, the HTTP status a server answers with, and the keys its `details` may carry
 * (snake_case, one casing for every code). `LancelogError` takes only these codes, so a
 * new code does not compile until it is added here; docs/errors.md is generated from this
 * table (`npx tsx scripts/gen-errors-doc.ts`) and a test fails when the page is stale.
 *
 * HTTP statuses: 400 bad input, 401 no or a wrong bearer token (lancelog serve), 403 a write the repo or file system refuses or a policy denies, 404 a thing
 * that does not exist, 409 a conflict with the repo's state (retry or recover), 500
 * storage, journal and internal failures, 501 a query feature not executed yet.
 */
export interface ErrorCodeSpec {
  readonly classes: readonly string[];
  readonly exit: 1 | 2;
  readonly http: 400 | 401 | 403 | 404 | 409 | 413 | 500 | 501;
  readonly details: readonly string[];
}

export const ERROR_CODES = {
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
  BranchExists: {
    classes: ['LancelogError', 'StorageError'],
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
    classes: ['LancelogError', 'StorageError'],
    exit: 1,
    http: 404,
    details: ['table_key', 'table_path', 'branch'],
  },
  CheckOnNonString: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  CommitNotFound: { classes: ['LancelogError'], exit: 1, http: 404, details: ['commit_id'] },
  CommitNotOnBranch: { classes: ['RepoError'], exit: 1, http: 400, details: ['commit', 'branch'] },
  CommitVersionUnexpected: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['table_key', 'pin', 'version', 'expected'],
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
  DataFileError: {
    classes: ['DataFileError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'field', 'rule'],
  },
  DiskFull: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['cause', 'path', 'table_key'],
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
  DuplicateConstraint: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  DuplicateIds: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  DuplicateInterface: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  DuplicateParameter: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  DuplicateProperty: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  DuplicateQuery: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  DuplicateTableAction: { classes: ['RepoError'], exit: 1, http: 500, details: ['table_keys'] },
  DuplicateType: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  EdgeInsertMissingEndpoint: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  EmptyCommit: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  EndpointMismatch: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
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
  FailpointTriggered: { classes: ['LancelogError'], exit: 1, http: 500, details: ['failpoint'] },
  FileNotFound: { classes: ['LancelogError'], exit: 1, http: 404, details: ['file', 'reason'] },
  Forbidden: { classes: ['HttpError'], exit: 1, http: 403, details: ['action', 'actor'] },
  ForkExists: {
    classes: ['LancelogError'],
    exit: 1,
    http: 409,
    details: ['branch', 'table_key', 'lance_branch'],
  },
  FunctionMisuse: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  HandleClosed: {
    classes: ['StorageError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'table_path'],
  },
  InternalError: { classes: ['LancelogError'], exit: 1, http: 500, details: [] },
  InvalidArgument: { classes: ['LancelogError'], exit: 1, http: 500, details: ['table_key'] },
  InvalidBranchName: {
    classes: ['LancelogError', 'StorageError'],
    exit: 1,
    http: 400,
    details: ['table_key', 'table_path', 'name', 'reason', 'branch'],
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
  InvalidFailpointSpec: { classes: ['LancelogError'], exit: 1, http: 400, details: ['spec'] },
  InvalidFilter: { classes: ['RepoError'], exit: 1, http: 400, details: ['table', 'column'] },
  InvalidHopBounds: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  InvalidKeyType: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  InvalidLimit: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
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
  InvalidRepoPath: {
    classes: ['RepoError'],
    exit: 1,
    http: 400,
    details: ['repo', 'path', 'reason'],
  },
  InvalidRequest: { classes: ['HttpError'], exit: 1, http: 400, details: ['field', 'issues'] },
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
  InvalidValue: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  InvalidVectorDimension: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
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
  MisplacedConstraint: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  MissingRequiredProperty: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  MultipleKeys: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  NearestWithoutLimit: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  NotANodeType: { classes: ['RepoError'], exit: 1, http: 400, details: ['type'] },
  NotARepo: { classes: ['LancelogError', 'RepoError'], exit: 1, http: 404, details: ['repo'] },
  NotAnEdgeType: { classes: ['RepoError'], exit: 1, http: 400, details: ['type'] },
  NotImplemented: { classes: ['HttpError'], exit: 1, http: 501, details: ['operation'] },
  OperationFinished: {
    classes: ['LancelogError'],
    exit: 1,
    http: 409,
    details: ['op_id', 'state'],
  },
  OperationNotFound: { classes: ['LancelogError'], exit: 1, http: 404, details: ['op_id'] },
  ParamMissing: {
    classes: ['LancelogError', 'ParamError'],
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
  ParseError: {
    classes: ['ParseError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'excerpt', 'reason'],
  },
  PermissionDenied: {
    classes: ['LancelogError'],
    exit: 1,
    http: 403,
    details: ['cause', 'path', 'table_key'],
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
  QueryNotFound: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  QueryNotMutation: { classes: ['RepoError'], exit: 1, http: 400, details: ['query', 'file'] },
  QueryNotRead: { classes: ['RepoError'], exit: 1, http: 400, details: ['query', 'file'] },
  QuerySourceMissing: { classes: ['RepoError'], exit: 1, http: 400, details: ['query'] },
  RangeOnNonNumeric: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  ReadOnlyHandle: {
    classes: ['StorageError'],
    exit: 1,
    http: 403,
    details: ['table_key', 'table_path'],
  },
  ReadOnlyRepo: {
    classes: ['RepoError'],
    exit: 1,
    http: 403,
    details: ['repo', 'cause', 'path', 'table_key'],
  },
  RecoveryAborted: { classes: ['RepoError'], exit: 1, http: 500, details: [] },
  RecoveryRequired: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['table_key', 'branch', 'head', 'pin', 'doctor'],
  },
  RepairImpossible: { classes: ['LancelogError'], exit: 1, http: 500, details: ['branch'] },
  RepoNotEmpty: { classes: ['RepoError'], exit: 1, http: 409, details: ['repo'] },
  ReservedPropertyName: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  SchemaDrift: {
    classes: ['RepoError'],
    exit: 1,
    http: 409,
    details: ['repo', 'recorded', 'current', 'file'],
  },
  SidecarSchemaError: {
    classes: ['LancelogError'],
    exit: 1,
    http: 500,
    details: ['file', 'reason'],
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
  TableNotPinned: {
    classes: ['LancelogError', 'RepoError'],
    exit: 1,
    http: 500,
    details: ['table_key', 'branch'],
  },
  TypeMismatch: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  Unauthorized: { classes: ['HttpError'], exit: 1, http: 401, details: [] },
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
  UnknownConstraintProperty: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  UnknownEdge: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnknownEndpointType: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  UnknownFailpoint: { classes: ['LancelogError'], exit: 1, http: 400, details: ['failpoint'] },
  UnknownFunction: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnknownInterface: {
    classes: ['SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'declaration', 'reason', 'excerpt'],
  },
  UnknownParameter: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
  UnknownProperty: {
    classes: ['QueryError', 'RepoError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt', 'table'],
  },
  UnknownTableKey: { classes: ['HttpError'], exit: 1, http: 400, details: ['table_key'] },
  UnknownType: {
    classes: ['LancelogError', 'QueryError', 'RepoError', 'SchemaError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt', 'declaration', 'type'],
  },
  UnsupportedQueryFeature: { classes: ['ReadError'], exit: 1, http: 501, details: ['feature'] },
  UsageError: { classes: ['UsageError'], exit: 2, http: 400, details: [] },
  ValidationError: {
    classes: ['ValidationError'],
    exit: 1,
    http: 400,
    details: ['table', 'id', 'line', 'file', 'field', 'rule'],
  },
  VersionNotFound: {
    classes: ['StorageError'],
    exit: 1,
    http: 404,
    details: ['table_key', 'table_path', 'branch', 'version'],
  },
  WildcardMisuse: {
    classes: ['QueryError'],
    exit: 1,
    http: 400,
    details: ['file', 'line', 'column', 'query', 'reason', 'excerpt'],
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The CLI's exit status for a failure with `code` (1 for a code Lancelog does not know). */
export function exitStatusOf(code: string): number {
  return isErrorCode(code) ? ERROR_CODES[code].exit : 1;
}
