"""Document samples the enrichment benchmarks run on (benchmarks/enrich.py, fanout.py).

Real documents only: ``corpus_sample`` and ``rthk_sample`` read ../shared/corpus (never
bundled), ``demo_sample`` the bundled demo/snapshot (US and foreign, several languages).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
SNAPSHOT = ROOT / "demo" / "snapshot"


def read_gz(path: Path) -> list[dict]:
    """Rows of a gzipped JSONL file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def corpus_sample(n: int, seed: int = 3) -> list[dict]:
    """n real documents: White House archive, USA TODAY and Federal Register (with text)."""
    rng = np.random.default_rng(seed)
    docs = []
    for name, src in (("whitehouse_archive_2024_2025.jsonl.gz", "wh"),
                      ("whitehouse_presidential_actions_usatoday_2025.jsonl.gz", "usat"),
                      ("federal_register_abstracts_2024_2025.jsonl.gz", "fr")):
        for d in read_gz(CORPUS / name):
            docs.append({"id": d["id"], "title": d["title"], "text": d.get("text") or "",
                         "published_at": d.get("published"), "url": d["url"], "source": src})
    idx = rng.choice(len(docs), size=min(n, len(docs)), replace=False)
    return [docs[i] for i in sorted(idx)]


def rthk_sample(n: int, seed: int = 4) -> list[dict]:
    """n real RTHK items (Chinese and English services) from ../shared, never bundled."""
    path = CORPUS / "foreign" / "hk-rthk-news.jsonl.gz"
    if n <= 0 or not path.exists():
        return []
    docs = [{"id": d["id"], "title": d["title"], "text": d.get("text") or "",
             "published_at": d.get("published"), "url": d["url"], "source": "rthk"}
            for d in read_gz(path)]
    idx = np.random.default_rng(seed).choice(len(docs), size=min(n, len(docs)), replace=False)
    return [docs[i] for i in sorted(idx)]


def demo_sample(n: int, seed: int = 7) -> list[dict]:
    """n bundled documents (demo/snapshot), a mix of kinds and languages, drawn with a seed:
    a quarter from the foreign items (556 in all: zh-TW, ja, ko, EU and UK English; all of them
    once n >= 2,224), the rest in equal parts from the White House pages (with USA TODAY's
    copies) and the Federal Register abstracts."""
    rng = np.random.default_rng(seed)

    def rows(path: Path) -> list[dict]:
        return [{"id": d["id"], "title": d["title"], "text": d.get("text") or "",
                 "published_at": d.get("published"), "url": d["url"]} for d in read_gz(path)]

    def draw(pool: list[dict], k: int) -> list[dict]:
        idx = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
        return [pool[i] for i in sorted(idx)]

    foreign = [r for f in sorted((SNAPSHOT / "foreign").glob("*.jsonl.gz")) for r in rows(f)]
    foreign = draw(foreign, n // 4)
    wh = rows(SNAPSHOT / "whitehouse.jsonl.gz") + rows(SNAPSHOT / "usatoday.jsonl.gz")
    fr = rows(SNAPSHOT / "federal_register.jsonl.gz")
    rest = n - len(foreign)
    return draw(wh, rest - rest // 2) + draw(fr, rest // 2) + foreign
