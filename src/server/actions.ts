/**
 * The actions a server policy names. A module of its own, importing nothing, so the CLI
 * can list and check them without loading the server (fastify, pino, Cedar).
 */
export const POLICY_ACTIONS = [
  'read',
  'export',
  'change',
  'schema_apply',
  'branch_create',
  'branch_delete',
  'branch_merge',
  'admin',
  /** Invoke a stored query by name (`POST /queries/{name}`); its body needs `read` or `change` too. */
  'invoke_query',
  /** List the served graphs (`GET /graphs`). */
  'graph_list',
] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];
