"""「我國回應」: Taiwan's official response to a foreign measure, shown next to the measure's story.

A story about a foreign measure (a US tariff order, an EU regulation) and a release of Taiwan's
own government (總統府, 行政院, 經濟部, 國發會) are linked when the release

* was published in the days after the measure (from the day before its first document, to
  ``window_days`` after it, and never after the digest's instant), and
* names the measure's country (美國 for a US measure, 歐盟 for the EU, …) and one of the
  specific concepts of the measure's title or lead in Chinese (對等關稅 where the measure says "reciprocal tariff"),
  or a generic concept (關稅) together with a rate that both texts state (32%).

The shared evidence is kept with the link, and the release is quoted by its first sentence
that carries the concept, so every line under 「我國回應」 cites the release it came from.
Clustering does not join these documents (different languages, different events: a measure
and a reaction); this module is the link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

from briefs.records import safe_url

TW_OFFICIAL_SOURCES = ("tw-president-news", "ey-news", "moea-news", "ndc-business-indicators")
WINDOW_DAYS = 14
MAX_RESPONSES = 3
LEAD_CHARS = 1200

# (English term in the measure, Chinese terms in the response, specific?) — a specific concept
# alone (with the country) links; a generic one needs a shared rate as well.
CONCEPTS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("reciprocal tariff", ("對等關稅",), True),
    ("de minimis", ("小額包裹", "免稅門檻", "最低免稅"), True),
    ("section 232", ("232",), True),
    ("export control", ("出口管制",), True),
    ("anti-dumping", ("反傾銷",), True),
    ("countervailing", ("平衡稅", "反補貼"), True),
    ("artificial intelligence act", ("人工智慧法", "AI法"), True),
    ("semiconductor", ("半導體",), False),
    ("tariff", ("關稅",), False),
    ("steel", ("鋼鐵", "鋼品"), False),
    ("aluminum", ("鋁",), False),
    ("automobile", ("汽車",), False),
)
COUNTRY_ZH = {"US": ("美國", "美方", "川普"), "EU": ("歐盟",), "JP": ("日本",), "KR": ("韓國", "南韓"),
              "CN": ("中國", "中共", "大陸"), "GB": ("英國",), "DE": ("德國",), "FR": ("法國",)}
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*(?:%|％|percent\b)")
_ZH_PERCENT = re.compile(r"百分之(\d{1,3}(?:\.\d+)?)")
_SENTENCE = re.compile(r"[^。！？\n]+[。！？]?")


@dataclass(frozen=True)
class OfficialText:
    """A document as the link reads it (a story member or a Taiwan release)."""

    doc_id: str
    title: str
    text: str
    url: str | None
    publisher: str | None
    country: str | None
    published_at: datetime | None


@dataclass(frozen=True)
class Response:
    """A Taiwan release shown under 「我國回應」, with why it was linked and its cited quote."""

    doc_id: str
    title: str
    url: str | None
    publisher: str
    published_local: str
    evidence: tuple[str, ...]
    quote: str


def rates(text: str) -> set[str]:
    """The percentages a text states ("32%", "32 percent", "百分之32"), as plain numbers."""
    found = {m.group(1) for m in _PERCENT.finditer(text)} | {m.group(1) for m in _ZH_PERCENT.finditer(text)}
    return {r.rstrip("0").rstrip(".") if "." in r else r for r in found}


def evidence(measure: Sequence[OfficialText], reply: OfficialText) -> tuple[str, ...]:
    """Why ``reply`` answers the measure (empty: it does not).

    Args:
        measure: the foreign story's documents.
        reply: a Taiwan release.

    Returns:
        The shared signals, e.g. ``("美國", "reciprocal tariff ↔ 對等關稅", "32%")``.
    """
    # what the measure is about: its titles and leads (a concept named deep in the text, such as
    # "export control" in a defence-sales order, is not what the measure does)
    english = " ".join(f"{d.title} {(d.text or '')[:LEAD_CHARS]}" for d in measure).lower()
    chinese = f"{reply.title} {reply.text}"
    countries = {d.country for d in measure if d.country and d.country != "TW"}
    named = [zh for c in sorted(countries) for zh in COUNTRY_ZH.get(c, ()) if zh in chinese][:1]
    if not named:
        return ()
    specific, generic = [], []
    for en, zh_terms, is_specific in CONCEPTS:
        hit = next((zh for zh in zh_terms if zh in chinese), None)
        if hit and en in english:
            (specific if is_specific else generic).append(f"{en} ↔ {hit}")
    shared = sorted(rates(english) & rates(chinese), key=float, reverse=True)
    shared = [f"{r}%" for r in shared if float(r) >= 1]
    if specific or (generic and shared):
        return tuple(named + specific + generic + shared[:2])
    return ()


def quote(reply: OfficialText, ev: Iterable[str]) -> str:
    """The release's first sentence carrying a linked concept (else its first sentence)."""
    terms = [e.split(" ↔ ")[1] for e in ev if " ↔ " in e]
    sentences = [s.strip() for s in _SENTENCE.findall(reply.text or "") if s.strip()]
    for s in sentences:
        if any(t in s for t in terms):
            return s[:220]
    return (sentences[0] if sentences else reply.title)[:220]


def _short(publisher: str | None) -> str:
    """A bilingual registry name ("中華民國總統府 Office of the President, …") -> its Chinese part."""
    name = (publisher or "").strip()
    head = name.split(" ", 1)[0]
    return head if head and "\u4e00" <= head[0] <= "\u9fff" else name


def taiwan_releases(con: duckdb.DuckDBPyConnection, since: datetime, until: datetime) -> list[OfficialText]:
    """Taiwan's official releases in the store published in ``[since, until]``, oldest first."""
    rows = con.execute(
        "SELECT d.id, d.title, d.text, d.url, coalesce(s.publisher, s.name), s.country, d.published_at "
        "FROM documents d JOIN sources s ON s.id = d.source_id "
        "WHERE list_contains(?, d.source_id) AND d.published_at BETWEEN ? AND ? "
        "ORDER BY d.published_at, d.id",
        [list(TW_OFFICIAL_SOURCES), since, until],
    ).fetchall()
    return [OfficialText(*r) for r in rows]


def find_responses(measure: Sequence[OfficialText], releases: Iterable[OfficialText], until: datetime,
                   tz: str = "Asia/Taipei", window_days: int = WINDOW_DAYS) -> tuple[Response, ...]:
    """Taiwan releases that answer a foreign measure, oldest first (at most MAX_RESPONSES).

    Args:
        measure: the story's documents (only non-Taiwan ones count as the measure).
        releases: candidate Taiwan releases.
        until: the digest's instant (nothing later is shown).
        tz: zone of the shown dates.
        window_days: how long after the measure a release still counts as its response.
    """
    foreign = [d for d in measure if d.country and d.country != "TW"]
    dated = [d.published_at for d in foreign if d.published_at is not None]
    if not dated:
        return ()
    start = min(dated)
    lo, hi = start - timedelta(days=1), min(start + timedelta(days=window_days), until)
    out = []
    for reply in releases:
        if reply.published_at is None or not lo <= reply.published_at <= hi:
            continue
        ev = evidence(foreign, reply)
        if ev:
            local = reply.published_at.astimezone(ZoneInfo(tz)).date().isoformat()
            out.append(Response(reply.doc_id, reply.title, safe_url(reply.url), _short(reply.publisher),
                                local, ev, quote(reply, ev)))
    return tuple(out[:MAX_RESPONSES])


def responses_for(con: duckdb.DuckDBPyConnection, members: Sequence, until: datetime,
                  tz: str = "Asia/Taipei") -> tuple[Response, ...]:
    """「我國回應」 of a story whose members are store rows (``store.digests.MemberDoc``-like)."""
    docs = [OfficialText(m.doc_id, m.title or "", m.text or "", m.url, m.publisher, m.country,
                         m.published_at) for m in members]
    dated = [d.published_at for d in docs if d.country and d.country != "TW" and d.published_at]
    if not dated:
        return ()
    start = min(dated)
    releases = taiwan_releases(con, start - timedelta(days=1), min(start + timedelta(days=WINDOW_DAYS), until))
    return find_responses(docs, releases, until, tz)
