/**
 * Following the change feed live (docs/branches-commits.md "Following live"): poll, and
 * when caught up wait for the journal to change instead of sleeping a fixed interval.
 * The journal (`_lancelog.db` and its WAL) is written by every publish of any process,
 * so a watch on the repo directory wakes the follower within milliseconds of a commit;
 * a commit is delivered only once its publish transaction is durable (it is in the
 * journal), and an operation that recovery rolls back never published a commit. A
 * fallback timer covers file systems whose watch misses events.
 */
import { watch, type FSWatcher } from 'node:fs';
import { pollChanges, type ChangesRepo, type PollOptions, type PollPage } from './changes.js';

export interface FollowOptions extends PollOptions {
  /** The longest wait between two polls without a journal change (default 1000 ms). */
  fallbackPollMs?: number;
  /** A page the caller already polled with these options: delivered first, not polled again. */
  firstPage?: PollPage;
  signal?: AbortSignal;
}

/** Resolves on the next change of the journal's files, after `ms`, or on abort. */
export class JournalWatch {
  private watcher: FSWatcher | null = null;
  private wake: (() => void) | null = null;
  private dirty = false;

  constructor(dir: string) {
    try {
      this.watcher = watch(dir, { persistent: false }, (_event, file) => {
        if (file !== null && !String(file).startsWith('_lancelog.db')) return;
        this.dirty = true;
        this.wake?.();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = null;
    }
  }

  /** Waits for a journal change since the last wait (or `ms`, or the abort). */
  async next(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.dirty || signal?.aborted) {
      this.dirty = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
      this.wake = done;
    });
    this.dirty = false;
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

/**
 * Delivers every page of the feed to `onPage` as commits are published, until the
 * signal aborts. Each page's cursor (or token) is where the next poll resumes, so a
 * follower that stores the cursor it last saw on a page without a token misses nothing.
 */
export async function followChanges(
  repo: ChangesRepo & { dir: string },
  opts: FollowOptions,
  onPage: (page: PollPage) => Promise<void> | void,
): Promise<void> {
  const w = new JournalWatch(repo.dir);
  const { fallbackPollMs = 1000, signal, firstPage, ...poll } = opts;
  let next: PollOptions = poll;
  let ready = firstPage;
  try {
    while (!signal?.aborted) {
      const page = ready ?? (await pollChanges(repo, next));
      ready = undefined;
      await onPage(page);
      const base = { ...poll, start: undefined, cursor: undefined, pageToken: undefined };
      if (page.nextPageToken !== null) next = { ...base, pageToken: page.nextPageToken };
      else {
        next = { ...base, cursor: page.cursor! };
        if (page.caughtUp) await w.next(fallbackPollMs, signal);
      }
    }
  } finally {
    w.close();
  }
}
