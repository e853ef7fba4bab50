-- Indexes for the dashboard's read-model queries (runs by request time, by
-- status, by issue, by repository, and the runs needing attention), so its
-- pages cost about the same over 100,000 runs as over 1,000. The expressions
-- are exactly those the read-model queries use (json_extract with a literal
-- path), which is what lets SQLite use them.
CREATE INDEX projection_docs_requested_at
  ON projection_docs (projection, json_extract(doc, '$.requestedAt'));
CREATE INDEX projection_docs_status
  ON projection_docs (projection, json_extract(doc, '$.status'), json_extract(doc, '$.requestedAt'));
CREATE INDEX projection_docs_issue_key
  ON projection_docs (projection, json_extract(doc, '$.issueKey'), json_extract(doc, '$.requestedAt'));
CREATE INDEX projection_docs_repo_id
  ON projection_docs (projection, json_extract(doc, '$.repoId'), json_extract(doc, '$.requestedAt'));
CREATE INDEX projection_docs_attention
  ON projection_docs (projection, json_extract(doc, '$.needsAttention'), json_extract(doc, '$.requestedAt'));
