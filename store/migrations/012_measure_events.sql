-- 012: measure lifecycle per story (nlp/lifecycle.py, run after story assignment): each
-- status event its documents state (announced ... enjoined) with the date it happens, the
-- instrument, the citing document and its verbatim sentence, and the rule version that made
-- it. A story's rows are replaced when its members (or their content) or the version change;
-- measure_event_runs records what each story's rows were computed from.
CREATE TABLE IF NOT EXISTS measure_events (
    story_id TEXT NOT NULL,
    measure TEXT NOT NULL,          -- "EO 14257", "Proclamation 10896", "FR 2025-05426", "title:..."
    kind TEXT NOT NULL,             -- announced | proposed | comment_requested | final | signed |
                                    -- effective | suspended | rates_changed | amended | revoked | enjoined
    event_date DATE NOT NULL,
    instrument TEXT,
    doc_id TEXT NOT NULL,
    sentence TEXT NOT NULL,
    published DATE NOT NULL,        -- the citing document's date (as-of filtering)
    model TEXT NOT NULL,
    PRIMARY KEY (story_id, measure, kind, event_date)
);

CREATE TABLE IF NOT EXISTS measure_event_runs (
    story_id TEXT PRIMARY KEY,
    members_hash TEXT NOT NULL,     -- sha256 of the member ids and content hashes
    model TEXT NOT NULL,
    events INTEGER NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL
);
