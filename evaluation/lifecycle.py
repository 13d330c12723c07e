"""Scoring lifecycle extraction against the hand-labelled measures (tests/dev/lifecycle.jsonl).

Match rule: for each labelled measure, the extractor runs over the measure's documents (its
story) and its events are reduced to the set of (kind, date) pairs; a predicted pair is a true
positive when the measure's labels have the same kind on the same date, whichever document
states it. Precision = true positives / predicted pairs, recall = true positives / labelled
pairs, summed over the measures of a split. Reported beside it: how often the matched event
cites a document the label names for it (citation agreement), how often its instrument is the
labelled one (where the label has one), and how many measures come out under one measure key
(the amending orders joined to the order they amend).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from nlp.lifecycle import InstrumentIndex, LifecycleDoc, MeasureEvent, doc_id_of, lifecycle_events


@dataclass(frozen=True)
class LabelledEvent:
    """One labelled event."""

    kind: str
    date: date
    instrument: str | None
    doc: str  # URL of the document that states it


@dataclass(frozen=True)
class LabelledMeasure:
    """One labelled measure: its documents and its true events."""

    measure: str
    name: str
    split: str  # dev | heldout
    docs: tuple[str, ...]
    events: tuple[LabelledEvent, ...]


@dataclass
class SplitScore:
    """Counts and figures for one split."""

    measures: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    cited_ok: int = 0
    instrument_ok: int = 0
    instrument_labelled: int = 0
    one_key: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """True positives over predicted (kind, date) pairs."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """True positives over labelled (kind, date) pairs."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0


def load_labels(path: Path) -> list[LabelledMeasure]:
    """The labelled measures of a JSONL file."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        events = tuple(LabelledEvent(e["kind"], date.fromisoformat(e["date"]), e["instrument"],
                                     e["doc"]) for e in row["events"])
        out.append(LabelledMeasure(row["measure"], row["name"], row["split"], tuple(row["docs"]),
                                   events))
    return out


def score_measure(label: LabelledMeasure, events: Sequence[MeasureEvent],
                  url_of: Mapping[str, str], total: SplitScore) -> None:
    """Add one measure's comparison to a split's counts."""
    predicted: dict[tuple[str, date], list[MeasureEvent]] = {}
    for e in events:
        predicted.setdefault((e.kind, e.date), []).append(e)
    gold: dict[tuple[str, date], list[LabelledEvent]] = {}
    for g in label.events:
        gold.setdefault((g.kind, g.date), []).append(g)
    total.measures += 1
    matched_keys = set()
    for key, preds in predicted.items():
        if key not in gold:
            total.fp += 1
            total.extras.append(f"{label.name}: {key[0]} {key[1]} ({preds[0].sentence[:90]})")
            continue
        total.tp += 1
        labels = gold[key]
        if {url_of.get(p.doc_id) for p in preds} & {g.doc for g in labels}:
            total.cited_ok += 1
        wanted = {g.instrument for g in labels if g.instrument}
        if wanted:
            total.instrument_labelled += 1
            if wanted & {p.instrument for p in preds}:
                total.instrument_ok += 1
        matched_keys.update(p.measure for p in preds)
    for key in gold:
        if key not in predicted:
            total.fn += 1
            total.misses.append(f"{label.name}: {key[0]} {key[1]}")
    if len(matched_keys) <= 1:
        total.one_key += 1


def evaluate(labels: Iterable[LabelledMeasure], docs_by_url: Mapping[str, LifecycleDoc],
             index_docs: Sequence[LifecycleDoc] = ()) -> dict[str, SplitScore]:
    """Scores per split ("dev", "heldout").

    Args:
        labels: labelled measures.
        docs_by_url: the stored form of every labelled document, by URL.
        index_docs: documents whose citations teach instrument numbers (e.g. the whole store);
            empty: only the measure's own documents.
    """
    out: dict[str, SplitScore] = {}
    url_of = {doc_id_of(d): u for u, d in docs_by_url.items()}
    base = InstrumentIndex()
    for d in index_docs:
        base.add_text(d.title + "\n" + (d.text or "")[:60000])
    for label in labels:
        docs = [docs_by_url[u] for u in label.docs if u in docs_by_url]
        events = lifecycle_events(docs, index=base.copy())
        score_measure(label, events, url_of, out.setdefault(label.split, SplitScore()))
    return out
