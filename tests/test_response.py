"""「我國回應」 on real bundled items: the 2025-04-02 reciprocal-tariff order and the
presidential office's April 2025 releases (demo/snapshot)."""

import gzip
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from briefs.response import OfficialText, evidence, find_responses, quote, rates, responses_for

SNAPSHOT = Path(__file__).resolve().parents[1] / "demo" / "snapshot"
TAIPEI = ZoneInfo("Asia/Taipei")
ORDER = ("wh:presidential-actions/2025-04/2025-04-02-regulating-imports-with-a-reciprocal-tariff-"
         "to-rectify-trade-practices-that-contribute-to-large-and-persistent-annual-united-states-"
         "goods-trade-deficits.md")


def _read(name: str) -> list[dict]:
    with gzip.open(SNAPSHOT / name, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _text(d: dict, country: str) -> OfficialText:
    when = datetime.fromisoformat(d["published"])
    when = when if when.tzinfo else when.replace(tzinfo=TAIPEI)
    return OfficialText(d["id"], d["title"], d["text"] or "", d["url"], d.get("publisher"), country, when)


@pytest.fixture(scope="module")
def whitehouse():
    return {d["id"]: d for d in _read("whitehouse.jsonl.gz")}


@pytest.fixture(scope="module")
def president():
    return [_text(d, "TW") for d in _read("foreign/tw-president.jsonl.gz")]


def test_the_reciprocal_tariff_order_gets_the_presidents_responses(whitehouse, president):
    order = [_text(whitehouse[ORDER], "US")]
    found = find_responses(order, president, until=datetime(2025, 4, 30, tzinfo=TAIPEI))
    ids = [r.doc_id for r in found]
    # 4/6 five response strategies, 4/10 Bloomberg op-ed, 4/11 machine-tool industry meeting
    assert ids == ["tw-president-39165", "tw-president-39170", "tw-president-39171"]
    first = found[0]
    assert first.published_local == "2025-04-06"
    assert first.url == "https://www.president.gov.tw/NEWS/39165"
    assert "reciprocal tariff ↔ 對等關稅" in first.evidence and "美國" in first.evidence
    assert "對等關稅" in first.quote and "32%" in first.quote
    # the quote is the release's own sentence, so the line cites what it says
    assert first.quote in next(p for p in president if p.doc_id == first.doc_id).text


def test_nothing_after_the_digest_instant_and_nothing_before_the_measure(whitehouse, president):
    order = [_text(whitehouse[ORDER], "US")]
    assert [r.doc_id for r in find_responses(order, president, until=datetime(2025, 4, 7, 7, tzinfo=TAIPEI))] \
        == ["tw-president-39165"]
    assert find_responses(order, president, until=datetime(2025, 4, 3, 7, tzinfo=TAIPEI)) == ()


def test_unrelated_us_documents_get_no_response(whitehouse, president):
    unrelated = [d for d in whitehouse.values() if d["published"].startswith("2025-04-01")
                 and "tariff" not in (d["text"] or "").lower()]
    assert unrelated
    for d in unrelated:
        assert find_responses([_text(d, "US")], president, until=datetime(2025, 4, 30, tzinfo=TAIPEI)) == ()


def test_a_concept_deep_in_the_text_is_not_what_the_measure_is_about(whitehouse, president):
    # the 2025-04-09 defence-sales order names export controls in its body, not in its lead; the
    # president's Bloomberg op-ed (export controls among five points) is no response to it
    sales = next(d for d in whitehouse.values()
                 if "reforming-foreign-defense-sales" in d["id"])
    assert "export control" in sales["text"].lower()
    assert find_responses([_text(sales, "US")], president, until=datetime(2025, 4, 30, tzinfo=TAIPEI)) == ()


def test_a_generic_concept_needs_a_shared_rate():
    measure = [OfficialText("m", "Tariffs on steel", "A 25% tariff on steel imports.", None, None, "US",
                            datetime(2025, 3, 1, tzinfo=TAIPEI))]
    without = OfficialText("r", "經濟部說明", "美國對鋼鐵加徵關稅，經濟部將協助業者。", None, None, "TW",
                           datetime(2025, 3, 2, tzinfo=TAIPEI))
    with_rate = OfficialText("r2", "經濟部說明", "美國對鋼鐵加徵25%關稅，經濟部將協助業者。", None, None, "TW",
                             datetime(2025, 3, 2, tzinfo=TAIPEI))
    assert evidence(measure, without) == ()
    assert evidence(measure, with_rate) == ("美國", "tariff ↔ 關稅", "steel ↔ 鋼鐵", "25%")
    assert quote(with_rate, evidence(measure, with_rate)) == "美國對鋼鐵加徵25%關稅，經濟部將協助業者。"


def test_rates_read_both_scripts():
    assert rates("a 32% duty, 10 percent baseline, 百分之25") == {"32", "10", "25"}


def test_responses_for_reads_the_store(tmp_path, whitehouse, president):
    from crawlers.registry import load_registry
    from store.db import connect
    from store.documents import upsert_document, upsert_sources
    from store.records import Document

    con = connect(tmp_path / "r.duckdb")  # the real schema (migrations)
    upsert_sources(con, load_registry().sources)
    for p in president:
        upsert_document(con, Document(url=p.url, canonical_url=p.url, source_id="tw-president-news",
                                         title=p.title, text=p.text, published_at=p.published_at,
                                         first_seen_at=p.published_at, language="zh-Hant"))

    class Member:  # the fields of store.digests.MemberDoc that the link reads
        def __init__(self, d):
            self.doc_id, self.title, self.text, self.url = d["id"], d["title"], d["text"], d["url"]
            self.publisher, self.country = "The White House", "US"
            self.published_at = datetime.fromisoformat(d["published"])

    found = responses_for(con, [Member(whitehouse[ORDER])], until=datetime(2025, 4, 11, 7, tzinfo=TAIPEI))
    # 4/11 is a date-only release (00:00 Taipei), before the 07:00 digest of that day
    assert [r.title[:8] for r in found] == ["總統針對美國關稅", "賴清德總統於「彭", "總統與機械器具業"]
    assert found[0].url == "https://www.president.gov.tw/NEWS/39165"
    assert found[0].publisher == "中華民國總統府"  # the registry's bilingual name, its Chinese part
