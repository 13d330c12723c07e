"""Language id measured on real non-US items: accuracy per language, titles alone and title +
lead, for ours (`nlp.language.detect_language`), bare py3langid and lingua; zh-Hant vs zh-Hans.

    .venv/bin/python benchmarks/language.py [--shared ../shared] [--per-file 3000] [--no-lingua]

Reads `../shared/corpus/foreign/*.jsonl.gz` (its README says where each file came from; the
gold language is each item's `lang`): Taiwan presidential office (zh-Hant), RTHK (zh-Hant, en),
EUR-Lex acts, METI (ja), the Korean policy index (ko), EC press corner, WTO, GOV.UK (en).
At most `--per-file` items per file and language, drawn with a fixed seed. The lead is the
first paragraph of `text` (≤ 300 characters); items without text count for titles only.

RTHK text is © RTHK: it is read from ../shared and never written anywhere; only counts are
printed for it (the misread examples come from the other files).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nlp.language import (  # noqa: E402
    SUPPORTED_LANGUAGES,
    chinese_script,
    detect_language,
    load_identifiers,
)

LEAD_CHARS = 300
FILES = {  # file -> short label (the README's sources)
    "tw-president.jsonl.gz": "Taiwan president",
    "hk-rthk-news.jsonl.gz": "RTHK",
    "eu-eurlex-acts.jsonl.gz": "EUR-Lex",
    "jp-meti-rss.jsonl.gz": "METI",
    "kr-policy-monitor.jsonl.gz": "Korea policy index",
    "eu-ec-presscorner-index.jsonl.gz": "EC press corner",
    "wto-news-index.jsonl.gz": "WTO",
    "uk-govuk-news.jsonl.gz": "GOV.UK",
}


def lead(text: str | None) -> str | None:
    """The first non-empty paragraph of a text, cut to LEAD_CHARS."""
    for para in (text or "").split("\n"):
        if para.strip():
            return para.strip()[:LEAD_CHARS]
    return None


def load_items(folder: Path, per_file: int, seed: int) -> list[dict]:
    """Items of every file: label, gold language, title, lead; sampled per file and language."""
    items = []
    for name, label in FILES.items():
        by_lang: dict[str, list[dict]] = defaultdict(list)
        with gzip.open(folder / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                if row.get("title"):
                    by_lang[row["lang"]].append({"file": label, "gold": row["lang"],
                                                 "title": row["title"], "lead": lead(row.get("text"))})
        for lang, rows in sorted(by_lang.items()):
            if len(rows) > per_file:
                rows = random.Random(f"{seed}:{name}:{lang}").sample(rows, per_file)
            items.extend(rows)
    return items


def systems(use_lingua: bool) -> dict:
    """name -> callable(text, declared language) -> language tag ("zh-Hant" where a system
    tells the script). Enrichment passes the source's declared language (sources.yaml) as the
    prior; here the file's language stands for it."""
    ids = load_identifiers()
    out = {
        "ours": lambda t, _: detect_language(t, ids).tag,
        "ours, source language as prior": lambda t, lang: detect_language(t, ids, prior=lang).tag,
        "py3langid (all languages)": lambda t, _: ids.full.classify(t)[0],
    }
    if use_lingua:
        try:
            from lingua import IsoCode639_1, LanguageDetectorBuilder
        except ImportError:
            print("lingua not installed (pip install lingua-language-detector): left out", file=sys.stderr)
        else:
            codes = [getattr(IsoCode639_1, c.upper()) for c in SUPPORTED_LANGUAGES]
            # models loaded before timing: lingua otherwise loads them lazily on first use
            detector = (LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                        .with_preloaded_language_models().build())

            def lingua_tag(text: str, _: str) -> str:
                lang = detector.detect_language_of(text)
                return lang.iso_code_639_1.name.lower() if lang is not None else "und"

            out["lingua (our 11 languages)"] = lingua_tag
    return out


def gold_code(gold: str) -> str:
    """'zh-Hant' -> 'zh' (language accuracy counts the language, the script is apart)."""
    return gold.split("-")[0]


def measure(items: list[dict], detect, field: str) -> dict:
    """Per gold language: n, correct language, confusions; per file; script tags; speed."""
    texts = [(it, it["title"] if field == "title" else f"{it['title']}\n{it['lead']}")
             for it in items if field == "title" or it["lead"]]
    detect("warm-up 暖身", "en")  # loading and caches are not timed
    t0 = time.perf_counter()
    tags = [detect(text, gold_code(it["gold"])) for it, text in texts]
    elapsed = time.perf_counter() - t0
    per_lang: dict[str, Counter] = defaultdict(Counter)
    per_file: dict[tuple, Counter] = defaultdict(Counter)
    confusions: dict[str, Counter] = defaultdict(Counter)
    scripts: dict[str, Counter] = defaultdict(Counter)
    misread = []
    for (it, text), tag in zip(texts, tags, strict=True):
        ok = tag.split("-")[0] == gold_code(it["gold"])
        for c in (per_lang[it["gold"]], per_file[(it["file"], it["gold"])]):
            c["n"] += 1
            c["ok"] += ok
        if not ok:
            confusions[it["gold"]][tag] += 1
            if it["file"] != "RTHK" and len(misread) < 12:
                misread.append((it["file"], tag, text[:70].replace("\n", " / ")))
        if it["gold"].startswith("zh") and tag.startswith("zh"):
            scripts[it["file"]][tag] += 1
    return {"n": len(texts), "per_s": len(texts) / elapsed if elapsed else 0.0,
            "per_lang": per_lang, "per_file": per_file, "confusions": confusions,
            "scripts": scripts, "misread": misread}


def pct(c: Counter) -> str:
    """'99.1 % (n=1,863)'."""
    return f"{100 * c['ok'] / c['n']:.1f} % (n={c['n']:,})" if c["n"] else "–"


def simplified_check(items: list[dict]) -> Counter:
    """zh-Hant titles turned Simplified by OpenCC t2s, then told apart: a consistency check of
    the rule (the same converter writes and reads them), not a measurement on real zh-Hans."""
    import opencc

    t2s = opencc.OpenCC("t2s")
    return Counter(chinese_script(t2s.convert(it["title"])) or "unknown"
                   for it in items if it["gold"] == "zh-Hant")


def report(items: list[dict], use_lingua: bool) -> None:
    """Print the Markdown tables for docs/performance.md."""
    langs = sorted({it["gold"] for it in items})
    results = {(name, field): measure(items, fn, field)
               for name, fn in systems(use_lingua).items() for field in ("title", "title+lead")}
    print("| system | text | " + " | ".join(langs) + " | items/s |")
    print("|---|---|" + "---|" * len(langs) + "---|")
    for (name, field), r in results.items():
        cells = [pct(r["per_lang"][lang]) for lang in langs]
        print(f"| {name} | {field} | " + " | ".join(cells) + f" | {r['per_s']:,.0f} |")
    print(f"\n{len(items):,} items; ≤ {LEAD_CHARS} characters of lead; accuracy = the language "
          "(script apart), n = items with that text")
    ours = results[("ours", "title")], results[("ours", "title+lead")]
    print("\nOurs per file (title / title+lead):\n")
    print("| file | gold | title | title+lead | misread as (title) |")
    print("|---|---|---|---|---|")
    for (file, gold), c in sorted(ours[0]["per_file"].items()):
        both = ours[1]["per_file"].get((file, gold), Counter())
        conf = ", ".join(f"{t} {k}" for t, k in _file_confusions(items, file, gold).most_common(4))
        print(f"| {file} | {gold} | {pct(c)} | {pct(both)} | {conf or '–'} |")
    print("\nChinese script (ours) on zh-Hant items detected as zh:\n")
    print("| file | text | zh-Hant | zh-Hans | zh (script unknown) |")
    print("|---|---|---|---|---|")
    for field, r in (("title", ours[0]), ("title+lead", ours[1])):
        for file, c in sorted(r["scripts"].items()):
            n = sum(c.values())
            print(f"| {file} | {field} | {100 * c['zh-Hant'] / n:.1f} % | {100 * c['zh-Hans'] / n:.1f} % "
                  f"| {100 * c['zh'] / n:.1f} % (n={n:,}) |")
    check = simplified_check(items)
    n = sum(check.values())
    print(f"\nConsistency check, zh-Hant titles converted by OpenCC t2s (n={n:,}): "
          + ", ".join(f"{k} {100 * v / n:.1f} %" for k, v in check.most_common()))
    print("\nMisread titles (not RTHK), ours:")
    for file, tag, text in ours[0]["misread"]:
        print(f"  {file}: {tag}: {text}")


_OURS_CACHE: dict = {}


def _file_confusions(items: list[dict], file: str, gold: str) -> Counter:
    """What our detector read a file's titles as, when not the gold language."""
    if "ids" not in _OURS_CACHE:
        _OURS_CACHE["ids"] = load_identifiers()
    ids = _OURS_CACHE["ids"]
    out = Counter()
    for it in items:
        if it["file"] == file and it["gold"] == gold:
            tag = detect_language(it["title"], ids).code
            if tag != gold_code(gold):
                out[tag] += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--per-file", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--no-lingua", action="store_true")
    args = ap.parse_args()
    folder = args.shared / "corpus" / "foreign"
    if not folder.is_dir():
        sys.exit(f"no {folder}: the foreign corpus lives in ../shared")
    items = load_items(folder, args.per_file, args.seed)
    print(f"{len(items):,} items from {folder} (≤ {args.per_file:,} per file and language, "
          f"seed {args.seed})\n")
    report(items, not args.no_lingua)


if __name__ == "__main__":
    main()
