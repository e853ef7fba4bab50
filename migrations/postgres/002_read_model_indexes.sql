-- Indexes for the dashboard's read-model queries: runs newest first, by status,
-- by issue, by repository, and the runs needing attention, so its pages cost about
-- the same over 100,000 runs as over 1,000. The expressions are exactly those the
-- read-model queries build (adapters/eventstore/postgres/read_models.ts,
-- orderExpressions("requestedAt") and (doc -> '<field>') with a literal field),
-- which is what lets PostgreSQL use them; scanned backwards they give
-- "newest first, ties by id".
CREATE INDEX projection_docs_requested_at ON projection_docs (
    projection,
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 3 ELSE 0 END),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN (doc ->> 'requestedAt')::numeric WHEN 'boolean' THEN CASE WHEN (doc -> 'requestedAt') = 'true'::jsonb THEN 1 ELSE 0 END END),
    ((CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'string' THEN doc ->> 'requestedAt' WHEN 'array' THEN (doc -> 'requestedAt')::text WHEN 'object' THEN (doc -> 'requestedAt')::text END) COLLATE "C"),
    id DESC
  );
CREATE INDEX projection_docs_status ON projection_docs (
    projection,
    (doc -> 'status'),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 3 ELSE 0 END),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN (doc ->> 'requestedAt')::numeric WHEN 'boolean' THEN CASE WHEN (doc -> 'requestedAt') = 'true'::jsonb THEN 1 ELSE 0 END END),
    ((CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'string' THEN doc ->> 'requestedAt' WHEN 'array' THEN (doc -> 'requestedAt')::text WHEN 'object' THEN (doc -> 'requestedAt')::text END) COLLATE "C"),
    id DESC
  );
CREATE INDEX projection_docs_issue_key ON projection_docs (
    projection,
    (doc -> 'issueKey'),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 3 ELSE 0 END),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN (doc ->> 'requestedAt')::numeric WHEN 'boolean' THEN CASE WHEN (doc -> 'requestedAt') = 'true'::jsonb THEN 1 ELSE 0 END END),
    ((CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'string' THEN doc ->> 'requestedAt' WHEN 'array' THEN (doc -> 'requestedAt')::text WHEN 'object' THEN (doc -> 'requestedAt')::text END) COLLATE "C"),
    id DESC
  );
CREATE INDEX projection_docs_repo_id ON projection_docs (
    projection,
    (doc -> 'repoId'),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 3 ELSE 0 END),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN (doc ->> 'requestedAt')::numeric WHEN 'boolean' THEN CASE WHEN (doc -> 'requestedAt') = 'true'::jsonb THEN 1 ELSE 0 END END),
    ((CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'string' THEN doc ->> 'requestedAt' WHEN 'array' THEN (doc -> 'requestedAt')::text WHEN 'object' THEN (doc -> 'requestedAt')::text END) COLLATE "C"),
    id DESC
  );
CREATE INDEX projection_docs_attention ON projection_docs (
    projection,
    (doc -> 'needsAttention'),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 3 ELSE 0 END),
    (CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'number' THEN (doc ->> 'requestedAt')::numeric WHEN 'boolean' THEN CASE WHEN (doc -> 'requestedAt') = 'true'::jsonb THEN 1 ELSE 0 END END),
    ((CASE jsonb_typeof((doc -> 'requestedAt')) WHEN 'string' THEN doc ->> 'requestedAt' WHEN 'array' THEN (doc -> 'requestedAt')::text WHEN 'object' THEN (doc -> 'requestedAt')::text END) COLLATE "C"),
    id DESC
  );
