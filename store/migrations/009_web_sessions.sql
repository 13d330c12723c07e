-- 009: web UI sessions kept on the server, so one can be revoked. A signed session cookie
-- logs in only while its row exists, has not expired and is not revoked (logout, or its
-- user removed from [web.users]). The cookie's session id is stored only as a SHA-256 hash:
-- read copies of the store never hold a usable session id.
CREATE TABLE IF NOT EXISTS web_sessions (
    sid_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    address TEXT,                  -- client address at login (for the operator)
    revoked_at TIMESTAMPTZ,
    reason TEXT                    -- logout | user removed
);
