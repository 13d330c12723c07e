-- 003: per-source run outcomes (source health) and what a site said about each page's last
-- change (sitemap lastmod, feed <updated>), so a changed page at a known URL is fetched again
-- and stored as a new version of the same document.
CREATE TABLE IF NOT EXISTS source_runs (
    run_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL,          -- ok | failed | layout | skipped
    new_items INTEGER NOT NULL,
    updated_items INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    detail TEXT,
    PRIMARY KEY (run_id, source_id)
);

CREATE TABLE IF NOT EXISTS page_state (
    canonical_url TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    source_modified TIMESTAMPTZ,   -- the site's own last-modified claim for the page
    checked_at TIMESTAMPTZ NOT NULL
);
