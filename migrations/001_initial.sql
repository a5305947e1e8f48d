-- Redlight schema v1. Portable SQL: runs unchanged on SQLite and PostgreSQL.
-- Times are Unix milliseconds. No table holds a room id or a list hash: only report ids
-- of hits, so the database never becomes a copy of the source list.

CREATE TABLE clients (
  name TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  tags TEXT,
  allow_ips TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  revoked_at BIGINT
);

CREATE TABLE hits (
  id TEXT PRIMARY KEY,
  client TEXT NOT NULL,
  user_pseudonym TEXT NOT NULL,
  report_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  counted INTEGER NOT NULL
);
CREATE INDEX hits_by_user ON hits (client, user_pseudonym, at);
CREATE INDEX hits_by_time ON hits (at);

CREATE TABLE freezes (
  client TEXT NOT NULL,
  user_pseudonym TEXT NOT NULL,
  frozen_at BIGINT NOT NULL,
  hits INTEGER NOT NULL,
  PRIMARY KEY (client, user_pseudonym)
);

CREATE TABLE audit_events (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  client TEXT,
  subject TEXT,
  detail TEXT
);
CREATE INDEX audit_by_time ON audit_events (at);

CREATE TABLE quota_counts (
  quota_key TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (quota_key, window_start)
);
CREATE INDEX quota_by_window ON quota_counts (window_start, count);
