-- Owners' message templates of people-channel hooks, as the API's `templates` JSON; NULL keeps
-- the built-in wording for every event.
ALTER TABLE hooks ADD COLUMN templates TEXT;
