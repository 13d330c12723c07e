"""The source registry: `crawlers/sources.yaml`, validated into typed `Source` records."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from config.errors import ConfigError

DEFAULT_SOURCES = Path(__file__).with_name("sources.yaml")
# How a source's URL and page shape are known, strongest first (the `verified:` field):
#   recorded: <file>     a recorded real response is in the project (tests/fixtures, demo/snapshot)
#   documented: <where>  the publisher, a maintained public crawler or the issue notes say so
#   unverified: <why>    written from memory or public hearsay, not checked from this machine
VERIFIED_KINDS = ("recorded", "documented", "unverified")


class Selectors(BaseModel):
    """CSS selectors for a listing page (config-driven spider)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item: str
    link: str
    date: str | None = None
    title: str | None = None
    next: str | None = None


class Source(BaseModel):
    """One source of releases, as declared in sources.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    publisher: str
    country: str = Field(pattern=r"^([A-Z]{2}|EU|INT)$")
    language: str
    kind: Literal["feed", "listing", "api", "sitemap"]
    url: str
    urls: list[str] = Field(default_factory=list)
    selectors: Selectors | None = None
    params: dict[str, str | list[str]] = Field(default_factory=dict)
    allow_hosts: list[str] = Field(default_factory=list)
    sitemap_rules: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    authority: float = Field(default=1.0, ge=0.0, le=3.0)
    poll_minutes: int = Field(default=60, ge=5)
    timezone: str = "UTC"
    fetch_articles: bool = True
    max_pages: int = Field(default=50, ge=1)
    enabled: bool = True
    verified: str
    # Known to be uncrawlable (robots.txt disallows us, a retired feed): the crawl still checks
    # each run, politely, and source health says "unavailable" with this reason until a run
    # succeeds; never a silent empty source.
    unavailable: str | None = Field(default=None, min_length=1)

    @field_validator("url", "urls")
    @classmethod
    def _http_only(cls, value: str | list[str]) -> str | list[str]:
        for u in [value] if isinstance(value, str) else value:
            if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname:
                raise ValueError(f"not an http(s) URL: {u!r}")
        return value

    @field_validator("sitemap_rules")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for rule in value:
            try:
                re.compile(rule)
            except re.error as exc:
                raise ValueError(f"bad sitemap rule {rule!r}: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _kind_needs(self) -> Source:
        if self.kind == "listing" and self.selectors is None:
            raise ValueError("a listing source needs selectors")
        return self

    @field_validator("verified")
    @classmethod
    def _verified_kind(cls, value: str) -> str:
        kind, _, why = value.partition(":")
        if kind.strip() not in VERIFIED_KINDS or not why.strip():
            raise ValueError("verified must be '<recorded|documented|unverified>: <where or why>'")
        return value

    def verification(self) -> tuple[str, str]:
        """(how the source is known: recorded | documented | unverified, where or why)."""
        kind, _, why = self.verified.partition(":")
        return kind.strip(), why.strip()

    def start_urls(self) -> list[str]:
        """The URL plus any extra URLs."""
        return [self.url, *self.urls]

    def hosts(self) -> set[str]:
        """Hosts this source may fetch from (its URLs' hosts plus `allow_hosts`)."""
        return {urlsplit(u).hostname or "" for u in self.start_urls()} | set(self.allow_hosts)

    def is_public_inspection(self) -> bool:
        """True for a Federal Register public-inspection API source."""
        return self.kind == "api" and "public-inspection-documents" in self.url


class Registry(BaseModel):
    """All sources, by id."""

    sources: list[Source]

    def get(self, source_id: str) -> Source:
        """Source by id; ConfigError when unknown."""
        for s in self.sources:
            if s.id == source_id:
                return s
        raise ConfigError(f"unknown source id {source_id!r}")

    def enabled(self) -> list[Source]:
        """Enabled sources only."""
        return [s for s in self.sources if s.enabled]

    def by_kind(self) -> dict[str, list[Source]]:
        """Sources grouped by kind."""
        out: dict[str, list[Source]] = {}
        for s in self.sources:
            out.setdefault(s.kind, []).append(s)
        return out

    def allowed_hosts(self) -> set[str]:
        """Every host named by a source (the fetch allow-list)."""
        hosts: set[str] = set()
        for s in self.sources:
            hosts |= s.hosts()
        return hosts


def load_registry(path: Path | None = None) -> Registry:
    """Load and validate sources.yaml.

    Raises:
        ConfigError: naming the file, the entry and the reason.
    """
    path = Path(path or DEFAULT_SOURCES)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), list):
        raise ConfigError(f"{path}: expected a mapping with a 'sources' list")
    sources, seen = [], set()
    for i, entry in enumerate(raw["sources"]):
        label = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        try:
            src = Source.model_validate(entry)
        except ValidationError as exc:
            reasons = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"{path}: source {label}: {reasons}") from exc
        if src.id in seen:
            raise ConfigError(f"{path}: source {label}: duplicate id")
        seen.add(src.id)
        sources.append(src)
    return Registry(sources=sources)
