-- AI Runner, SQLite schema 1: the event log, projection read models and artifacts.
-- Applied once, in its own transaction, and recorded in schema_migrations.
-- Never edit this file after release: add 002_*.sql instead.

-- The global, hash-chained log. position is the rowid, assigned by the writer
-- inside a BEGIN IMMEDIATE transaction as head + 1, so it is gap-free.
CREATE TABLE events (
  position       INTEGER PRIMARY KEY,
  stream         TEXT    NOT NULL,
  version        INTEGER NOT NULL CHECK (version > 0),
  type           TEXT    NOT NULL,
  schema_version INTEGER NOT NULL CHECK (schema_version > 0),
  data           TEXT    NOT NULL,  -- JSON
  metadata       TEXT    NOT NULL,  -- JSON
  recorded_at    TEXT    NOT NULL,  -- ISO-8601
  hash           TEXT    NOT NULL   -- sha256 hex of previous hash + canonical JSON
);

-- One version per stream; also the index every stream read and version check uses.
CREATE UNIQUE INDEX events_stream_version ON events (stream, version);

-- The log is append-only. These guards stop accidental edits through SQL; the
-- hash chain (audit --verify) is what detects deliberate ones.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;

-- Read-model documents, one JSON document per (projection, id).
CREATE TABLE projection_docs (
  projection TEXT NOT NULL,
  id         TEXT NOT NULL,
  doc        TEXT NOT NULL,  -- JSON
  PRIMARY KEY (projection, id)
) WITHOUT ROWID;

-- Where each projection stands; moved together with its documents, fenced on
-- the old value.
CREATE TABLE projection_checkpoints (
  projection TEXT    PRIMARY KEY,
  position   INTEGER NOT NULL CHECK (position >= 0),
  version    INTEGER NOT NULL,
  updated_at TEXT    NOT NULL
) WITHOUT ROWID;

-- Content-addressed payloads (LLM transcripts, validation logs), referenced
-- from events by sha256.
CREATE TABLE artifacts (
  sha256     TEXT    PRIMARY KEY,
  media_type TEXT    NOT NULL,
  size       INTEGER NOT NULL CHECK (size >= 0),
  content    BLOB    NOT NULL,
  created_at TEXT    NOT NULL
);
