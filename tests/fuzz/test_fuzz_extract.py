"""Fuzz page decoding and extraction (`crawlers.extract.decode_html`, `extract_page`): any
bytes, any declared charset, hostile markup, dates and nesting, bodies up to 1 MB."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawlers.extract import Extracted, decode_html, extract_page
from tests.fuzz.contract import KnownDefect, attempt
from tests.fuzz.documents import pages, pdf_document
from tests.fuzz.hostile import content_types
from tests.servers import article_page

URLS = st.sampled_from(["https://news.example.gov/a/b", "https://news.example.gov/",
                        "https://xn--fiqs8s.example/\u2028", "not a url"])


CP1252 = "<html><head><title>Ministère – «tarifs»</title></head><body><p>Énergie</p>".encode("cp1252")


@settings(deadline=5000)
@example(body=CP1252, content_type="text/html; charset=utf-8")
@example(body=CP1252, content_type="text/html; charset=undefined")
@given(body=pages, content_type=content_types)
def test_decode_html_always_returns_text(body, content_type):
    try:
        got = attempt("extract.decode_html", decode_html, body, content_type)
    except KnownDefect:
        return
    assert not isinstance(got, Exception), got  # decoding refuses nothing: it always decodes
    text, encoding = got
    assert isinstance(text, str) and isinstance(encoding, str) and encoding


@settings(deadline=10_000)
@example(body=article_page("Tariffs", "Semiconductor duties."), content_type=None,
         url="https://news.example.gov/a/b")
@example(body=pdf_document("Export controls on chips", "Rule", "D:20250402100000-04'00'"),
         content_type="application/pdf", url="https://news.example.gov/a/b")
@given(body=pages, content_type=content_types, url=URLS)
def test_extract_page_extracts_or_refuses_with_a_reason(body, content_type, url):
    try:
        got = attempt("extract.extract_page", extract_page, body, url, content_type,
                      "America/New_York")
    except KnownDefect:
        return
    if isinstance(got, Exception):
        return
    assert isinstance(got, Extracted)
    assert got.title or got.text
    if got.published_at is not None:
        assert got.published_at.utcoffset() == timedelta(0)
        got.as_json(url)  # the offset kept with the instant renders
