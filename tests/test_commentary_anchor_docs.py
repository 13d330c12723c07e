"""commentary.anchor_docs on a real store in tmp_path: the documents a pattern or an EO
citation finds are the newest matching ones in scope, up to the limit, whatever the page and
batch sizes (checked against a plain scan of every document), and one scan for several EO
numbers gives what a search per number gives."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest

from commentary import anchor_docs
from store.db import connect
from store.search import SearchFilters

T0 = datetime(2025, 1, 1, tzinfo=UTC)
TEXTS = [
    "Executive Order 14256 of April 2 raises duties on semiconductors.",
    "A note on tariffs that cites 14256 without naming the order.",
    "Chips and Executive\n  Order 14257 are discussed here.",
    "Nothing relevant at all in this text.",
    "Executive Order 14256 and Executive Order 14257 are amended.",
    "Semiconductor supply chains and Executive Order 142560 (not the same number).",
    "Integrated   circuits are covered by Executive Order 14257.",
    "Executive Order 14256 is cited once more, for chips.",
    "An old text about semiconductors.",
    "Another old text that names Executive Order 14257.",
]


@pytest.fixture()
def con(tmp_path):
    con = connect(tmp_path / "radar.duckdb")
    for i, text in enumerate(TEXTS):  # document 0 is the newest
        seen = T0 - timedelta(days=i)
        con.execute(
            "INSERT INTO documents (id, url, canonical_url, source_id, title, text, published_at, "
            "published_precision, first_seen_at, updated_at, content_hash) "
            "VALUES (?, ?, ?, 'src', ?, ?, ?, 'datetime', ?, ?, ?)",
            [f"d{i}", f"https://x.gov/{i}", f"https://x.gov/{i}", f"Title {i}", text, seen, seen,
             seen, hashlib.sha1(text.encode()).hexdigest()])
    yield con
    con.close()


def _plain_scan(con, pattern: re.Pattern[str], since=None) -> list[str]:
    rows = con.execute("SELECT id, title || chr(10) || text, published_at FROM documents "
                       "ORDER BY published_at DESC, id").fetchall()
    return [i for i, text, at in rows
            if (since is None or at >= since) and pattern.search(" ".join(text.split()))]


@pytest.mark.parametrize(("page", "texts"), [(1000, 200), (3, 2), (1, 1)])
def test_a_pattern_with_no_literal_finds_the_newest_matches_across_pages(con, monkeypatch,
                                                                         page, texts):
    monkeypatch.setattr(anchor_docs, "_PAGE", page)
    monkeypatch.setattr(anchor_docs, "_TEXTS", texts)
    pattern = re.compile(r"(?:\bsemiconductor\w*|\bchip\w*|\bintegrated\W+circuits\w*)", re.I)
    expected = _plain_scan(con, pattern)
    assert expected == ["d0", "d2", "d5", "d6", "d7", "d8"]
    found = anchor_docs._matching(con, "", pattern, SearchFilters(), limit=4)
    assert list(found) == expected[:4]
    assert found["d6"] == f"Title 6 {TEXTS[6]}".replace("   ", " ")  # whitespace collapsed
    assert list(anchor_docs._matching(con, "", pattern, SearchFilters(), limit=50)) == expected
    since = T0 - timedelta(days=5)
    assert list(anchor_docs._matching(con, "", pattern, SearchFilters(since=since), 50)) == \
        _plain_scan(con, pattern, since)


@pytest.mark.parametrize("texts", [200, 1])
def test_one_scan_for_several_numbers_gives_each_numbers_citing_documents(con, monkeypatch,
                                                                          texts):
    monkeypatch.setattr(anchor_docs, "_TEXTS", texts)
    numbers = ["14256", "14257", "99999"]
    expected = {n: _plain_scan(con, re.compile(rf"\bExecutive Order {n}\b")) for n in numbers}
    assert expected == {"14256": ["d0", "d4", "d7"], "14257": ["d2", "d4", "d6", "d9"],
                        "99999": []}
    assert anchor_docs.citing(con, numbers, SearchFilters(), limit=10) == expected
    assert anchor_docs.citing(con, numbers, SearchFilters(), limit=2) == {
        n: ids[:2] for n, ids in expected.items()}
    for n in numbers:  # what a search per number gives
        one = anchor_docs._matching(con, n, re.compile(rf"\bExecutive Order {n}\b"),
                                    SearchFilters(), 2)
        assert list(one) == expected[n][:2]
    assert anchor_docs.citing(con, [], SearchFilters(), 5) == {}
