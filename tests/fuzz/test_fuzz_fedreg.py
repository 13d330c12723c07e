"""Fuzz the Federal Register JSON: one API answer (`crawlers.fedreg.iter_pages`), one result
(`to_document`, `pi_document`), and the API crawls that record what they got
(`crawlers.collect.crawl_api`, documents and public-inspection desks)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawlers import fedreg
from crawlers.canonical import canonical_url
from crawlers.collect import crawl_api
from crawlers.counts import CrawlCounts, CrawlWindow
from crawlers.registry import Source
from store.db import connect
from store.records import Document
from store.runs import start_run
from tests.fuzz.contract import KnownDefect, attempt, tally
from tests.fuzz.documents import hrefs, pdfs
from tests.fuzz.hostile import (
    deep_json,
    hostile_dates,
    hostile_text,
    json_values,
    raw_bytes,
    to_json,
)
from tests.fuzz.recording import FakeFetcher, recorded, stored

BASE = dict(publisher="OFR", country="US", language="en", kind="api", timezone="America/New_York",
            verified="unverified: fuzz", max_pages=2)
DOCS = Source(id="fuzz-fr", name="FR", url="https://www.federalregister.gov/api/v1/documents.json",
              **BASE)
DESK = Source(id="fuzz-fr-pi", name="PI", **BASE,
              url="https://www.federalregister.gov/api/v1/public-inspection-documents.json")

_text = st.one_of(hostile_text, hostile_text, hostile_text, json_values)  # mostly text: reach the mapping
results = st.one_of(
    st.fixed_dictionaries({}, optional={
        "document_number": st.one_of(st.just("2025-05678"), hostile_text, st.integers(), st.none()),
        "title": _text, "type": st.one_of(st.sampled_from(["Rule", "Notice"]), _text),
        "abstract": _text, "html_url": st.one_of(hrefs, json_values), "pdf_url": st.one_of(hrefs, json_values),
        "publication_date": st.one_of(hostile_dates(), json_values),
        "filed_at": st.one_of(hostile_dates(), json_values),
        "agencies": st.one_of(st.lists(st.fixed_dictionaries({"name": _text})), json_values),
        "effective_on": st.one_of(hostile_dates(), json_values), "toc_subject": _text,
        "executive_order_number": st.one_of(st.integers(), hostile_text), "toc_doc": _text,
    }),
    json_values,
)
answers = st.one_of(
    st.builds(lambda rs, nxt: to_json({"count": len(rs), "results": rs, "next_page_url": nxt}),
              st.lists(results, max_size=5), st.one_of(st.none(), hrefs, json_values)
              ).map(lambda t: t.encode("utf-8", "surrogatepass")),
    json_values.map(lambda v: to_json(v).encode()),
    st.sampled_from([deep_json(100_000).encode(), b'{"results": "x"}', b"\xff\xfe{}",
                     b'{"results": [1, "a", null, []]}', b"null", b"[]"]),
    raw_bytes,
)


ANSWER = to_json({"count": 3, "next_page_url": None, "results": [
    {"document_number": "2025-05678", "title": "Tariffs", "abstract": "Duties.", "type": "Rule",
     "html_url": "https://www.federalregister.gov/d/2025-05678", "publication_date": "2025-04-02",
     "filed_at": "2025-04-01T08:45:00-04:00", "agencies": [{"name": "Commerce"}]},
    {"document_number": "2025-1", "title": "Zero", "publication_date": "0000-00-00"},
    "not an object"]}).encode()


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """One store for the module's examples."""
    c = connect(tmp_path_factory.mktemp("fuzz-fedreg") / "radar.duckdb")
    yield c
    c.close()


@settings(deadline=5000)
@example(body=ANSWER)
@given(body=answers)
def test_an_api_answer_is_pages_or_refused_with_a_reason(body):
    fetcher = FakeFetcher(DOCS.url, body, [])
    try:
        got = attempt("fedreg.iter_pages", lambda: list(fedreg.iter_pages(fetcher, DOCS.url, 3)))
    except KnownDefect:
        return
    if isinstance(got, Exception):
        return
    assert 1 <= len(got) <= 3
    assert all(isinstance(p.results, list) for p in got)
    assert all(p.next_url is None or isinstance(p.next_url, str) for p in got)


@settings(deadline=2000)
@given(result=results, desk=st.booleans())
def test_a_result_is_a_document_or_refused_with_a_reason(result, desk):
    name = "fedreg.pi_document" if desk else "fedreg.to_document"
    fn = fedreg.pi_document if desk else fedreg.to_document
    try:
        got = attempt(name, fn, result, DESK if desk else DOCS, datetime.now(UTC), None)
    except KnownDefect:
        return
    if isinstance(got, Exception):
        return
    assert isinstance(got, Document)
    assert isinstance(got.title, str) and isinstance(got.text, str)
    assert got.published_at is None or got.published_at.tzinfo is not None
    assert got.canonical_url == canonical_url(got.url)


def _doc_urls(result: object, desk: bool) -> set[str]:
    """Where the crawl stores or records a result: its URL, raw and canonical."""
    if not isinstance(result, dict):
        return set()
    number = result.get("document_number")
    url = result.get("html_url") or (
        f"https://www.federalregister.gov/public-inspection/{number}" if desk
        else f"https://www.federalregister.gov/d/{number}")
    try:
        return {url, canonical_url(url)}
    except (ValueError, AttributeError, TypeError):
        return {str(url)}


@settings(deadline=30_000)
@example(body=ANSWER, desk=False, pdf_pages=[])
@example(body=ANSWER, desk=True, pdf_pages=[(b"%PDF-1.4 cut", "application/pdf")])
@given(body=answers, desk=st.booleans(),
       pdf_pages=st.lists(st.tuples(pdfs, st.just("application/pdf")), max_size=2))
def test_crawl_api_stores_or_records_every_result(con, body, desk, pdf_pages):
    source = DESK if desk else DOCS
    try:
        page_results = fedreg._answer(body)[0]
    except Exception:  # noqa: BLE001 - a refused answer carries no results to account for
        page_results = []
    t = tally("collect.crawl_api")
    t.items += len(page_results)
    run_id = start_run(con, "fuzz")
    try:
        attempt("collect.crawl_api", crawl_api, con, FakeFetcher("", body, pdf_pages),
                source, CrawlWindow(), run_id, CrawlCounts())
    except KnownDefect:
        t.lost += len(page_results)
        return
    items, _ = recorded(con, run_id)
    if any(i.startswith(source.url) for i in items):
        return  # the answer itself was refused, with its reason
    objects = [r for r in page_results if isinstance(r, dict)]
    wanted = [(_doc_urls(r, desk), r) for r in objects]
    docs = stored(con, set().union(*(u for u, _ in wanted)))
    lost = [r for urls, r in wanted
            if not urls & (docs | items) and str(r.get("document_number")) not in items]
    # a result that is no object has no URL or number: each must have an error row of its own
    named = {str(r.get("document_number")) for r in objects} | set().union(*(u for u, _ in wanted))
    rows = [i for (i,) in con.execute("SELECT item FROM item_errors WHERE run_id = ?",
                                      [run_id]).fetchall() if i not in named]
    others = [r for r in page_results if not isinstance(r, dict)]
    lost += others[len(rows):]
    t.lost += len(lost)
    assert not lost, f"results neither stored nor recorded: {lost[:3]}"
