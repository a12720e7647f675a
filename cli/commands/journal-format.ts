/**
 * The journal as printable data: events as JSON and the human form of one operation's
 * timeline (`journal log`, `journal show`). The timeline itself (phases, details,
 * timings) is the API's `operationTimeline` (src/repo/operation-timeline.ts), which the
 * server's Operations endpoints answer too.
 */
import type { JournalEvent, OperationTimeline } from '../../src/index.js';
import { formatDurationUs, formatTable, isoFromUs } from '../format.js';

export function eventJSON(e: JournalEvent) {
  return {
    seq: e.seq,
    opId: e.opId,
    time: isoFromUs(e.timeUs),
    timeUs: e.timeUs,
    kind: e.kind,
    branch: e.branch,
    tableKey: e.tableKey,
    payload: e.payload,
  };
}

export function formatTimeline(t: OperationTimeline): string {
  const head = [
    `operation ${t.opId}${t.kind ? ` (${t.kind})` : ''} on branch ${t.branch}${t.actor ? ` by ${t.actor}` : ''}`,
    `outcome:  ${t.outcome}${t.inFlight ? ' (in flight)' : ''}${t.commitId ? ` — commit ${t.commitId}, manifest ${t.manifestVersion}` : ''}`,
    `time:     ${t.started} → ${t.ended} (${formatDurationUs(t.durationUs)})`,
    `tables:   ${t.tables.length ? t.tables.join(', ') : '-'}`,
  ];
  if (t.error)
    head.push(
      `error:    [${t.error.code}] ${t.error.message}${t.error.phase ? ` (phase ${t.error.phase})` : ''}`,
    );
  for (const r of t.recoveredBy)
    head.push(`recovered by ${r.recoveryOpId}: ${r.decision} at ${r.time}`);
  const table = formatTable(
    ['#', 'time', '+since prev', 'phase', 'event', 'table', 'detail'],
    t.steps.map((s) => [
      s.seq,
      s.time,
      `+${formatDurationUs(s.sincePreviousUs)}`,
      s.phase,
      s.kind,
      s.tableKey,
      s.detail,
    ]),
  );
  return `${head.join('\n')}\n\n${table}`;
}
