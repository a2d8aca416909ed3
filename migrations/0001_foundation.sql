-- Server-wide values that must survive restarts (e.g. the one-time setup token's hash).
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
