"""kill -9 inside every stage — crawl, ingest, enrich, cluster, digest, publish — loses nothing
and leaves nothing behind once the next run is done.

Each test starts the real stage (the functions the flows call) in a subprocess on a DuckDB file
in tmp_path, against the loopback mirror. The stage pauses at a named point
(``config.pause_points``) or the test waits for a file the stage writes; then the test SIGKILLs
the process group and runs the next ordinary run. It compares the store and the files with an
uninterrupted run: the same raw pages and documents, no duplicate rows, the same enrichments,
stories and digest, and the same files on disk — no spool, ``.known`` file, half-published
read copy, temporary file or held lock left behind. (Enrichment killed mid-batch and crawls
killed inside the Prefect flow are in tests/test_faults.py.)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from config.pause_points import MARKER_ENV, PAUSE_AT_ENV
from config.settings import load_settings
from store.db import open_reader, opened
from store.read_copies import KEEP_SNAPSHOTS, snapshots
from store.snapshot import is_locked
from tests.stored_enrichment import enrichment_rows

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
SINCE, UNTIL = "2025-03-24T00:00:00+00:00", "2025-04-03T00:00:00+00:00"
DIGEST_DATE = "2025-04-03"  # its window holds the tariff story
FEED, LISTING = "wh-articles-feed", "wh-presidential-actions"

KILLED = """
import json, sys
import crawlers.spool
crawlers.spool.BATCH = int(sys.argv[4])  # small batches, so an ingest stops between two
from tests.test_kill_stages import run_stage
run_stage(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3])
"""


def run_stage(stage: str, overrides: dict, arg: str = "") -> None:
    """Run one stage as the flows do: a source's crawl, an enrichment pass, or a digest.

    Args:
        stage: "crawl", "enrich" or "digest".
        overrides: settings overrides (store paths, the mirror's host map).
        arg: the source id (crawl) or the digest date.
    """
    settings = load_settings(**overrides)
    if stage == "crawl":
        from crawlers.crawl import CrawlWindow, crawl
        from crawlers.registry import load_registry

        window = CrawlWindow(since=datetime.fromisoformat(SINCE),
                             until=datetime.fromisoformat(UNTIL), replay=True)
        with opened(settings.db_path) as con:  # what the flow's crawl-source task does
            crawl(con, settings, load_registry(None), [arg], window)
    elif stage == "enrich":
        from runners.pipeline import run_enrich

        run_enrich(settings)
    else:
        from runners.pipeline import run_digest

        run_digest(settings, date=arg)


def _overrides(root: Path, mirror) -> dict:
    # the mirrored pages are English: with the French NER model named as not installed
    # (French then gets gazetteer entities only), each enrichment loads ~15 s faster here
    return {"db_path": str(root / "radar.duckdb"), "spool_dir": str(root / "spool"),
            "out_dir": str(root / "out"), "nlp": {"spacy_models": {"fr": "not_installed"}},
            "crawl": {"host_map": mirror.host_map(), "per_host_delay_s": 0.0}}


def _kill_inside(tmp_path: Path, over: dict, stage: str, arg: str = "", pause_at: str = "",
                 ready=None, batch: int = 200) -> None:
    """Start the stage in a subprocess, SIGKILL its process group at the point, and wait.

    Args:
        pause_at: a ``config.pause_points`` point (``name`` or ``name:n``) to kill it at.
        ready: or a condition to poll for instead.
        batch: spool lines per ingest transaction in the killed process.
    """
    marker = tmp_path / f"paused-{time.monotonic_ns()}"
    env = dict(os.environ, PREFECT_LOGGING_LEVEL="WARNING", HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    if pause_at:
        env |= {PAUSE_AT_ENV: pause_at, MARKER_ENV: str(marker)}
        ready = marker.exists
    proc = subprocess.Popen([sys.executable, "-c", KILLED, stage, json.dumps(over), arg,
                             str(batch)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 300
    try:
        while not ready():
            assert proc.poll() is None, f"ended before the kill: {proc.stderr.read()[-3000:]}"
            assert time.monotonic() < deadline, "never reached the kill point"
            time.sleep(0.02)
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have failed on its own
            os.killpg(proc.pid, signal.SIGKILL)  # the stage and its spider subprocess, if any
        proc.wait(timeout=30)
        proc.stderr.close()


def _copy_store(src: dict, dst: Path) -> dict:
    """A fresh store folder holding a copy of another (closed, checkpointed) store file."""
    dst.mkdir(parents=True)
    shutil.copyfile(src["db_path"], dst / "radar.duckdb")
    return {**src, **{k: str(dst / Path(src[k]).name) for k in ("db_path", "spool_dir",
                                                                 "out_dir")}}


def _query(db: str, sql: str) -> list[tuple]:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _crawled(db: str) -> dict:
    """Pages and documents a crawl kept (what must not be lost), in a stable order."""
    return {
        "raw_pages": _query(db, "SELECT hash, url, size FROM raw_pages ORDER BY ALL"),
        "documents": _query(db, "SELECT d.canonical_url, d.content_hash, d.title, "
                                "count(v.version) FROM documents d JOIN document_versions v "
                                "ON v.doc_id = d.id GROUP BY ALL ORDER BY ALL"),
    }


DUPLICATES = {
    "fetches": "SELECT source_id, url, requested_at FROM fetches GROUP BY ALL HAVING count(*) > 1",
    "item_errors": "SELECT stage, item, reason FROM item_errors GROUP BY ALL HAVING count(*) > 1",
    "story_members": "SELECT doc_id FROM story_members GROUP BY ALL HAVING count(*) > 1",
    "enrichments": "SELECT doc_id FROM enrichments GROUP BY ALL HAVING count(*) > 1",
    "digest_items": "SELECT digest_id, story_id FROM digest_items GROUP BY ALL "
                    "HAVING count(*) > 1",
}


def _duplicates(db: str) -> dict:
    return {name: rows for name, sql in DUPLICATES.items() if (rows := _query(db, sql))}


def _files(over: dict) -> set[str]:
    """Every file under the store's folder; read copies and temporary links by kind, not by
    their stamp or pid."""
    root = Path(over["db_path"]).parent
    names = (str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return {re.sub(r"\.\d+\.tmp$", ".N.tmp", re.sub(r"snap-\d+", "snap-N", n)) for n in names}


def _assert_same_as_clean(killed: dict, clean: dict) -> None:
    """The resumed store and folder equal the uninterrupted run's, and nothing is left over."""
    db = killed["db_path"]
    assert _crawled(db) == _crawled(clean["db_path"])  # no fetched page lost, one version each
    assert _duplicates(db) == {}
    assert _query(db, "SELECT * FROM spool_progress") == []  # every spool finished and forgotten
    assert _files(killed) == _files(clean)  # no spool, .known, .tmp or quarantine left
    assert not is_locked(db) and not Path(f"{db}.wal").exists()
    assert 1 <= len(snapshots(db)) <= KEEP_SNAPSHOTS
    with open_reader(db) as con:  # the newest read copy carries the final store
        copy = con.execute("SELECT count(*), count(DISTINCT content_hash) FROM documents").fetchone()
    assert copy == (len(_crawled(db)["documents"]),) * 2


@pytest.fixture(scope="module")
def feed_clean(mirror, tmp_path_factory) -> dict:
    """An uninterrupted crawl of the White House articles feed."""
    over = _overrides(tmp_path_factory.mktemp("feed-clean"), mirror)
    run_stage("crawl", over, FEED)
    assert len(_crawled(over["db_path"])["documents"]) >= 10
    return over


@pytest.fixture(scope="module")
def listing_clean(mirror, tmp_path_factory) -> dict:
    """An uninterrupted crawl of the Presidential Actions listing (spider and spool)."""
    over = _overrides(tmp_path_factory.mktemp("listing-clean"), mirror)
    run_stage("crawl", over, LISTING)
    assert len(_crawled(over["db_path"])["documents"]) >= 10
    return over


@pytest.fixture(scope="module")
def enriched_clean(feed_clean, tmp_path_factory) -> dict:
    """The feed crawl, then an uninterrupted enrichment (with clustering)."""
    over = _copy_store(feed_clean, tmp_path_factory.mktemp("enriched") / "store")
    run_stage("enrich", over)
    assert _query(over["db_path"], "SELECT count(*) FROM story_members")[0][0] > 0
    return over


def test_crawl_of_a_feed_killed_between_two_pages_resumes_without_loss(tmp_path, mirror,
                                                                       feed_clean):
    killed = _overrides(tmp_path / "killed", mirror)
    _kill_inside(tmp_path, killed, "crawl", FEED, pause_at="crawl-page-stored:5")
    assert len(_crawled(killed["db_path"])["documents"]) == 5
    run_stage("crawl", killed, FEED)  # the next run
    _assert_same_as_clean(killed, feed_clean)


def test_crawl_of_a_listing_killed_while_the_spider_fetches_resumes_without_loss(
        tmp_path, mirror, listing_clean):
    killed = _overrides(tmp_path / "killed", mirror)

    def spider_fetched_some() -> bool:
        spools = Path(killed["spool_dir"]).glob("*.spool.jsonl")
        return any(p.read_bytes().count(b'"type": "page"') >= 4 for p in spools)

    _kill_inside(tmp_path, killed, "crawl", LISTING, ready=spider_fetched_some)
    assert list(Path(killed["spool_dir"]).glob("*.known"))  # the kill left the spider's job
    run_stage("crawl", killed, LISTING)
    _assert_same_as_clean(killed, listing_clean)


def test_ingest_of_a_spool_killed_between_two_batches_resumes_without_duplicates(
        tmp_path, mirror, listing_clean):
    killed = _overrides(tmp_path / "killed", mirror)
    _kill_inside(tmp_path, killed, "crawl", LISTING, pause_at="spool-batch-committed:2", batch=8)
    left = list(Path(killed["spool_dir"]).glob("*.spool.jsonl"))
    assert len(left) == 1  # the spool stays until it is fully ingested
    stored = len(_crawled(killed["db_path"])["documents"])
    assert 0 < stored < len(_crawled(listing_clean["db_path"])["documents"])
    run_stage("crawl", killed, LISTING)
    _assert_same_as_clean(killed, listing_clean)


def test_lines_a_killed_ingest_committed_are_read_for_the_source_outcome_only(con, settings):
    from crawlers.counts import CrawlCounts, CrawlWindow
    from crawlers.registry import load_registry
    from crawlers.spool import ingest_spool
    from store.documents import mark_spool_ingested
    from store.runs import start_run

    source = load_registry(None).get(LISTING)
    settings.spool_dir.mkdir(parents=True)
    spool = settings.spool_dir / f"{LISTING}-20250402T150000000000.spool.jsonl"
    spool.write_text("".join(json.dumps(line) + "\n" for line in [
        {"type": "fetch", "kind": "entry", "url": source.url, "status": 200,
         "requested_at": "2025-04-02T15:00:00+00:00"},
        {"type": "fetch", "kind": "entry", "url": f"{source.url}page/2/", "status": 503,
         "requested_at": "2025-04-02T15:00:01+00:00", "error": "HTTP 503 busy"},
    ]), encoding="utf-8")
    mark_spool_ingested(con, spool.name, 1)  # what the killed run committed
    counts = CrawlCounts()
    ingest_spool(con, spool, source, CrawlWindow(), start_run(con, "crawl"), counts)
    assert con.execute("SELECT status FROM fetches").fetchall() == [(503,)]  # line 1 not again
    assert LISTING not in counts.failures  # its listing was fetched (line 1): the source is ok
    assert not spool.exists()
    assert con.execute("SELECT count(*) FROM spool_progress").fetchone()[0] == 0


def test_clustering_killed_before_its_commit_resumes_to_the_same_stories(tmp_path, feed_clean,
                                                                         enriched_clean):
    killed = _copy_store(feed_clean, tmp_path / "killed")
    _kill_inside(tmp_path, killed, "enrich", pause_at="stories-written-uncommitted")
    partial = enrichment_rows(killed["db_path"])
    assert len(partial["enrichments"]) == len(_crawled(killed["db_path"])["documents"])
    assert partial["stories"] == []  # the open transaction was rolled back
    run_stage("enrich", killed)
    assert enrichment_rows(killed["db_path"]) == enrichment_rows(enriched_clean["db_path"])
    _assert_same_as_clean(killed, enriched_clean)


def _digests(db: str) -> dict:
    """Stored digests and their items, without the generation instant."""
    rows = _query(db, "SELECT id, window_start, window_end, content, html, markdown "
                      "FROM digests ORDER BY id")
    stamp = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?")
    return {
        "digests": [tuple(stamp.sub("<time>", v) if isinstance(v, str) else v for v in r)
                    for r in rows],
        "items": _query(db, "SELECT digest_id, story_id, section, rank, round(score, 6) "
                            "FROM digest_items ORDER BY ALL"),
    }


def _outputs(over: dict) -> dict[str, str]:
    out = Path(over["out_dir"])
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}


def test_digest_killed_after_it_was_stored_is_delivered_by_the_next_run(tmp_path,
                                                                       enriched_clean):
    clean = _copy_store(enriched_clean, tmp_path / "clean")
    killed = _copy_store(enriched_clean, tmp_path / "killed")
    run_stage("digest", clean, DIGEST_DATE)
    expected = _digests(clean["db_path"])
    assert expected["items"], "the digest has no stories: nothing to compare"
    _kill_inside(tmp_path, killed, "digest", DIGEST_DATE, pause_at="digest-stored")
    assert not Path(killed["out_dir"]).exists()  # stored, never delivered
    run_stage("digest", killed, DIGEST_DATE)
    assert _digests(killed["db_path"]) == expected
    assert _outputs(killed).keys() == _outputs(clean).keys()
    _assert_same_as_clean(killed, clean)


@pytest.mark.parametrize("point,left", [
    ("read-copy-written", "radar.read/.snap-N.duckdb.tmp"),  # copied, not yet renamed
    ("stable-link-made", ".radar.read.duckdb.N.tmp"),  # renamed, radar.read.duckdb not moved
], ids=["copy-written", "stable-link-made"])
def test_publish_killed_midway_leaves_nothing_after_the_next_run(tmp_path, mirror, feed_clean,
                                                                 point, left):
    killed = _overrides(tmp_path / "killed", mirror)
    _kill_inside(tmp_path, killed, "crawl", FEED, pause_at=point)
    assert left in _files(killed)
    assert _crawled(killed["db_path"]) == _crawled(feed_clean["db_path"])  # the store is whole
    run_stage("crawl", killed, FEED)  # the next writer removes the leftover and publishes
    _assert_same_as_clean(killed, feed_clean)
