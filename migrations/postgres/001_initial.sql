-- AI Runner, PostgreSQL schema 1: the event log, projection read models and
-- artifacts; the same logical schema as migrations/sqlite/001_initial.sql.
-- Applied once, inside the migration transaction (under an advisory lock), and
-- recorded in schema_migrations. Never edit this file after release: add
-- 002_*.sql instead.

-- The global, hash-chained log.
--
-- position is NOT a sequence: the writer assigns head + 1 inside a transaction
-- that holds pg_advisory_xact_lock for appends, so positions are gap-free and
-- become visible strictly in order (the lock is released only after the commit
-- is visible, so the next writer's transaction, and its later commit, come
-- after). A sequence hands out numbers before commit; two writers can commit
-- them out of order, and a consumer that has read N could later meet N - 1.
--
-- data and metadata are text, the exact JSON the writer hashed: jsonb would
-- reorder keys, normalise numbers (-0, 1e21) and reject strings that JSON
-- allows (U+0000, unpaired surrogates).
--
-- stream is COLLATE "C" so ordering and equality are bytewise, as in SQLite,
-- whatever the database's default collation.
CREATE TABLE events (
  position       bigint  PRIMARY KEY CHECK (position > 0),
  stream         text    COLLATE "C" NOT NULL,
  version        integer NOT NULL CHECK (version > 0),
  type           text    NOT NULL,
  schema_version integer NOT NULL CHECK (schema_version > 0),
  data           text    NOT NULL,  -- JSON, exactly as hashed
  metadata       text    NOT NULL,  -- JSON, exactly as hashed
  recorded_at    text    NOT NULL,  -- ISO-8601, exactly as hashed
  hash           text    NOT NULL   -- sha256 hex of previous hash + canonical JSON
);

-- One version per stream; also the index every stream read and version check uses.
CREATE UNIQUE INDEX events_stream_version ON events (stream, version);

-- The log is append-only. These guards stop accidental edits through SQL; the
-- hash chain (audit --verify) is what detects deliberate ones.
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only';
END
$$;

CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Read-model documents, one JSON document per (projection, id).
-- doc is jsonb, for filtering and ordering. jsonb cannot hold U+0000 or an
-- unpaired surrogate: such a document is stored exactly in doc_text, and doc
-- then holds a copy with those characters replaced by U+FFFD (for queries only).
CREATE TABLE projection_docs (
  projection text  COLLATE "C" NOT NULL,
  id         text  COLLATE "C" NOT NULL,
  doc        jsonb NOT NULL,
  doc_text   text,
  PRIMARY KEY (projection, id)
);

-- Where each projection stands; moved together with its documents, fenced on
-- the old value.
CREATE TABLE projection_checkpoints (
  projection text    COLLATE "C" PRIMARY KEY,
  position   bigint  NOT NULL CHECK (position >= 0),
  version    integer NOT NULL,
  updated_at text    NOT NULL
);

-- Content-addressed payloads (LLM transcripts, validation logs), referenced
-- from events by sha256.
CREATE TABLE artifacts (
  sha256     text    COLLATE "C" PRIMARY KEY,
  media_type text    NOT NULL,
  size       bigint  NOT NULL CHECK (size >= 0),
  content    bytea   NOT NULL,
  created_at text    NOT NULL
);
