"""Crawl and extraction benchmark over the loopback mirror (prints numbers; not a test).

Crawl: the mirror runs in its own process (python -m replay.mirror) as of 2025-12-31, and
the real crawl code (Scrapy sitemap and listing spiders in subprocesses, httpx feeds and
Federal Register API clients, extraction, DuckDB writes) collects every 2025 White House page
twice (once by sitemap, once by section listings, into separate stores) plus section feeds and
API pages. Pages/s counts every successful HTTP response stored, wall clock, ingest included.

Extraction: the same real pages (the snapshot's White House texts rendered by the mirror),
our `extract_html` against plain trafilatura in the same run, best of several alternating
rounds; quality (token F1, ROUGE-L) on the held-out half against trafilatura's settings.

    .venv/bin/python benchmarks/crawl.py [--quick]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.settings import load_settings  # noqa: E402
from crawlers.crawl import CrawlWindow, crawl  # noqa: E402
from crawlers.registry import Registry, Source, load_registry  # noqa: E402
from store.db import opened  # noqa: E402

SNAPSHOT = ROOT / "demo" / "snapshot"
AS_OF = "2025-12-31T23:00:00-05:00"
WH_SECTIONS = ["presidential-actions", "fact-sheets", "briefings-statements", "articles",
               "remarks", "research"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bench_registry() -> Registry:
    """The shipped WH sitemap/listing/API sources plus one WordPress feed per WH section."""
    reg = load_registry()
    listing = reg.get("wh-presidential-actions")
    extra = [listing.model_copy(update={"id": f"bench-{s}", "url": f"https://www.whitehouse.gov/{s}/",
                                        "max_pages": 200}) for s in WH_SECTIONS]
    feeds = [Source(id=f"bench-feed-{s}", name=s, publisher="The White House", country="US",
                    language="en", kind="feed", url=f"https://www.whitehouse.gov/{s}/feed/",
                    timezone="America/New_York", verified="recorded: mirror") for s in WH_SECTIONS]
    sitemap = reg.get("wh-sitemap").model_copy(update={"max_pages": 200, "sitemap_rules": []})
    return Registry(sources=[sitemap, *extra, *feeds, reg.get("fr-trade-technology"),
                             reg.get("fr-public-inspection")])


def _phase(name: str, settings, registry: Registry, ids: list[str], window: CrawlWindow) -> tuple[int, float]:
    with opened(settings.db_path) as con:
        before = con.execute("SELECT count(*) FROM fetches WHERE status = 200").fetchone()[0]
        t0 = time.perf_counter()
        counts = crawl(con, settings, registry, ids, window)
        wall = time.perf_counter() - t0
        pages = con.execute("SELECT count(*) FROM fetches WHERE status = 200").fetchone()[0] - before
        errors = con.execute("SELECT count(*) FROM item_errors").fetchone()[0]
    print(f"  {name:<34} {pages:>5} pages in {wall:6.1f} s = {pages / wall:6.1f} pages/s "
          f"(new {counts.outcomes.get('new', 0)}, errors {errors})", flush=True)
    return pages, wall


def bench_crawl(quick: bool) -> None:
    """Crawl the mirror: sitemap, listings, feeds, API."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "replay.mirror", "--snapshot", str(SNAPSHOT),
                             "--as-of", AS_OF, "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        proc.stdout.readline()  # "mirror of ... at ..." once it is serving
        hosts = ["www.whitehouse.gov", "www.federalregister.gov", "public-inspection.federalregister.gov"]
        host_map = {h: f"http://127.0.0.1:{port}/{h}" for h in hosts}
        registry = _bench_registry()
        until = datetime.fromisoformat(AS_OF)
        since = datetime.fromisoformat("2025-11-01T00:00:00-05:00") if quick else None
        window = CrawlWindow(since=since, until=until, replay=True)
        total_pages = total_wall = 0.0
        with tempfile.TemporaryDirectory() as tmp:
            for name, ids in [("sitemap (whitehouse.gov)", ["wh-sitemap"]),
                              ("listings (6 sections, paginated)", [f"bench-{s}" for s in WH_SECTIONS]),
                              ("feeds (6 section feeds)", [f"bench-feed-{s}" for s in WH_SECTIONS]),
                              ("API (FR search + public inspection)",
                               ["fr-trade-technology", "fr-public-inspection"])]:
                db = Path(tmp) / f"{name.split()[0]}.duckdb"  # separate stores: no dedup between
                settings = load_settings(db_path=db, spool_dir=Path(tmp) / "spool",
                                         crawl={"host_map": host_map, "per_host_delay_s": 0.0})
                win = window if "API" not in name else CrawlWindow(
                    since=datetime.fromisoformat("2025-12-01T00:00:00-05:00"), until=until, replay=True)
                pages, wall = _phase(name, settings, registry, ids, win)
                total_pages += pages
                total_wall += wall
        print(f"  {'total':<34} {int(total_pages):>5} pages in {total_wall:6.1f} s = "
              f"{total_pages / total_wall:6.1f} pages/s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bench_extract(quick: bool) -> None:
    """Ours vs plain trafilatura on the same real pages: docs/s and held-out quality."""
    import trafilatura

    from crawlers.extract import extract_html
    from evaluation.extraction import score, snapshot_pages

    pages = list(snapshot_pages(SNAPSHOT, heldout=None, limit=300 if quick else None))
    ct = "text/html; charset=UTF-8"
    runs = {
        "ours (extract_html)": lambda p: extract_html(p.html, p.url, ct).text,
        "trafilatura, same settings": lambda p: trafilatura.extract(
            p.html.decode("utf-8"), url=p.url, favor_precision=True, include_tables=True) or "",
        "trafilatura default": lambda p: trafilatura.extract(p.html.decode("utf-8"), url=p.url) or "",
        "trafilatura default + metadata": lambda p: trafilatura.bare_extraction(
            p.html.decode("utf-8"), url=p.url, with_metadata=True).text or "",
    }
    for fn in runs.values():  # warm-up
        for p in pages[:20]:
            fn(p)
    best = {name: float("inf") for name in runs}
    for _ in range(2 if quick else 3):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            for p in pages:
                fn(p)
            best[name] = min(best[name], time.perf_counter() - t0)
    base = best["trafilatura, same settings"]
    print(f"  {len(pages)} real pages, best of alternating rounds")
    for name, secs in best.items():
        print(f"  {name:<32} {len(pages) / secs:7.1f} docs/s  (ours vs this: "
              f"{(best['ours (extract_html)'] / secs - 1) * 100:+5.1f} %)")
    print(f"  our overhead over plain trafilatura with the same settings: "
          f"{(best['ours (extract_html)'] / base - 1) * 100:+.1f} % (limit +15 %)")
    heldout = list(snapshot_pages(SNAPSHOT, heldout=True, limit=200 if quick else None))
    print(f"  quality on {len(heldout)} held-out pages (reference = snapshot text):")
    settings = {"ours (extract_html)": runs["ours (extract_html)"]}
    for label, kw in (("trafilatura default", {}), ("trafilatura favor_precision", {"favor_precision": True}),
                      ("trafilatura favor_recall", {"favor_recall": True})):
        settings[label] = lambda p, kw=kw: trafilatura.extract(p.html.decode("utf-8"), url=p.url, **kw) or ""
    for label, fn in settings.items():
        s = score(fn, heldout)
        print(f"  {label:<32} token F1 {s['token_f1']:.4f}  ROUGE-L {s['rouge_l']:.4f}")


def main() -> None:
    """Run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (smoke test)")
    args = parser.parse_args()
    print("crawl (loopback mirror, real crawler):", flush=True)
    bench_crawl(args.quick)
    print("extraction:", flush=True)
    bench_extract(args.quick)


if __name__ == "__main__":
    main()
