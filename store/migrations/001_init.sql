-- 001: initial schema. Instants are TIMESTAMPTZ (UTC); the source's offset is kept as text.
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    publisher TEXT,
    country TEXT,
    language TEXT,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    authority DOUBLE DEFAULT 1.0,
    config JSON,
    updated_at TIMESTAMPTZ
);

CREATE SEQUENCE IF NOT EXISTS fetch_seq;
CREATE TABLE IF NOT EXISTS fetches (
    id BIGINT PRIMARY KEY DEFAULT nextval('fetch_seq'),
    run_id TEXT,
    source_id TEXT,
    url TEXT NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    status INTEGER,
    etag TEXT,
    last_modified TEXT,
    content_type TEXT,
    n_bytes BIGINT,
    duration_ms INTEGER,
    error TEXT,
    raw_hash TEXT
);

CREATE TABLE IF NOT EXISTS raw_pages (
    hash TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    content_type TEXT,
    encoding TEXT,
    size BIGINT,
    body_zlib BLOB
);

CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 1,
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    source_id TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    language TEXT,
    published_at TIMESTAMPTZ,
    published_offset TEXT,
    published_precision TEXT,
    first_seen_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    content_hash TEXT NOT NULL,
    raw_hash TEXT,
    extractor TEXT,
    doc_number TEXT,
    doc_type TEXT,
    meta JSON
);

CREATE TABLE IF NOT EXISTS document_versions (
    doc_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    raw_hash TEXT,
    PRIMARY KEY (doc_id, version)
);

-- enrichment: every derived row names the document and the model that made it
CREATE TABLE IF NOT EXISTS enrichments (
    doc_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    language TEXT,
    status TEXT NOT NULL,          -- ok | empty | skipped:<reason>
    note TEXT,
    pipeline_version TEXT NOT NULL,
    enriched_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS entities (
    doc_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,       -- normalised id, e.g. country:US, agency:USTR, ner:ORG:acme
    kind TEXT NOT NULL,            -- country | agency | programme | instrument | org | person | place
    label_en TEXT,
    label_zh TEXT,
    mentions INTEGER NOT NULL,
    origin TEXT NOT NULL,          -- gazetteer | ner
    model TEXT NOT NULL,
    PRIMARY KEY (doc_id, entity_id)
);

CREATE TABLE IF NOT EXISTS tags (
    doc_id TEXT NOT NULL,
    kind TEXT NOT NULL,            -- topic | instrument
    tag TEXT NOT NULL,
    score DOUBLE NOT NULL,
    evidence TEXT,
    model TEXT NOT NULL,
    PRIMARY KEY (doc_id, kind, tag)
);

CREATE TABLE IF NOT EXISTS embeddings (
    doc_id TEXT NOT NULL,
    model TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector FLOAT[] NOT NULL,
    PRIMARY KEY (doc_id, model)
);

CREATE TABLE IF NOT EXISTS near_duplicates (
    doc_id TEXT PRIMARY KEY,
    duplicate_of TEXT NOT NULL,
    similarity DOUBLE NOT NULL,
    method TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    size INTEGER NOT NULL,
    centroid FLOAT[],
    model TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',   -- active | merged
    merged_into TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS story_members (
    doc_id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL,
    similarity DOUBLE,
    assigned_at TIMESTAMPTZ NOT NULL,
    model TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS story_events (
    happened_at TIMESTAMPTZ NOT NULL,
    kind TEXT NOT NULL,            -- merge | split
    story_id TEXT NOT NULL,
    other_id TEXT NOT NULL,
    detail TEXT
);

CREATE TABLE IF NOT EXISTS digests (
    id TEXT PRIMARY KEY,           -- <date>:<profile>:<lang>
    digest_date DATE NOT NULL,
    profile TEXT NOT NULL,
    lang TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    window_end TIMESTAMPTZ NOT NULL,
    generated_at TIMESTAMPTZ NOT NULL,
    content JSON NOT NULL,
    html TEXT,
    markdown TEXT
);

CREATE TABLE IF NOT EXISTS digest_items (
    digest_id TEXT NOT NULL,
    story_id TEXT NOT NULL,
    section TEXT NOT NULL,
    rank INTEGER NOT NULL,
    score DOUBLE NOT NULL,
    PRIMARY KEY (digest_id, story_id)
);

CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    flow TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status TEXT NOT NULL,          -- running | ok | failed
    counts JSON,
    error TEXT
);

CREATE TABLE IF NOT EXISTS item_errors (
    run_id TEXT,
    happened_at TIMESTAMPTZ NOT NULL,
    stage TEXT NOT NULL,
    item TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL
);
