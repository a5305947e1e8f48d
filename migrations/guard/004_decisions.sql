-- The decisions log (src/services/guard/decisions/): what the guard decided, counted per
-- hour, so that dashboards and transparency reports read a few rows, never one per request.
-- No column holds a room id: a decision is counted by action, outcome, reason, tag or harm,
-- and (for invites) the inviting server. Empty strings stand for "none" so that every
-- column can be part of the key on SQLite and PostgreSQL alike.
CREATE TABLE decision_counts (
  hour BIGINT NOT NULL,
  action TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  tag TEXT NOT NULL,
  server TEXT NOT NULL,
  automated INTEGER NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (hour, action, outcome, reason, tag, server, automated)
);
CREATE INDEX decision_counts_by_action ON decision_counts (action, hour);

-- Accounts the guard saw frozen and has not unfrozen since: the dashboard lists them with
-- an unfreeze button. User ids only (alerts show them too); never a room.
CREATE TABLE frozen_accounts (
  user_id TEXT PRIMARY KEY,
  frozen_at BIGINT NOT NULL,
  via TEXT NOT NULL
);

-- Periods in which the lookup service did not answer and the fail modes applied.
CREATE TABLE degraded_periods (
  started_at BIGINT PRIMARY KEY,
  ended_at BIGINT
);
CREATE INDEX degraded_periods_by_end ON degraded_periods (ended_at);
