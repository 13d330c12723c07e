"""Listing and sitemap sources: the spider subprocess, then its spool ingested into the store.

A spool is JSON lines (see crawlers/spider.py). It is ingested line by line in transactions of
`BATCH` lines: a bad line (not an object, an unknown type, a missing field, a body that is no
base64, a row the store refuses) is recorded as a bad item with its line number and the rest
is ingested. A spool with bad lines, or one that cannot be ingested at all, is moved to
``<spool_dir>/quarantine/`` with a ``.reason`` file beside it: it never blocks a later run,
and nothing in it is lost. Only a fully ingested spool is deleted.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from config.errors import BadInputError, BlockedError, RadarError, TransientError
from config.pause_points import pause_point
from config.settings import Settings
from crawlers.canonical import canonical_url
from crawlers.collect import fail, page_document, store_doc
from crawlers.counts import CrawlCounts, CrawlWindow
from crawlers.extract import parse_when
from crawlers.registry import Registry, Source
from crawlers.spider import clean_known_files, run_spider
from store.db import transaction
from store.documents import (
    forget_spool,
    forget_spools_except,
    known_urls,
    mark_spool_ingested,
    page_states,
    record_error,
    record_fetch,
    save_raw,
    spool_lines_ingested,
)
from store.records import FetchRecord, ItemError, RawPage
from store.snapshot import write_error

BATCH = 200  # spool lines per transaction
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
QUARANTINE = "quarantine"


class SpoolLineError(BadInputError):
    """A spool line that cannot be ingested (its reason names what is wrong)."""


@dataclass
class _EntryState:
    """Whether the source's own pages (listing, sitemap) were fetched, as the lines tell."""

    ok: bool = False
    failed: dict | None = None


def spool_files(spool_dir: Path, source_id: str) -> list[Path]:
    """The source's spools in `spool_dir`, oldest first (never another source's: ids such as
    ``wh-articles`` and ``wh-articles-feed`` share a prefix)."""
    name = re.compile(rf"{re.escape(source_id)}-\d{{8}}T\d+\.spool\.jsonl")
    return sorted(p for p in spool_dir.glob(f"{source_id}-*.spool.jsonl") if name.fullmatch(p.name))


def crawl_spider(con, settings: Settings, registry: Registry, source: Source,
                 window: CrawlWindow, run_id: str, counts: CrawlCounts) -> None:
    """Run the listing or sitemap spider in a subprocess and ingest its spool.

    A crashed run's spools are ingested first (after the lines it committed), and its
    leftover ``.known`` files removed.
    """
    spool_dir = Path(settings.spool_dir)
    clean_known_files(spool_dir, settings.crawl, settings.db_path)
    # progress rows of spools that are gone (a kill right after the file was removed)
    forget_spools_except(con, {p.name for p in spool_dir.glob("*.spool.jsonl")})
    resumed: set[str] = set()
    for leftover in spool_files(spool_dir, source.id):
        resumed |= unfinished_pages(leftover)
        ingest_spool(con, leftover, source, window, run_id, counts)  # a crashed run's pages
    known = page_states(con, known_urls(con, None if source.kind == "sitemap" else source.id))
    # a killed spider stored only the newest items: they must not stop this run's pagination
    known = {u: v for u, v in known.items() if u not in resumed}
    try:
        path = run_spider(source, settings.crawl, window.since, known, spool_dir,
                          registry.allowed_hosts())
    except RadarError as exc:
        fail(con, run_id, counts, source, source.url, exc, entry=True)
        return
    ingest_spool(con, path, source, window, run_id, counts)


def _lines(path: Path) -> list[tuple[int, bytes, bool]]:
    """(line number, bytes, is the unterminated last line) for each non-empty line."""
    raw = path.read_bytes().split(b"\n")
    return [(n, line, n == len(raw) and bool(line)) for n, line in enumerate(raw, 1) if line.strip()]


def unfinished_pages(path: Path) -> set[str]:
    """Canonical URLs of the pages in a spool whose spider never finished (no "done" line)."""
    urls: set[str] = set()
    try:
        lines = _lines(path)
    except OSError:
        return urls  # ingest_spool quarantines it
    for _, line, _ in lines:
        try:
            item = json.loads(line)
            if item.get("type") == "done":
                return set()
            if item.get("type") == "page":
                urls.add(canonical_url(item["url"]))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # a cut or bad line: ingest_spool records it
    return urls


def ingest_spool(con, path: Path, source: Source, window: CrawlWindow, run_id: str,
                 counts: CrawlCounts) -> None:
    """Store what a spider subprocess wrote; the spool is removed once fully ingested.

    One transaction per `BATCH` lines. When the store refuses a row, the batch is rolled
    back and ingested again line by line, so only the refused line is left out. A crash
    rolls back the open batch and the spool is ingested again next run (idempotent).

    Raises:
        TransientError: the store could not be written (full disk); the spool stays.
        Exception: anything unexpected (a bug), after the spool was quarantined with it.
    """
    try:
        lines = _lines(path)
    except OSError as exc:
        _quarantine(con, run_id, path, source, counts, [(0, f"unreadable spool: {exc}")])
        return
    state, bad = _EntryState(), []
    # lines a killed run already committed are not written again (their fetches and errors
    # would be recorded twice), only read for what they say about the source
    done = spool_lines_ingested(con, path.name)
    try:
        for start in range(0, len(lines), BATCH):
            _ingest_batch(con, run_id, source, (path.name, done), lines[start:start + BATCH],
                          window, counts, state, bad)
    except TransientError:
        raise
    except Exception as exc:
        if write_error(exc, "the store") is not None:
            raise
        _quarantine(con, run_id, path, source, counts,
                    [*bad, (0, f"ingest stopped: {type(exc).__name__}: {exc}")])
        raise
    if state.failed and not state.ok:
        if state.failed.get("blocked"):  # robots.txt or a WAF challenge: not worth a retry
            counts.fail_source(source.id, BlockedError(state.failed["error"]))
        else:
            counts.fail_source(source.id, TransientError(
                state.failed["error"], retry_after=state.failed.get("retry_after")))
    if bad:
        _quarantine(con, run_id, path, source, counts, bad)
    else:
        path.unlink()
    forget_spool(con, path.name)  # after the file went: a kill in between leaves only a row


def _ingest_batch(con, run_id: str, source: Source, progress: tuple[str, int], batch: list,
                  window: CrawlWindow, counts: CrawlCounts, state: _EntryState,
                  bad: list) -> None:
    """Ingest a batch of lines in one transaction, which also records them as ingested.

    Args:
        progress: the spool's file name and how many of its lines were already ingested.
    """
    spool, done = progress
    saved = copy.deepcopy((counts.__dict__, state.__dict__, bad))
    try:
        with transaction(con):
            for n, line, last in batch:
                _ingest_or_note(con, run_id, source, n, line, last, window, counts, state, bad,
                                done)
            mark_spool_ingested(con, spool, batch[-1][0])
        pause_point("spool-batch-committed")  # kill tests stop an ingest between two batches
        return
    except duckdb.Error as exc:
        _raise_write_error(exc)
    # the store refused a row: undo the batch's counts and take its lines one at a time
    counts.__dict__.update(saved[0])
    state.__dict__.update(saved[1])
    bad[:] = saved[2]
    for n, line, last in batch:
        try:
            with transaction(con):
                _ingest_or_note(con, run_id, source, n, line, last, window, counts, state, bad,
                                done)
                mark_spool_ingested(con, spool, n)
        except duckdb.Error as exc:
            _raise_write_error(exc)
            bad.append((n, f"the store refused it: {str(exc).splitlines()[0][:300]}"))


def _raise_write_error(exc: duckdb.Error) -> None:
    """A failed disk write is raised as the store's TransientError (the spool stays for the
    next run), never taken for a bad line; any other refusal returns.

    The error searched is the whole chain: after a failed COMMIT, DuckDB refuses the
    ROLLBACK too, and the ROLLBACK's error carries the COMMIT's."""
    clear = write_error(exc, "the store")
    if clear is not None:
        raise clear from exc


def _ingest_or_note(con, run_id, source, n, line, last, window, counts, state, bad,
                    done: int = 0) -> None:
    try:
        item = _parse(line)
    except SpoolLineError as exc:
        if not last:  # a cut last line is a kill's: its page is fetched again next run
            bad.append((n, str(exc)))
        return
    if n <= done:  # in the store already (a killed run committed it)
        _note_source_state(source, item, counts, state)
        return
    _ingest_item(con, run_id, source, item, window, counts, state)


def _parse(line: bytes) -> dict:
    """One spool line, checked before anything is written (so a bad line writes nothing)."""
    try:
        item = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpoolLineError(f"not a JSON line: {exc}") from exc
    if not isinstance(item, dict):
        raise SpoolLineError(f"not a JSON object but {type(item).__name__}")
    if _ESCAPED_SURROGATE.search(line):  # a lone "\ud800" decodes, but no store can keep it
        try:
            json.dumps(item, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SpoolLineError(f"text that is no Unicode: {exc}") from exc
    kind = item.get("type")
    need = {"fetch": ("url", "requested_at"), "error": ("url", "reason"),
            "page": ("url", "fetched_at", "body_b64"), "done": ()}.get(kind)
    if need is None:
        raise SpoolLineError(f"unknown line type {kind!r}")
    for key in need:
        if not isinstance(item.get(key), str):
            raise SpoolLineError(f"{kind} line without {key}")
    try:
        for key in ("requested_at", "fetched_at", "modified"):
            if item.get(key):
                item[key] = datetime.fromisoformat(item[key])
        if kind == "page":
            item["body"] = base64.b64decode(item.pop("body_b64"), validate=True)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise SpoolLineError(f"{kind} line with a bad value: {exc}") from exc
    return item


def _ingest_item(con, run_id: str, source: Source, item: dict, window: CrawlWindow,
                 counts: CrawlCounts, state: _EntryState) -> None:
    if item["type"] == "fetch":
        _ingest_fetch(con, run_id, source, item, counts)
    elif item["type"] == "error":
        reason = str(item["reason"])
        record_error(con, run_id, ItemError(f"crawl:{source.kind}", item["url"], reason))
        if item.get("kind") != "layout":  # one bad item (an unusable link, a failed callback)
            counts.add(source.id, "error")
    elif item["type"] == "page":
        _ingest_page(con, run_id, source, item, window, counts)
    elif item["type"] == "done" and item.get("capped"):  # stopped at max_pages, pages left
        counts.add(source.id, "capped")
    _note_source_state(source, item, counts, state)


def _note_source_state(source: Source, item: dict, counts: CrawlCounts,
                       state: _EntryState) -> None:
    """What a line says about the source as a whole: its entry pages fetched or failed, its
    layout changed (read again for lines a killed run committed, so the source's outcome is
    the same)."""
    kind = item.get("kind")
    if item["type"] == "fetch" and kind == "entry":
        if item.get("error"):
            state.failed = state.failed or item
        else:
            state.ok = True
    elif item["type"] == "error" and kind == "layout":
        counts.add(source.id, "layout_error")
        counts.notes.setdefault(source.id, str(item["reason"]))
    elif item["type"] == "error" and kind == "entry":
        counts.fail_source(source.id, BadInputError(str(item["reason"])))


def _ingest_fetch(con, run_id: str, source: Source, item: dict, counts: CrawlCounts) -> None:
    status = item.get("status") if isinstance(item.get("status"), int) else None
    record_fetch(con, run_id, FetchRecord(
        source_id=source.id, url=item["url"], requested_at=item["requested_at"],
        status=status, etag=item.get("etag"),
        last_modified=item.get("last_modified"), content_type=item.get("content_type"),
        n_bytes=item.get("n_bytes") or 0, error=item.get("error")))
    if item.get("error"):
        kind = "transient" if not item.get("blocked") and (
            status is None or status >= 500 or status in (408, 429)) else "bad_input"
        retry_after = item.get("retry_after")
        reason = str(item["error"]) + (f" (Retry-After {retry_after:.0f}s)"
                                       if isinstance(retry_after, int | float) else "")
        record_error(con, run_id, ItemError(f"crawl:{source.kind}", item["url"], reason, kind=kind))
        counts.add(source.id, "error")


def _ingest_page(con, run_id: str, source: Source, item: dict, window: CrawlWindow,
                 counts: CrawlCounts) -> None:
    body, url = item["body"], item["url"]
    content_type = item.get("content_type") if isinstance(item.get("content_type"), str) else None
    raw_hash = save_raw(con, RawPage(url, item["fetched_at"], content_type, body)) if body else None
    hint = parse_when(str(item.get("listing_date") or ""), source.timezone)
    try:
        doc = page_document(source, url, body, content_type, raw_hash, window,
                            str(item.get("listing_title") or ""),
                            hint[0] if hint else None, hint[1] if hint else None)
        store_doc(con, counts, source, doc, item.get("modified"), atomic=False)
    except RadarError as exc:
        fail(con, run_id, counts, source, url, exc)


def _quarantine(con, run_id: str, path: Path, source: Source, counts: CrawlCounts,
                bad: list[tuple[int, str]]) -> Path:
    """Move a spool aside with the reasons it could not be fully ingested; returns its path."""
    folder = path.parent / QUARANTINE
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    path.replace(target)
    lines = [f"line {n}: {reason}" if n else reason for n, reason in bad]
    Path(f"{target}.reason").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = f"spool quarantined ({len(bad)} problem(s)): " + "; ".join(lines[:5])
    with contextlib.suppress(duckdb.Error):  # the store is what failed: the .reason file says why
        record_error(con, run_id, ItemError(f"crawl:{source.kind}", str(target), summary[:1000]))
    counts.add(source.id, "spool_quarantined")
    counts.add(source.id, "error", len(bad))
    return target
