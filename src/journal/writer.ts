/**
 * The journal's writer (docs/journal.md "Principles"): one BEGIN IMMEDIATE
 * transaction per write — load the working set, decide, append and evolve the events,
 * write the rows that changed. It shares its connection (handle.ts) with the reader
 * (queries.ts); the named commands are the facade's (journal.ts), built on `run`.
 */
import { asSystemError, LancelogError } from '../errors.js';
import { nowUs } from './clock.js';
import {
  commandNeeds,
  decide,
  decideOpEvents,
  type Decision,
  type EventDraft,
  type JournalCommand,
} from './decide.js';
import { parseBody, type EventBody, type JournalEvent } from './events.js';
import { evolveInPlace } from './evolve.js';
import { prepared, rowImage, writeChangedRows } from './projections.js';
import type { JournalHandle } from './handle.js';
import { emptyState, type JournalState } from './state.js';
import { eventNeeds, loadNeeds, rowsRead, type ReadCount } from './working-set.js';

const INSERT_EVENT =
  'INSERT INTO events (op_id, time_us, kind, branch, table_key, payload) VALUES (?, ?, ?, ?, ?, ?)';
const LAST_TIME = 'SELECT time_us FROM events ORDER BY seq DESC LIMIT 1';

/**
 * What the facade needs of a writer: the SQLite one below, and any other store that
 * runs the same deciders in its own transactions.
 */
export type JournalWrites = { [K in keyof JournalWriter]: JournalWriter[K] };

export class JournalWriter {
  constructor(private readonly handle: JournalHandle) {}

  private get db(): JournalHandle['db'] {
    return this.handle.db;
  }

  /** Working-set rows and statements this handle's writes have read so far (tests: a write reads no history). */
  workingSetReads(): ReadCount {
    return { ...(rowsRead.get(this.db) ?? { rows: 0, statements: 0 }) };
  }

  /**
   * Runs one command in one BEGIN IMMEDIATE transaction (see the module comment):
   * load its working set, decide, append and evolve the events. A refusal throws
   * before anything is written.
   *
   * `durable: false` commits without fsync (SQLite `synchronous=NORMAL` for this one
   * transaction): the commit survives a process crash, and the next durable
   * transaction's fsync of the WAL makes it durable too; only a power loss before that
   * can drop it. Used for events whose loss then is harmless because nothing of the
   * operation reached Lance without a later durable event: `op.begun`, leases and
   * heartbeats (docs/journal.md "Durability").
   */
  run<C extends JournalCommand, R>(
    cmd: C,
    decider: (cmd: C, state: JournalState) => Decision<R>,
    opts: { durable?: boolean } = {},
  ): R {
    return this.transact(() => {
      const state = emptyState();
      const loaded = new Set<string>();
      loadNeeds(this.db, commandNeeds(cmd), state, loaded);
      const { events, result } = decider(cmd, state);
      this.appendDrafts(events, state, loaded, { trusted: true });
      return result;
    }, opts);
  }

  /**
   * Several commands in ONE transaction (one commit, one fsync when durable), each
   * decided by its own pure decider against the state the previous ones left. Every
   * command's needs are loaded first, from one snapshot, before any event is evolved
   * (the working-set rule); a refusal by any of them writes nothing at all.
   */
  runSteps(cmds: readonly JournalCommand[], opts: { durable?: boolean } = {}): unknown[] {
    return this.transact(() => {
      const state = emptyState();
      const loaded = new Set<string>();
      loadNeeds(this.db, cmds.flatMap(commandNeeds), state, loaded);
      return cmds.map((cmd) => {
        const { events, result } = decide(cmd, state);
        this.appendDrafts(events, state, loaded, { trusted: true });
        return result;
      });
    }, opts);
  }

  private transact<T>(fn: () => T, opts: { durable?: boolean }): T {
    const { path } = this.handle;
    if (this.handle.readOnly)
      throw new LancelogError('JournalReadOnly', `${path} was opened read-only`, { path });
    const relaxed = opts.durable === false;
    if (relaxed) prepared(this.db, 'PRAGMA synchronous = NORMAL').run();
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      // A full disk, a read-only or damaged file: a typed error naming the journal.
      throw asSystemError(err, `cannot write to the journal ${path}`, { path });
    } finally {
      if (relaxed) prepared(this.db, 'PRAGMA synchronous = FULL').run();
    }
  }

  /**
   * Inside a transaction: appends the events (time never running backwards along seq,
   * even across processes with skewed clocks), loads what evolve() reads for them into
   * `state`, evolves it with all of them in one draft and writes the patched rows.
   * `trusted`: the bodies come from a decider (typed, built by this module); others
   * are parsed with their kind's zod schema first (the escape hatch's boundary).
   */
  private appendDrafts(
    drafts: readonly EventDraft[],
    state: JournalState,
    loaded: Set<string>,
    opts: { trusted: boolean },
  ): JournalEvent[] {
    if (drafts.length === 0) return [];
    const last = prepared(this.db, LAST_TIME).get() as { time_us: number } | undefined;
    let lastTimeUs = last?.time_us ?? 0;
    const insert = prepared(this.db, INSERT_EVENT);
    const events = drafts.map((d) => {
      const body = opts.trusted ? d.body : parseBody(d.body);
      const timeUs = Math.max(nowUs(), lastTimeUs);
      lastTimeUs = timeUs;
      const info = insert.run(
        d.opId,
        timeUs,
        body.kind,
        d.branch,
        d.tableKey,
        JSON.stringify(body.payload),
      );
      const seq = Number(info.lastInsertRowid);
      return { seq, opId: d.opId, timeUs, branch: d.branch, tableKey: d.tableKey, ...body };
    }) as JournalEvent[];
    loadNeeds(this.db, events.flatMap(eventNeeds), state, loaded);
    // The working set is this transaction's own: evolve's recipe runs on it in place,
    // and the rows that differ from what was loaded are written.
    const before = rowImage(state);
    evolveInPlace(state, events);
    writeChangedRows(this.db, before, state);
    return events;
  }

  /** Appends events of a live operation in one transaction (one fsync unless `durable: false`). */
  opEvents(
    opId: string,
    events: Array<{ body: EventBody; tableKey: string | null }>,
    opts: { durable?: boolean } = {},
  ): void {
    this.run({ type: 'opEvents', opId, events }, decideOpEvents, opts);
  }

  /**
   * The escape hatch for several events in one transaction (one fsync): each payload
   * is parsed with its kind's zod schema; no CAS, lease or state checks.
   */
  appendEvents(events: readonly EventDraft[]): JournalEvent[] {
    return this.transact(
      () => this.appendDrafts(events, emptyState(), new Set(), { trusted: false }),
      {},
    );
  }
}
