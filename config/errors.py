"""The project's error hierarchy: transient (retry later) vs. bad input (record and move on)."""


class RadarError(Exception):
    """Base of every error policy-radar raises on purpose."""


class TransientError(RadarError):
    """Worth retrying: timeouts, 429/5xx, a locked store."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class BadInputError(RadarError):
    """The item itself is wrong (bad feed, empty body, too big); record it, never retry."""


class ConfigError(BadInputError):
    """A configuration file or entry is invalid; the message names the file and the reason."""


class NotAllowedError(BadInputError):
    """A fetch was refused: host not in the registry, or robots.txt disallows it."""


class BlockedError(NotAllowedError):
    """The site refuses this crawler: robots.txt disallows the URL, or a bot wall answered in
    place of the page (an AWS WAF challenge: HTTP 202 with ``x-amzn-waf-action``). Recorded
    as the source's "blocked" status, never as an empty success, and not retried within the
    run (retrying a refusal at once is impolite and cannot succeed)."""


class FeedEndedError(BadInputError):
    """The publisher retired the feed: its only entry says so (GOV.UK's "This feed has ended").
    The source is flagged "ended" until its URL is corrected in sources.yaml."""


class NotFoundError(BadInputError):
    """A requested id (story, digest, source) does not exist."""


class DeadlineError(TransientError):
    """A response went past its wall-clock cap (``crawl.deadline_s``), e.g. a body trickled
    a byte at a time. Not retried within the run (the time is spent); the next run tries again."""


class SourceDeadlineError(DeadlineError):
    """A source's run went past ``crawl.source_deadline_s``; its remaining items wait for the
    next run."""
