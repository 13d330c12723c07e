"""As-of truth in drafts, measured on a store of the bundled 2025 snapshot: the de minimis
steps a draft dated 2025-08-01 lists, the rates its summary states, whether English and
Chinese requests give the same timeline, and the issue's examples (a draft dated before a
rate change or a pause, a number that matches only as a number, requests for comment, Taiwan
figures and the store's reach).

The store holds every snapshot document the registry's sources keep (White House and Federal
Register, as the demo crawl stores them), up to --until; search index only (no embeddings:
drafts search by BM25, so the figures do not depend on a model).

Usage:
    nice -n 10 .venv/bin/python benchmarks/asof.py                      # builds a store in /tmp
    nice -n 10 .venv/bin/python benchmarks/asof.py --db /tmp/asof.duckdb  # keep / reuse it
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SNAPSHOT = ROOT / "demo" / "snapshot"
STEPS = {  # the seven steps of US de minimis policy to 2025-08-01: (days, URL key)
    "20 Jan trade memo": ((date(2025, 1, 20),), "/2025/01/america-first-trade-policy/"),
    "1 Feb order": ((date(2025, 2, 1),), "supply-chain-in-the-peoples-republic-of-china/"),
    "5 Feb pause": ((date(2025, 2, 5),), "2025/02/amendment-to-duties-addressing-the-synthetic"),
    "2 Apr order (2 May)": ((date(2025, 4, 2),), "china-as-applied-to-low-value-imports/"),
    "8-9 Apr rises": ((date(2025, 4, 8), date(2025, 4, 9)),
                      "amendment-to-recipricol-tariffs-and-updated-duties"),
    "12 May cut": ((date(2025, 5, 12),), "reflect-discussions-with-the-peoples-republic-of-china"),
    "30 Jul suspension": ((date(2025, 7, 30),), "suspending-duty-free-de-minimis-treatment-for"),
}
SAME_TIMELINE = ("de minimis", "微量免稅", "小額包裹免稅", "小額包裹", "微量", "美國取消小額包裹免稅",
                 "美國取消中國小額包裹免稅", "US ends de minimis for Chinese parcels")


def build_store(path: Path, until: str) -> int:
    """Every snapshot document published by `until` that the registry's sources keep."""
    from crawlers.registry import load_registry
    from replay.snapshot_docs import snapshot_documents
    from store.db import connect
    from store.documents import upsert_document, upsert_sources
    from store.fulltext import refresh_search_index

    con = connect(path)
    reg = load_registry()
    upsert_sources(con, reg.sources)
    n = 0
    for doc in snapshot_documents(SNAPSHOT, reg, keep=lambda r: r["published"][:10] <= until):
        upsert_document(con, doc)
        n += 1
    refresh_search_index(con)
    con.close()
    return n


def _draft(con, settings, query: str, until: str):
    from commentary.draft import write_commentary
    from commentary.render import render_markdown

    t0 = time.perf_counter()
    draft = write_commentary(con, None, settings, query, until=until, save=False)
    return draft, render_markdown(draft), time.perf_counter() - t0


def _section(md: str, heading: str) -> str:
    return md.split(f"## {heading}")[1].split("\n## ")[0] if f"## {heading}" in md else ""


def run(db: Path | None, until: str) -> None:
    """Build (or reuse) the store, then print the figures."""
    from config.settings import load_settings
    from store.db import connect

    tmp = tempfile.TemporaryDirectory()
    path = db or Path(tmp.name) / "asof.duckdb"
    if not path.exists():
        t0 = time.perf_counter()
        n = build_store(path, until)
        print(f"store built: {n:,} documents published by {until} in "
              f"{time.perf_counter() - t0:.0f} s")
    settings = load_settings(db_path=path, out_dir=Path(tmp.name) / "out")
    con = connect(path)
    urls = dict(con.execute("SELECT id, url FROM documents").fetchall())
    print(f"store: {len(urls):,} documents")

    draft, md, secs = _draft(con, settings, "de minimis", "2025-08-01")
    found = []
    for name, (days, key) in STEPS.items():
        events = [e for e in draft.timeline if e.day in days
                  and any(key in urls[d] for d in e.statement.doc_ids)]
        if events:
            e = events[0]
            found.append(name)
            print(f"  {name:22s} {e.day}  {e.status:15s} {e.instrument or '-'}")
        else:
            print(f"  {name:22s} MISSING")
    print(f"DE MINIMIS as of 2025-08-01: {len(found)}/7 steps with instrument and date; "
          f"{len(draft.timeline)} timeline events, {len(draft.references)} sources, "
          f"{secs:.1f} s; claim check removed {len(draft.check.removed)}/{draft.check.checked}")
    rates = [x for x in _section(md, "一、事件摘要").splitlines() if "稅率" in x and x.startswith("- ")]
    print("  summary: " + ("\n  summary: ".join(x[:160] for x in rates) if rates else "NO RATES"))

    base = None
    same = 0
    for q in SAME_TIMELINE:
        d, _, _ = _draft(con, settings, q, "2025-08-01")
        tl = [(e.day, e.status, e.statement) for e in d.timeline]
        base = tl if base is None else base
        same += tl == base
        print(f"  {q:40s} -> {d.inputs.search_query!r}: {len(tl)} events, "
              f"{'same' if tl == base else 'DIFFERENT'}")
    print(f"SAME TIMELINE: {same}/{len(SAME_TIMELINE)} queries give the English query's timeline")

    _, md, _ = _draft(con, settings, "de minimis", "2025-05-15")
    now = [x for x in _section(md, "一、事件摘要").splitlines() if x.startswith("- 現行稅率")]
    print(f"AS OF 2025-05-15 (de minimis): {now[0][:120] if now else 'no rates line'}")
    _, md, _ = _draft(con, settings, "reciprocal tariffs", "2025-04-10")
    status = [x for x in _section(md, "一、事件摘要").splitlines() if x.startswith("- 基準日現況")]
    print(f"AS OF 2025-04-10 (reciprocal tariffs): {status[0][:120] if status else 'no status'}")
    try:
        d, md, _ = _draft(con, settings, "Reciprocal tariffs Taiwan 32%", "2025-04-10")
        wrong = sum("32 bilateral" in s.text for s in (*d.summary, *d.background, *(
            f.statement for f in d.facts)))
        print(f"NUMBER ONLY ('Reciprocal tariffs Taiwan 32%'): {wrong} sentences on the 1934-45 "
              f"'32 bilateral reciprocal trade agreements' ({len(d.references)} sources cited)")
    except Exception as exc:  # the store may have nothing: say so
        print(f"NUMBER ONLY: no draft ({exc})")
    d, md, _ = _draft(con, settings, "Section 232 semiconductors", "2025-09-30")
    comments = [e for e in d.timeline if e.status == "comment_requested"]
    signed = [e for e in d.timeline if e.status == "comment_requested" and e.certainty == "signed"]
    print(f"SECTION 232 SEMICONDUCTORS (2025-09-30): {len(d.timeline)} events, "
          f"{sum('semiconductor' in e.statement.text.lower() for e in d.timeline)} quoting "
          f"semiconductors; {len(comments)} requests for comment labelled 徵求意見, "
          f"{len(signed)} as signed")
    late = 0
    for q, day in (("reciprocal tariffs", "2025-02-20"), ("reciprocal tariffs", "2025-04-10"),
                   ("semiconductors", "2025-04-20"), ("de minimis", "2025-03-01")):
        d, _, _ = _draft(con, settings, q, day)
        figs = [f for i in d.implications for f in i.figures]
        late += sum(1 for f in figs if f.released and f.released > date.fromisoformat(day))
        print(f"  figures in {q!r} as of {day}: "
              f"{', '.join(sorted({f.label for f in figs})) or 'none'}")
    print(f"TAIWAN FIGURES published after the draft's date: {late}")
    last = con.execute("SELECT max(coalesce(published_at, first_seen_at)) FROM documents"
                       ).fetchone()[0]
    d, _, _ = _draft(con, settings, "de minimis", "2026-03-01")
    warned = [n for n in d.notes if n.startswith("⚠")]
    print(f"REACH: store ends {last:%Y-%m-%d}; a draft dated 2026-03-01 "
          f"{'warns: ' + warned[0][:70] if warned else 'DOES NOT WARN'}")
    con.close()
    tmp.cleanup()


def main() -> None:
    """Parse arguments and run."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", type=Path, default=None, help="keep/reuse the store at this path")
    ap.add_argument("--until", default="2025-12-31", help="last publication day kept")
    args = ap.parse_args()
    run(args.db, args.until)


if __name__ == "__main__":
    main()
