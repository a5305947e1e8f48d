-- When moderators first acted on a report (dismissed, escalated, the room blocked, or the
-- reported account suspended), for the transparency report's median time from notice to
-- action (src/transparency/). NULL: nothing done yet. Reports received before this column
-- existed keep NULL and are left out of the median.

ALTER TABLE reports ADD COLUMN acted_at BIGINT;
