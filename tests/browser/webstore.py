"""A small real store for the web tests, from the bundled snapshot (no ../shared needed).

The White House and Federal Register documents of a few days before the demo date are
stored as the demo crawl stores them, plus hostile documents (script and event-handler
payloads in titles and text, a `javascript:` URL), then enriched and clustered with the real
models and summarised into digests for two dates in zh-TW and English.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "demo" / "snapshot"
FIRST_DAY, LAST_DAY = "2025-03-29", "2025-04-02"
DIGEST_DAYS = (date(2025, 4, 2), date(2025, 4, 3))
XSS_TITLE = 'Tariff notice <script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
XSS_TEXT = ("Tariff and semiconductor export control notice. <script>window.__xss=3</script> "
            "Click <a href=\"javascript:window.__xss=4\">here</a> <svg onload=\"window.__xss=5\">. "
            "The Department of Commerce announced new tariff measures on semiconductor imports "
            "from several countries, effective April 5, 2025.")
XSS_URL = "javascript:window.__xss=6"


def hostile_documents(source_id: str) -> list:
    """Documents whose title, text and URL carry script payloads (they must render inert)."""
    from store.records import Document

    when = datetime(2025, 4, 2, 3, 0, tzinfo=UTC)
    return [
        Document(url=XSS_URL, canonical_url=XSS_URL, source_id=source_id, title=XSS_TITLE,
                 text=XSS_TEXT, published_at=when, first_seen_at=when, language="en"),
        Document(url="https://www.whitehouse.gov/fact-sheets/2025/04/x-onerror",
                 canonical_url="https://www.whitehouse.gov/fact-sheets/2025/04/x-onerror",
                 source_id=source_id, title='"><svg onload=window.__xss=7> Chip tariff fact sheet',
                 text=XSS_TEXT, published_at=when, first_seen_at=when, language="en"),
    ]


def _in_days(rec: dict) -> bool:
    return FIRST_DAY <= str(rec.get("published", ""))[:10] <= LAST_DAY


def _record_replayed_crawl(con, docs) -> None:
    """The crawl run and source runs the demo's replay would have recorded (as of the morning
    of the last digest day), so source health reads as in the demo."""
    from collections import Counter

    from crawlers.counts import CrawlWindow
    from store.runs import finish_run, record_source_run, start_run

    until = datetime(2025, 4, 2, 23, 0, tzinfo=UTC)  # 07:00 Taipei on 2025-04-03
    window = CrawlWindow(since=until - timedelta(days=5), until=until, replay=True)
    per_source = Counter(d.source_id for d in docs)
    run_id = start_run(con, "crawl")
    for source_id, n in per_source.items():
        record_source_run(con, run_id, source_id, until, "ok", n, 0, 0)
    finish_run(con, run_id, {"sources": {s: {"new": n} for s, n in per_source.items()},
                             **window.clock()})


def build_web_store(settings: Settings, backend=None) -> dict:
    """Fill the (empty) store at `settings.db_path`; returns counts for the test log.

    Args:
        settings: settings whose db_path is a fresh file.
        backend: an embedding backend already loaded (else the enrichment's).
    """
    from briefs.digest import build_digest
    from crawlers.registry import load_registry
    from nlp.enrich import Models, assign_stories, enrich_documents
    from nlp.topics import load_taxonomy
    from replay.snapshot_docs import snapshot_documents
    from store.db import connect
    from store.documents import upsert_document, upsert_sources
    from store.fulltext import refresh_search_index

    registry = load_registry(settings.sources_file)
    con = connect(settings.db_path)
    try:
        upsert_sources(con, registry.sources)
        docs = list(snapshot_documents(SNAPSHOT, registry, keep=_in_days))
        docs += hostile_documents("wh-fact-sheets")
        for d in docs:
            upsert_document(con, d)
        _record_replayed_crawl(con, docs)
        models = Models.load(settings.nlp, backend)
        enrich_documents(con, models, settings.nlp)
        assign_stories(con, models, settings.nlp)
        refresh_search_index(con)
        taxonomy = load_taxonomy()
        for day in DIGEST_DAYS:
            for lang in ("zh-TW", "en"):
                build_digest(con, models.backend, taxonomy, settings, day,
                             "default", lang, now=datetime(day.year, day.month, day.day,
                                                           tzinfo=UTC))
        stories = con.execute("SELECT count(*) FROM stories").fetchone()[0]
    finally:
        con.close()
    return {"documents": len(docs), "stories": stories}
