"""Prefect flow: build, store and write the morning digest."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from config.settings import load_settings
from flows.common import recorded, retry_options
from runners.pipeline import run_digest


@task(name="build-digest", cache_policy=NO_CACHE)
def digest_task(date: str | None, profile: str | None, lang: str | None,
                overrides: dict | None = None) -> list[str]:
    """Build one digest and write its files; returns the paths.

    Not cached: the same date gives a different digest once more documents are in.
    """
    settings = load_settings(**(overrides or {}))
    return [str(p) for p in run_digest(settings, date=date, profile=profile, lang=lang)]


@flow(name="digest")
def digest_flow(date: str | None = None, profile: str | None = None, lang: str | None = None,
                overrides: dict | None = None) -> list[str]:
    """The morning digest for a date (default: today in Asia/Taipei).

    Args:
        date: YYYY-MM-DD, the digest's local date.
        profile: analyst profile (config `digest.profiles`).
        lang: zh-TW (default) or en.
        overrides: settings overrides.
    """
    settings = load_settings(**(overrides or {}))
    params = {"date": date, "profile": profile, "lang": lang}
    with recorded("digest", settings, params) as counts:
        paths = digest_task.with_options(**retry_options(settings.ops))(date, profile, lang,
                                                                        overrides)
        counts["files"] = paths
    return paths
