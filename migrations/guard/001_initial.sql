-- The guard's database, schema v1. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Times are Unix milliseconds. Like the lookup service's database, no table holds a listed
-- room id: the list stays with the provider.

-- Named positions of the guard's background work (for example how far a poll of an admin
-- API has read), so a restart resumes where the last run stopped.
CREATE TABLE cursors (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
