"""A stored draft as the web UI rebuilds it (for its page and its .docx): the zh-TW layer kept."""

from __future__ import annotations

from commentary.draft import write_commentary
from store.drafts import load_draft
from tests.test_commentary_drafts import stored  # noqa: F401  (the fixture)
from web.drafts import draft_from_row


def test_a_stored_draft_comes_back_with_its_chinese_lines(stored, settings):  # noqa: F811
    con, docs = stored
    ids = sorted({d.id for d in docs})
    first = write_commentary(con, None, settings, "de minimis", doc_ids=ids, until="2025-04-03")
    again = draft_from_row(load_draft(con, first.draft_id))
    assert again.zh is not None
    assert [line.text for line in again.zh.summary] == [line.text for line in first.zh.summary]
    assert "微量進口" in again.zh.summary[0].text
