-- 008: a UI watchlist can notify like a config entry (alerts.watch): channel '' (hits on the
-- watchlists page only), 'email' or 'webhook', and its target (comma-separated addresses or
-- a webhook URL). The alerts pass sends them under the id "ui:" + the watchlist's id.
ALTER TABLE watchlists ADD COLUMN channel TEXT DEFAULT '';
ALTER TABLE watchlists ADD COLUMN target TEXT DEFAULT '';
