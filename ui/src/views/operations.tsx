/**
 * Operations: the journal's operations, newest first, with failed, rolled-back, recovered
 * and in-flight ones marked; one operation's protocol steps on a timeline
 * (`GET /operations/{id}/timeline`); and the recovery record of an operation that
 * recovery resolved (`GET /recovery/{id}`): what it observed, what it decided and why.
 */
import { api, type OperationSummary, type RecoveryRecord } from '../api';
import { fmtDuration, fmtTime, Link, shortId, Show, useLoad } from '../common';
import { TimelineView } from './timeline';

function Marks({ op }: { op: OperationSummary }) {
  return (
    <>
      {op.error ? (
        <span class="mark failed" title={op.error.message}>
          failed: {op.error.code}
        </span>
      ) : null}
      {op.state === 'rolled_back' ? <span class="mark rolled-back">rolled back</span> : null}
      {op.recovery ? (
        <Link to={`/recovery/${op.opId}`} class="mark recovered">
          recovered: {op.recovery.decision}
        </Link>
      ) : null}
      {op.inFlight ? <span class="mark in-flight">in flight</span> : null}
    </>
  );
}

function OperationTable({ ops, selected }: { ops: OperationSummary[]; selected: string | null }) {
  return (
    <table class="operations">
      <thead>
        <tr>
          <th>started</th>
          <th>operation</th>
          <th>kind</th>
          <th>branch</th>
          <th>actor</th>
          <th>state</th>
          <th>duration</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {ops.map((op) => (
          <tr
            class={`op-row${op.opId === selected ? ' selected' : ''}${op.recovery || op.error || op.state === 'rolled_back' ? ' troubled' : ''}`}
            data-op={op.opId}
          >
            <td>{fmtTime(op.startedUs)}</td>
            <td>
              <Link to={`/operations/${op.opId}`}>{shortId(op.opId)}</Link>
            </td>
            <td>{op.kind}</td>
            <td>{op.branch}</td>
            <td>{op.actor}</td>
            <td>{op.state}</td>
            <td>{fmtDuration(op.durationUs)}</td>
            <td>
              <Marks op={op} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OperationsView({ selected }: { selected: string | null }) {
  const ops = useLoad(() => api.get<{ operations: OperationSummary[] }>('/operations'), []);
  return (
    <div class="operations-view">
      <section>
        <h2>Operations</h2>
        <div class="operations-list">
          <Show loaded={ops} what="the journal's operations">
            {(o) => <OperationTable ops={o.operations} selected={selected} />}
          </Show>
        </div>
      </section>
      {selected ? (
        <section class="op-detail">
          <TimelineView opId={selected} />
        </section>
      ) : null}
    </div>
  );
}

function ObservedTable({ observed }: { observed: RecoveryRecord['records'][number]['observed'] }) {
  return (
    <table class="observed">
      <tr>
        <th>table</th>
        <th>class</th>
        <th>Lance HEAD</th>
        <th>pin</th>
        <th>expected</th>
        <th>table.committed</th>
      </tr>
      {observed.map((t) => (
        <tr>
          <td>{t.table_key}</td>
          <td>
            <span class={`class class-${t.class}`}>{t.class}</span>
          </td>
          <td>v{t.head}</td>
          <td>v{t.pin}</td>
          <td>v{t.expected}</td>
          <td>{t.committed === null ? '-' : `v${t.committed}`}</td>
        </tr>
      ))}
    </table>
  );
}

function Record({ r }: { r: RecoveryRecord['records'][number] }) {
  return (
    <article class="recovery-record" data-recovery={r.recoveryOpId}>
      <h3>
        Recovery <Link to={`/operations/${r.recoveryOpId}`}>{shortId(r.recoveryOpId)}</Link> at{' '}
        {r.time}
      </h3>
      <h4>Observed</h4>
      <ObservedTable observed={r.observed} />
      <h4>
        Decided:{' '}
        <span class={`decision decision-${r.decision ?? 'none'}`}>
          {r.decision ?? 'nothing yet'}
        </span>
      </h4>
      <h4>Why</h4>
      <p class="why">{r.why ?? 'Recovery stopped before it decided.'}</p>
      <h4>Applied</h4>
      {r.applied === null ? (
        <p class="muted">Not applied (recovery stopped before it applied its decision).</p>
      ) : r.applied.length === 0 ? (
        <p>No table had to move.</p>
      ) : (
        <ul>
          {r.applied.map((t) => (
            <li>
              {t.table_key}: v{t.from} → v{t.to}
            </li>
          ))}
        </ul>
      )}
      {r.commitId ? (
        <p>
          Published as commit <Link to={`/commits/${r.commitId}`}>{shortId(r.commitId)}</Link>.
        </p>
      ) : null}
    </article>
  );
}

export function RecoveryView({ opId }: { opId: string }) {
  const rec = useLoad(
    () => api.get<RecoveryRecord>(`/recovery/${encodeURIComponent(opId)}`),
    [opId],
  );
  return (
    <section class="recovery-view">
      <h2>
        Recovery record of operation <Link to={`/operations/${opId}`}>{shortId(opId)}</Link>
      </h2>
      <Show loaded={rec} what="the recovery record">
        {(r) => (
          <>
            {r.operation ? (
              <p>
                {r.operation.kind} on <span class="chip">{r.operation.branch}</span> by{' '}
                <strong>{r.operation.actor}</strong>, now <strong>{r.operation.state}</strong>.
              </p>
            ) : null}
            {r.pending ? <p class="mark in-flight">Recovery has not processed it yet.</p> : null}
            {r.records.length === 0 && !r.pending ? (
              <p class="muted">Recovery never had to look at this operation.</p>
            ) : null}
            {r.records.map((x) => (
              <Record r={x} />
            ))}
          </>
        )}
      </Show>
    </section>
  );
}
