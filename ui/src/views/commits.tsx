/**
 * Commits: every branch's commits as one graph (forks and merges drawn), each with its
 * actor, message and per-table counts (`GET /commits/{id}/summary`, fetched for the rows
 * on the page); a click opens the commit's changes or its diff against another commit.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Commit, type CommitSummary } from '../api';
import { fmtTime, shortId, Show, useLoad } from '../common';
import { CommitDetail } from './commit-detail';
import { layoutCommits, laneX, rowY, ROW_HEIGHT, type Layout } from './commit-lanes';

const SUMMARIES_SHOWN = 40;
const LANE_COLOURS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#db2777', '#0891b2'];
const laneColour = (lane: number) => LANE_COLOURS[lane % LANE_COLOURS.length];

type Summaries = Record<string, CommitSummary | { error: string }>;

/** The summaries of the first commits, two requests at a time. */
function useSummaries(commits: Commit[]): Summaries {
  const [out, setOut] = useState<Summaries>({});
  useEffect(() => {
    let gone = false;
    const queue = commits.slice(0, SUMMARIES_SHOWN).map((c) => c.graph_commit_id);
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !gone; id = queue.shift()) {
        const s = await api
          .get<CommitSummary>(`/commits/${encodeURIComponent(id)}/summary`)
          .catch((e: Error) => ({ error: e.message }));
        if (!gone) setOut((o) => ({ ...o, [id]: s }));
      }
    };
    void Promise.all([worker(), worker()]);
    return () => {
      gone = true;
    };
  }, [commits]);
  return out;
}

function Counts({ summary }: { summary: CommitSummary | { error: string } | undefined }) {
  if (!summary) return <span class="counts muted">…</span>;
  if ('error' in summary) return <span class="counts muted">{summary.error}</span>;
  if (summary.parent_commit_id === null)
    return <span class="counts muted">{summary.tables.length} table(s) created</span>;
  // Tables whose rows did not change (an index build, a restore) are left out.
  const changed = summary.tables.filter(
    (t) => t.inserts === null || t.inserts + (t.updates ?? 0) + (t.deletes ?? 0) > 0,
  );
  if (changed.length === 0) return <span class="counts muted">no row changes</span>;
  return (
    <span class="counts">
      {changed.map((t) => (
        <span class="count" title={`${t.table_key} v${t.from_version ?? '-'}→v${t.to_version}`}>
          {t.table_key.replace(/^(node|edge):/, '')}
          {t.inserts === null ? ' moved' : ` +${t.inserts} ~${t.updates} −${t.deletes}`}
        </span>
      ))}
    </span>
  );
}

function GraphSvg({ layout }: { layout: Layout }) {
  return (
    <svg class="lanes" width={layout.width} height={layout.height} aria-hidden="true">
      {layout.lines.map((l) => (
        <path
          d={l.d}
          class={l.merge ? 'merge-line' : 'parent-line'}
          stroke={laneColour(l.lane)}
          fill="none"
        />
      ))}
      {layout.dots.map((d) => (
        <circle
          cx={laneX(d.lane)}
          cy={rowY(d.row)}
          r={d.commit.merged_parent_commit_id ? 6 : 5}
          fill={laneColour(d.lane)}
        />
      ))}
    </svg>
  );
}

function CommitGraph({ commits, selected }: { commits: Commit[]; selected: string | null }) {
  const layout = useMemo(() => layoutCommits(commits), [commits]);
  const ordered = useMemo(() => layout.dots.map((d) => d.commit), [layout]);
  const summaries = useSummaries(ordered);
  return (
    <div class="commit-graph" style={{ minHeight: `${layout.height}px` }}>
      <GraphSvg layout={layout} />
      <ol class="commit-rows" style={{ marginLeft: `${layout.width + 6}px` }}>
        {layout.dots.map(({ commit: c, lane }) => (
          <li
            class={`commit-row${c.graph_commit_id === selected ? ' selected' : ''}`}
            style={{ height: `${ROW_HEIGHT}px` }}
            data-commit={c.graph_commit_id}
          >
            <a href={`#/commits/${c.graph_commit_id}`}>
              <span class="line">
                <code>{shortId(c.graph_commit_id)}</code>{' '}
                <span class="chip" style={{ borderColor: laneColour(lane) }}>
                  {c.manifest_branch}
                </span>
                {c.merged_parent_commit_id ? <span class="chip merge">merge</span> : null}{' '}
                <span class="message">{c.message ?? '-'}</span>
              </span>
              <span class="line sub">
                <span class="actor">{c.actor_id}</span> · {fmtTime(c.created_at)} ·{' '}
                <Counts summary={summaries[c.graph_commit_id]} />
              </span>
            </a>
          </li>
        ))}
      </ol>
    </div>
  );
}

export function CommitsView({ selected }: { selected: string | null }) {
  const commits = useLoad(() => api.get<{ commits: Commit[] }>('/commits'), []);
  return (
    <div class="commits">
      <section class="commit-list">
        <h2>Commits of every branch</h2>
        <Show loaded={commits} what="the commits">
          {(c) => <CommitGraph commits={c.commits} selected={selected} />}
        </Show>
      </section>
      {selected ? (
        <section class="commit-detail">
          <CommitDetail id={selected} commits={commits.data?.commits ?? []} />
        </section>
      ) : null}
    </div>
  );
}
