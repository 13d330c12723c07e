"""The measurements of benchmarks/scale.py over a built store (issue 18, part 2).

Each prints one line starting with the measure's name in capitals, the load average and,
where the wall time is distorted by the shared machine, the CPU time of this process:

* DIGEST: `build_digest` for one day (zh-TW), twice (the second warm), model load apart.
* SEARCH: `radar.cli_search.quick_search` (what `radar search` runs) in one warm process:
  the 20 labelled queries (tests/dev) and benchmarks/commentary.py's 20, p50/p95; first with
  the read copy opened for each search (as one `radar search` does), then through a warmed
  `store.reader_pool.ReaderPool` (as the web UI reads).
* DRAFT: `write_commentary` (extractive writer) for benchmarks/commentary.py's draft queries
  after one warm-up draft.
* WEB + RSS: benchmarks/web.py's request loop (digest, story and search pages through uvicorn)
  while a writer process (`--writer`) adds 100 documents with vectors, refreshes the BM25
  index and publishes a read copy in a loop; then the peak RSS (VmHWM) of this process,
  which is the web server's (the client adds a few MB).
* BM25: a day's new documents (copies of one day's, new ids) added, `refresh_search_index`.
* PUBLISH: a publish of the store as it is, then after each of 3 writing stages (a day's
  documents; the last publish with the store out of the page cache): full copy or in
  place, units written, wall and CPU seconds.
* SIZE: the store file's bytes per document.

Usage: through benchmarks/scale.py (--reuse --measure ...); the writer alone:
    .venv/bin/python benchmarks/scale_measure.py --writer /tmp/scale/s1m.duckdb
"""

from __future__ import annotations

import inspect
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DOCS_PER_DAY = 2_740  # 1,000,000 documents over 2024


def load() -> str:
    """The 1-minute load average as text."""
    return f"{os.getloadavg()[0]:.1f}"


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def measure_digest(path: Path, day: date) -> None:
    """Time one day's digest twice."""
    from briefs.digest import build_digest
    from config.settings import load_settings
    from nlp.embed import load_backend
    from nlp.topics import load_taxonomy
    from store.snapshot import writing

    settings = load_settings(db_path=path)
    backend = load_backend(settings.nlp)
    backend.encode(["warm up"])
    taxonomy = load_taxonomy()
    with writing(path, "scale digest", publish=False) as con:
        (n,) = con.execute("SELECT count(*) FROM documents").fetchone()
        for run in ("first", "warm"):
            t0, c0 = time.perf_counter(), time.process_time()
            digest = build_digest(con, backend, taxonomy, settings, day, "default", "zh-TW")
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"DIGEST {run} {day} over {n:,} documents: {wall:.2f} s wall, {cpu:.2f} s "
                  f"CPU ({digest.n_candidates} candidate stories, {len(digest.stories)} shown) "
                  f"load {load()}", flush=True)


def measure_search(path: Path) -> None:
    """p50/p95 of quick_search in a warm process."""
    from benchmarks.commentary import SEARCHES
    from benchmarks.search_quality import load_queries
    from config.settings import load_settings
    from nlp.embed import load_query_encoder
    from radar.cli_search import quick_search

    settings = load_settings(db_path=path)
    encoder = load_query_encoder(settings.nlp)
    warm = {"encoder": encoder}
    if "multilingual" in inspect.signature(quick_search).parameters:
        from nlp.embed import load_multilingual

        warm["multilingual"] = load_multilingual(settings.nlp)  # loaded once, as a warm process
    queries = [q["query"] for q in load_queries()] + list(SEARCHES)
    t0 = time.perf_counter()
    quick_search(settings, queries[0], **warm)
    print(f"  first search (matrix load, caches) {time.perf_counter() - t0:.1f} s", flush=True)
    from store.reader_pool import ReaderPool
    from store.reader_warmup import warm_read_copy

    def timed(label: str, **extra) -> None:
        walls, cpus = [], []
        for _ in range(2):
            for q in queries:
                t0, c0 = time.perf_counter(), time.process_time()
                quick_search(settings, q, limit=20, **warm, **extra)
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
        print(f"SEARCH quick_search, {label}, {len(walls)} searches ({len(queries)} queries x 2): "
              f"wall p50 {statistics.median(walls) * 1000:.0f} ms p95 {pct(walls, 95) * 1000:.0f} ms; "
              f"CPU p50 {statistics.median(cpus) * 1000:.0f} ms p95 {pct(cpus, 95) * 1000:.0f} ms "
              f"load {load()}", flush=True)

    # First with no connection kept: DuckDB reuses a database that is still open elsewhere in
    # the process, so the pool's connection would warm these too.
    timed("one open per search")
    readers = ReaderPool(path, warm=warm_read_copy)
    t0 = time.perf_counter()
    with readers.reading() as con:  # what the pool runs on each new copy in the background
        warm_read_copy(con)
    print(f"  warm-up of the read copy {time.perf_counter() - t0:.1f} s", flush=True)
    timed("reader pool", readers=readers)
    readers.close()


def measure_draft(path: Path) -> None:
    """Median time of a draft after a warm-up draft."""
    from benchmarks.commentary import DRAFTS
    from commentary.draft import write_commentary
    from config.settings import load_settings
    from nlp.embed import load_backend
    from store.snapshot import writing

    settings = load_settings(db_path=path, out_dir=Path("/tmp/scale/out"))
    backend = load_backend(settings.nlp)
    backend.encode(["warm up"])
    with writing(path, "scale drafts", publish=False) as con:
        write_commentary(con, backend, settings, DRAFTS[0])
        walls, cpus = [], []
        for q in DRAFTS:
            t0, c0 = time.perf_counter(), time.process_time()
            write_commentary(con, backend, settings, q)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
    print(f"DRAFT {len(walls)} drafts: wall median {statistics.median(walls):.2f} s max "
          f"{max(walls):.2f} s; CPU median {statistics.median(cpus):.2f} s load {load()}",
          flush=True)


def add_day(con, tag: str, n: int) -> None:
    """Add `n` new documents (copies of existing ones, ids <tag>-<i>, updated now) with their
    vectors, stories and tags, as a day's crawl and enrichment would."""
    con.execute(  # a sample size must be a literal
        "CREATE OR REPLACE TEMP TABLE newdocs AS SELECT d.*, ? || '-' || row_number() OVER () "  # noqa: S608
        f"AS nid FROM (SELECT * FROM documents USING SAMPLE reservoir({int(n)} ROWS) "
        "REPEATABLE (1)) d", [tag])
    con.execute(
        "INSERT INTO documents (id, version, url, canonical_url, source_id, title, text, language,"
        " published_at, published_precision, first_seen_at, updated_at, content_hash) SELECT "
        "nid, 1, url || '#' || nid, canonical_url || '#' || nid, source_id, title, text, "
        "language, now(), 'datetime', now(), now(), content_hash FROM newdocs")
    for table in ("embeddings", "multilingual_embeddings"):
        con.execute(f"INSERT INTO {table} SELECT e.* REPLACE (n.nid AS doc_id) FROM {table} e "  # noqa: S608
                    "JOIN newdocs n ON n.id = e.doc_id")
    con.execute("INSERT INTO enrichments SELECT e.* REPLACE (n.nid AS doc_id, now() AS enriched_at) "
                "FROM enrichments e JOIN newdocs n ON n.id = e.doc_id")
    con.execute("DROP TABLE newdocs")


def writer_loop(path: Path) -> None:
    """Until killed: a writing stage adding 100 documents and refreshing the index, then its
    publish, then 2 s of rest; prints each stage's time."""
    from store.fulltext import refresh_search_index
    from store.snapshot import writing

    stage = 0
    while True:
        stage += 1
        t0 = time.perf_counter()
        with writing(path, "scale writer") as con:
            add_day(con, f"w{os.getpid()}x{stage}", 100)
            t1 = time.perf_counter()
            refresh_search_index(con)
            t2 = time.perf_counter()
        t3 = time.perf_counter()
        print(f"WRITER stage {stage}: add {t1 - t0:.1f} s, index {t2 - t1:.1f} s, checkpoint + "
              f"publish {t3 - t2:.1f} s load {load()}", flush=True)
        time.sleep(2)


def measure_web(path: Path, day: date, requests: int) -> None:
    """The web pages' p50/p95 while a writer runs, then this process's peak RSS."""
    from benchmarks.web import run

    log = open("/tmp/scale/writer.log", "a")  # noqa: SIM115 - the writer outlives this block
    started: list[subprocess.Popen] = []

    def start_writer() -> None:
        started.append(subprocess.Popen([sys.executable, __file__, "--writer", str(path)],
                                        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT))
        time.sleep(5)

    try:
        t0 = time.perf_counter()
        run(path, day, requests, before_timing=start_writer)
        print(f"WEB {requests} requests per page with a writer running, "
              f"{time.perf_counter() - t0:.0f} s, load {load()}", flush=True)
    finally:
        for writer in started:
            writer.terminate()
            writer.wait()
        log.close()
    status = Path("/proc/self/status").read_text()
    hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"RSS web process peak: {hwm.split(':')[1].strip()} ({rss:.2f} GB)", flush=True)


def measure_bm25(path: Path) -> None:
    """A day's new documents added, then the index refreshed."""
    from store.fulltext import refresh_search_index
    from store.snapshot import writing

    with writing(path, "scale bm25", publish=False) as con:
        refresh_search_index(con)  # up to date first
        add_day(con, f"day{time.time_ns()}", DOCS_PER_DAY)
        t0, c0 = time.perf_counter(), time.process_time()
        rebuilt = refresh_search_index(con)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        (n,) = con.execute("SELECT count(*) FROM documents").fetchone()
    print(f"BM25 {DOCS_PER_DAY:,} new documents indexed (store {n:,}, refreshed={rebuilt}): "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU load {load()}", flush=True)


def measure_publish(path: Path, stages: int = 3) -> None:
    """Publish the store as it is, then `stages` writing stages (a day's documents added, the
    BM25 index refreshed, checkpointed), each followed by its publish; before the last one
    the store file is dropped from the page cache (`POSIX_FADV_DONTNEED`, that file only).
    A copy without a manifest (made by an older version) is never updated in place, so on a
    store published by older code the first two publishes are full copies; from then on an
    older copy is brought up to date in place."""
    from store.fulltext import refresh_search_index
    from store.read_copies import publish_copy
    from store.snapshot import writer_lock, writing

    def timed(label: str) -> None:
        c0 = time.process_time()
        with writer_lock(path, what="scale publish", publish_on_release=False):
            done = publish_copy(path)
        print(f"PUBLISH {label}: {'in place' if done.reused else 'full copy'}, "
              f"{path.stat().st_size / 1e9:.2f} GB store, {done.written:,} of {done.units:,} "
              f"units written ({done.bytes_written / 1e9:.2f} GB) in {done.seconds:.1f} s wall "
              f"(read+check+write {done.copy_s:.1f}, fsync {done.sync_s:.1f}, open check "
              f"{done.check_s:.1f}), {time.process_time() - c0:.1f} s CPU ({done.path.name}) "
              f"load {load()}",
              flush=True)

    timed("store as it is")
    for stage in range(1, stages + 1):
        t0 = time.perf_counter()
        with writing(path, "scale publish stage", publish=False) as con:
            add_day(con, f"pub{time.time_ns()}", DOCS_PER_DAY)
            refresh_search_index(con)
        print(f"STAGE {stage}: {DOCS_PER_DAY:,} documents added, indexed and checkpointed in "
              f"{time.perf_counter() - t0:.1f} s load {load()}", flush=True)
        cold = stage == stages
        if cold:
            fd = os.open(path, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        timed(f"after stage {stage}{', store not in the page cache' if cold else ''}")


def measure_size(path: Path) -> None:
    """Bytes per document of the store file."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    (n,) = con.execute("SELECT count(*) FROM documents").fetchone()
    tables = con.execute("SELECT schema_name || '.' || table_name, estimated_size FROM "
                         "duckdb_tables() ORDER BY estimated_size DESC LIMIT 8").fetchall()
    con.close()
    size = path.stat().st_size
    print(f"SIZE {size / 1e9:.2f} GB for {n:,} documents: {size / n / 1e3:.1f} kB per document; "
          "largest tables (rows): " + ", ".join(f"{t} {r:,}" for t, r in tables), flush=True)


def measure(path: Path, day: date, which: list[str], requests: int) -> None:
    """Run the named measurements in a fixed order (all: every one)."""
    order = ("size", "digest", "search", "draft", "web", "bm25", "publish")
    wanted = set(order) if "all" in which else set(which)
    print(f"store {path}, {os.cpu_count()} cores, load {load()}", flush=True)
    for name in order:
        if name in wanted:
            if name == "web":
                measure_web(path, day, requests)
            elif name == "digest":
                measure_digest(path, day)
            else:
                globals()[f"measure_{name}"](path)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--writer":
        writer_loop(Path(sys.argv[2]))
    else:
        raise SystemExit(__doc__)
