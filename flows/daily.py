"""Prefect flow: the daily cycle — crawl, enrich, digest — timed per stage."""

from __future__ import annotations

import time

from prefect import flow

from config.settings import load_settings
from flows.common import recorded
from flows.crawl import crawl_flow
from flows.digest import digest_flow
from flows.enrich import enrich_flow


@flow(name="daily")
def daily_flow(date: str | None = None, since: str | None = None, until: str | None = None,
               replay: bool = False, profile: str | None = None, lang: str | None = None,
               overrides: dict | None = None) -> dict:
    """Crawl every enabled source, enrich, then write the digest.

    Args:
        date: digest date YYYY-MM-DD (Asia/Taipei); default today.
        since: crawl only items published after this ISO instant.
        until: crawl only items published before this ISO instant.
        replay: demo mode — documents are first seen at their publication time.
        profile: analyst profile for the digest.
        lang: digest language (zh-TW or en).
        overrides: settings overrides (e.g. the mirror's host map).
    """
    settings = load_settings(**(overrides or {}))
    params = {"date": date, "since": since, "until": until, "replay": replay,
              "profile": profile, "lang": lang}
    with recorded("daily", settings, params) as counts:
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        crawled = crawl_flow(since=since, until=until, replay=replay, overrides=overrides)
        timings["crawl"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        enriched = enrich_flow(overrides=overrides)
        timings["enrich"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        paths = digest_flow(date=date, profile=profile, lang=lang, overrides=overrides)
        timings["digest"] = time.perf_counter() - t0
        counts.update({"timings": timings, "digest": paths,
                       "documents_new": sum(r.get("new", 0) for r in crawled.values())})
    return {"crawl": crawled, "enrich": enriched, "digest": paths, "timings": timings}
