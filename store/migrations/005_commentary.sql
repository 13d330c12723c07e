-- 005: quick-commentary drafts (every version kept, with the inputs that reproduce it) and
-- the state of the full-text (BM25) index over documents used by hybrid search.
CREATE TABLE IF NOT EXISTS drafts (
    id TEXT NOT NULL,              -- stable per request: query + filters + story
    version INTEGER NOT NULL,      -- a re-run with other output or a revision is a new version
    created_at TIMESTAMPTZ NOT NULL,
    query TEXT NOT NULL,
    search_query TEXT NOT NULL,    -- the query as searched (glossary-expanded, capped)
    filters JSON NOT NULL,         -- story_id, since, until, countries, sources, topics
    doc_ids JSON NOT NULL,         -- [{id, version, content_hash}] the draft was written from
    story_ids JSON NOT NULL,
    writer TEXT NOT NULL,          -- extractive | transformers | openai | revision
    model TEXT NOT NULL,           -- writer model (path@version, endpoint model) and embedder
    settings JSON NOT NULL,        -- the commentary settings used
    content_hash TEXT NOT NULL,    -- hash of the draft content (without timestamps)
    content JSON NOT NULL,         -- the whole draft, sections and references
    markdown TEXT NOT NULL,
    claims_checked INTEGER NOT NULL,
    claims_removed INTEGER NOT NULL,
    note TEXT,
    PRIMARY KEY (id, version)
);

CREATE TABLE IF NOT EXISTS search_index_state (
    name TEXT PRIMARY KEY,         -- e.g. documents
    doc_count BIGINT NOT NULL,
    max_updated_at TIMESTAMPTZ,
    built_at TIMESTAMPTZ NOT NULL,
    build_ms INTEGER NOT NULL
);
