"""Draw the documents of the entity/tag labelled sample (tests/dev/entities_labelled.jsonl).

Usage (from the project root):
    .venv/bin/python tests/dev/build_entities_sample.py [--out tests/dev/entities_labelled.jsonl]

Documents come from the bundled snapshot (``demo/snapshot/``), with the text the pipeline
stores for them: White House pages rendered by the demo mirror and extracted by
``crawlers.extract.extract_html`` (identical to the demo store's text), Federal Register
documents as title + API abstract. Each row gets ``scope`` = the title, a blank line and the
body up to 1,500 characters in all (what entity extraction read when the sample was labelled;
``nlp.entities.ner_input`` now ends a cut lead between sentences, inside this scope) and
``text`` cut at 20,000 characters (what topic tagging reads). Labels (``mentions``, ``topics``, ``instruments``, ``notes``) are
written by hand; rows already in ``--out`` keep theirs (matched by ``id``). See
tests/dev/README.md, section "Entity and tag labels".
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from crawlers.extract import extract_html  # noqa: E402
from replay.mirror import load_snapshot  # noqa: E402
from replay.mirror_whitehouse import WhiteHouseSite, article_html  # noqa: E402

SCOPE_CHARS = 1500  # config/defaults.toml [nlp] ner_chars when the sample was labelled
TEXT_CHARS = 20000  # nlp/enrich.py gives tag_document the first 20,000 characters
# Chosen because the demo store tagged them 臺灣 (three wrongly: "People’s Republic of China")
# or because they are the reciprocal-tariff story (14 tags, 生技與醫療產業 among them).
TARGETED = [
    "https://www.whitehouse.gov/fact-sheets/2025/04/fact-sheet-president-donald-j-trump-closes-de-minimis-exemptions-to-combat-chinas-role-in-americas-synthetic-opioid-crisis/",
    "https://www.whitehouse.gov/articles/2025/03/icymi-companies-eye-us-expansion-to-lessen-fallout-from-potential-tariffs/",
    "https://www.whitehouse.gov/presidential-actions/2025/04/regulating-imports-with-a-reciprocal-tariff-to-rectify-trade-practices-that-contribute-to-large-and-persistent-annual-united-states-goods-trade-deficits/",
    "https://www.whitehouse.gov/fact-sheets/2025/04/fact-sheet-president-donald-j-trump-declares-national-emergency-to-increase-our-competitive-edge-protect-our-sovereignty-and-strengthen-our-national-and-economic-security/",
    "fr:2025-05617", "fr:2025-05427", "fr:2025-05271", "fr:2025-03826", "fr:2025-03773",
    "fr:2025-03715", "fr:2025-05692", "fr:2025-05693", "fr:2025-05752", "fr:2025-05758",
]
# The Federal Register source of the demo asks the API for these terms (crawlers/sources.yaml,
# fr-trade-technology), so a random draw is taken among the documents that match them.
FR_TERMS = re.compile(
    r"\b(tariffs?|trade|exports?|imports?|semiconductors?|artificial intelligence|technology|"
    r"innovation|research|manufacturing|antidumping|countervailing|supply chain|critical minerals|"
    r"energy|steel|aluminum|investment|customs|entity list|quantum|telecommunications|"
    r"batter(y|ies)|electric vehicle)\b", re.I)
WH_SECTIONS = ("presidential-actions", "fact-sheets", "briefings-statements", "articles")
DRAWS = {"dev": (20250401, 16, 14), "heldout": (20250402, 8, 8)}  # seed, White House, FR


def _wh_text(site: WhiteHouseSite, url: str) -> tuple[str, str]:
    u = urlsplit(url)
    item = site.article(u.netloc, unquote(u.path), datetime(2026, 1, 1, tzinfo=UTC))
    html = article_html(item, item.modified or item.published, tuple(site.sections(u.netloc)))
    ex = extract_html(html, url)
    return ex.title, ex.text


def _scope(title: str, text: str) -> str:
    """Title and lead cut at ``SCOPE_CHARS`` characters (the cut the labels were written on)."""
    lead = text[: max(0, SCOPE_CHARS - len(title))]
    return f"{title}\n\n{lead}" if lead else title


def _row(key: str, split: str, wh_site, wh_by_url, fr_by_id) -> dict:
    if key.startswith("fr:"):
        doc = fr_by_id[key]
        title, text, source = doc["title"], (doc["text"] or "").strip(), "federal_register"
    else:
        doc = wh_by_url[key]
        (title, text), source = _wh_text(wh_site, key), "whitehouse"
    return {"id": doc["id"], "split": split, "source": source, "url": doc["url"],
            "published": doc["published"], "title": title,
            "scope": _scope(title, text), "text": text[:TEXT_CHARS],
            "mentions": [], "topics": [], "instruments": [], "notes": ""}


def draw() -> list[dict]:
    """The sample's rows (unlabelled), targeted documents first, then the random draws."""
    wh, fr = load_snapshot(ROOT / "demo" / "snapshot")
    site = WhiteHouseSite(wh)
    wh_by_url = {d["url"]: d for d in wh}
    fr_by_id = {d["id"]: d for d in fr}
    keys = [("dev", k) for k in TARGETED]
    taken = set(TARGETED)
    wh_pool = sorted(d["url"] for d in wh if d["url"].startswith("https://www.whitehouse.gov/")
                     and urlsplit(d["url"]).path.split("/")[1] in WH_SECTIONS)
    fr_pool = sorted(d["id"] for d in fr if d["text"] and FR_TERMS.search(d["title"] + " " + d["text"]))
    for split, (seed, n_wh, n_fr) in DRAWS.items():
        rng = random.Random(seed)
        for pool, n in ((wh_pool, n_wh), (fr_pool, n_fr)):
            picked = [k for k in rng.sample(pool, n * 3) if k not in taken][:n]
            taken.update(picked)
            keys += [(split, k) for k in picked]
    return [_row(k, split, site, wh_by_url, fr_by_id) for split, k in keys]


def main() -> None:
    """Write the sample, keeping the labels of rows already labelled."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "entities_labelled.jsonl")
    args = ap.parse_args()
    old = {}
    if args.out.exists():
        old = {r["id"]: r for r in map(json.loads, args.out.read_text(encoding="utf-8").splitlines())}
    rows = []
    for row in draw():
        prev = old.get(row["id"])
        if prev:
            row.update({k: prev[k] for k in ("mentions", "topics", "instruments", "notes")})
        rows.append(row)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} documents -> {args.out}")


if __name__ == "__main__":
    main()
