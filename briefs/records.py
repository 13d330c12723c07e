"""Typed records of an assembled digest (what renderers and delivery read)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from zhtw.records import Card


@dataclass(frozen=True)
class SourceRef:
    """A cited document: citation number, publisher, country and time on the Taipei clock."""

    n: int
    doc_id: str
    title: str
    url: str | None
    publisher: str
    country: str | None
    time_local: str | None
    in_window: bool
    publisher_zh: str | None = None


@dataclass(frozen=True)
class SummaryLine:
    """A summary sentence with its citation number and the URL of its document."""

    text: str
    doc_id: str
    n: int
    url: str | None
    zh: str | None = None  # checked zh-TW translation (None: not translated or refused)
    zh_reason: str = ""  # why no translation is shown ("" when none was attempted)


@dataclass(frozen=True)
class OfficialDoc:
    """The primary official document of a story (an EO, proclamation or FR document)."""

    label: str
    url: str | None
    doc_id: str


@dataclass(frozen=True)
class FamilyMember:
    """A same-day notice on the same product about another country (one of seven per-country
    antidumping determinations), listed under its family's lead entry (briefs/families.py)."""

    story_id: str
    country: str  # the country the notice is about: zh-TW label in a Chinese digest
    title: str
    url: str | None


@dataclass(frozen=True)
class StoryEntry:
    """One story as shown in a digest."""

    story_id: str
    headline: str
    headline_url: str | None
    summary: tuple[SummaryLine, ...]
    sources: tuple[SourceRef, ...]
    tags: tuple[str, ...]
    entities: tuple[str, ...]
    badge: str  # "new" | "developing"
    day: int
    official: OfficialDoc | None
    score: float
    parts: dict[str, float]
    watch_hits: tuple[str, ...] = ()
    # each measure's latest status as of the digest date, cited (briefs.lifecycle.StatusBadge)
    status: tuple = ()
    headline_zh: str = ""  # composed from the card (zhtw.headline), every piece cited
    card: Card | None = None
    relevance: float | None = None  # mission relevance (briefs.relevance); model in the digest
    responses: tuple = ()  # 「我國回應」: briefs.response.Response, Taiwan's official releases
    # same-day, same-product notices for other countries shown under this entry (it leads the
    # family; Taiwan's notice leads when there is one) ...
    family: tuple[FamilyMember, ...] = ()
    # ... and, on each of those notices' own entry, the lead's story id: renderers show the
    # entry only in the lead's list (the stories stay apart in the store and the digest items)
    folded_into: str | None = None


@dataclass(frozen=True)
class Section:
    """Stories of one theme (taxonomy topic, or "other")."""

    topic_id: str
    title: str
    stories: tuple[StoryEntry, ...]


@dataclass(frozen=True)
class RoutineItem:
    """A candidate story below the relevance floor: listed on the one collapsed routine line."""

    story_id: str
    title: str
    url: str | None
    relevance: float
    reason: str  # the routine kind or evidence the score came from


@dataclass(frozen=True)
class Coverage:
    """Which sources failed or were silent in the window."""

    failed: tuple[tuple[str, str], ...]
    silent: tuple[str, ...]  # crawled, but no new document in the window
    total: int
    never_crawled: tuple[str, ...] = ()  # no run ever tried them (e.g. not served by the mirror)


@dataclass(frozen=True)
class TranslationCount:
    """Sentence translation of a digest: backend, sentences shown in Chinese, refused."""

    backend: str
    kept: int
    dropped: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Digest:
    """A digest for one date, profile and language."""

    id: str
    date: date
    profile: str
    lang: str
    window_start: datetime
    window_end: datetime
    window_label: str
    generated_at: datetime
    sections: tuple[Section, ...]
    coverage: Coverage
    n_candidates: int
    translation: TranslationCount | None = None
    routine: tuple[RoutineItem, ...] = ()  # below digest.relevance_floor, collapsed to one line
    relevance_model: str = ""  # model/version of the relevance scores (provenance)

    @property
    def stories(self) -> list[StoryEntry]:
        """All stories in reading order."""
        return [s for sec in self.sections for s in sec.stories]

    @property
    def headings(self) -> int:
        """Stories shown under their own heading (a family's folded notices not counted)."""
        return sum(1 for s in self.stories if not s.folded_into)


def safe_url(url: str | None) -> str | None:
    """The URL if it is an absolute http(s) URL without control characters, else None.

    `javascript:`, `data:` and relative or odd URLs are never rendered as links.
    """
    if not url:
        return None
    url = url.strip()
    if any(ord(c) < 0x20 or c in "\x7f<>\"' " for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def _plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def digest_to_dict(digest: Digest) -> dict:
    """JSON-ready dict of a digest (dates as ISO 8601)."""
    return _plain(dataclasses.asdict(digest))  # type: ignore[return-value]
