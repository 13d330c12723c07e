"""The hand-labelled relevance set (tests/dev/relevance.jsonl) as scorer inputs.

Each labelled row names a snapshot document by id; its text comes from the bundled snapshot
(demo/snapshot), so the evaluation needs no store. Vectors are made the way enrichment makes the
stored ones (nlp.embed.embed_documents over title + lead, the [nlp] settings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.relevance_train import Metrics, metrics
from nlp.embed import EmbeddingBackend, embed_documents
from nlp.relevance import Relevance, RelevanceDoc, RuleScorer, clean_text
from replay.snapshot import record_for, snapshot_index  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class Labelled:
    """One labelled document (label 1 = belongs in the digest)."""

    id: str
    url: str
    title: str
    label: int
    split: str
    source: str


def load_labelled(path: Path) -> list[Labelled]:
    """Rows of relevance.jsonl."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append(Labelled(r["id"], r["url"], r["title"], int(r["label"]), r["split"],
                                 r["source"]))
    return rows


def doc_of(rec: dict, vector: np.ndarray | None = None) -> RelevanceDoc:
    """A snapshot record as scorer input (White House pages are presidential)."""
    return RelevanceDoc(rec["id"], rec.get("title") or "", clean_text(rec.get("text") or ""),
                        presidential=rec["id"].startswith("wh:"), vector=vector)


def embed_records(recs: list[dict], backend: EmbeddingBackend, max_chars: int,
                  title_weight: float) -> np.ndarray:
    """Document vectors as enrichment makes them."""
    return embed_documents(backend, [r.get("title") or "" for r in recs],
                           [clean_text(r.get("text") or "") for r in recs], max_chars, title_weight)


@dataclass(frozen=True)
class StoryCase:
    """A labelled story of cards_labelled.jsonl: its documents and whether it is relevant."""

    titles: tuple[str, ...]
    label: int
    docs: tuple[dict, ...]


def card_stories(path: Path, index: dict[str, dict]) -> list[StoryCase]:
    """The card set's stories (labelled by another person) with their snapshot records."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        recs = tuple(r for r in (record_for(u, index) for u in item["urls"]) if r is not None)
        if recs:
            out.append(StoryCase(tuple(item["titles"]), int(bool(item["relevant"])), recs))
    return out


def story_scores(cases: list[StoryCase], score_docs) -> list[float]:
    """A story's relevance is its best member's (as in the digest)."""
    return [max(r.score for r in score_docs([doc_of(d) for d in c.docs])) for c in cases]


def evaluate(labels: list[int], results: list[Relevance], floor: float) -> Metrics:
    """Figures of one scorer's results at the floor."""
    return metrics(labels, [r.score for r in results], floor)


def rules_scores(rows: list[Labelled], index: dict[str, dict], rules: RuleScorer) -> list[Relevance]:
    """Rules results for labelled rows."""
    return [rules.score(doc_of(index[r.id])) for r in rows]
