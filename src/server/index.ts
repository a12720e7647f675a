/**
 * The HTTP server's entry (`lancelog serve`; package export 'lancelog/server'). It is
 * an API consumer like the CLI: src/server/ imports only the public API (src/index.ts).
 */
export { startServer, repoAdapter } from './serve.js';
export { startExplorer, EXPLORER_ACTOR } from './explorer.js';
export type { ExplorerOptions, RunningExplorer } from './explorer.js';
export { defaultUiDir, UI_PREFIX } from './ui-assets.js';
export type { ServeOptions, RunningServer } from './serve.js';
export {
  buildApp,
  allRoutes,
  ANONYMOUS_ACTOR,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_GRAPH_ID,
} from './app.js';
export {
  readQueryDir,
  storedQueriesFor,
  checkGraphFolders,
  paramDescriptor,
  StoredQueryError,
  EMPTY_QUERIES,
} from './stored-queries.js';
export type {
  StoredQuery,
  StoredQuerySet,
  ParamDescriptor,
  ParamKind,
  QueryFileText,
} from './stored-queries.js';
export type { AppOptions } from './app.js';
export { openApiDocument } from './openapi.js';
export type { ServerRepo, MergeOutcome, SchemaApplyOutcome, RouteDef } from './route.js';
export { REFERENCE_ERROR_CODES, HttpError, toErrorResponse, referenceCode } from './errors.js';
export type { ErrorBody, ErrorCode, MergeConflict } from './errors.js';
export { loadTokens, actorForToken, bearerToken, TOKEN_ENV } from './auth.js';
export type { TokenEntry } from './auth.js';
export {
  PolicyEngine,
  PolicyError,
  parsePolicy,
  compileToCedar,
  loadPolicyTests,
  runPolicyTests,
  POLICY_ACTIONS,
} from './policy.js';
export type { PolicyAction, PolicyDecision, PolicyFile, PolicyRequest } from './policy.js';
export * as apiSchemas from './api-schemas.js';
export { mcpServer, remoteSource, localSource, serveMcpStdio, toolOf, paramSchema } from './mcp.js';
export type { ToolSource } from './mcp.js';
