"""Extraction quality per language: token F1 of the project's extractor (trafilatura, via
`crawlers.extract.extract_page`) against the known text, for de, zh-Hant, ja, ko, fr, en.

    nice -n 10 .venv/bin/python benchmarks/extraction_languages.py [--shared ../shared] [--per-source 60]

Pages and their reference text:

* de — the recorded real pages (tests/fixtures/foreign: a BMBF press release, a BMBF topic page,
  a BMWK news page). Reference = the text of the page's body container as I read it (BMBF
  `.s-richtext`, BMWK `.rich-text`): headline, dateline, navigation and "share" links are not
  part of it. Three pages only.
* zh-Hant, ja, ko, en — corpus texts rendered through the loopback mirror's pages
  (replay/mirror_foreign.py): 總統府 news in the president.gov.tw article shape; METI leads (ja),
  Korean news teasers (ko, read from ../shared, never bundled), GOV.UK items and EUR-Lex acts (en)
  in the mirror's plain article shape; RTHK zh-Hant/en items are added when ../shared has them
  (© RTHK: read here, nothing of them is written or printed but counts and scores).
  Reference = the corpus text itself.
* fr — no French text exists in the shared corpus or the recordings: reported as not measured.

Tokens: for Chinese, Japanese and Korean, every Han, kana or Hangul character is one token
(no segmenter, so the score does not depend on one); Latin-script runs are lower-cased words
(`\\w+`) in every language. F1 is over token multisets (bag of tokens), per page, then averaged.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from config.errors import BadInputError  # noqa: E402
from crawlers.extract import extract_page  # noqa: E402
from replay.mirror_foreign import (  # noqa: E402
    ForeignItem,
    generic_article,
    load_foreign,
    president_article,
    published_instant,
)

FIXTURES = ROOT / "tests" / "fixtures" / "foreign"
GERMAN = (  # recorded page, its URL, the body container I read as the article
    ("bmftr-press/bmbf-pressemitteilung-2022-01-26-260122-Directions.html",
     "https://www.bmbf.de/bmbf/shareddocs/pressemitteilungen/de/2022/01/260122-Directions.html", ".s-richtext"),
    ("bmftr-press/bmbf-themenseite-energiewende-und-nachhaltiges-wirtschaften.html",
     "https://www.bmbf.de/bmbf/de/forschung/energiewende-und-nachhaltiges-wirtschaften/energiewende-und-nachhaltiges-wirtschaften.html",
     ".s-richtext"),
    ("bmwk-press/bmwi-meldung-2022-01-24-foerderung-energieeffiziente-gebaeude.html",
     "https://www.bmwi.de/Redaktion/DE/Pressemitteilungen/2022/01/20220124-foerderung.html", ".rich-text"),
)
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
LANGS = ("de", "zh-Hant", "ja", "ko", "fr", "en")


def tokens(text: str) -> Counter:
    """CJK characters one by one, other word runs lower-cased."""
    return Counter(t.lower() for t in _TOKEN.findall(text or ""))


def f1(got: str, want: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of the extracted text's tokens against the reference's."""
    g, w = tokens(got), tokens(want)
    common = sum((g & w).values())
    if not g or not w or not common:
        return 0.0, 0.0, 0.0
    p, r = common / sum(g.values()), common / sum(w.values())
    return p, r, 2 * p * r / (p + r)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def cases(shared: Path, per_source: int, seed: int = 14):
    """(language, label, html bytes, url, reference text) for every measured page."""
    rng = random.Random(seed)
    for name, url, selector in GERMAN:
        body = (FIXTURES / name).read_bytes()
        ref = " ".join(lxml.html.fromstring(body).cssselect(selector)[0].text_content().split())
        yield "de", name.split("/")[0], body, url, ref
    bundled = [it for it in load_foreign(ROOT / "demo" / "snapshot") if it.doc.get("text")]
    by_label: dict[str, list[ForeignItem]] = defaultdict(list)
    for it in bundled:
        by_label[it.doc["id"].split("-")[0] + "-" + it.doc["id"].split("-")[1]].append(it)
    foreign = shared / "corpus" / "foreign"
    for doc in _read(foreign / "kr-policy-monitor.jsonl.gz"):
        if doc.get("text") and str(doc.get("source", "")).startswith("news"):
            by_label["kr-news"].append(ForeignItem(doc, "news.example.kr", "/", published_instant(doc)))
    for doc in _read(foreign / "hk-rthk-news.jsonl.gz"):
        if doc.get("text"):
            by_label[f"rthk-{doc['lang']}"].append(ForeignItem(doc, "news.rthk.hk", "/", published_instant(doc)))
    for label in sorted(by_label):
        items = sorted(by_label[label], key=lambda it: it.doc["id"])
        for it in rng.sample(items, min(per_source, len(items))):
            lang = it.doc.get("lang") or "en"
            html = president_article(it) if label == "tw-president" else generic_article(it, lang, label)
            yield lang, label, html.encode("utf-8"), it.url, it.doc["text"]


def run(shared: Path, per_source: int) -> dict[str, dict]:
    """Scores per language (and per source label)."""
    scores: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    labels: dict[str, set[str]] = defaultdict(set)
    empty: Counter = Counter()
    started = time.perf_counter()
    pages = 0
    for lang, label, body, url, ref in cases(shared, per_source):
        pages += 1
        try:
            got = extract_page(body, url, "text/html; charset=utf-8").text
        except BadInputError:
            got = ""
        if not got.strip():
            empty[lang] += 1
        scores[lang].append(f1(got, ref))
        labels[lang].add(label)
    elapsed = time.perf_counter() - started
    out = {}
    for lang in LANGS:
        rows = scores.get(lang, [])
        if not rows:
            out[lang] = None
            continue
        out[lang] = {"pages": len(rows), "sources": sorted(labels[lang]),
                     "precision": statistics.fmean(r[0] for r in rows),
                     "recall": statistics.fmean(r[1] for r in rows),
                     "f1": statistics.fmean(r[2] for r in rows),
                     "f1_median": statistics.median(r[2] for r in rows),
                     "empty": empty[lang]}
    out["_run"] = {"pages": pages, "seconds": elapsed}
    return out


def main() -> None:
    """Print the table (Markdown) and the run's size and time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--per-source", type=int, default=60)
    args = parser.parse_args()
    result = run(args.shared, args.per_source)
    print("| language | pages | sources | precision | recall | token F1 (mean) | F1 median | empty |")
    print("|---|---|---|---|---|---|---|---|")
    for lang in LANGS:
        r = result[lang]
        if r is None:
            print(f"| {lang} | 0 | — | not measured: no text in this language in the corpus or recordings | | | | |")
            continue
        print(f"| {lang} | {r['pages']} | {', '.join(r['sources'])} | {r['precision']:.3f} | {r['recall']:.3f} "
              f"| {r['f1']:.3f} | {r['f1_median']:.3f} | {r['empty']} |")
    run_ = result["_run"]
    print(f"\n{run_['pages']} pages in {run_['seconds']:.1f} s "
          f"({1000 * run_['seconds'] / max(run_['pages'], 1):.0f} ms/page)")


if __name__ == "__main__":
    main()
