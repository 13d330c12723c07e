-- 010: how far each spool has been ingested. Written in the same transaction as every batch of
-- its lines, so a crawl killed between two batches resumes after the committed ones instead of
-- recording their fetches and errors a second time (tests/test_kill_stages.py). The row goes
-- when its spool is fully ingested or quarantined.
CREATE TABLE IF NOT EXISTS spool_progress (
    spool TEXT PRIMARY KEY,        -- the spool's file name, <source>-<stamp>.spool.jsonl
    lines INTEGER NOT NULL,        -- lines 1..lines are in the store
    updated_at TIMESTAMPTZ NOT NULL
);
