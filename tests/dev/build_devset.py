"""Build the labelled development sets under tests/dev/ from the shared real corpus.

Usage (from the project root):
    .venv/bin/python tests/dev/build_devset.py [--corpus ../shared/corpus] [--review review.txt]

Writes
* ``stories_dev.jsonl.gz``: documents assigned to hand-curated stories (tuning set) plus
  unrelated distractor documents (each its own story; copies of one page share it);
* ``stories_heldout.jsonl.gz``: other stories (later months, no tuning) built the same way;
* ``neardup.jsonl.gz``: the 2025 presidential actions crawled twice (White House archive and
  the USA TODAY scrape) plus same-title pages, with near-duplicate groups.

Each story is a seed rule (title pattern + date range) whose members were then read one by
one; documents the rule caught but that belong to another event are listed in ``EXCLUDE``.
See tests/dev/README.md for the rules and the review.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FILES = {
    "wh": "whitehouse_archive_2024_2025.jsonl.gz",
    "usat": "whitehouse_presidential_actions_usatoday_2025.jsonl.gz",
    "fr": "federal_register_abstracts_2024_2025.jsonl.gz",
    "rss": "whitehouse_briefings_rss_history.jsonl.gz",
}

# (story id, first day, last day, title pattern); the first matching rule wins.
DEV_STORIES = [
    ("fentanyl-tariffs-ca-mx-cn", "2025-02-01", "2025-03-12",
     r"duties (to address|addressing) the (flow of illicit drugs|situation at our southern|synthetic opioid)"
     r"|tariffs on imports from canada, mexico|tariffs on imports from canada and mexico"
     r"|tariffs on canada and mexico"),
    ("de-minimis-china-2025", "2025-04-01", "2025-05-20",
     r"de minimis|low-value imports"),
    ("steel-aluminum-232-2025", "2025-02-09", "2025-06-06",
     r"imports of (steel|aluminum)|section 232 tariffs|aluminum tariffs|steel tariffs"
     r"|duties on (steel|aluminum)|tariffs on steel and aluminum|steel industry"),
    ("us-steel-nippon", "2024-03-01", "2025-06-20",
     r"nippon steel|united states steel corporation|\bon us steel\b"),
    ("reciprocal-tariffs-2025", "2025-02-13", "2025-05-10",
     r"reciprocal (trade|tariff)|fair, reciprocal|fair and reciprocal|trading partner retaliation"
     r"|america first trade policy executive summary"
     r"|bold trade action|tariffs work|trade action|tariffs are necessary|certain tariffs on imported articles"),
    ("us-china-geneva-2025", "2025-05-10", "2025-05-16",
     r"geneva|china trade deal|china ink|discussions with the people|historic trade win"),
    ("copper-232-investigation", "2025-02-24", "2025-03-20", r"copper"),
    ("timber-lumber-232-2025", "2025-02-28", "2025-03-20", r"timber|(?<!softwood )lumber"),
    ("autos-232-2025", "2025-03-25", "2025-05-02", r"automobile|auto tariffs"),
    ("venezuela-oil-tariffs", "2025-03-23", "2025-04-01", r"venezuelan oil"),
    ("processed-critical-minerals-232", "2025-04-14", "2025-04-30", r"processed critical minerals"),
    ("offshore-critical-minerals", "2025-04-23", "2025-05-05", r"offshore critical minerals"),
    ("tiktok-2025", "2025-01-19", "2025-07-01", r"tiktok"),
    ("ai-barriers-jan-2025", "2025-01-22", "2025-01-31",
     r"removing barriers to american leadership in artificial intelligence|enhance america.s ai leadership"),
    ("ai-education-2025", "2025-04-22", "2025-07-05", r"ai education|artificial intelligence education"),
    ("federal-ai-use-2025", "2025-04-06", "2025-04-10", r"federal (agency )?(ai|artificial intelligence) use"),
    ("biden-ai-infrastructure-eo", "2025-01-13", "2025-01-20", r"artificial intelligence infrastructure"),
    ("us-uk-prosperity-deal", "2025-05-07", "2025-06-20",
     r"economic prosperity deal|u\.s\.-uk reach|breakthrough. trade deal"),
    ("section-301-china-2024", "2024-05-13", "2024-05-18",
     r"section 301|china.s unfair trade practices|industrial overcapacity"
     r"|protect american workers and businesses from china"),
    ("steel-shipbuilding-china-2024", "2024-04-16", "2024-04-18", r"steel and shipbuilding"),
    ("chips-intel-2024", "2024-03-19", "2024-03-21", r"\bintel\b"),
    ("chips-micron-2024", "2024-04-24", "2024-04-26", r"micron|chips and science act \| syracuse"),
    ("kishida-state-visit-2024", "2024-04-09", "2024-04-11",
     r"^(?!.*marcos).*kishida|japan official visit|united states-japan joint leaders"),
    ("quad-wilmington-2024", "2024-09-20", "2024-09-24",
     r"wilmington declaration|prime minister modi of the republic of india, prime minister kishida"),
    ("law-firm-orders-2025", "2025-03-05", "2025-04-16",
     r"(addressing|adresses|addresses) (risks from|remedial action by) (perkins|paul weiss|jenner|wilmerhale|susman)"),
    ("energy-coal-grid-eos-2025", "2025-04-07", "2025-04-15",
     r"beautiful clean coal|epa restrictions on coal|state overreach|security of the united states electric grid"),
    ("maritime-dominance-2025", "2025-04-08", "2025-04-16", r"maritime dominance"),
    ("seafood-2025", "2025-04-16", "2025-04-23", r"seafood competitiveness"),
    ("drug-prices-apr-2025", "2025-04-14", "2025-04-19", r"drug prices"),
    ("mfn-drug-pricing-may-2025", "2025-05-11", "2025-05-20",
     r"most-favored-nation prescription|lowering drug prices and stopping"),
    ("america-first-investment-policy", "2025-02-20", "2025-02-28", r"america first investment policy"),
    ("sovereign-wealth-fund-2025", "2025-02-02", "2025-02-12", r"sovereign wealth fund"),
    ("defense-acquisitions-2025", "2025-04-08", "2025-04-16", r"defense acquisitions"),
    ("foreign-defense-sales-2025", "2025-04-08", "2025-04-16", r"foreign defense sales"),
    ("us-india-modi-2025", "2025-02-12", "2025-02-14", r"\bmodi\b|united states-india joint leaders"),
]

HELDOUT_STORIES = [
    ("ai-action-plan-2025", "2025-07-22", "2025-07-26",
     r"ai action plan|woke ai|american ai technolog|export of american ai|leader in ai"),
    ("us-japan-deal-2025", "2025-07-22", "2025-09-20", r"japan (strategic trade|framework)|united states.japan agreement"),
    ("us-eu-deal-2025", "2025-07-27", "2025-09-30",
     r"european union (reach|framework)|u\.s\.-eu (trade|framework)|united states-european union framework"),
    ("indonesia-deal-2025", "2025-07-21", "2025-07-25", r"indonesia"),
    ("brazil-tariffs-2025", "2025-07-09", "2025-08-10", r"brazil"),
    ("de-minimis-global-2025", "2025-07-29", "2025-09-05", r"de minimis"),
    ("copper-232-proclamation", "2025-07-29", "2025-08-08", r"copper"),
    ("reciprocal-rates-jul-aug-2025", "2025-07-06", "2025-08-08",
     r"modification of the reciprocal tariff rates|further modifying the reciprocal tariff rates"
     r"|continues enforcement of reciprocal tariffs"),
    ("us-china-stockholm-2025", "2025-08-10", "2025-08-16",
     r"stockholm|heightened tariffs on china|ongoing discussions with the people"),
    ("reciprocal-scope-sep-2025", "2025-09-04", "2025-09-12", r"scope of reciprocal tariffs"),
    ("tiktok-deal-sep-2025", "2025-09-15", "2025-09-30", r"tiktok"),
    ("timber-lumber-232-sep-2025", "2025-09-28", "2025-10-05", r"timber|lumber"),
    ("se-asia-trade-deals-oct-2025", "2025-10-25", "2025-10-28",
     r"(thailand|cambodia|malaysia|vietnam).*(reciprocal trade|reciprocal, fair)|malaysia concernin"),
    ("japan-korea-tech-deals-oct-2025", "2025-10-27", "2025-10-30",
     r"technology prosperity deal|investments from japan|state visit to the republic of korea"),
    ("us-china-deal-nov-2025", "2025-10-31", "2025-11-08",
     r"trade relations with china|arrangement between the united states and the peop"
     r"|modifying duties addressing the synthetic opioid"),
    ("western-hemisphere-deals-nov-2025", "2025-11-12", "2025-11-15",
     r"(argentina|guatemala|ecuador|el salvador).*reciprocal|western hemisphere trading partners"),
    ("genesis-mission-2025", "2025-11-23", "2025-12-02", r"genesis mission"),
    ("ai-national-framework-dec-2025", "2025-12-10", "2025-12-16", r"national policy framework for artificial intelligence"),
]

# Caught by a rule, but read and found to be another event (or not about the story).
EXCLUDE = {
    "wh:presidential-actions/2025-06/2025-06-30-presidential-permit-authorizing-steel-reef-us-pipelines-llc-to-operate-and-maintain-pipeline-facilities-at-burke-county-north-dakota-at-the-international-boundary-between-the-united-states-and-canada.md",
}
# Titles of other events that story patterns catch (read and rejected): AD/CVD reviews of
# single products, stock-exchange filings, permits.
EXCLUDE_TITLES = re.compile(
    r"softwood|self-regulatory organizations|clean air act|uncoated paper|hardwood and decorative"
    r"|crystalline silicon|reciprocal defense procurement|pipeline facilities",
    re.I,
)
# Distractors: no trade / technology / foreign-policy words in the title.
BUSY = re.compile(
    r"tariff|trade|dut(y|ies)|import|export|steel|alumin|copper|timber|lumber|minerals?\b|tiktok"
    r"|\bai\b|artificial|chips?\b|semiconductor|china|japan|india|korea|canada|mexico|brazil"
    r"|united kingdom|european|deal|econom|invest|manufactur|energy|oil|nominat|prime minister"
    r"|readout|joint statement|border|week\b|wins|sunday shows|icymi|what they are saying",
    re.I,
)


def load_corpus(corpus: Path) -> list[dict]:
    """All documents of the four files as {id, source, url, title, text, published_at}."""
    docs = []
    for source, name in FILES.items():
        with gzip.open(corpus / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                docs.append({
                    "id": d["id"], "source": source, "url": d["url"], "title": d["title"],
                    "text": d.get("text") or "", "published_at": d.get("published"),
                })
    return docs


def norm_url(url: str) -> str:
    """URL without scheme, trailing slash and archive host (same page, two crawlers)."""
    url = re.sub(r"^https?://", "", url.strip().rstrip("/"))
    return url.replace("bidenwhitehouse.archives.gov", "www.whitehouse.gov")


def assign(docs: list[dict], stories: list[tuple]) -> dict[str, str]:
    """doc id -> story id by the first matching (date range, title pattern) rule."""
    out = {}
    compiled = [(sid, lo, hi, re.compile(p, re.I)) for sid, lo, hi, p in stories]
    for d in docs:
        day = (d["published_at"] or "")[:10]
        if d["id"] in EXCLUDE or not day or EXCLUDE_TITLES.search(d["title"]):
            continue
        for sid, lo, hi, pat in compiled:
            if lo <= day <= hi and pat.search(d["title"]):
                out[d["id"]] = sid
                break
    return out


def distractors(docs: list[dict], taken: set[str], months: tuple[str, ...], n: int, seed: int) -> dict[str, str]:
    """n White House pages from the given months with quiet titles; copies of a page share its label."""
    pool = [d for d in docs if d["source"] == "wh" and d["id"] not in taken
            and (d["published_at"] or "")[:7] in months and not BUSY.search(d["title"])]
    rng = random.Random(seed)
    picked = rng.sample(sorted(pool, key=lambda d: d["id"]), min(n, len(pool)))
    by_url = defaultdict(list)
    for d in docs:
        by_url[norm_url(d["url"])].append(d)
    out = {}
    for d in picked:
        label = "other:" + norm_url(d["url"])
        for copy in by_url[norm_url(d["url"])]:
            if copy["id"] not in taken:
                out[copy["id"]] = label
    return out


def neardup_groups(docs: list[dict], xref: list[dict]) -> dict[str, str]:
    """Gold near-duplicate groups: the same page in both crawls (same URL and title), and
    members of an xref same-title group published on the same day (one page under several
    White House site sections, or its USA TODAY copy)."""
    by_id = {d["id"]: d for d in docs}
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        parent[find(a)] = find(b)

    def tnorm(t):
        return re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()

    by_url = defaultdict(list)
    for d in docs:
        if d["source"] in ("wh", "usat") and d["published_at"][:4] == "2025":
            by_url[norm_url(d["url"])].append(d["id"])
    for ids in by_url.values():
        for other in ids[1:]:
            if tnorm(by_id[other]["title"]) == tnorm(by_id[ids[0]]["title"]):
                union(ids[0], other)
    for group in xref:
        # Same title is not same text ("Nominations Sent to the Senate" recurs weekly): only
        # copies posted on the same day (one page filed under several site sections) count.
        by_day = defaultdict(list)
        for i in group["doc_ids"]:
            if i in by_id and not i.startswith(("fr:", "whrss:")):
                by_day[by_id[i]["published_at"][:10]].append(i)
        for members in by_day.values():
            for other in members[1:]:
                union(members[0], other)
    groups = defaultdict(list)
    for x in list(parent):
        groups[find(x)].append(x)
    return {m: "dup:" + min(ms) for ms in groups.values() if len(ms) > 1 for m in ms}


def write(path: Path, rows: list[dict]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--review", type=Path, help="write every story's members here for reading")
    args = ap.parse_args()
    docs = load_corpus(args.corpus)
    with gzip.open(args.corpus / "xref_same_title_across_sources.jsonl.gz", "rt") as fh:
        xref = [json.loads(line) for line in fh]
    by_id = {d["id"]: d for d in docs}
    review = []
    for name, stories, months, n_other, seed in (
        ("stories_dev", DEV_STORIES, ("2025-02", "2025-03", "2025-04", "2025-05", "2024-04", "2024-05"), 110, 7),
        ("stories_heldout", HELDOUT_STORIES, ("2025-07", "2025-08", "2025-09", "2025-10", "2025-11"), 60, 11),
    ):
        gold = assign(docs, stories)
        gold.update(distractors(docs, set(gold), months, n_other, seed))
        rows = [{**by_id[i], "story": s} for i, s in sorted(gold.items(), key=lambda kv: (by_id[kv[0]]["published_at"], kv[0]))]
        write(HERE / f"{name}.jsonl.gz", rows)
        n_story = len({s for s in gold.values() if not s.startswith("other:")})
        print(f"{name}: {len(rows)} documents, {n_story} stories + {len({s for s in gold.values() if s.startswith('other:')})} distractor pages")
        for sid in dict.fromkeys(s for s in gold.values()):
            if sid.startswith("other:"):
                continue
            review.append(f"== {name} {sid}")
            review += [f"   {r['published_at'][:10]} {r['source']:4} {r['title'][:110]}" for r in rows if r["story"] == sid]
    dup = neardup_groups(docs, xref)
    nd_ids = {i for i in dup} | {d["id"] for d in docs if d["source"] == "wh"
                                 and d["published_at"][:7] in ("2025-03", "2025-04", "2025-07")
                                 and d["id"] not in dup}
    rows = [{**by_id[i], "dup_group": dup.get(i)} for i in sorted(nd_ids, key=lambda i: (by_id[i]["published_at"], i))]
    write(HERE / "neardup.jsonl.gz", rows)
    print(f"neardup: {len(rows)} documents, {len(set(dup.values()))} duplicate groups")
    if args.review:
        args.review.write_text("\n".join(review) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
