"""The labelled story sets (tests/dev/README.md) as rows for clustering, and their scores.

* ``stories_dev`` / ``stories_heldout``: policy documents (White House, USA TODAY, Federal
  Register), bundled with their text;
* ``stories_notices``: the demo window's templated AD/CVD and Section 337 notices, bundled;
* ``news_dev`` / ``news_heldout``: RTHK English general news. The label file
  (``stories_news_labels.jsonl``) holds ids and labels only; titles and texts are read from
  ../shared/corpus/foreign/ (copyrighted, never bundled), so these two are None without it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "tests" / "dev"
NEWS_LABELS = DEV / "stories_news_labels.jsonl"
RTHK = ROOT.parent / "shared" / "corpus" / "foreign" / "hk-rthk-news.jsonl.gz"
BUNDLED = ("stories_dev", "stories_heldout", "stories_notices")
NEWS = ("news_dev", "news_heldout")
TUNING = ("stories_dev", "news_dev", "stories_notices")  # the only sets settings were chosen on


def _gz(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def news_rows(split: str, corpus: Path = RTHK) -> list[dict] | None:
    """The general-news set's rows of one split ("dev" | "heldout") with their RTHK text;
    None when the RTHK corpus is not there."""
    if not corpus.exists():
        return None
    labels = [json.loads(line) for line in NEWS_LABELS.read_text(encoding="utf-8").splitlines()]
    want = {r["id"]: r["story"] for r in labels if r["split"] == split}
    rows = []
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            if d["id"] in want:
                rows.append({"id": d["id"], "title": d["title"], "text": d["text"] or "",
                             "published_at": d["published"], "url": d["url"],
                             "story": want[d["id"]]})
    return rows


def story_set(name: str) -> list[dict] | None:
    """Rows (id, title, text, published_at, url, story) of a labelled set by name."""
    if name in BUNDLED:
        return _gz(DEV / f"{name}.jsonl.gz")
    if name in NEWS:
        return news_rows(name.split("_", 1)[1])
    raise ValueError(f"unknown story set {name!r}")


def undated(rows: list[dict]) -> list[dict]:
    """The same rows without publication dates (every document 'first seen' at one time)."""
    return [{**r, "published_at": None} for r in rows]
