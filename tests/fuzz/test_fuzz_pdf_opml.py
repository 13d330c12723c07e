"""Fuzz PDF text extraction (`crawlers.pdf.extract_pdf`) and OPML import
(`crawlers.opml.parse_opml`, `import_opml` into a registry file)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings

from crawlers.opml import import_opml, parse_opml
from crawlers.pdf import extract_pdf
from crawlers.registry import load_registry
from tests.fuzz.contract import KnownDefect, attempt, tally
from tests.fuzz.documents import opmls, pdf_document, pdfs

REGISTRY = """sources:
  - {id: existing, name: Existing, publisher: p, country: US, language: en, kind: feed,
     url: 'https://news.example.gov/feed', verified: 'unverified: fuzz'}
"""


OPML = ('<?xml version="1.0"?><opml version="2.0"><body><outline text="g">'
        '<outline title="USTR" xmlUrl="https://ustr.example.gov/feed" radarCountry="US"/>'
        '<outline title="\u2028" xmlUrl="https://news.example.gov/feed"/></outline>'
        '<outline title="x" xmlUrl="https://x.example.gov/f" radarCountry="Mars"/></body></opml>'
        ).encode()


@settings(deadline=10_000)
@example(body=pdf_document("Entity list additions", "Rule", "D:20250402100000-04'00'"))
@example(body=pdf_document("x", "", "D:99991231235959+99'00'"))
@given(body=pdfs)
def test_extract_pdf_reads_text_or_refuses_with_a_reason(body):
    try:
        got = attempt("pdf.extract_pdf", extract_pdf, body)
    except KnownDefect:
        return
    if isinstance(got, Exception):
        return
    title, text, created = got
    assert isinstance(title, str) and title and isinstance(text, str) and text.strip()
    assert created is None or created[0].utcoffset().total_seconds() == 0


@settings(deadline=5000)
@example(body=OPML)
@given(body=opmls)
def test_parse_opml_returns_entries_or_refuses_with_a_reason(body):
    got = attempt("opml.parse_opml", parse_opml, body, "fuzz.opml")
    if isinstance(got, Exception):
        return
    for entry in got:
        assert entry["kind"] == "feed" and isinstance(entry["url"], str) and entry["url"]


@pytest.fixture(scope="module")
def registry_dir(tmp_path_factory):
    """Where each example's registry and OPML files are written."""
    return tmp_path_factory.mktemp("fuzz-opml")


@settings(deadline=10_000)
@example(body=OPML)
@example(body=OPML.replace(b' radarCountry="Mars"', b""))
@given(body=opmls)
def test_import_opml_adds_valid_feeds_or_refuses_and_keeps_the_registry(registry_dir, body):
    registry, opml = registry_dir / "sources.yaml", registry_dir / "feeds.opml"
    registry.write_text(REGISTRY, encoding="utf-8")
    opml.write_bytes(body)
    try:
        entries = parse_opml(body, opml.name)
    except Exception:  # noqa: BLE001 - parse_opml's own contract is tested above
        entries = []
    t = tally("opml.import_opml")
    t.items += len(entries)
    got = attempt("opml.import_opml", import_opml, opml, registry)
    after = load_registry(registry)  # never broken: a refused import leaves it as it was
    if isinstance(got, Exception):
        assert [s.id for s in after.sources] == ["existing"]
        return
    ids = [s.id for s in after.sources]
    assert ids[0] == "existing" and ids[1:] == got and len(set(ids)) == len(ids)
    urls = {u for s in after.sources for u in s.start_urls()}
    lost = [e["url"] for e in entries if e["url"] not in urls]
    t.lost += len(lost)
    assert not lost, f"feeds neither imported nor refused: {lost[:3]}"
