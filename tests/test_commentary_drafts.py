"""Drafts in the store: inputs kept, identical re-runs not duplicated, revisions are new
versions, and a stored draft can be reproduced."""

from dataclasses import replace
from pathlib import Path

import pytest

from commentary.draft import reproduce_draft, write_commentary
from config.errors import BadInputError, NotFoundError
from crawlers.registry import load_registry
from replay.snapshot_docs import snapshot_documents
from store.documents import upsert_document, upsert_sources
from store.drafts import add_revision, list_drafts, load_draft

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
KEYS = ("as-applied-to-low-value-imports/", "closes-de-minimis-exemptions-to-combat-chinas")


@pytest.fixture
def stored(con):
    reg = load_registry()
    upsert_sources(con, reg.sources)
    docs = list(snapshot_documents(SNAPSHOT, reg, keep=lambda r: any(k in r["url"] for k in KEYS)))
    for d in docs:
        upsert_document(con, d)
    return con, docs


def test_a_draft_is_stored_with_its_inputs_and_not_duplicated(stored, settings):
    con, docs = stored
    ids = sorted({d.id for d in docs})
    first = write_commentary(con, None, settings, "de minimis", doc_ids=ids, until="2025-04-03")
    assert first.draft_id.startswith("c") and first.version == 1
    row = load_draft(con, first.draft_id)
    assert row.query == "de minimis" and row.writer == "extractive"
    assert {d["id"] for d in row.doc_ids} == set(ids)
    assert all(d["version"] == 1 and d["content_hash"] for d in row.doc_ids)
    assert row.filters["as_of"] == "2025-04-03" and row.filters["until"]
    assert row.settings["max_documents"] == settings.commentary.max_documents
    assert row.claims_checked == first.check.checked and "## 三、時間軸" in row.markdown
    zh = row.content["zh"]  # the Chinese lines are stored with the draft, originals and all
    assert zh["summary"][0]["origin"] == "card" and "微量進口" in zh["summary"][0]["text"]
    assert zh["summary"][0]["originals"][0]["text"] == first.zh.summary[0].originals[0].text
    assert zh["composed"] == first.zh.composed and "中文化：卡片組句" in row.markdown
    assert "> 原文：「" in row.markdown
    again = write_commentary(con, None, settings, "de minimis", doc_ids=ids, until="2025-04-03")
    assert (again.draft_id, again.version) == (first.draft_id, 1)
    assert con.execute("SELECT count(*) FROM drafts").fetchone()[0] == 1


def test_changed_sources_make_a_new_version_and_revisions_too(stored, settings):
    con, docs = stored
    ids = sorted({d.id for d in docs})
    first = write_commentary(con, None, settings, "de minimis", doc_ids=ids, until="2025-04-03")
    fs = next(d for d in docs if "fact-sheets" in d.url)
    upsert_document(con, replace(fs, text=fs.text + "\nThe de minimis change was welcomed by "
                                 "domestic manufacturers, the Secretary said on April 2, 2025."))
    second = write_commentary(con, None, settings, "de minimis", doc_ids=ids, until="2025-04-03")
    assert second.draft_id == first.draft_id and second.version == 2
    v3 = add_revision(con, first.draft_id, "# edited by staff\n", note="tightened wording")
    assert v3 == 3
    row = load_draft(con, first.draft_id)
    assert (row.version, row.writer, row.markdown, row.note) == (3, "revision", "# edited by staff\n",
                                                                 "tightened wording")
    assert load_draft(con, first.draft_id, 1).version == 1
    assert [v for i, v, *_ in list_drafts(con) if i == first.draft_id][0] == 3


def test_a_stored_draft_reproduces(stored, settings):
    con, docs = stored
    ids = sorted({d.id for d in docs})
    first = write_commentary(con, None, settings, "de minimis", doc_ids=ids, until="2025-04-03")
    again = reproduce_draft(con, None, settings, first.draft_id)
    assert again.as_json()["timeline"] == first.as_json()["timeline"]
    assert again.facts == first.facts and again.references == first.references
    assert again.zh == first.zh and again.as_json()["zh"] == load_draft(con, first.draft_id).content["zh"]
    assert con.execute("SELECT count(*) FROM drafts").fetchone()[0] == 1  # nothing stored


def test_unknown_drafts_and_stories_are_clear_errors(stored, settings):
    con, _ = stored
    with pytest.raises(NotFoundError, match="draft 'cnope' does not exist"):
        load_draft(con, "cnope")
    with pytest.raises(NotFoundError, match="story 's-missing' does not exist"):
        write_commentary(con, None, settings, "de minimis", story_id="s-missing")
    with pytest.raises(BadInputError, match="not a date"):
        write_commentary(con, None, settings, "de minimis", since="last tuesday")


@pytest.mark.parametrize("value", ["0001-01-01", "0001-01-01T00:00:00+08:00",
                                   "9999-12-31T23:59:59-12:00", "2025-02-30", "yesterday"])
def test_filter_bounds_out_of_range_are_bad_input_not_a_crash(value):
    from commentary.draft import parse_instant

    with pytest.raises(BadInputError):  # 0001-01-01 in Taipei is before year 1 in UTC
        parse_instant(value, "Asia/Taipei")
