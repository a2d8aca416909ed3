-- An event's filter verdicts grouped by reason: [[reason, [hook, ...]], ...] instead of one
-- [hook, reason] pair per hook. Hooks that turn an event away mostly do so for the same reason
-- (one filter copied to several channels), and the reasons were most of what filtered ingest
-- wrote: sixteen identical verdicts were 1.2 KiB on a 1 KiB event.
UPDATE events SET filtered = (
    SELECT json_group_array(json(g)) FROM (
        SELECT json_array(reason, json_group_array(hook)) AS g, min(hook) AS first
        FROM (SELECT j.value ->> 0 AS hook, j.value ->> 1 AS reason
              FROM json_each(events.filtered) j ORDER BY hook)
        GROUP BY reason ORDER BY first
    )
) WHERE filtered IS NOT NULL;
