/**
 * The CLI's HTTP client for one graph on a `lancelog serve` (Node's fetch). JSON both
 * ways is exact (64-bit integers stay exact, src/json-exact.ts); a failure the server reports becomes
 * the LancelogError it raised (its `lancelog_code` and `details`), so a remote command
 * prints and exits exactly as the local one would.
 */
import {
  LancelogError,
  parseJsonExact,
  stringifyJsonExact,
  type ErrorCode,
} from '../../src/index.js';

/** Where requests go: the server's URL, its config name, a token, and a graph id. */
export interface ServerTarget {
  url: string;
  name?: string;
  token?: string;
  /** Served under `/graphs/{graph}/…` (a multi-graph server); else the single-graph routes. */
  graph?: string;
}

export type Query = Record<string, string | number | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** A route of the server itself, never under a graph's prefix. */
  serverScope?: boolean;
}

/** The reference's error codes without a Lancelog code: the nearest of Lancelog's. */
function codeOfStatus(status: number): ErrorCode {
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  return status >= 500 ? 'InternalError' : 'InvalidRequest';
}

export class HttpClient {
  constructor(readonly target: ServerTarget) {}

  /**
   * The full URL of a route: under the graph's prefix when a graph is named, unless the
   * route is one of the server's own (`/healthz`, `/graphs`: `serverScope`).
   */
  url(path: string, query: Query = {}, serverScope = false): string {
    const base = this.target.url.replace(/\/+$/, '');
    const prefix =
      this.target.graph !== undefined && !serverScope
        ? `/graphs/${encodeURIComponent(this.target.graph)}`
        : '';
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const q = qs.toString();
    return `${base}${prefix}${path}${q ? `?${q}` : ''}`;
  }

  /** Sends one request; a network failure is `ServerUnreachable`, an error status its code. */
  async send(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: RequestOptions = {},
  ): Promise<Response> {
    const url = this.url(path, opts.query, opts.serverScope);
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.target.token !== undefined) headers.authorization = `Bearer ${this.target.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(opts.body !== undefined ? { body: stringifyJsonExact(opts.body) } : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new LancelogError(
        'ServerUnreachable',
        `cannot reach ${this.target.name ?? this.target.url} (${url}): ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        { url, cause: cause?.code ?? (err as Error).message },
      );
    }
    if (!res.ok) throw await this.failure(res, url);
    return res;
  }

  /** One request whose answer is a JSON document. */
  async json<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: RequestOptions = {},
  ): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    try {
      return parseJsonExact(text) as T;
    } catch (err) {
      throw new LancelogError(
        'ServerResponseInvalid',
        `${res.url}: the answer is not JSON: ${(err as Error).message}`,
        { url: res.url, status: res.status, cause: (err as Error).message },
      );
    }
  }

  /** The error an error answer carries: the server's Lancelog code and details. */
  private async failure(res: Response, url: string): Promise<LancelogError> {
    const text = await res.text();
    let body: { error?: unknown; lancelog_code?: unknown; details?: unknown } = {};
    try {
      body = parseJsonExact(text) as typeof body;
    } catch {
      // Not JSON (a proxy's page): reported by status below.
    }
    const message =
      typeof body.error === 'string' ? body.error : `HTTP ${res.status} from ${url}: ${text}`;
    const code =
      typeof body.lancelog_code === 'string'
        ? (body.lancelog_code as ErrorCode)
        : codeOfStatus(res.status);
    const details =
      body.details !== null && typeof body.details === 'object'
        ? (body.details as Record<string, unknown>)
        : {};
    return new LancelogError(code, message, details);
  }
}
