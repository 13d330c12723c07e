-- 006: operations. Every flow run (also recorded in Prefect) with its counts and error, and
-- every alert notification: one per (watchlist entry, story), never sent twice.
CREATE TABLE IF NOT EXISTS flow_runs (
    id TEXT PRIMARY KEY,           -- the Prefect flow-run id (or a local id outside Prefect)
    flow TEXT NOT NULL,
    deployment TEXT,
    parent_id TEXT,
    parameters JSON,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status TEXT NOT NULL,          -- running | ok | failed (a dead 'running' one was killed)
    counts JSON,
    error TEXT,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts (
    watch_id TEXT NOT NULL,        -- the watchlist entry (config alerts.watch[].id)
    story_id TEXT NOT NULL,        -- the story notified about (its root after merges)
    doc_id TEXT NOT NULL,          -- the new document that matched
    channel TEXT NOT NULL,         -- email | webhook
    target TEXT NOT NULL,
    link TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    status TEXT NOT NULL,          -- pending | sent | failed
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    PRIMARY KEY (watch_id, story_id)
);
