/**
 * Health: the server's `/healthz`, `lancelog doctor`'s checks (`GET /doctor`), every
 * branch with where it forked and the version it pins of each table (`/branches/{b}`,
 * `/snapshot`), and the state of every index the schema asks for (`GET /indexes`). Each
 * part loads on its own, so a part the policy denies says so and the others still show.
 */
import { useState } from 'preact/hooks';
import { api, type BranchInfo } from '../api';
import { fmtTime, Link, shortId, Show, useLoad } from '../common';

interface Healthz {
  version: string;
  repo: { uri: string; branches: number; main_manifest_version: number; main_commit_id: string };
  journal: { events: number; pending_recovery: number; last_refresh_at: string | null };
}
interface DoctorReport {
  ok: boolean;
  checks: string[];
  problems: Array<{ kind: string; message: string; repairable: boolean; instructions: string }>;
}
interface SnapshotOut {
  manifest_version: number;
  tables: Array<{
    table_key: string;
    table_version: number;
    table_branch: string | null;
    row_count: number;
  }>;
}
interface IndexRow {
  type: string;
  column: string;
  kind: string;
  state: string;
  rows: number;
  indexedRows: number | null;
  builtAtVersion: number | null;
}

function Server() {
  const h = useLoad(() => api.get<Healthz>('/healthz'), []);
  return (
    <Show loaded={h} what="the server's health">
      {(x) => (
        <p>
          lancelog {x.version} serving <code>{x.repo.uri}</code>: {x.repo.branches} branch(es), main
          at manifest {x.repo.main_manifest_version}; journal of {x.journal.events} events;{' '}
          <strong class={x.journal.pending_recovery ? 'bad' : 'good'}>
            {x.journal.pending_recovery} operation(s) pending recovery
          </strong>
        </p>
      )}
    </Show>
  );
}

function Doctor() {
  const d = useLoad(() => api.get<DoctorReport>('/doctor'), []);
  return (
    <Show loaded={d} what="lancelog doctor">
      {(r) => (
        <div class="doctor" data-ok={String(r.ok)}>
          <p>
            <strong class={r.ok ? 'good' : 'bad'}>
              {r.ok ? 'No problems found' : `${r.problems.length} problem(s)`}
            </strong>{' '}
            <span class="muted">checked: {r.checks.join(', ')}</span>
          </p>
          <ul>
            {r.problems.map((p) => (
              <li class="problem">
                <strong>{p.kind}</strong> ({p.repairable ? 'repairable' : 'not repairable'}):{' '}
                {p.message}
                <br />
                <span class="muted">what to do: {p.instructions}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Show>
  );
}

function Branch({ name }: { name: string }) {
  const b = useLoad(
    () =>
      Promise.all([
        api.get<BranchInfo>(`/branches/${encodeURIComponent(name)}`),
        api.get<SnapshotOut>('/snapshot', { branch: name }),
      ]),
    [name],
  );
  return (
    <div class="branch" data-branch={name}>
      <h3>
        <span class="chip">{name}</span>
      </h3>
      <Show loaded={b} what={`branch ${name}`}>
        {([info, snap]) => (
          <>
            <p>
              {info.parent_branch
                ? `forked from ${info.parent_branch} at manifest ${info.parent_manifest_version}, `
                : ''}
              created {fmtTime(info.created_at)}; head manifest {info.head_manifest_version}, commit{' '}
              <Link to={`/commits/${info.head_commit_id}`}>{shortId(info.head_commit_id)}</Link>
            </p>
            <table class="pins">
              <tr>
                <th>table</th>
                <th>pinned version</th>
                <th>Lance branch</th>
                <th>rows</th>
              </tr>
              {snap.tables.map((t) => (
                <tr>
                  <td>{t.table_key}</td>
                  <td>v{t.table_version}</td>
                  <td>{t.table_branch ?? '(main line)'}</td>
                  <td>{t.row_count}</td>
                </tr>
              ))}
            </table>
          </>
        )}
      </Show>
    </div>
  );
}

function Indexes({ branches }: { branches: string[] }) {
  const [branch, setBranch] = useState('main');
  const ix = useLoad(() => api.get<{ indexes: IndexRow[] }>('/indexes', { branch }), [branch]);
  return (
    <>
      <label>
        at branch{' '}
        <select
          value={branch}
          onChange={(e) => setBranch(e.currentTarget.value)}
          aria-label="index branch"
        >
          {branches.map((b) => (
            <option value={b}>{b}</option>
          ))}
        </select>
      </label>
      <Show loaded={ix} what="the index states">
        {(x) => (
          <table class="indexes">
            <tr>
              <th>type</th>
              <th>column</th>
              <th>kind</th>
              <th>state</th>
              <th>rows</th>
              <th>indexed</th>
              <th>built at</th>
            </tr>
            {x.indexes.map((i) => (
              <tr>
                <td>{i.type}</td>
                <td>{i.column}</td>
                <td>{i.kind}</td>
                <td>
                  <span class={`state state-${i.state}`}>{i.state}</span>
                </td>
                <td>{i.rows}</td>
                <td>{i.indexedRows ?? '-'}</td>
                <td>{i.builtAtVersion === null ? '-' : `v${i.builtAtVersion}`}</td>
              </tr>
            ))}
          </table>
        )}
      </Show>
    </>
  );
}

export function HealthView() {
  const branches = useLoad(() => api.get<{ branches: string[] }>('/branches'), []);
  return (
    <div class="health">
      <section>
        <h2>Server</h2>
        <Server />
      </section>
      <section>
        <h2>Doctor</h2>
        <Doctor />
      </section>
      <section>
        <h2>Indexes</h2>
        <Indexes branches={branches.data?.branches ?? ['main']} />
      </section>
      <section>
        <h2>Branches</h2>
        <Show loaded={branches} what="the branches">
          {(b) => (
            <div class="branches">
              {b.branches.map((name) => (
                <Branch name={name} />
              ))}
            </div>
          )}
        </Show>
      </section>
    </div>
  );
}
