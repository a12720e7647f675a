/** Small pieces every view uses: loading a resource, showing a failure, formatting. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change; the latest answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/** A failure as the user should read it: denied by the policy, no token, or the server's error. */
export function Failure({ error, what }: { error: unknown; what?: string }) {
  if (error instanceof ApiError && error.denied) {
    const d = error.details as { action?: string; actor?: string };
    return (
      <div class="failure denied" role="alert" data-status="403">
        <strong>Denied by the server's policy</strong>
        {what ? ` — ${what}` : ''}: actor <code>{d.actor ?? '?'}</code> may not{' '}
        <code>{d.action ?? '?'}</code>. <span class="muted">{error.message}</span>
      </div>
    );
  }
  if (error instanceof ApiError && error.unauthorized)
    return (
      <div class="failure unauthorized" role="alert" data-status="401">
        <strong>This server needs a token</strong>: {error.message}. Set one with the <em>Token</em>{' '}
        button above.
      </div>
    );
  const e = error as ApiError | Error;
  const code = e instanceof ApiError ? (e.lancelogCode ?? e.code) : null;
  return (
    <div class="failure" role="alert" data-status={e instanceof ApiError ? e.status : ''}>
      <strong>{code ?? 'Error'}</strong>: <span class="pre">{e.message}</span>
    </div>
  );
}

/** Shows the loaded data through `children`, or loading / the failure. */
export function Show<T>({
  loaded,
  what,
  children,
}: {
  loaded: Loaded<T>;
  what?: string;
  children: (data: T) => ComponentChildren;
}) {
  if (loaded.error) return <Failure error={loaded.error} what={what} />;
  if (loaded.data === null) return <p class="muted">Loading…</p>;
  return <>{children(loaded.data)}</>;
}

export const shortId = (id: string | null | undefined): string => (id ? id.slice(-8) : '-');

/** A duration in microseconds: `850µs`, `12.3ms`, `4.07s`. */
export function fmtDuration(us: number): string {
  if (us < 1000) return `${us}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

/** Microseconds since the epoch as local date and time to the second. */
export function fmtTime(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A value of a result or an image, compactly. */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export function Link({
  to,
  children,
  class: cls,
}: {
  to: string;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <a href={`#${to}`} class={cls}>
      {children}
    </a>
  );
}
