"""Prefect flow: the alerts pass on its own (every 15 minutes; enrichment also runs it)."""

from __future__ import annotations

from prefect import flow

from config.settings import load_settings
from flows.common import recorded, retry_options
from flows.enrich import alerts_task


@flow(name="alerts")
def alerts_flow(overrides: dict | None = None, now: str | None = None) -> dict:
    """Notify watchlists about new stories (one notification per story, ever).

    Args:
        overrides: settings overrides (e.g. watchlists, store path).
        now: the pass's ISO instant (replays); default the current time.
    """
    settings = load_settings(**(overrides or {}))
    with recorded("alerts", settings, {"now": now}) as counts:
        counts.update(alerts_task.with_options(**retry_options(settings.ops))(overrides, now))
    return counts
