"""Entity and tag quality on the hand-labelled sample (tests/dev/entities_labelled.jsonl).

Used by ``benchmarks/entities.py`` (figures in docs/quality.md) and the quality gate in
tests/test_nlp_entities.py. Labels and how they were made: tests/dev/README.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.settings import NlpSettings
    from nlp.enrich import Models

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "dev" / "entities_labelled.jsonl"
# Kinds that may stand for each other when NER names a thing the labels name (a NER ORG for
# a labelled agency, a NER GPE for a labelled country).
_KIND_GROUP = {"person": "person", "place": "place", "country": "place", "org": "name",
               "agency": "name", "company": "name", "programme": "name", "law": "name"}


@dataclass(frozen=True)
class GoldMention:
    """A hand-labelled mention: offsets in the labelled text and its accepted labels (a
    gazetteer id, or ``<kind>:<name>`` for things the gazetteer does not list)."""

    start: int
    end: int
    labels: tuple[str, ...]
    text: str = ""


@dataclass(frozen=True)
class Predicted:
    """A predicted mention (what ``nlp.mentions.Mention`` carries, without spaCy)."""

    start: int
    end: int
    entity_id: str
    kind: str
    origin: str


@dataclass(frozen=True)
class Tally:
    """Correct out of predicted, and gold items found, for one category."""

    correct: int = 0
    predicted: int = 0
    found: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        """Correct / predicted (1.0 when nothing was predicted)."""
        return round(self.correct / self.predicted, 4) if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Gold items found / gold items (1.0 when there were none)."""
        return round(self.found / self.gold, 4) if self.gold else 1.0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.correct + other.correct, self.predicted + other.predicted,
                     self.found + other.found, self.gold + other.gold)


def _label_kind(label: str, kind_of: Mapping[str, str]) -> str:
    return kind_of.get(label) or label.split(":", 1)[0]


def _same_span(pred: Predicted, gold: GoldMention) -> bool:
    """Same span, or the gold one adds only the year of a law ("... Act" / "... Act of 1995")."""
    if (pred.start, pred.end) == (gold.start, gold.end):
        return True
    rest = gold.text[pred.end - gold.start:] if pred.start == gold.start else ""
    return pred.end < gold.end and re.fullmatch(r"\s+of\s+\d{4}", rest) is not None


def mention_matches(pred: Predicted, gold: list[GoldMention], kind_of: Mapping[str, str],
                    aliases_of: Mapping[str, frozenset[str]]) -> str | None:
    """The gold label a predicted mention is right about, or None.

    A gazetteer mention is right when it overlaps a gold mention with its id among the
    accepted labels (or a ``<kind>:<name>`` label whose name is one of the id's aliases: the
    gazetteer has grown). A NER mention is right when its span is exactly a gold mention's and
    its kind fits (a NER org for an agency, a place for a country); a law's year may be left
    out.

    Args:
        pred: the predicted mention.
        gold: the document's gold mentions.
        kind_of: gazetteer id -> kind.
        aliases_of: gazetteer id -> lower-cased aliases.
    """
    for g in gold:
        if not (g.start < pred.end and pred.start < g.end):
            continue
        for label in g.labels:
            named = label.split(":", 1)[1].lower() if label not in kind_of else ""
            if pred.origin == "gazetteer":
                if pred.entity_id == label or named in aliases_of.get(pred.entity_id, ()):
                    return label
            elif _same_span(pred, g) and _KIND_GROUP.get(pred.kind) == \
                    _KIND_GROUP.get(_label_kind(label, kind_of)):
                return label
    return None


def score_document(preds: list[Predicted], gold: list[GoldMention], kind_of: Mapping[str, str],
                   aliases_of: Mapping[str, frozenset[str]]) -> tuple[dict[str, Tally], dict[str, Tally]]:
    """Mention and entity (chip) tallies per predicted kind for one document.

    An entity (one chip: all mentions of one id) is right when one of its mentions is and no
    other chip of the document stands for the same labelled thing ("Trump" beside "Donald J.
    Trump" is one right chip and one wrong one).

    Returns:
        (mentions by kind, entities by kind); gold counts go to the kind of their first label.
    """
    mentions: dict[str, Tally] = {}
    right: dict[str, set[str]] = {}
    kind: dict[str, str] = {}
    for p in preds:
        label = mention_matches(p, gold, kind_of, aliases_of)
        mentions[p.kind] = mentions.get(p.kind, Tally()) + Tally(int(label is not None), 1)
        kind[p.entity_id] = p.kind
        right.setdefault(p.entity_id, set())
        if label is not None:
            right[p.entity_id].add(label)
    for g in gold:
        found = any(mention_matches(p, [g], kind_of, aliases_of) for p in preds)
        k = _label_kind(g.labels[0], kind_of)
        mentions[k] = mentions.get(k, Tally()) + Tally(0, 0, int(found), 1)
    entities: dict[str, Tally] = {}
    claimed: set[str] = set()
    counts = {e: sum(p.entity_id == e for p in preds) for e in right}
    for eid in sorted(right, key=lambda e: (-counts[e], e)):
        ok = bool(right[eid] - claimed)
        claimed |= right[eid]
        entities[kind[eid]] = entities.get(kind[eid], Tally()) + Tally(int(ok), 1)
    return mentions, entities


def set_precision(predicted: set[str], gold: set[str]) -> Tally:
    """Tally of a predicted label set against a gold set (document tags)."""
    return Tally(len(predicted & gold), len(predicted), len(predicted & gold), len(gold))


@dataclass(frozen=True)
class Report:
    """Tallies of one run over labelled documents."""

    documents: int
    mentions: dict[str, Tally]  # predicted kind -> mention tally
    entities: dict[str, Tally]  # predicted kind -> entity (chip) tally
    topics: Tally
    instruments: Tally
    tags_per_document: float
    errors: list[str] = field(default_factory=list)  # wrong predictions, for reading

    def mention(self, *kinds: str) -> Tally:
        """Mention tally over some kinds (all kinds when none are given)."""
        return _sum(self.mentions, kinds)

    def entity(self, *kinds: str) -> Tally:
        """Entity (chip) tally over some kinds (all kinds when none are given)."""
        return _sum(self.entities, kinds)


def merge(reports: Iterable[Report]) -> Report:
    """One report over the documents of several (e.g. the dev and held-out splits)."""
    reports = list(reports)
    out: list[dict[str, Tally]] = [{}, {}]
    for r in reports:
        for target, part in zip(out, (r.mentions, r.entities), strict=True):
            for k, t in part.items():
                target[k] = target.get(k, Tally()) + t
    docs = sum(r.documents for r in reports)
    tags = sum(r.tags_per_document * r.documents for r in reports)
    return Report(docs, out[0], out[1], sum((r.topics for r in reports), Tally()),
                  sum((r.instruments for r in reports), Tally()),
                  round(tags / docs, 2) if docs else 0.0, [e for r in reports for e in r.errors])


def _sum(tallies: Mapping[str, Tally], kinds: tuple[str, ...]) -> Tally:
    total = Tally()
    for k, t in tallies.items():
        if not kinds or k in kinds:
            total = total + t
    return total


def _in_scope(row: dict, scope: str) -> dict:
    """The row with what the pipeline reads now: labels were written on a lead of 1,500
    characters (``scope``); a shorter lead keeps the labels inside it.

    Raises:
        ValueError: the pipeline reads more, or other text, than was labelled.
    """
    if not row["scope"].startswith(scope):
        raise ValueError(f"{row['id']}: the labelled scope does not cover what NER reads")
    return {**row, "scope": scope, "mentions": [m for m in row["mentions"] if m["end"] <= len(scope)]}


def load_labelled(path: Path = LABELLED) -> list[dict]:
    """The labelled rows (one document each)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def measure(rows: Iterable[dict], models: Models, settings: NlpSettings) -> Report:
    """Run entity extraction and tagging over labelled rows and tally them against the labels.

    Args:
        rows: from ``load_labelled`` (each with ``scope``, ``text``, ``mentions``, ``topics``,
            ``instruments``).
        models: loaded enrichment models (``nlp.enrich.Models``).
        settings: NLP settings (tag threshold, cap and support).
    """
    from nlp.embed import embed_documents
    from nlp.entities import ner_input
    from nlp.mentions import mentions_of
    from nlp.topics import exemplar_similarities, tag_document

    rows = [_in_scope(r, ner_input(r["title"], r["text"], settings.ner_chars)) for r in rows]
    gaz = models.gazetteer
    kind_of = {eid: gaz.entry(eid).kind for eid in (*gaz.entries, *gaz.people)}
    aliases_of = {eid: frozenset(a.lower() for a in gaz.entry(eid).aliases) for eid in kind_of}
    docs = list(models.nlp.pipe([r["scope"] for r in rows], batch_size=32))
    vectors = embed_documents(models.backend, [r["title"] for r in rows], [r["text"] for r in rows],
                              settings.embed_chars, settings.embed_title_weight)
    sims = exemplar_similarities(vectors, models.exemplar_owners, models.exemplar_vectors)
    mentions: dict[str, Tally] = {}
    entities: dict[str, Tally] = {}
    topics = instruments = Tally()
    n_tags = 0
    errors = []
    for row, doc, sim in zip(rows, docs, sims, strict=True):
        found = mentions_of(doc, gaz)
        preds = [Predicted(m.start, m.end, m.entity_id, m.kind, m.origin) for m in found]
        gold = [GoldMention(g["start"], g["end"], tuple(g["label"].split("|")), g["text"])
                for g in row["mentions"]]
        by_kind, chips = score_document(preds, gold, kind_of, aliases_of)
        for target, part in ((mentions, by_kind), (entities, chips)):
            for k, t in part.items():
                target[k] = target.get(k, Tally()) + t
        for m, p in zip(found, preds, strict=True):
            if mention_matches(p, gold, kind_of, aliases_of) is None:
                errors.append(f"{row['id'][:60]}: {m.text!r} -> {m.entity_id}")
        tags = tag_document(row["title"], row["text"], {m.entity_id for m in found}, models.taxonomy,
                            sim, settings.tag_min_score, models.cues, settings.tag_max_topics,
                            settings.tag_max_instruments, settings.tag_min_support)
        n_tags += len(tags)
        topics = topics + set_precision({t.tag for t in tags if t.kind == "topic"}, set(row["topics"]))
        instruments = instruments + set_precision(
            {t.tag for t in tags if t.kind == "instrument"}, set(row["instruments"]))
    return Report(len(rows), mentions, entities, topics, instruments,
                  round(n_tags / len(rows), 2) if rows else 0.0, errors)
