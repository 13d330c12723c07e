"""Non-US side of the loopback mirror: the bundled foreign items in their sites' feed and page shapes.

Served from ``demo/snapshot/foreign/`` (see its README for licences). What is documented of
each real site is imitated; what is not (navigation, footers, ``<title>`` wording) is plain
and said here:

* www.president.gov.tw — the summary RSS ``/RSSNEWS.aspx`` (RSS 2.0: title, link,
  description = a summary, pubDate) and article pages ``/NEWS/<id>`` with ``div.pageWrap1``,
  ``div.pageDate1 span.date`` (ROC date, 114年04月06日), ``div.pageTitle1`` and ``div.article1 p``
  (documented by public crawlers of the site); robots.txt allows everything. The listing
  ``/Page/35`` pages by script only, so it is not imitated.
* www.meti.go.jp — the news-release Atom feed ``/ml_index_release_atom.xml`` (title, link,
  id, updated, summary). Article pages carry only the feed's lead: the corpus has no full text.
* eur-lex.europa.eu — the Official Journal RSS ``/EN/display-feed.rss?rssId=222`` (L series;
  ``221`` = C series, empty here) and ``/legal-content/EN/TXT/?uri=CELEX:<n>`` act pages.
* ec.europa.eu — the press corner RSS ``/commission/presscorner/api/rss?language=en``; the
  index has titles, dates and links only (no description), like the real detail pages that
  are rendered by script.
* www.gov.uk — the finder Atom feeds ``/search/news-and-communications.atom`` and
  ``/search/policy-papers-and-consultations.atom`` (entries carry ``updated``, no ``published``;
  ``organisations[]=<slug>`` filters) and article pages.
* www.wto.org — only its real robots.txt (``Disallow: /`` for every agent).
* Korean ministries (www.motir.go.kr, www.msit.go.kr, …) — a plain board listing at the
  parent of each press-release URL, rows of link and date (the shape is the mirror's own).

Date-only items are placed at 00:00 in the publisher's time zone, as the Federal Register
side does; only items published at or before ``as_of`` exist.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from replay.mirror_http import Response, not_found

FEED_SIZE = 30
PRESIDENT = "www.president.gov.tw"
METI = "www.meti.go.jp"
EURLEX = "eur-lex.europa.eu"
EC = "ec.europa.eu"
GOVUK = "www.gov.uk"
WTO = "www.wto.org"
HTML = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=UTF-8"
TEXT = "text/plain; charset=utf-8"
ZONES = {"TW": "Asia/Taipei", "JP": "Asia/Tokyo", "EU": "Europe/Brussels", "GB": "Europe/London",
         "KR": "Asia/Seoul"}
PRESIDENT_RSS = "/RSSNEWS.aspx"
METI_ATOM = "/ml_index_release_atom.xml"
EC_RSS = "/commission/presscorner/api/rss"
GOVUK_FINDERS = {"/search/news-and-communications.atom": "News and communications",
                 "/search/policy-papers-and-consultations.atom": "Policy papers and consultations"}
OJ_FEEDS = {"222": "L", "221": "C"}

Found = tuple[int, str, str, datetime | None]  # status, body, content type, last modified


@dataclass(frozen=True)
class ForeignItem:
    """One bundled foreign document placed on the mirror."""

    doc: dict
    host: str
    path: str  # URL path, plus ?query where the real URL has one
    published: datetime

    @property
    def url(self) -> str:
        """The real URL the mirror serves it under (EUR-Lex acts keep their CELEX page)."""
        return f"https://{self.host}{self.path}"

    @property
    def local_day(self) -> date:
        """The day the publisher's site shows: the instant's date in the publisher's zone (a
        METI item of 2025-04-06T15:00Z is 7 April in Tokyo; its UTC date is the day before)."""
        return self.published.astimezone(ZoneInfo(ZONES.get(self.doc.get("country") or "", "UTC"))).date()


def published_instant(doc: dict) -> datetime:
    """When a corpus item was published (a date-only value: 00:00 in the publisher's zone)."""
    value = str(doc["published"])
    zone = ZoneInfo(ZONES.get(doc.get("country") or "", "UTC"))
    when = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value \
        else datetime.fromisoformat(value[:10])
    return when if when.tzinfo else when.replace(tzinfo=zone)


def _place(doc: dict) -> tuple[str, str]:
    if doc["id"].startswith("eu-eurlex-"):  # the AI Act's corpus URL is its ELI; serve its CELEX page
        celex = doc["id"].removeprefix("eu-eurlex-")
        return EURLEX, f"/legal-content/EN/TXT/?uri=CELEX:{celex}"
    parts = urlsplit(doc["url"])
    return (parts.hostname or "").lower(), parts.path + (f"?{parts.query}" if parts.query else "")


def load_foreign(snapshot_dir: Path) -> list[ForeignItem]:
    """Every bundled foreign item (an absent ``foreign/`` directory gives none), newest first."""
    items = []
    for path in sorted((Path(snapshot_dir) / "foreign").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    doc = json.loads(line)
                    host, where = _place(doc)
                    items.append(ForeignItem(doc, host, where, published_instant(doc)))
    items.sort(key=lambda it: (it.published, it.doc["id"]), reverse=True)
    return items


def _rfc822(dt: datetime) -> str:
    return format_datetime(dt, usegmt=False)


def _summary(text: str | None, chars: int = 150) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= chars else flat[:chars].rstrip() + "…"


def _paragraphs(text: str | None) -> str:
    return "".join(f"<p>{escape(p.strip())}</p>" for p in (text or "").split("\n") if p.strip())


def _page(lang: str, title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head><body>{body}</body></html>\n")


def _rss(title: str, link: str, items: list[ForeignItem], describe) -> str:
    entries = "".join(
        f"<item><title>{escape(it.doc['title'])}</title><link>{escape(it.url)}</link>"
        f'<guid isPermaLink="true">{escape(it.url)}</guid><pubDate>{_rfc822(it.published)}</pubDate>'
        f"{describe(it)}</item>\n" for it in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>{escape(link)}</link><description>{escape(title)}"
            f"</description>\n{entries}</channel></rss>\n")


def _atom(title: str, self_url: str, items: list[ForeignItem], summary: bool) -> str:
    updated = items[0].published.isoformat() if items else "1970-01-01T00:00:00+00:00"
    entries = "".join(
        f"<entry><title>{escape(it.doc['title'])}</title><link rel=\"alternate\" type=\"text/html\" "
        f'href="{escape(it.url)}"/><id>{escape(it.url)}</id><updated>{it.published.isoformat()}</updated>'
        + (f'<summary type="html">{escape(_summary(it.doc.get("text"), 400))}</summary>' if summary else "")
        + "</entry>\n" for it in items)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(title)}</title><id>{escape(self_url)}</id>"
            f'<link rel="self" href="{escape(self_url)}"/><updated>{updated}</updated>\n{entries}</feed>\n')


def organisation_slug(name: str) -> str:
    """GOV.UK's organisation slug of a name ("HM Treasury" -> "hm-treasury")."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("&", "")).strip("-")


def _roc_date(day: date) -> str:
    return f"{day.year - 1911}年{day.month:02d}月{day.day:02d}日"


def president_article(it: ForeignItem) -> str:
    """A 總統府 news page in the documented ``div.pageWrap1`` shape."""
    body = ('<header class="header"><a href="https://www.president.gov.tw/">中華民國總統府</a>'
            '<nav><a href="https://www.president.gov.tw/Page/35">總統府新聞</a></nav></header>'
            '<main><div class="pageWrap1">'
            f'<div class="pageDate1"><span class="date">{_roc_date(it.local_day)}</span></div>'
            f'<div class="pageTitle1">{escape(it.doc["title"])}</div>'
            f'<div class="article1">{_paragraphs(it.doc.get("text"))}</div>'
            '<div class="list8 picZoomJs"></div></div></main>'
            "<footer>中華民國總統府 版權所有 · 網站導覽 · 政府網站資料開放宣告</footer>")
    return _page("zh-Hant-TW", it.doc["title"], body)


def generic_article(it: ForeignItem, lang: str, site: str) -> str:
    """An article page: headline, the publisher's own day and the text (or the feed's lead)
    in <article>."""
    day = it.local_day.isoformat()
    body = (f"<header><a href=\"https://{it.host}/\">{escape(site)}</a></header><main><article>"
            f"<h1>{escape(it.doc['title'])}</h1><time datetime=\"{day}\">{day}</time>"
            f"{_paragraphs(it.doc.get('text'))}</article></main><footer>{escape(site)}</footer>")
    return _page(lang, it.doc["title"], body)


def board_html(host: str, board: str, items: list[ForeignItem]) -> str:
    """A Korean ministry's press-release board: one row per release (link, date)."""
    rows = "".join(f'<tr><td class="subject"><a href="{escape(it.url)}">{escape(it.doc["title"])}</a>'
                   f'</td><td class="date">{it.local_day.isoformat()}</td></tr>' for it in items)
    return _page("ko", "보도자료", f'<main><h1>보도자료</h1><table class="board_list"><tbody>{rows}'
                 "</tbody></table></main>")


class ForeignSite:
    """Routes for every foreign host of the bundled snapshot."""

    def __init__(self, items: list[ForeignItem]) -> None:
        """Index the items by host and by path."""
        self._items = items
        self._by_url = {(it.host, it.path): it for it in items}
        boards: dict[tuple[str, str], list[ForeignItem]] = {}
        for it in items:
            if it.doc.get("country") == "KR":
                boards.setdefault((it.host, it.path.rsplit("/", 2)[0]), []).append(it)
        self._boards = boards
        self.hosts = tuple(sorted({it.host for it in items} | {WTO, EURLEX, EC, GOVUK}))

    def visible(self, host: str, as_of: datetime, prefix: str = "") -> list[ForeignItem]:
        """The host's items published by ``as_of`` (whose id starts with ``prefix``), newest first."""
        return [it for it in self._items if it.host == host and it.published <= as_of
                and it.doc["id"].startswith(prefix)]

    def route(self, host: str, path: str, query: str, as_of: datetime) -> Found | None:
        """A response for ``https://<host><path>?<query>`` as of ``as_of``, or None (404)."""
        if path == "/robots.txt":
            rules = "Disallow: /" if host == WTO else "Allow: /"
            return 200, f"User-agent: *\n{rules}\n", TEXT, None
        if host == WTO:
            return None
        params = parse_qs(query)
        if host == PRESIDENT and path == PRESIDENT_RSS:
            items = self.visible(host, as_of)[:FEED_SIZE]
            return self._feed(_rss("總統府新聞", "https://www.president.gov.tw/Page/35", items,
                                   lambda it: f"<description>{escape(_summary(it.doc.get('text')))}</description>"),
                              RSS, items)
        if host == METI and path == METI_ATOM:
            items = self.visible(host, as_of)[:FEED_SIZE]
            return self._feed(_atom("経済産業省 ニュースリリース", f"https://{METI}{METI_ATOM}", items, True),
                              ATOM, items)
        if host == EC and path == EC_RSS:
            items = self.visible(host, as_of)[:FEED_SIZE]
            return self._feed(_rss("Press corner", "https://ec.europa.eu/commission/presscorner/home/en",
                                   items, lambda it: ""), RSS, items)
        if host == GOVUK and path in GOVUK_FINDERS:
            # the bundled items are all news; a finder filtered by organisations[] shows that
            # organisation's only (its slug is its name, lower-cased and hyphenated, as on GOV.UK)
            items = self.visible(host, as_of) if path.startswith("/search/news") else []
            wanted = set(params.get("organisations[]", []))
            if wanted:
                items = [it for it in items if organisation_slug(it.doc.get("publisher") or "") in wanted]
            items = items[:FEED_SIZE]
            url = f"https://{GOVUK}{path}" + (f"?{query}" if query else "")
            return self._feed(_atom(f"{GOVUK_FINDERS[path]} - GOV.UK", url, items, True), ATOM, items)
        if host == EURLEX and path == "/EN/display-feed.rss":
            series = OJ_FEEDS.get((params.get("rssId") or [""])[0])
            if series is None:
                return None
            # the bundled acts are L-series texts; a consolidated version is not an OJ issue
            items = [it for it in self.visible(host, as_of) if series == "L" and "R" in it.doc["id"][-6:]]
            return self._feed(_rss(f"Official Journal of the European Union, {series} series",
                                   "https://eur-lex.europa.eu/oj/direct-access.html", items[:FEED_SIZE],
                                   lambda it: f"<description>{escape(_summary(it.doc['title'], 300))}</description>"),
                              RSS, items)
        board = self._boards.get((host, path))
        if board is not None:
            items = [it for it in board if it.published <= as_of]
            return 200, board_html(host, path, items), HTML, items[0].published if items else None
        key = path + (f"?{query}" if query else "")
        item = self._by_url.get((host, key))
        if item is None or item.published > as_of:
            return None
        return 200, self._article(item), HTML, item.published

    @staticmethod
    def _feed(body: str, content_type: str, items: list[ForeignItem]) -> Found:
        return 200, body, content_type, items[0].published if items else None

    @staticmethod
    def _article(it: ForeignItem) -> str:
        if it.host == PRESIDENT:
            return president_article(it)
        site = {METI: "経済産業省", EURLEX: "EUR-Lex", GOVUK: "GOV.UK", EC: "European Commission"}
        return generic_article(it, it.doc.get("lang") or "en", site.get(it.host, it.host))


_sites_lock = threading.Lock()
_sites: dict[Path, ForeignSite] = {}


def foreign_site_for(snapshot_dir: Path) -> ForeignSite:
    """The non-US sites over ``<snapshot>/foreign/``, built once per process (read-only)."""
    key = Path(snapshot_dir).resolve()
    with _sites_lock:
        if key not in _sites:
            _sites[key] = ForeignSite(load_foreign(key))
        return _sites[key]


def foreign_response(site: ForeignSite, host: str, path: str, query: str,
                     as_of: datetime) -> Response:
    """The mirror's answer for a foreign host's ``path?query`` as of ``as_of`` (404 when none)."""
    found = site.route(host, path, query, as_of)
    if found is None:
        return not_found()
    status, body, content_type, modified = found
    return Response(status, body.encode("utf-8"), content_type, modified)
