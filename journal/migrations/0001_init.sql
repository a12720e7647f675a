-- Lancelog journal, schema version 1.
-- Migrations are forward-only and numbered; the runner (src/journal/migrations.ts)
-- applies every file whose number is above the `meta.schema_version` stamp, in one
-- transaction, then moves the stamp. Never edit a shipped migration: add a new one.

CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- The write-ahead journal. Append-only: the triggers below refuse UPDATE and DELETE
-- so that no code path can rewrite history by accident.
CREATE TABLE events (
  seq       INTEGER PRIMARY KEY AUTOINCREMENT,
  op_id     TEXT    NOT NULL,
  time_us   INTEGER NOT NULL,
  kind      TEXT    NOT NULL,
  branch    TEXT    NOT NULL,
  table_key TEXT,
  payload   TEXT    NOT NULL CHECK (json_valid(payload))
);
CREATE INDEX events_by_op   ON events (op_id, seq);
CREATE INDEX events_by_kind ON events (kind, seq);
CREATE INDEX events_by_time ON events (time_us);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- Projections. Each row is derived from events by evolve() (src/journal/evolve.ts)
-- and written in the same transaction as the event that changed it.

CREATE TABLE branches (
  name                    TEXT PRIMARY KEY,
  parent_branch           TEXT,
  parent_manifest_version INTEGER,
  created_us              INTEGER NOT NULL,
  deleted                 INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  head_manifest_version   INTEGER NOT NULL,
  head_commit_id          TEXT    NOT NULL
);

-- Full pin history: one row per (branch, manifest version, table).
CREATE TABLE pins (
  branch           TEXT    NOT NULL,
  manifest_version INTEGER NOT NULL,
  table_key        TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  lance_branch     TEXT,
  PRIMARY KEY (branch, manifest_version, table_key)
);

CREATE TABLE manifests (
  branch           TEXT    NOT NULL,
  manifest_version INTEGER NOT NULL,
  commit_id        TEXT    NOT NULL,
  time_us          INTEGER NOT NULL,
  PRIMARY KEY (branch, manifest_version)
);

CREATE TABLE commits (
  id               TEXT PRIMARY KEY,
  branch           TEXT    NOT NULL,
  manifest_version INTEGER NOT NULL,
  parent_id        TEXT,
  merged_parent_id TEXT,
  actor            TEXT    NOT NULL,
  op_id            TEXT    NOT NULL,
  time_us          INTEGER NOT NULL,
  message          TEXT
);
CREATE INDEX commits_by_branch ON commits (branch, time_us);
CREATE INDEX commits_by_actor  ON commits (actor, time_us);

CREATE TABLE operations (
  op_id         TEXT PRIMARY KEY,
  kind          TEXT    NOT NULL,
  branch        TEXT    NOT NULL,
  actor         TEXT    NOT NULL,
  state         TEXT    NOT NULL CHECK (state IN ('begun', 'intent_recorded', 'committing', 'published', 'completed', 'failed', 'rolled_back')),
  started_us    INTEGER NOT NULL,
  updated_us    INTEGER NOT NULL,
  error_code    TEXT,
  error_message TEXT,
  error_phase   TEXT
);
CREATE INDEX operations_by_state ON operations (state);

CREATE TABLE leases (
  branch       TEXT    NOT NULL,
  table_key    TEXT    NOT NULL,
  op_id        TEXT    NOT NULL,
  owner_pid    INTEGER NOT NULL,
  owner_host   TEXT    NOT NULL,
  lease_id     TEXT    NOT NULL,
  heartbeat_us INTEGER NOT NULL,
  PRIMARY KEY (branch, table_key)
);
CREATE INDEX leases_by_op ON leases (op_id);

-- Lance branches created by lazy forks: which (branch, table) owns which Lance branch.
CREATE TABLE forks (
  branch       TEXT    NOT NULL,
  table_key    TEXT    NOT NULL,
  lance_branch TEXT    NOT NULL,
  from_version INTEGER NOT NULL,
  op_id        TEXT    NOT NULL,
  time_us      INTEGER NOT NULL,
  PRIMARY KEY (branch, table_key)
);

CREATE TABLE recovery_audit (
  recovery_op_id TEXT NOT NULL,
  original_op_id TEXT NOT NULL,
  original_actor TEXT,
  writer_kind    TEXT,
  decision       TEXT NOT NULL,
  tables         TEXT NOT NULL CHECK (json_valid(tables)),
  time_us        INTEGER NOT NULL,
  PRIMARY KEY (recovery_op_id, original_op_id)
);
