"""Typed records that flow between pipeline stages (sources -> ... -> digest)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """An instant read from the store, in UTC (a naive one is taken as UTC already)."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def content_hash(text: str | bytes) -> str:
    """Stable short hash of content (sha256, 32 hex chars)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:32]


def doc_id_for(canonical_url: str) -> str:
    """Document id: derived from the canonical URL so re-crawls map to the same document."""
    return "d" + hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:15]


@dataclass(frozen=True)
class FetchRecord:
    """One HTTP attempt (successful or not), as recorded in `fetches`."""

    source_id: str
    url: str
    requested_at: datetime
    status: int | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    n_bytes: int = 0
    duration_ms: int = 0
    error: str | None = None
    raw_hash: str | None = None


@dataclass(frozen=True)
class RawPage:
    """Response bytes exactly as fetched (stored compressed, keyed by content hash)."""

    url: str
    fetched_at: datetime
    content_type: str | None
    body: bytes
    encoding: str | None = None

    @property
    def hash(self) -> str:
        """Content hash of the raw body."""
        return content_hash(self.body)


@dataclass(frozen=True)
class Document:
    """An extracted document. `published_at` is UTC; `published_offset` keeps the source's offset."""

    url: str
    canonical_url: str
    source_id: str
    title: str
    text: str
    published_at: datetime | None
    first_seen_at: datetime
    published_offset: str | None = None
    published_precision: str = "datetime"  # "datetime" | "date" | "none"
    language: str | None = None
    extractor: str = "trafilatura"
    raw_hash: str | None = None
    doc_number: str | None = None  # e.g. Federal Register document number, EO number
    doc_type: str | None = None
    meta: dict[str, Any] = field(default_factory=dict[str, Any])

    @property
    def id(self) -> str:
        """Stable id from the canonical URL."""
        return doc_id_for(self.canonical_url)

    @property
    def hash(self) -> str:
        """Hash of the extracted title + text (a change makes a new version)."""
        return content_hash(self.title + "\n" + self.text)


@dataclass(frozen=True)
class ItemError:
    """A bad item recorded with its reason; the run goes on."""

    stage: str
    item: str
    reason: str
    kind: str = "bad_input"  # "bad_input" | "transient"
