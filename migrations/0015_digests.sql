-- Digests and quiet hours. A hook's `digest` is its setting as JSON (NULL: every event goes on
-- its own). The worker holds a digest hook's new deliveries (pending, at the HELD due time
-- 4611686018427387902, one before PARKED, so claims never take them); the digester gathers a
-- hook's held deliveries into one digest delivery when its window (and any quiet hours) end.
-- That delivery keeps its listing in `digest_body` (event_type 'digest', event_id the first
-- event it carries), and each delivery it carries points to it through `digest_id`, staying
-- pending until the digest succeeds or fails for good, then taking its outcome.
ALTER TABLE hooks ADD COLUMN digest TEXT;
ALTER TABLE deliveries ADD COLUMN digest_id INTEGER REFERENCES deliveries(id) ON DELETE SET NULL;
ALTER TABLE deliveries ADD COLUMN digest_body TEXT;
-- The digester's scan: held deliveries not yet carried, by hook, oldest first.
CREATE INDEX deliveries_held ON deliveries(hook_id, created_at)
    WHERE status = 'pending' AND due_at = 4611686018427387902 AND digest_id IS NULL;
CREATE INDEX deliveries_by_digest ON deliveries(digest_id) WHERE digest_id IS NOT NULL;
