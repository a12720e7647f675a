/**
 * One commit: who, when, what it moved per table, and its entity changes against its
 * first parent (`GET /commits/{id}/changes`) — or, when another commit is chosen, the
 * diff from that commit to this one (`GET /diff`) — each change with its before and
 * after values.
 */
import { useState } from 'preact/hooks';
import { api, type Commit, type CommitSummary, type EntityChange } from '../api';
import { fmtTime, Link, shortId, Show, useLoad, valueText } from '../common';

const CHANGES_SHOWN = 200;

function ChangeValues({ change }: { change: EntityChange }) {
  const before = change.before?.properties ?? {};
  const after = change.after?.properties ?? {};
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const ends = change.after?.endpoints ?? change.before?.endpoints;
  return (
    <table class="values">
      <tr>
        <th />
        <th>before</th>
        <th>after</th>
      </tr>
      {ends ? (
        <tr>
          <th>endpoints</th>
          <td>
            {change.before?.endpoints
              ? `${change.before.endpoints.from} → ${change.before.endpoints.to}`
              : ''}
          </td>
          <td>
            {change.after?.endpoints
              ? `${change.after.endpoints.from} → ${change.after.endpoints.to}`
              : ''}
          </td>
        </tr>
      ) : null}
      {names.map((n) => {
        const changed = change.op === 'update' && valueText(before[n]) !== valueText(after[n]);
        return (
          <tr class={changed ? 'changed' : ''}>
            <th>{n}</th>
            <td>{change.before ? valueText(before[n]) : ''}</td>
            <td>{change.after ? valueText(after[n]) : ''}</td>
          </tr>
        );
      })}
    </table>
  );
}

export function ChangeList({
  changes,
  truncated,
}: {
  changes: EntityChange[];
  truncated: boolean;
}) {
  if (changes.length === 0) return <p class="muted">No entity changes.</p>;
  return (
    <>
      <ul class="changes">
        {changes.map((c) => (
          <li class={`change change-${c.op}`} data-change={`${c.type.name}:${c.id}`}>
            <details open={changes.length <= 12}>
              <summary>
                <span class={`op op-${c.op}`}>{c.op}</span> <span class="chip">{c.type.name}</span>{' '}
                <strong>{c.id}</strong>
              </summary>
              <ChangeValues change={c} />
            </details>
          </li>
        ))}
      </ul>
      {truncated ? <p class="muted">Only the first {changes.length} changes are shown.</p> : null}
    </>
  );
}

function OwnChanges({ id }: { id: string }) {
  const changes = useLoad(
    () =>
      api.get<{ changes: EntityChange[]; next_page_token: string | null }>(
        `/commits/${encodeURIComponent(id)}/changes`,
        { limit: CHANGES_SHOWN },
      ),
    [id],
  );
  return (
    <Show loaded={changes} what="the commit's changes">
      {(c) => <ChangeList changes={c.changes} truncated={c.next_page_token !== null} />}
    </Show>
  );
}

function DiffChanges({ from, to }: { from: string; to: string }) {
  const diff = useLoad(
    () =>
      api.get<{ changes: EntityChange[]; truncated: boolean; stats: Record<string, number> }>(
        '/diff',
        {
          from,
          to,
          limit: CHANGES_SHOWN,
        },
      ),
    [from, to],
  );
  return (
    <Show loaded={diff} what="the diff">
      {(d) => (
        <>
          <p class="diff-stats">
            +{d.stats.inserts} inserted, ~{d.stats.updates} updated, −{d.stats.deletes} deleted
          </p>
          <ChangeList changes={d.changes} truncated={d.truncated} />
        </>
      )}
    </Show>
  );
}

function SummaryTable({ summary }: { summary: CommitSummary }) {
  return (
    <table class="summary">
      <tr>
        <th>table</th>
        <th>version</th>
        <th>inserted</th>
        <th>updated</th>
        <th>deleted</th>
      </tr>
      {summary.tables.map((t) => (
        <tr>
          <td>{t.table_key}</td>
          <td>
            {t.from_version === null ? 'new' : `v${t.from_version}`} → v{t.to_version}
          </td>
          <td>{t.inserts ?? '?'}</td>
          <td>{t.updates ?? '?'}</td>
          <td>{t.deletes ?? '?'}</td>
        </tr>
      ))}
    </table>
  );
}

export function CommitDetail({ id, commits }: { id: string; commits: Commit[] }) {
  const [against, setAgainst] = useState('');
  const summary = useLoad(
    () => api.get<CommitSummary>(`/commits/${encodeURIComponent(id)}/summary`),
    [id],
  );
  const c = commits.find((x) => x.graph_commit_id === id);
  return (
    <div data-commit={id}>
      <h2>Commit {shortId(id)}</h2>
      {c ? (
        <p>
          <code>{id}</code> on <span class="chip">{c.manifest_branch}</span> (manifest{' '}
          {c.manifest_version}) by <strong>{c.actor_id}</strong> at {fmtTime(c.created_at)} —{' '}
          {c.message ?? 'no message'}
          <br />
          parent{' '}
          {c.parent_commit_id ? (
            <Link to={`/commits/${c.parent_commit_id}`}>{shortId(c.parent_commit_id)}</Link>
          ) : (
            '-'
          )}
          {c.merged_parent_commit_id ? (
            <>
              {' '}
              merged{' '}
              <Link to={`/commits/${c.merged_parent_commit_id}`}>
                {shortId(c.merged_parent_commit_id)}
              </Link>
            </>
          ) : null}
          {summary.data ? (
            <>
              {' '}
              · operation{' '}
              <Link to={`/operations/${summary.data.op_id}`}>{shortId(summary.data.op_id)}</Link>
            </>
          ) : null}
        </p>
      ) : null}
      <Show loaded={summary} what="the commit's tables">
        {(s) => <SummaryTable summary={s} />}
      </Show>
      <h3>
        Changes{' '}
        <label class="compare">
          against{' '}
          <select
            value={against}
            onChange={(e) => setAgainst(e.currentTarget.value)}
            aria-label="compare with"
          >
            <option value="">its first parent</option>
            {commits
              .filter((x) => x.graph_commit_id !== id)
              .map((x) => (
                <option value={x.graph_commit_id}>
                  {shortId(x.graph_commit_id)} {x.manifest_branch} {x.message ?? ''}
                </option>
              ))}
          </select>
        </label>
      </h3>
      {against ? <DiffChanges from={against} to={id} /> : <OwnChanges id={id} />}
    </div>
  );
}
