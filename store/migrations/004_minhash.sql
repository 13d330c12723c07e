-- 004: MinHash signatures for near-duplicate detection (LSH band keys kept as a list).
CREATE TABLE IF NOT EXISTS minhash_signatures (
    doc_id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    params TEXT NOT NULL,          -- shingle size, permutations, bands, seed
    size INTEGER NOT NULL,         -- distinct shingles
    signature UBIGINT[] NOT NULL,
    bands BIGINT[] NOT NULL
);
