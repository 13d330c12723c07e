"""White House side of the loopback mirror: snapshot index and page rendering.

Pages imitate whitehouse.gov's WordPress block theme closely enough that the real
crawler and extractor code paths run unchanged: section listings with pagination,
article pages with boilerplate and metadata, WordPress RSS feeds and a sitemap index.
Every link in a page is the real absolute URL (``https://www.whitehouse.gov/...``);
the crawler maps hosts to the mirror. Only items published at or before ``as_of``
exist, so replaying a date shows the site as it looked then (modulo later edits of
the text, which the snapshot does not keep).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache
from html import escape
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from markdown_it import MarkdownIt

PAGE_SIZE = 10
FEED_SIZE = 20
DESCRIPTION_CHARS = 400
# whitehouse.gov has an all-news listing; on the Biden archive "briefing-room" plays
# that role and is already a path prefix of every item.
AGGREGATE_SECTION = {"www.whitehouse.gov": "news"}

# html=False: crawled markdown may carry raw HTML, which must come out escaped.
_MD = MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True, eq=False)
class WhiteHouseItem:
    """One snapshot document placed on the mirror (hash/eq by identity, for caching)."""

    doc: dict
    host: str
    path: str  # unquoted URL path, e.g. /presidential-actions/2025/04/slug/
    sections: tuple[str, ...]  # listing sections it appears in, e.g. ("presidential-actions",)
    leaf: str  # its own section (category), e.g. "briefing-room/statements-releases"
    published: datetime
    modified: datetime | None

    @property
    def ts(self) -> float:
        """Publication instant as a POSIX timestamp (sort key)."""
        return self.published.timestamp()

    def modified_at(self, as_of: datetime) -> datetime:
        """Last modification visible at ``as_of`` (an edit after ``as_of`` has not happened yet)."""
        m = self.modified
        if m is not None and self.published <= m <= as_of:
            return m
        return self.published


def _sections(path: str) -> tuple[str, ...]:
    """Listing sections of an item: every path prefix before the ``/YYYY/`` segment."""
    parts = [p for p in path.split("/") if p]
    head: list[str] = []
    for part in parts:
        if len(part) == 4 and part.isdigit():
            break
        head.append(part)
    return tuple("/".join(head[: i + 1]) for i in range(len(head)))


def _label(section: str) -> str:
    """Human label of a section slug: ``fact-sheets`` -> ``Fact Sheets``."""
    return section.rsplit("/", 1)[-1].replace("-", " ").title()


def _date_label(dt: datetime) -> str:
    return f"{dt:%B} {dt.day}, {dt.year}"


class WhiteHouseSite:
    """In-memory index of the White House snapshot, queried per request with an ``as_of``."""

    def __init__(self, docs: Iterable[dict]) -> None:
        """Index documents by host, path and section.

        Args:
            docs: White House snapshot records (``url``, ``published``, ``modified``, ...).
        """
        items = []
        for doc in docs:
            url = urlsplit(doc["url"])
            path = unquote(url.path)
            sections = _sections(path)
            leaf = sections[-1] if sections else ""
            if url.netloc in AGGREGATE_SECTION:
                sections += (AGGREGATE_SECTION[url.netloc],)
            modified = datetime.fromisoformat(doc["modified"]) if doc.get("modified") else None
            items.append(WhiteHouseItem(
                doc, url.netloc, path, sections, leaf, datetime.fromisoformat(doc["published"]), modified,
            ))
        items.sort(key=lambda it: (it.ts, it.doc["id"]))
        self.hosts: tuple[str, ...] = tuple(sorted({it.host for it in items}))
        self._by_path: dict[tuple[str, str], list[WhiteHouseItem]] = {}
        self._by_section: dict[tuple[str, str], list[WhiteHouseItem]] = {}
        self._by_host: dict[str, list[WhiteHouseItem]] = {}
        for it in items:  # ascending time, so every list below is sorted too
            self._by_path.setdefault((it.host, it.path), []).append(it)
            self._by_host.setdefault(it.host, []).append(it)
            for section in it.sections:
                self._by_section.setdefault((it.host, section), []).append(it)

    def sections(self, host: str) -> list[str]:
        """All listing sections of a host, whether or not they have items yet."""
        return sorted(s for h, s in self._by_section if h == host)

    def leaf_sections(self, host: str) -> list[str]:
        """Sections that are some item's own category (one sitemap each)."""
        return sorted({it.leaf for it in self._by_host.get(host, []) if it.leaf})

    @staticmethod
    def _visible(items: list[WhiteHouseItem], as_of: datetime) -> list[WhiteHouseItem]:
        """Items published by ``as_of``, newest first, one per URL (its latest version)."""
        end = bisect.bisect_right([it.ts for it in items], as_of.timestamp())
        seen: set[str] = set()
        out = []
        for it in reversed(items[:end]):
            if it.path not in seen:
                seen.add(it.path)
                out.append(it)
        return out

    def article(self, host: str, path: str, as_of: datetime) -> WhiteHouseItem | None:
        """The version of the page at ``path`` that was live at ``as_of``, if any."""
        versions = self._by_path.get((host, path)) or self._by_path.get((host, path + "/"))
        live = self._visible(versions or [], as_of)
        return live[0] if live else None

    def section_items(self, host: str, section: str | None, as_of: datetime) -> list[WhiteHouseItem] | None:
        """Visible items of a section (``None`` = whole host); ``None`` if no such section."""
        if section is None:
            return self._visible(self._by_host.get(host, []), as_of)
        items = self._by_section.get((host, section))
        return None if items is None else self._visible(items, as_of)


# ---------------------------------------------------------------- rendering


def robots_txt(host: str) -> str:
    """robots.txt of a White House host, with its sitemap line."""
    return f"User-agent: *\nDisallow: /wp-admin/\nAllow: /\n\nSitemap: https://{host}/sitemap.xml\n"


def _nav(host: str, sections: list[str]) -> str:
    links = "".join(
        f'<li class="wp-block-navigation-item"><a class="wp-block-navigation-item__content" '
        f'href="https://{host}/{escape(s)}/">{escape(_label(s))}</a></li>'
        for s in sections if "/" not in s
    )
    return (
        '<a class="skip-link screen-reader-text" href="#wp--skip-link--target">Skip to content</a>'
        '<header class="wp-block-template-part site-header"><div class="header__logo">'
        f'<a href="https://{host}/" rel="home">The White House</a></div>'
        '<nav class="wp-block-navigation" aria-label="Main menu"><ul class="wp-block-navigation__container">'
        f'{links}</ul></nav><form role="search" action="https://{host}/" method="get">'
        '<input type="search" name="s" placeholder="Search"></form></header>'
    )


def _footer(host: str) -> str:
    return (
        '<footer class="wp-block-template-part site-footer"><div class="footer__address">'
        "<p>The White House<br>1600 Pennsylvania Ave NW<br>Washington, DC 20500</p></div>"
        '<ul class="footer__links">'
        f'<li><a href="https://{host}/copyright/">Copyright</a></li>'
        f'<li><a href="https://{host}/privacy/">Privacy</a></li>'
        f'<li><a href="https://{host}/feed/">RSS</a></li></ul>'
        "<p>Subscribe to The White House newsletter</p></footer>"
    )


def _page(host: str, sections: list[str], head: str, main: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="UTF-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{head}</head><body>{_nav(host, sections)}"
        f'<main id="wp--skip-link--target" class="wp-block-group">{main}</main>'
        f"{_footer(host)}</body></html>\n"
    )


def listing_html(host: str, section: str, items: list[WhiteHouseItem], page: int,
                 sections: list[str]) -> str | None:
    """One page of a section listing, or ``None`` beyond the last page.

    Args:
        host: Site host.
        section: Section slug path, e.g. ``presidential-actions``.
        items: Visible items of the section, newest first.
        page: 1-based page number.
        sections: All sections of the host (for the navigation).

    Returns:
        The HTML page, or ``None`` if ``page`` is past the end (an empty section
        still has an empty page 1, as WordPress shows).
    """
    pages = max(1, -(-len(items) // PAGE_SIZE))
    if page < 1 or page > pages:
        return None
    base = f"https://{host}/{section}/"
    cards = "".join(
        '<li class="wp-block-post">'
        f'<h2 class="wp-block-post-title"><a href="{escape(it.doc["url"])}">{escape(it.doc["title"])}</a></h2>'
        f'<div class="wp-block-post-date"><time datetime="{it.published.isoformat()}">'
        f"{_date_label(it.published)}</time></div></li>"
        for it in items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    )
    nav = []
    if page > 1:
        prev = base if page == 2 else f"{base}page/{page - 1}/"
        nav.append(f'<a class="wp-block-query-pagination-previous" href="{prev}">Previous</a>')
    nav.append(f'<span class="page-numbers current">{page}</span>')
    if page < pages:
        nav.append(f'<a class="wp-block-query-pagination-next" href="{base}page/{page + 1}/">Next</a>')
    canonical = base if page == 1 else f"{base}page/{page}/"
    title = escape(_label(section))
    head = (f"<title>{title} &#8211; The White House</title>"
            f'<link rel="canonical" href="{canonical}">'
            f'<link rel="alternate" type="application/rss+xml" href="{base}feed/">')
    main = (f'<h1 class="wp-block-query-title">{title}</h1><div class="wp-block-query">'
            f'<ul class="wp-block-post-template">{cards}</ul>'
            f'<nav class="wp-block-query-pagination" aria-label="Pagination">{"".join(nav)}</nav></div>')
    return _page(host, sections, head, main)


@lru_cache(maxsize=512)
def article_html(item: WhiteHouseItem, modified: datetime, sections: tuple[str, ...]) -> str:
    """Full article page of one item, as whitehouse.gov would serve it.

    Args:
        item: The live version of the page.
        modified: Its last modification as of the request's ``as_of``.
        sections: All sections of the host (for the navigation).

    Returns:
        An HTML5 document with boilerplate, metadata, JSON-LD and the rendered body.
    """
    doc = item.doc
    url, title = doc["url"], doc["title"]
    section = item.leaf
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": url, "url": url, "name": title,
             "datePublished": item.published.isoformat(), "dateModified": modified.isoformat()},
            {"@type": "NewsArticle", "headline": title, "mainEntityOfPage": url,
             "datePublished": item.published.isoformat(), "dateModified": modified.isoformat(),
             "author": {"@type": "Organization", "name": "The White House"},
             "articleSection": _label(section)},
        ],
    }
    # "<" escaped so that crawled text can never close the script element.
    ld_json = json.dumps(ld, ensure_ascii=False).replace("<", "\\u003c")
    t = escape(title)
    head = (
        f"<title>{t} &#8211; The White House</title>"
        f'<link rel="canonical" href="{escape(url)}">'
        f'<meta property="og:type" content="article"><meta property="og:title" content="{t}">'
        f'<meta property="og:url" content="{escape(url)}"><meta property="og:site_name" content="The White House">'
        f'<meta property="article:published_time" content="{item.published.isoformat()}">'
        f'<meta property="article:modified_time" content="{modified.isoformat()}">'
        f'<script type="application/ld+json" class="yoast-schema-graph">{ld_json}</script>'
    )
    main = (
        '<article class="wp-block-group"><div class="wp-block-whitehouse-topper">'
        f'<p class="wp-block-whitehouse-topper__category"><a href="https://{item.host}/{section}/">'
        f"{escape(_label(section))}</a></p>"
        f'<h1 class="wp-block-whitehouse-topper__headline">{t}</h1>'
        f'<div class="wp-block-post-date"><time datetime="{item.published.isoformat()}">'
        f"{_date_label(item.published)}</time></div></div>"
        f'<div class="entry-content wp-block-post-content">{_MD.render(doc["text"] or "")}</div>'
        '<div class="wp-block-whitehouse-share"><a href="https://x.com/share">Share on X</a>'
        '<a href="mailto:?subject=The%20White%20House">Email</a></div></article>'
    )
    return _page(item.host, list(sections), head, main)


def markdown_text(markdown: str, line_end: str = "\n") -> str:
    """Inline text of a markdown body, each paragraph or heading ended by ``line_end``."""
    words = []
    for token in _MD.parse(markdown or ""):
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        if token.type == "inline":
            words.append(line_end)
    return "".join(words)


@lru_cache(maxsize=4096)
def _plain_text(markdown: str) -> str:
    """Markdown to one line of plain text, for feed descriptions."""
    return " ".join(markdown_text(markdown, " ").split())


def _excerpt(text: str) -> str:
    plain = _plain_text(text or "")
    if len(plain) <= DESCRIPTION_CHARS:
        return plain
    return plain[:DESCRIPTION_CHARS].rsplit(" ", 1)[0] + " […]"


def feed_xml(host: str, section: str | None, items: list[WhiteHouseItem], as_of: datetime) -> str:
    """WordPress-style RSS 2.0 feed of the newest items of a section (or the whole host).

    Args:
        host: Site host.
        section: Section slug path, or ``None`` for the site feed ``/feed/``.
        items: Visible items, newest first.
        as_of: Replay instant (for ``lastBuildDate`` when the feed is empty).

    Returns:
        The RSS document.
    """
    base = f"https://{host}/" + (f"{section}/" if section else "")
    title = "The White House" if section is None else f"{_label(section)} &#8211; The White House"
    items = items[:FEED_SIZE]
    built = max((it.modified_at(as_of) for it in items), default=as_of).astimezone(UTC)
    entries = "".join(
        f"<item><title>{xml_escape(it.doc['title'])}</title><link>{xml_escape(it.doc['url'])}</link>"
        "<dc:creator><![CDATA[The White House]]></dc:creator>"
        f"<pubDate>{format_datetime(it.published.astimezone(UTC))}</pubDate>"
        f"<category>{xml_escape(_label(it.leaf))}</category>"
        f'<guid isPermaLink="true">{xml_escape(it.doc["url"])}</guid>'
        f"<description>{xml_escape(_excerpt(it.doc['text']))}</description></item>\n"
        for it in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"<channel><title>{title}</title>"
        f'<atom:link href="{base}feed/" rel="self" type="application/rss+xml"/>'
        f"<link>{base}</link><description>The White House</description>"
        f"<lastBuildDate>{format_datetime(built)}</lastBuildDate><language>en-US</language>\n"
        f"{entries}</channel></rss>\n"
    )


def sitemap_name(section: str) -> str:
    """File name of a section's sitemap (Yoast style): ``fact-sheets-sitemap.xml``."""
    return section.replace("/", "-") + "-sitemap.xml"


def sitemap_index_xml(host: str, by_section: dict[str, list[WhiteHouseItem]], as_of: datetime) -> str:
    """Sitemap index listing one sitemap per non-empty leaf section."""
    rows = "".join(
        f"<sitemap><loc>https://{host}/{sitemap_name(s)}</loc>"
        f"<lastmod>{max(it.modified_at(as_of) for it in items).isoformat()}</lastmod></sitemap>\n"
        for s, items in sorted(by_section.items()) if items
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</sitemapindex>\n')


def sitemap_xml(items: list[WhiteHouseItem], as_of: datetime) -> str:
    """URL set of one section's visible items with their ``lastmod``."""
    rows = "".join(
        f"<url><loc>{xml_escape(it.doc['url'])}</loc>"
        f"<lastmod>{it.modified_at(as_of).isoformat()}</lastmod></url>\n"
        for it in items
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}</urlset>\n')
