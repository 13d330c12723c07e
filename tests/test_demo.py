"""The demo through real Prefect flows on the mirror: documents, stories, a digest; idempotent."""

from pathlib import Path

import pytest

from radar.demo import digest_instant, run_demo
from store.db import opened

TABLES = ["documents", "document_versions", "raw_pages", "enrichments", "entities", "tags",
          "embeddings", "stories", "story_members", "digests", "digest_items"]


def _counts(settings):
    with opened(settings.db_path) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608 - fixed table names


@pytest.mark.slow
def test_demo_runs_through_flows_and_is_idempotent(demo_run):
    settings, first = demo_run  # run_demo(settings, date="2025-04-03", days=3), tests/conftest.py
    counts = _counts(settings)
    assert counts["documents"] >= 40 and counts["stories"] >= 10
    assert counts["digests"] == 2 and counts["digest_items"] >= 5  # the demo day and a week later
    md = next(Path(p) for p in first["digest"] if str(p).endswith(".md"))
    text = md.read_text(encoding="utf-8")
    assert "https://www.whitehouse.gov/" in text and "](https://" in text
    html = next(Path(p) for p in first["digest"] if str(p).endswith(".html")).read_text(encoding="utf-8")
    assert "<script" not in html.lower()

    # beyond the US: the foreign feeds' first crawl and the follow-up morning (2025-04-10)
    with opened(settings.db_path) as con:
        countries = {r[0] for r in con.execute(
            "SELECT DISTINCT s.country FROM documents d JOIN sources s ON s.id = d.source_id").fetchall()}
        languages = {r[0] for r in con.execute(
            "SELECT DISTINCT language FROM documents WHERE language IS NOT NULL").fetchall()}
        foreign_enriched = con.execute(
            "SELECT count(DISTINCT d.id) FROM documents d JOIN enrichments e ON e.doc_id = d.id "
            "JOIN story_members m ON m.doc_id = d.id WHERE d.language NOT LIKE 'en%'").fetchone()[0]
    assert len(countries) >= 5 and {"US", "TW", "EU", "JP", "GB"} <= countries, countries
    assert len(languages) >= 3 and "ja" in languages, languages
    assert foreign_enriched >= 20
    assert first["totals"]["countries"] >= 5 and first["totals"]["languages"] >= 3
    later = next(Path(p) for p in first["digest"] if "2025-04-10" in str(p) and str(p).endswith(".md"))
    assert later.exists()

    run_demo(settings, date="2025-04-03", days=3)
    assert _counts(settings) == counts


def test_digest_instant_is_seven_taipei(settings):
    assert digest_instant(settings, "2025-04-03").isoformat() == "2025-04-03T07:00:00+08:00"
