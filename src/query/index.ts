/** The `.gq` query compiler: source text + Catalog → typed IR (no I/O). */
export { parseQueries } from './parser.js';
export { tokenize } from './lexer.js';
export { checkQueries, compileQueries, compileQuery, nodeKeyType } from './compile.js';
export type { CheckedQuery } from './compile.js';
export { explain, exprText, planToJSON } from './explain.js';
export { lintQueries } from './lint.js';
export type { LintIssue, QueryLintResult } from './lint.js';
export { describeOperation } from './describe.js';
export type { GraphFact, QueryOperation, ResultField, ValueKind } from './describe.js';
export { bindParams, parseParamsJson } from './params.js';
export { QueryError, ParamError, unknownPropertyError, unknownTypeError } from './errors.js';
export type * from './types.js';
export type * from './ast.js';
