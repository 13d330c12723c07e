"""The bundled snapshot as stored documents, built the way a crawl of the mirror builds them.

White House records are rendered as the mirror serves them and extracted with the crawler's
extractor; Federal Register records go through the API client's mapping, and only those the
registry's API query would return are kept. Used to build real stores for the whole 2025
corpus without replaying the crawl (tests, benchmarks).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from crawlers.canonical import canonical_url
from crawlers.extract import extract_html
from crawlers.fedreg import to_document
from crawlers.registry import Registry, Source
from replay.mirror import load_snapshot
from replay.mirror_fedreg import FederalRegisterSite, FrDoc, matches, normalize, parse_term
from replay.mirror_whitehouse import WhiteHouseSite, article_html
from store.records import Document

# whitehouse.gov section (first path segment) -> the registry source that crawls it
WH_SECTION_SOURCE = {
    "presidential-actions": "wh-presidential-actions",
    "fact-sheets": "wh-fact-sheets",
    "briefings-statements": "wh-briefings-statements",
    "articles": "wh-articles-feed",
}
FR_SOURCE = "fr-trade-technology"


def whitehouse_source(url: str) -> str | None:
    """Registry source id that crawls a whitehouse.gov URL (None: no source covers it)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if urlsplit(url).netloc != "www.whitehouse.gov" or not parts:
        return None
    return WH_SECTION_SOURCE.get(parts[0])


def _wh_document(site: WhiteHouseSite, rec: dict, source: Source, sections: dict) -> Document:
    u = urlsplit(rec["url"])
    item = site.article(u.netloc, unquote(u.path), datetime.now(UTC))
    if item is None:
        raise ValueError(f"not in the mirror: {rec['url']}")
    if u.netloc not in sections:
        sections[u.netloc] = tuple(site.sections(u.netloc))
    html = article_html(item, item.published, sections[u.netloc])
    ex = extract_html(html, rec["url"], "text/html; charset=utf-8", default_tz=source.timezone)
    return Document(
        url=rec["url"], canonical_url=canonical_url(rec["url"]), source_id=source.id,
        title=ex.title or rec["title"], text=ex.text, published_at=ex.published_at,
        first_seen_at=ex.published_at or datetime.now(UTC), published_offset=ex.published_offset,
        published_precision=ex.published_precision, language=ex.language or source.language,
        extractor=ex.extractor,
    )


def snapshot_documents(
    snapshot_dir: Path,
    registry: Registry,
    keep: Callable[[dict], bool] | None = None,
) -> Iterator[Document]:
    """Documents of the snapshot as the demo crawl would store them (first seen = published).

    Args:
        snapshot_dir: ``demo/snapshot``.
        registry: the source registry (source ids, zones, the Federal Register query).
        keep: optional filter on raw snapshot records (``title``, ``text``, ``url``, ...).
    """
    wh, fr = load_snapshot(snapshot_dir)
    site = WhiteHouseSite(wh)
    sections: dict[str, tuple[str, ...]] = {}
    for rec in wh:
        sid = whitehouse_source(rec["url"])
        if sid is None or (keep and not keep(rec)):
            continue
        yield _wh_document(site, rec, registry.get(sid), sections)
    source = registry.get(FR_SOURCE)
    term = str(source.params.get("conditions[term]", ""))
    tree = parse_term(term) if term else None
    for rec in fr:
        if keep and not keep(rec):
            continue
        raw = f"{rec['title']}\n{rec.get('text') or ''}"
        if tree is not None and not matches(tree, normalize(raw)):
            continue
        item = FrDoc(rec, rec["published"][:10], raw, normalize(raw))
        doc = to_document(FederalRegisterSite.result(item), source, None, None)
        if doc.title or doc.text:
            yield doc
