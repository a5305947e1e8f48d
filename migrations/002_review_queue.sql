-- The provider's review queue: rooms that client homeservers report up (POST
-- /_matrix/loj/v1/report, docs/reports.md). A reported room id is a candidate list entry and
-- as secret as the list: it is stored only sealed with the list key (AES-256-GCM, the
-- encrypted list format), and so is the reporter's free-text reason. Tags are plain.

CREATE TABLE review_reports (
  ref TEXT PRIMARY KEY,
  client TEXT NOT NULL,
  sealed_room TEXT NOT NULL,
  sealed_reason TEXT NOT NULL,
  tags TEXT NOT NULL,
  state TEXT NOT NULL,
  accepted_tags TEXT,
  created_at BIGINT NOT NULL,
  decided_at BIGINT
);
CREATE INDEX review_reports_by_state ON review_reports (state, created_at);
