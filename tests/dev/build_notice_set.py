"""Build ``stories_notices.jsonl.gz``: the templated AD/CVD and Section 337 notices of the
demo window, labelled by case (tests/dev/README.md, "Templated trade notices").

Usage (from the project root; reads only the bundled snapshot):
    .venv/bin/python tests/dev/build_notice_set.py

Every Federal Register document of the bundled snapshot published 2025-03-04..2025-04-03
whose title or abstract names an AD/CVD or Section 337 proceeding is kept (118). Each is
its own story unless it is listed in ``NOTICE_STORIES``: the notices of one case (one
proceeding of one product from one country: the AD and CVD determinations of one day, the
USITC and Commerce notices of one sunset review, a notice and its correction), read one by one.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE.parent.parent / "demo" / "snapshot" / "federal_register.jsonl.gz"
WINDOW = ("2025-03-04", "2025-04-03")
NOTICE = re.compile(
    r"(?i)antidumping|countervailing|less than fair value|section 337|; notice of (a )?commission"
    r"|five-year review|sunset review|institution of investigation|receipt of complaint")

NOTICE_STORIES = {
    "aluminum-wire-cn-sunset": ["fr:2025-03483", "fr:2025-03822", "fr:2025-03827"],
    "threaded-rod-sunset": ["fr:2025-03773", "fr:2025-03825", "fr:2025-03826"],
    "epoxy-in": ["fr:2025-05749", "fr:2025-05756"],
    "epoxy-kr": ["fr:2025-05757", "fr:2025-05751"],
    "epoxy-tw": ["fr:2025-05752", "fr:2025-05753"],
    "epoxy-cn": ["fr:2025-05750", "fr:2025-05755"],
    "paper-plates-orders": ["fr:2025-04765", "fr:2025-04764"],
    "chassis-investigations": ["fr:2025-03484", "fr:2025-04942"],
    "stainless-pressure-pipe-cn-sunset": ["fr:2025-03712", "fr:2025-03713"],
    "aluminum-containers-cn": ["fr:2025-03834", "fr:2025-03833"],
    "ferrosilicon-br": ["fr:2025-05301", "fr:2025-05302"],
    "ferrosilicon-kz": ["fr:2025-05303", "fr:2025-05304"],
    "ferrosilicon-my": ["fr:2025-05306", "fr:2025-05305"],
    "capsules-in": ["fr:2025-05423", "fr:2025-05538"],
    "mattresses-id-court": ["fr:2025-03529", "fr:2025-04763"],
    "molded-fiber-cn": ["fr:2025-04093", "fr:2025-05417"],
    "molded-fiber-vn": ["fr:2025-04094", "fr:2025-05418"],
    "welded-pressure-pipe-sunset": ["fr:2025-03422", "fr:2025-03824"],
    "malleable-fittings-cn-sunset": ["fr:2025-03714", "fr:2025-03676"],
}


def main() -> None:
    """Select, label and write the notice set."""
    story = {doc: name for name, docs in NOTICE_STORIES.items() for doc in docs}
    rows = []
    with gzip.open(SNAPSHOT, "rt", encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            day = (d.get("published") or "")[:10]
            if not (WINDOW[0] <= day <= WINDOW[1]):
                continue
            if not NOTICE.search(f"{d['title']} {(d.get('text') or '')[:400]}"):
                continue
            rows.append({"id": d["id"], "source": "fr", "url": d["url"], "title": d["title"],
                         "text": d.get("text") or "", "published_at": d["published"],
                         "story": story.get(d["id"], "single:" + d["id"])})
    missing = set(story) - {r["id"] for r in rows}
    if missing:
        raise SystemExit(f"labelled documents not selected: {sorted(missing)}")
    rows.sort(key=lambda r: (r["published_at"], r["id"]))
    with gzip.open(HERE / "stories_notices.jsonl.gz", "wt", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} notices, {len(set(r['story'] for r in rows))} stories")


if __name__ == "__main__":
    main()
