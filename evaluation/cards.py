"""Card slot precision and recall against hand-labelled stories (tests/dev/cards_labelled.jsonl).

Each labelled story names its documents by URL; the texts come from the bundled snapshot
(demo/snapshot), so the evaluation needs no store and runs in CI.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from replay.snapshot import record_for
from zhtw.card import build_card
from zhtw.kinds import doc_kind
from zhtw.records import Card, CardDoc
from zhtw.terms import TermMatcher

SLOTS = ("country", "issuer", "instrument", "measure", "targets", "amounts", "dates",
         "legal_basis", "status")
_LEAD_ORDER = {"order": 0, "fact-sheet": 1, "statement": 2, "article": 3, "register": 4,
               "other": 5}
_DATE_KIND = {"生效": "effective", "截止": "deadline", "期限": "deadline", "期限至": "deadline",
              "簽署": "signed"}


@dataclass
class SlotScore:
    """Counts of one slot over the labelled set."""

    predicted: int = 0
    correct: int = 0
    labelled: int = 0
    found: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Correct values over shown values (1.0 when nothing was shown)."""
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Labelled values the card found."""
        return self.found / self.labelled if self.labelled else 1.0


def story_docs(item: dict, index: dict[str, dict]) -> list[CardDoc]:
    """The labelled story's documents as the card reads them, lead (most formal) first."""
    docs = []
    for n, url in enumerate(item["urls"], 1):
        rec = record_for(url, index)
        if rec is None:
            continue
        published = (rec.get("published") or "")[:10]
        docs.append(CardDoc(doc_id=rec["id"], n=n, url=url, title=rec.get("title") or "",
                            text=rec.get("text") or "", kind=doc_kind(url, rec.get("title") or ""),
                            country="US",
                            published=date.fromisoformat(published) if published else None))
    return sorted(docs, key=lambda d: _LEAD_ORDER.get(d.kind, 9))


def _predicted(card: Card, slot: str) -> set[str]:
    values = set(card.values(slot))
    if slot == "dates":
        out = set()
        for v in values:
            role, _, day = v.partition(" ")
            out.add(f"{_DATE_KIND.get(role, role)} {day}")
        return out
    return values


def _labelled(item: dict, slot: str) -> set[str]:
    raw = item["slots"].get(slot)
    if raw is None:
        return set()
    if slot == "dates":
        return {f"{d['kind']} {d['date']}" for d in raw}
    if isinstance(raw, str):
        return {raw} if raw else set()
    return set(raw)


def evaluate(items: Iterable[dict], index: dict[str, dict], matcher: TermMatcher
             ) -> tuple[dict[str, SlotScore], int]:
    """Per-slot scores of the card over labelled stories, and how many stories were read."""
    scores = {s: SlotScore() for s in SLOTS}
    n = 0
    for item in items:
        docs = story_docs(item, index)
        if not docs:
            continue
        n += 1
        card = build_card(docs, matcher)
        for slot in SLOTS:
            pred, gold = _predicted(card, slot), _labelled(item, slot)
            sc = scores[slot]
            sc.predicted += len(pred)
            sc.correct += len(pred & gold)
            sc.labelled += len(gold)
            sc.found += len(gold & pred)
            sc.errors.extend(f"{item['titles'][0][:60]}: {v}" for v in sorted(pred - gold))
    return scores, n


def overall(scores: dict[str, SlotScore]) -> tuple[float, float]:
    """Micro-averaged (precision, recall) over every slot."""
    pred = sum(s.predicted for s in scores.values())
    correct = sum(s.correct for s in scores.values())
    gold = sum(s.labelled for s in scores.values())
    found = sum(s.found for s in scores.values())
    return (correct / pred if pred else 1.0), (found / gold if gold else 1.0)


def load_labelled(path: Path) -> list[dict]:
    """The labelled stories (one JSON object per line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
