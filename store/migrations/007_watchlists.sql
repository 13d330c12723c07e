-- 007: watchlists analysts manage in the web UI (next to the ones in config, alerts.watch).
-- `query` uses the alerts query syntax (alerts/match.py): words and "quoted phrases" that
-- must all appear, alternatives separated by OR; the filters are optional.
CREATE TABLE IF NOT EXISTS watchlists (
    id TEXT PRIMARY KEY,           -- "ui-" + random; never reused
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    topics JSON NOT NULL,          -- taxonomy topic ids (any of them), [] = all
    countries JSON NOT NULL,       -- source countries (ISO), [] = all
    sources JSON NOT NULL,         -- source ids, [] = all
    owner TEXT NOT NULL,           -- the web user who created it
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
