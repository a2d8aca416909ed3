-- Hook filters: which events of the types a hook takes it delivers. NULL lets everything through,
-- so the fan-out of unfiltered hooks stays one INSERT ... SELECT; the few filtered hooks are
-- found through their own small index and judged one by one.
ALTER TABLE hooks ADD COLUMN filter TEXT;
CREATE INDEX hooks_filtered ON hooks(feed_id) WHERE filter IS NOT NULL;

-- What a hook's filter turned away, and by which rule: the event's page says why a hook did not
-- deliver it. Goes with the event (retention) or the hook.
CREATE TABLE filtered_events (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    hook_id INTEGER NOT NULL REFERENCES hooks(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    PRIMARY KEY (event_id, hook_id)
) WITHOUT ROWID;
CREATE INDEX filtered_events_by_hook ON filtered_events(hook_id);
