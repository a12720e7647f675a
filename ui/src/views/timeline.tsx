/**
 * One operation on a timeline: each journal event is a protocol step (begin, lease,
 * intent, each table's commit, publish, cleanup; failure, rollback, recovery), drawn at
 * its time on a logarithmic axis (a crash's gap of seconds next to steps of microseconds)
 * with how long it took: until the next step, or for a table's commit until its
 * `table.committed` (Lance commit and fsync). An operation that recovery resolved is cut
 * where its writer stopped; what came later was done by recovery, linked to its record.
 */
import { api, type Timeline, type TimelineStep } from '../api';
import { fmtDuration, Link, shortId, Show, useLoad } from '../common';

const UNIT_US = 100;

/** ISO-8601 with microseconds → microseconds since the epoch. */
function usOf(iso: string): number {
  const micros = Number(/\.\d{3}(\d{3})Z$/.exec(iso)?.[1] ?? '0');
  return Date.parse(iso) * 1000 + micros;
}

/** Position on the axis, 0..100 (log scale past UNIT_US). */
function at(us: number, totalUs: number): number {
  return (100 * Math.log1p(us / UNIT_US)) / Math.log1p(Math.max(totalUs, 1) / UNIT_US);
}

/**
 * How long each step took: until the next step; a table's commit until its
 * table.committed (unknown without one: the commit was never journaled).
 */
function tookUs(steps: TimelineStep[], i: number): number {
  const s = steps[i];
  if (s.kind === 'table.commit_started') {
    const done = steps.find(
      (x, j) => j > i && x.kind === 'table.committed' && x.tableKey === s.tableKey,
    );
    return done ? done.sinceStartUs - s.sinceStartUs : 0;
  }
  return i + 1 < steps.length ? steps[i + 1].sinceStartUs - s.sinceStartUs : 0;
}

function StepRow({
  steps,
  i,
  totalUs,
  cut,
}: {
  steps: TimelineStep[];
  i: number;
  totalUs: number;
  cut: number;
}) {
  const s = steps[i];
  const byRecovery = cut >= 0 && i >= cut;
  // The writer's last step took no known time: what follows it is the crash's gap.
  const took = i + 1 === cut ? 0 : tookUs(steps, i);
  const left = at(s.sinceStartUs, totalUs);
  const width = Math.max(at(s.sinceStartUs + took, totalUs) - left, 0.6);
  const original = s.kind.startsWith('recovery.') ? /op (\w+)/.exec(s.detail)?.[1] : undefined;
  return (
    <tr class={`step phase-${s.phase}${byRecovery ? ' by-recovery' : ''}`} data-step={s.kind}>
      <td class="phase">{s.phase}</td>
      <td>
        <code>{s.kind}</code>
        {s.tableKey ? <span class="chip">{s.tableKey}</span> : null}
      </td>
      <td class="bar-cell">
        <div class="bar" style={{ left: `${left}%`, width: `${Math.min(width, 100 - left)}%` }} />
      </td>
      <td class="num">+{fmtDuration(s.sinceStartUs)}</td>
      <td class="num">{took ? fmtDuration(took) : ''}</td>
      <td class="detail">
        {s.detail}
        {original ? (
          <>
            {' '}
            <Link to={`/recovery/${original}`}>recovery record</Link>
          </>
        ) : null}
      </td>
    </tr>
  );
}

function Header({ t }: { t: Timeline }) {
  return (
    <>
      <h2>
        Operation {shortId(t.opId)} <span class="chip">{t.kind ?? 'event'}</span>
      </h2>
      <p>
        <code>{t.opId}</code> on <span class="chip">{t.branch}</span> by{' '}
        <strong>{t.actor ?? '-'}</strong>: outcome{' '}
        <strong class={`outcome outcome-${t.outcome}`}>{t.outcome}</strong>
        {t.inFlight ? ' (in flight)' : ''} in {fmtDuration(t.durationUs)}; tables{' '}
        {t.tables.join(', ') || '-'}
        {t.commitId ? (
          <>
            ; commit <Link to={`/commits/${t.commitId}`}>{shortId(t.commitId)}</Link>
          </>
        ) : null}
      </p>
      {t.error ? (
        <p class="failure">
          failed: <strong>{t.error.code}</strong> {t.error.message}
          {t.error.phase ? ` (phase ${t.error.phase})` : ''}
        </p>
      ) : null}
      {t.recoveredBy.map((r) => (
        <p class="recovered-banner">
          Recovered by <Link to={`/operations/${r.recoveryOpId}`}>{shortId(r.recoveryOpId)}</Link>:{' '}
          <strong>{r.decision}</strong> at {r.time} —{' '}
          <Link to={`/recovery/${t.opId}`} class="recovery-link">
            see the recovery record (what it observed, decided, and why)
          </Link>
        </p>
      ))}
    </>
  );
}

function Steps({ t, recoveryStartUs }: { t: Timeline; recoveryStartUs: number | null }) {
  const stoppedAt =
    recoveryStartUs === null ? -1 : t.steps.findIndex((s) => usOf(s.time) >= recoveryStartUs);
  const cut = recoveryStartUs === null ? -1 : stoppedAt === -1 ? t.steps.length : stoppedAt;
  const rows = [];
  for (let i = 0; i < t.steps.length; i++) {
    if (i === cut)
      rows.push(<StoppedRow last={t.steps[i - 1]} recoveryStartUs={recoveryStartUs!} />);
    rows.push(<StepRow steps={t.steps} i={i} totalUs={t.durationUs} cut={cut} />);
  }
  if (cut === t.steps.length)
    rows.push(<StoppedRow last={t.steps[cut - 1]} recoveryStartUs={recoveryStartUs!} />);
  return (
    <table class="timeline">
      <thead>
        <tr>
          <th>phase</th>
          <th>step</th>
          <th class="bar-cell">time (log scale)</th>
          <th>at</th>
          <th>took</th>
          <th>detail</th>
        </tr>
      </thead>
      <tbody>{rows}</tbody>
    </table>
  );
}

function StoppedRow({
  last,
  recoveryStartUs,
}: {
  last: TimelineStep | undefined;
  recoveryStartUs: number;
}) {
  const gap = last ? recoveryStartUs - usOf(last.time) : 0;
  return (
    <tr class="stopped">
      <td colSpan={6}>
        ✖ The writer stopped here{last ? ` after ${last.kind}` : ''}: no step of its own follows.
        Recovery began {fmtDuration(Math.max(gap, 0))} later; the steps below are recovery's.
      </td>
    </tr>
  );
}

function WithRecovery({ t }: { t: Timeline }) {
  const first = t.recoveredBy[0];
  const rec = useLoad(
    () =>
      first
        ? api.get<Timeline>(`/operations/${encodeURIComponent(first.recoveryOpId)}/timeline`)
        : Promise.resolve(null),
    [t.opId],
  );
  // Without the recovery's own timeline (denied, say) the steps are shown uncut.
  const start = rec.data ? usOf(rec.data.started) : null;
  return <Steps t={t} recoveryStartUs={first && !rec.loading ? start : null} />;
}

export function TimelineView({ opId }: { opId: string }) {
  const t = useLoad(
    () => api.get<Timeline>(`/operations/${encodeURIComponent(opId)}/timeline`),
    [opId],
  );
  return (
    <div class="timeline-view" data-op={opId}>
      <Show loaded={t} what="the operation's timeline">
        {(x) => (
          <>
            <Header t={x} />
            <WithRecovery t={x} />
          </>
        )}
      </Show>
    </div>
  );
}
