/**
 * The commit graph's layout: one lane per branch (main first, then by creation), one row
 * per commit (newest first), and the lines to each commit's parents — a fork curves into
 * its parent's lane next to the parent, a merge leaves the merge commit towards the
 * merged branch's lane. Plain data for the SVG in commits.tsx.
 */
import type { Commit } from '../api';

export const ROW_HEIGHT = 42;
export const LANE_WIDTH = 18;

export interface Dot {
  commit: Commit;
  row: number;
  lane: number;
}
export interface Line {
  d: string;
  merge: boolean;
  lane: number;
}
export interface Layout {
  dots: Dot[];
  lines: Line[];
  lanes: string[];
  width: number;
  height: number;
}

const x = (lane: number) => LANE_WIDTH / 2 + 4 + lane * LANE_WIDTH;
const y = (row: number) => ROW_HEIGHT / 2 + row * ROW_HEIGHT;

/** Branch names in lane order: main, then the others by their first commit's time. */
function laneOrder(commits: Commit[]): string[] {
  const first = new Map<string, number>();
  for (const c of commits) {
    const t = first.get(c.manifest_branch);
    if (t === undefined || c.created_at < t) first.set(c.manifest_branch, c.created_at);
  }
  return [...first.keys()].sort((a, b) =>
    a === 'main' ? -1 : b === 'main' ? 1 : first.get(a)! - first.get(b)!,
  );
}

function path(
  from: { row: number; lane: number },
  to: { row: number; lane: number },
  merge: boolean,
): string {
  const [x1, y1, x2, y2] = [x(from.lane), y(from.row), x(to.lane), y(to.row)];
  if (x1 === x2) return `M${x1} ${y1} L${x2} ${y2}`;
  const bend = ROW_HEIGHT * 0.8;
  // A merge turns right away towards the merged lane; a fork keeps its lane until its parent's row.
  return merge
    ? `M${x1} ${y1} C${x1} ${y1 + bend} ${x2} ${y1} ${x2} ${y1 + bend} L${x2} ${y2}`
    : `M${x1} ${y1} L${x1} ${y2 - bend} C${x1} ${y2} ${x2} ${y2 - bend} ${x2} ${y2}`;
}

export function layoutCommits(commits: Commit[]): Layout {
  const sorted = [...commits].sort(
    (a, b) => b.created_at - a.created_at || b.manifest_version - a.manifest_version,
  );
  const lanes = laneOrder(sorted);
  const dots = sorted.map((commit, row) => ({
    commit,
    row,
    lane: lanes.indexOf(commit.manifest_branch),
  }));
  const byId = new Map(dots.map((d) => [d.commit.graph_commit_id, d]));
  const lines: Line[] = [];
  for (const d of dots) {
    const parent = d.commit.parent_commit_id ? byId.get(d.commit.parent_commit_id) : undefined;
    if (parent) lines.push({ d: path(d, parent, false), merge: false, lane: d.lane });
    const merged = d.commit.merged_parent_commit_id
      ? byId.get(d.commit.merged_parent_commit_id)
      : undefined;
    if (merged) lines.push({ d: path(d, merged, true), merge: true, lane: merged.lane });
  }
  return {
    dots,
    lines,
    lanes,
    width: x(Math.max(lanes.length - 1, 0)) + LANE_WIDTH,
    height: dots.length * ROW_HEIGHT,
  };
}

export const laneX = x;
export const rowY = y;
