"""One alerts pass: match new documents against the watchlists, claim, send, record.

The pass holds the store's writer lock only to claim alerts and to record outcomes, never
while sending. A claimed alert is recorded as pending before it is sent, so a story is never
notified twice for a watchlist entry; a failed delivery is tried again on later passes (up
to ``alerts.max_attempts``, then given up with its reason); a pass killed while sending leaves
the alert pending (shown by ``radar status``) rather than risking a second notification.
Each alert is delivered on its own: one that fails, even with an unexpected exception, is
recorded with its reason and the others are still sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import duckdb

from alerts.notify import send
from commentary.query import load_glossary
from config.errors import ConfigError
from config.settings import Settings, WatchSettings
from store import alerts as alert_rows
from store.alerts import Alert, Candidate
from store.db import opened
from store.query import Query, matches, parse_query
from store.watchlists import list_watchlists

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertCounts:
    """What one pass did."""

    candidates: int = 0
    new: int = 0
    retried: int = 0
    sent: int = 0
    failed: int = 0
    given_up: int = 0  # failed for the last time (alerts.max_attempts reached)
    invalid: int = 0  # UI watchlists left out because their query no longer parses


def root_story(story_id: str, parents: dict[str, str]) -> str:
    """Follow merges to the story that absorbed this one."""
    seen = {story_id}
    while story_id in parents and parents[story_id] not in seen:
        story_id = parents[story_id]
        seen.add(story_id)
    return story_id


def wanted(watch: WatchSettings, query: Query, doc: Candidate) -> bool:
    """Whether a candidate passes a watch's filters and query."""
    if watch.sources and doc.source_id not in watch.sources:
        return False
    if watch.countries and (doc.country or "").upper() not in {c.upper() for c in watch.countries}:
        return False
    if watch.topics and not set(watch.topics) & set(doc.topics):
        return False
    return matches(query, doc.title, doc.text)


def select_alerts(watch: WatchSettings, query: Query, docs: list[Candidate],
                  already: set[str], parents: dict[str, str], story_url: str) -> list[Alert]:
    """At most one new alert per story not yet claimed by this watch (the earliest match)."""
    claimed = {root_story(s, parents) for s in already}
    out: list[Alert] = []
    for doc in docs:
        root = root_story(doc.story_id, parents)
        if root in claimed or not wanted(watch, query, doc):
            continue
        claimed.add(root)
        out.append(Alert(watch.id, root, doc.doc_id, watch.channel, watch.target,
                         story_url.format(story_id=quote(root, safe=":")), doc.title))
    return out


def ui_watches(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple[WatchSettings, Query]], int]:
    """The web UI's watchlists that notify (a channel is set), as config entries with their
    parsed queries, and how many were left out because their query does not parse."""
    out, invalid = [], 0
    for w in list_watchlists(con):
        if not w.channel:
            continue
        try:
            query = parse_query(w.query, load_glossary)
        except ConfigError as exc:  # saved under older rules: the others still run
            log.warning("watchlist %s (%s) left out of alerts: %s", w.id, w.name, exc)
            invalid += 1
            continue
        out.append((WatchSettings(id=f"ui:{w.id}", query=w.query, topics=list(w.topics),
                                  countries=list(w.countries), sources=list(w.sources),
                                  channel=w.channel, target=w.target), query))
    return out, invalid


def deliver(alert: Alert, doc: Candidate | None, query: str, settings: Settings) -> str | None:
    """Send one alert; returns None when sent, else the reason. Never raises.

    Any exception is an outcome of this alert alone (a target the HTTP client rejects, text
    the mail library refuses): the pass records it and goes on with the other alerts.
    """
    try:
        return send(alert, doc, query, settings.alerts, settings.digest.smtp)
    except Exception as exc:  # recorded as this alert's failure reason, never raised
        log.warning("alert %s / story %s not sent: %s: %s", alert.watch_id, alert.story_id,
                    type(exc).__name__, exc)
        return f"{type(exc).__name__}: {exc}"


def run_alerts(settings: Settings, now: datetime | None = None) -> AlertCounts:
    """Match, claim, send and record alerts for every configured watchlist entry and every
    web UI watchlist with a channel.

    Args:
        settings: loaded settings (watchlists, SMTP, story link template, store path).
        now: the pass's instant (tests and replays); default the current time.

    Raises:
        ConfigError: a watchlist query does not parse, or two entries share an id.
    """
    watches = list(settings.alerts.watch)
    ids = [w.id for w in watches]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"alerts.watch ids must be unique: {ids}")
    queries = {w.id: parse_query(w.query, load_glossary) for w in watches}
    since = (now or datetime.now(UTC)) - timedelta(hours=settings.alerts.lookback_hours)
    with opened(settings.db_path) as con:
        from_ui, invalid = ui_watches(con)
        watches += [w for w, _ in from_ui]
        queries.update({w.id: q for w, q in from_ui})
        retries = alert_rows.claim_retries(con, settings.alerts.max_attempts)
        docs = alert_rows.candidates(con, since) if watches else []
        parents = alert_rows.story_parents(con) if watches else {}
        new: list[Alert] = []
        for w in watches:
            new += select_alerts(w, queries[w.id], docs, alert_rows.alerted_stories(con, w.id),
                                 parents, settings.alerts.story_url)
        alert_rows.claim(con, new)
    by_doc = {d.doc_id: d for d in docs}
    query_text = {w.id: w.query for w in watches}
    outcomes: list[tuple[Alert, str | None]] = []
    try:
        for alert in retries + new:
            outcomes.append((alert, deliver(alert, by_doc.get(alert.doc_id),
                                            query_text.get(alert.watch_id, ""), settings)))
    finally:  # whatever stops the loop, the alerts already sent are recorded as sent
        if outcomes:
            with opened(settings.db_path) as con:
                for alert, error in outcomes:
                    alert_rows.finish(con, alert, error, settings.alerts.max_attempts)
    failed = [a for a, e in outcomes if e]
    given_up = sum(1 for a in failed if a.attempts + 1 >= settings.alerts.max_attempts)
    return AlertCounts(candidates=len(docs), new=len(new), retried=len(retries),
                       sent=len(outcomes) - len(failed), failed=len(failed), given_up=given_up,
                       invalid=invalid)
