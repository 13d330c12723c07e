"""zh-TW reading layer: Chinese share of the digest HTML, card slot precision/recall on the
hand-labelled stories, and the card layer's time per story.

    python benchmarks/zhtw.py [--html out/digest-2025-04-03-default-zh-TW.html] [--db data/radar.duckdb]

Chinese share = CJK characters / (CJK characters + Latin words) over the visible text of the
HTML, with elements marked lang="en" (English originals, source titles), URLs, <style> and
<script> left out. Run `make demo` first for the HTML and the store.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
from lxml import html as lxml_html  # noqa: E402

from briefs.reading import story_card  # noqa: E402
from evaluation.cards import evaluate, load_labelled, overall  # noqa: E402
from replay.snapshot import snapshot_index  # noqa: E402
from store.digests import window_stories  # noqa: E402
from zhtw.terms import build_matcher  # noqa: E402

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_URL = re.compile(r"https?://\S+")


def chinese_share(page: str) -> tuple[float, int, int]:
    """(share, CJK characters, Latin words) of an HTML page's visible non-English text."""
    tree = lxml_html.fromstring(page)
    for el in tree.xpath('//*[@lang="en"] | //style | //script | //head'):
        el.drop_tree()
    text = _URL.sub(" ", tree.text_content())
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN_WORD.findall(text))
    return (cjk / (cjk + latin) if cjk + latin else 0.0), cjk, latin


def card_times(db: Path) -> list[float]:
    """Seconds to build the card of every story with documents in the demo's last 30 days."""
    con = duckdb.connect(str(db), read_only=True)
    end = con.execute("SELECT max(first_seen_at) FROM documents").fetchone()[0]
    start = con.execute("SELECT min(first_seen_at) FROM documents").fetchone()[0]
    stories = window_stories(con, start, end, 12)
    matcher = build_matcher()
    times = []
    for st in stories:
        t = time.perf_counter()
        story_card(list(st.members), st.members[0], matcher, ())
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--html", type=Path, default=ROOT / "out/digest-2025-04-03-default-zh-TW.html")
    ap.add_argument("--db", type=Path, default=ROOT / "data/radar.duckdb")
    args = ap.parse_args()

    if args.html.exists():
        share, cjk, latin = chinese_share(args.html.read_text(encoding="utf-8"))
        print(f"chinese share of {args.html.name}: {share:.3f} ({cjk} CJK chars, {latin} Latin words)")
    else:
        print(f"no digest HTML at {args.html} (run make demo)")

    t = time.perf_counter()
    matcher = build_matcher()
    print(f"matcher build: {1000 * (time.perf_counter() - t):.0f} ms")
    items = load_labelled(ROOT / "tests/dev/cards_labelled.jsonl")
    scores, n = evaluate(items, snapshot_index(ROOT / "demo/snapshot"), matcher)
    p, r = overall(scores)
    print(f"card slots on {n} hand-labelled stories: precision {p:.3f}, recall {r:.3f}")
    print(f"{'slot':12s} {'precision':>10s} {'recall':>8s} {'shown':>6s} {'labelled':>9s}")
    for name, s in scores.items():
        print(f"{name:12s} {s.precision:10.3f} {s.recall:8.3f} {s.predicted:6d} {s.labelled:9d}")

    if args.db.exists():
        times = card_times(args.db)
        ms = sorted(1000 * x for x in times)
        p95 = ms[int(0.95 * (len(ms) - 1))]
        print(f"card per story over {len(ms)} stories: median {statistics.median(ms):.1f} ms, "
              f"p95 {p95:.1f} ms, max {ms[-1]:.1f} ms")
        print(f"added to a digest of at most 40 stories (digest.max_stories; the card reads "
              f"<= 3 members each, whatever the store size): <= {40 * p95 / 1000:.3f} s at p95")


if __name__ == "__main__":
    main()
