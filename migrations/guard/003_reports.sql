-- Reports users file with their homeserver (Synapse's event and user report admin APIs, room
-- reports from the client-API proxy) as the guard posts them into the alert room, and what
-- moderators did with them (docs/reports.md). A room found listed is never kept here
-- (room_id NULL): an event report's room is asked from Synapse when a command needs it.

CREATE TABLE reports (
  short_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  synapse_id BIGINT,
  reporter TEXT NOT NULL,
  target_user TEXT,
  event_id TEXT,
  room_id TEXT,
  reason TEXT NOT NULL,
  listed TEXT NOT NULL,
  state TEXT NOT NULL,
  escalation_ref TEXT,
  received_at BIGINT NOT NULL,
  alerted INTEGER NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX reports_by_synapse_id ON reports (kind, synapse_id);
CREATE INDEX reports_by_state ON reports (state);
