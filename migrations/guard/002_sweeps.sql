-- Sweeps of pending invites and members of listed rooms (docs/sweeps.md). Each action a
-- sweep takes is recorded before ("started") and after ("done"), so a restart neither
-- repeats a finished action nor forgets a begun one. No listed room id in clear: rooms and
-- users are keyed hashes (HMAC-SHA-256 under a key derived from the pseudonym secret).
CREATE TABLE sweep_actions (
  room_key TEXT NOT NULL,
  -- '' for an action on the whole room (alert, block, purge, quarantine_media).
  user_key TEXT NOT NULL,
  action TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (room_key, user_key, action)
);
