/**
 * The page's only way to the data: the server's HTTP API (docs/server.md), with the
 * bearer token the user gave (or the one `lancelog ui` put in the URL's fragment). A
 * failure keeps the server's answer — status, `code`, `lancelog_code`, `details` — so a
 * view can say "denied by the policy" rather than "error".
 */

const TOKEN_KEY = 'lancelog.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
    readonly lancelogCode: string | null,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
  /** The policy said no (403 with `lancelog_code: Forbidden`). */
  get denied(): boolean {
    return this.status === 403 && this.lancelogCode === 'Forbidden';
  }
  get unauthorized(): boolean {
    return this.status === 401;
  }
}

/** Takes `#token=…` out of the URL (never sent to a server) into this tab's storage. */
export function adoptTokenFromUrl(): void {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  history.replaceState(null, '', `${location.pathname}#/query`);
}

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

type Query = Record<string, string | number | undefined | null>;

function urlOf(path: string, query?: Query): string {
  const q = Object.entries(query ?? {})
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return `${path}${q ? `?${q}` : ''}`;
}

async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = {};
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(urlOf(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { error: text };
  }
  if (!res.ok) {
    const e = (json ?? {}) as {
      error?: string;
      code?: string;
      lancelog_code?: string;
      details?: Record<string, unknown>;
    };
    throw new ApiError(
      res.status,
      e.error ?? res.statusText,
      e.code ?? null,
      e.lancelog_code ?? null,
      e.details ?? {},
    );
  }
  return json as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, undefined, query),
  post: <T>(path: string, body: unknown) => request<T>('POST', path, body),
};

// ── The shapes the views read (docs/server.md) ─────────────────────────────

export interface CatalogProperty {
  name: string;
  type: unknown;
}
export interface CatalogType {
  name: string;
  kind: 'node' | 'edge';
  properties: CatalogProperty[];
  from?: string;
  to?: string;
}
export interface Catalog {
  nodes: CatalogType[];
  edges: CatalogType[];
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  line: number;
  column: number;
  query: string | null;
}
export interface CheckResult {
  ok: boolean;
  queries: Array<{
    name: string;
    kind: 'read' | 'mutation';
    status: 'ok' | 'error';
    params: Array<{ name: string; type: string; optional: boolean }>;
  }>;
  diagnostics: Diagnostic[];
}

export interface ReadResult {
  query_name: string;
  target: { branch: string; snapshot: string };
  row_count: number;
  columns: string[];
  column_types: string[];
  rows: Array<Record<string, unknown>>;
}

export interface GraphNode {
  type: string;
  id: string;
  properties: Record<string, unknown>;
}
export interface GraphEdge {
  type: string;
  id: string;
  from: { type: string; id: string };
  to: { type: string; id: string };
  properties: Record<string, unknown>;
}
export interface Neighbours {
  node: GraphNode;
  neighbours: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

export interface Commit {
  graph_commit_id: string;
  manifest_branch: string;
  manifest_version: number;
  parent_commit_id: string | null;
  merged_parent_commit_id: string | null;
  actor_id: string;
  created_at: number;
  message: string | null;
}
export interface CommitSummary {
  graph_commit_id: string;
  parent_commit_id: string | null;
  op_id: string;
  tables: Array<{
    table_key: string;
    from_version: number | null;
    to_version: number;
    inserts: number | null;
    updates: number | null;
    deletes: number | null;
  }>;
  counts_error: { code: string; message: string } | null;
}
export interface EntityImage {
  properties: Record<string, unknown>;
  endpoints?: { from: string; to: string };
}
export interface EntityChange {
  kind: 'node' | 'edge';
  type: { id: string; name: string };
  id: string;
  op: 'insert' | 'update' | 'delete';
  before?: EntityImage;
  after?: EntityImage;
}
export interface BranchInfo {
  name: string;
  parent_branch: string | null;
  parent_manifest_version: number | null;
  head_manifest_version: number;
  head_commit_id: string;
  created_at: number;
}

export interface OperationSummary {
  opId: string;
  kind: string;
  branch: string;
  actor: string;
  state: string;
  startedUs: number;
  durationUs: number;
  error: { code: string; message: string; phase: string | null } | null;
  commitId: string | null;
  recovery: { recoveryOpId: string; decision: string } | null;
  inFlight: boolean;
}
export interface TimelineStep {
  seq: number;
  kind: string;
  phase: string;
  time: string;
  sincePreviousUs: number;
  sinceStartUs: number;
  tableKey: string | null;
  detail: string;
}
export interface Timeline {
  opId: string;
  kind: string | null;
  branch: string;
  actor: string | null;
  state: string | null;
  outcome: string;
  inFlight: boolean;
  started: string;
  durationUs: number;
  tables: string[];
  commitId: string | null;
  error: { code: string; message: string; phase: string | null } | null;
  steps: TimelineStep[];
  recoveredBy: Array<{ recoveryOpId: string; decision: string; time: string }>;
}
export interface RecoveryRecord {
  opId: string;
  operation: { kind: string; branch: string; actor: string; state: string } | null;
  pending: boolean;
  records: Array<{
    recoveryOpId: string;
    time: string;
    observed: Array<{
      table_key: string;
      head: number;
      pin: number;
      expected: number;
      committed: number | null;
      class: string;
    }>;
    decision: string | null;
    why: string | null;
    applied: Array<{ table_key: string; from: number; to: number }> | null;
    commitId: string | null;
  }>;
}
