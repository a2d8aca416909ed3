-- How a hook's deliveries go out: how many attempts it may have in flight at once (a fast
-- receiver can take more than the old fixed 8), and whether they go one at a time in the order
-- their events were accepted. Existing hooks keep today's behaviour.
ALTER TABLE hooks ADD COLUMN max_in_flight INTEGER NOT NULL DEFAULT 8 CHECK (max_in_flight BETWEEN 1 AND 64);
ALTER TABLE hooks ADD COLUMN ordered INTEGER NOT NULL DEFAULT 0 CHECK (ordered IN (0, 1));
