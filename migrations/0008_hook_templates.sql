-- Owners' message templates of people-channel hooks, as the API's `templates` JSON; NULL keeps
-- the built-in wording for every event.
ALTER TABLE hooks ADD COLUMN templates TEXT;

-- What hooks' filters turned away now rides on the event's own row, as JSON
-- `[[hook_id, "rule"], ...]`: ingest writes one row per event instead of one more per filtering
-- hook, which made filtered ingest half as fast. A deleted hook's verdicts are skipped on read.
ALTER TABLE events ADD COLUMN filtered TEXT;
UPDATE events SET filtered = (
    SELECT json_group_array(json_array(f.hook_id, f.reason))
    FROM (SELECT hook_id, reason FROM filtered_events WHERE event_id = events.id ORDER BY hook_id) f
) WHERE id IN (SELECT event_id FROM filtered_events);
DROP TABLE filtered_events;
