"""What a crawl run counts, and the window of publication dates it collects."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from config.errors import RadarError


@dataclass
class CrawlCounts:
    """What a crawl run did, per outcome and per source, and which sources failed outright."""

    outcomes: Counter = field(default_factory=Counter)
    by_source: dict[str, Counter] = field(default_factory=dict)
    failures: dict[str, RadarError] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # first layout problem per source

    def add(self, source_id: str, outcome: str, n: int = 1) -> None:
        """Count an outcome (new, updated, unchanged, not_modified, error, ...)."""
        self.outcomes[outcome] += n
        self.by_source.setdefault(source_id, Counter())[outcome] += n

    def fail_source(self, source_id: str, exc: RadarError) -> None:
        """Remember that a source's entry point (feed, first API page, listing) failed."""
        self.failures.setdefault(source_id, exc)

    def as_dict(self) -> dict:
        """Plain dict for the runs table."""
        return {"total": dict(self.outcomes),
                "sources": {k: dict(v) for k, v in self.by_source.items()},
                "failed": {k: str(v) for k, v in self.failures.items()}}


@dataclass(frozen=True)
class CrawlWindow:
    """Which publication dates to collect, and whether time is replayed (demo)."""

    since: datetime | None = None
    until: datetime | None = None
    replay: bool = False

    def first_seen(self, published: datetime | None) -> datetime:
        """In replay, a document is first seen when it was published; otherwise now."""
        if self.replay and published is not None:
            return published
        return datetime.now(UTC)

    def clock(self) -> dict[str, str]:
        """What the run records about its clock: a replay lives at its `until` instant, and
        source health judges a replayed store by it (crawlers/health.health_clock)."""
        if self.replay and self.until is not None:
            return {"replay_until": self.until.isoformat()}
        return {}
