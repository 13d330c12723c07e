"""Build the bundled non-US part of the demo snapshot (``demo/snapshot/foreign/``).

It selects, from the shared foreign corpus (``../shared/corpus/foreign/``), only what each
publisher's reuse terms allow bundling, around the demo's dates (the demo day is 2025-04-03,
its crawl window the month before; the follow-up morning a week later), and writes one
gzipped JSONL file per source plus a README with source, licence and attribution per file.

RTHK news is never read here: it is copyrighted news (© 香港電台 RTHK) and stays in
``../shared``. The WTO index is not bundled either (www.wto.org's robots.txt refuses every
crawler, and its terms of use were not checked); the mirror only serves that robots.txt.
Korean news-outlet teasers are left out (copyrighted news); the ministries' own press-release
index (titles, dates, links) is kept.

Output is byte-for-byte reproducible (records sorted by id, keys sorted, gzip mtime 0), like
``replay.build_snapshot``. Usage::

    .venv/bin/python -m replay.foreign_snapshot [--corpus ../shared/corpus/foreign] [--out demo/snapshot/foreign]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT_ROOT.parent / "shared" / "corpus" / "foreign"
DEFAULT_OUT = PROJECT_ROOT / "demo" / "snapshot" / "foreign"
FIELDS = ("id", "source", "publisher", "country", "url", "title", "published", "lang", "text",
          "repo", "repo_path", "repo_commit", "license")
# Never bundled, whatever a caller asks (the corpus README's licence column).
FORBIDDEN_INPUTS = ("hk-rthk-news.jsonl.gz",)


@dataclass(frozen=True)
class ForeignFile:
    """One bundled file: where it comes from, what is kept, and on which terms."""

    name: str
    input: str
    keep: Callable[[dict], bool]
    licence: str
    attribution: str
    what: str


def _between(first: str, last: str) -> Callable[[dict], bool]:
    return lambda r: first <= str(r.get("published") or "")[:10] <= last


def _tw_keep(r: dict) -> bool:
    # 13 corpus items have no text (the page had none): nothing to serve or to read.
    return _between("2025-02-15", "2025-04-30")(r) and bool(r.get("text"))


FILES = (
    ForeignFile(
        name="tw-president",
        input="tw-president.jsonl.gz",
        keep=_tw_keep,
        licence="Works published in the name of a government agency may be reproduced within a "
        "reasonable scope with the source cited (ROC Copyright Act, arts. 50 and 64); Taiwan's "
        "government sites publish the 政府網站資料開放宣告 (free reuse with attribution). The "
        "presidential office's own notice was not fetched from this machine: only two and a half "
        "months of news are bundled, each item with its URL.",
        attribution="資料來源：中華民國總統府 (https://www.president.gov.tw/)",
        what="總統府新聞, full text (zh-Hant), 2025-02-15 … 2025-04-30: the April 2025 "
        "responses to the US reciprocal tariffs among them",
    ),
    ForeignFile(
        name="eu-eurlex-acts",
        input="eu-eurlex-acts.jsonl.gz",
        keep=lambda r: r["id"] in ("eu-eurlex-32024R1689", "eu-eurlex-32011L0083"),
        licence="EU legislation: reuse authorised provided the source is acknowledged (EUR-Lex "
        "legal notice; Commission Decision 2011/833/EU)",
        attribution="Source: EUR-Lex, © European Union, https://eur-lex.europa.eu/",
        what="the AI Act (Regulation (EU) 2024/1689, OJ 2024-07-12) and the consolidated "
        "Consumer Rights Directive 2011/83/EU, full text (en); footnotes dropped upstream",
    ),
    ForeignFile(
        name="jp-meti-atom",
        input="jp-meti-rss.jsonl.gz",
        keep=lambda r: True,
        licence="METI website terms of use (政府標準利用規約; compatible with CC BY 4.0): reuse "
        "with the source cited; not fetched from this machine",
        attribution="出典：経済産業省ウェブサイト (https://www.meti.go.jp/)",
        what="経済産業省 news-release Atom entries (ja): title, link, updated and the feed's own "
        "summary (not full text), 2025-04-06 … 2025-05-01",
    ),
    ForeignFile(
        name="eu-ec-presscorner-index",
        input="eu-ec-presscorner-index.jsonl.gz",
        keep=_between("2024-07-01", "2025-04-30"),
        licence="Commission content: reuse authorised provided the source is acknowledged "
        "(Commission Decision 2011/833/EU; CC BY 4.0 since Decision C(2019) 1655); the upstream "
        "index itself is CC0",
        attribution="Source: European Commission, © European Union, https://ec.europa.eu/commission/presscorner/",
        what="press-release index (en): title, date, URL; no text; the upstream keyword-filtered "
        "subset, 2024-07 … 2025-04",
    ),
    ForeignFile(
        name="uk-govuk-news",
        input="uk-govuk-news.jsonl.gz",
        keep=lambda r: True,
        licence="Open Government Licence v3.0 (GOV.UK content, except where otherwise stated)",
        attribution="Contains public sector information licensed under the Open Government "
        "Licence v3.0 (https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/)",
        what="20 GOV.UK news items of 2024-10-15 (en), full text as extracted upstream "
        "(paragraphs run together)",
    ),
    ForeignFile(
        name="kr-press-index",
        input="kr-policy-monitor.jsonl.gz",
        keep=lambda r: str(r.get("source") or "").startswith("press_release"),
        licence="Korean ministries' press-release titles, dates and links only (KOGL / 공공누리 "
        "terms of each ministry not checked here); news-outlet teasers are NOT bundled",
        attribution="출처: 대한민국 정부 각 부처 보도자료 (each item's URL)",
        what="ministries' press-release index (ko): title, date, URL, no text; dates are 2026 "
        "(2026-05 … 2026-08), so the 2025 demo never shows them; the mirror tests do",
    ),
)


def read_jsonl_gz(path: Path) -> Iterator[dict]:
    """Yield one dict per line of a gzipped JSONL file."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def encode(records: list[dict]) -> bytes:
    """Deterministic gzipped JSONL (keys sorted, gzip mtime 0)."""
    lines = (json.dumps(r, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for r in records)
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0)


def select(spec: ForeignFile, corpus: Path) -> list[dict]:
    """The records of one bundled file, sorted by id.

    Raises:
        ValueError: If the input is a forbidden (never bundled) file, or ids repeat.
    """
    if spec.input in FORBIDDEN_INPUTS:
        raise ValueError(f"{spec.input} must never be bundled")
    out = [{k: r.get(k) for k in FIELDS} for r in read_jsonl_gz(corpus / spec.input) if spec.keep(r)]
    out.sort(key=lambda r: r["id"])
    ids = [r["id"] for r in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate ids in {spec.input}")
    return out


def readme(stats: dict[str, dict]) -> str:
    """The README of the bundled foreign files: source, licence and attribution per file."""
    rows, terms = [], []
    for spec in FILES:
        s = stats[spec.name]
        rows.append(f"| `{spec.name}.jsonl.gz` | {s['count']:,} | {s['first']} … {s['last']} | "
                    f"{s['bytes']:,} | {s['origin']} | {spec.what} |")
        terms.append(f"* `{spec.name}.jsonl.gz` — licence: {spec.licence}. Attribution: {spec.attribution}.")
    return "\n".join([
        "# Demo snapshot: non-US sources (real public documents)",
        "",
        "Built by `replay/foreign_snapshot.py` from `../shared/corpus/foreign/` (see its README); "
        "rebuilding gives identical bytes. Served by the loopback mirror in the real sites' feed "
        "and page shapes (`replay/mirror_foreign.py`) and crawled by `make demo`.",
        "",
        "Only what the publisher's terms allow is bundled, each record with its `url`, dates and "
        "provenance (`repo`, `repo_commit`, `repo_path`, upstream `license` note). **RTHK news is "
        "never bundled** (© 香港電台 RTHK; benchmarks read it from `../shared`). The WTO index is "
        "not bundled (robots.txt of www.wto.org disallows every path; its terms were not checked): "
        "the mirror serves only that robots.txt, so the demo shows the WTO source as blocked.",
        "",
        "| file | docs | published | bytes | from (repo @ commit) | contents |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "## Licence and attribution per file",
        "",
        *terms,
        "",
        "Format: gzipped JSONL, one JSON object per line, keys sorted, lines sorted by `id`, "
        f"keys `{', '.join(FIELDS)}` (the shared corpus schema).",
        "",
    ])


def build(corpus: Path, out: Path) -> dict[str, dict]:
    """Write every bundled foreign file and the README; return per-file statistics."""
    out.mkdir(parents=True, exist_ok=True)
    stats: dict[str, dict] = {}
    for spec in FILES:
        records = select(spec, corpus)
        data = encode(records)
        tmp = out / f"{spec.name}.jsonl.gz.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, out / f"{spec.name}.jsonl.gz")
        dates = sorted(str(r.get("published") or "")[:10] for r in records)
        origins = sorted({f"{r['repo']} @ {r['repo_commit']}" for r in records if r.get("repo")})
        stats[spec.name] = {"count": len(records), "bytes": len(data),
                            "first": dates[0] if dates else "", "last": dates[-1] if dates else "",
                            "origin": "; ".join(origins)}
    (out / "README.md").write_text(readme(stats), encoding="utf-8")
    return stats


def main() -> None:
    """Command-line entry point: build the files and print counts and sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    for name, s in build(args.corpus, args.out).items():
        print(f"{name + '.jsonl.gz':32} {s['count']:>6,} docs {s['bytes']:>10,} bytes  {s['first']} … {s['last']}")


if __name__ == "__main__":
    main()
