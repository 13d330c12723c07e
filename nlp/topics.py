"""Bilingual topic taxonomy and multi-label tagging with evidence (keywords, entities, exemplars)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np
import yaml

from radar.errors import ConfigError

TAXONOMY_FILE = "taxonomy.yaml"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


@dataclass(frozen=True)
class Topic:
    """One taxonomy topic (or policy-instrument type) with its cues."""

    id: str
    en: str
    zh: str
    priority: int
    keywords: tuple[tuple[str, float], ...]
    entities: tuple[tuple[str, float], ...] = ()
    exemplars: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """Topics and OECD STIP-style instrument types, with the file version."""

    topics: tuple[Topic, ...]
    instruments: tuple[Topic, ...]
    version: str

    def topic(self, topic_id: str) -> Topic:
        """Look a topic up by id (KeyError when unknown)."""
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(topic_id)


@dataclass(frozen=True)
class Tag:
    """One label on a document: kind topic|instrument, score in [0, 1], evidence text."""

    kind: str
    tag: str
    score: float
    evidence: str


@dataclass(frozen=True)
class CompiledCues:
    """Pre-compiled keyword matchers for one topic."""

    topic: Topic
    patterns: tuple[tuple[str, float, re.Pattern[str] | None], ...]


def _parse_topic(raw: dict, with_priority: bool) -> Topic:
    try:
        keywords = tuple((str(k), float(v)) for k, v in (raw.get("keywords") or {}).items())
        entities = tuple((str(k), float(v)) for k, v in (raw.get("entities") or {}).items())
        return Topic(
            id=str(raw["id"]),
            en=str(raw["en"]),
            zh=str(raw["zh"]),
            priority=int(raw.get("priority", 2)) if with_priority else 0,
            keywords=keywords,
            entities=entities,
            exemplars=tuple(str(x) for x in raw.get("exemplars") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{TAXONOMY_FILE}: bad entry {raw!r}: {exc}") from exc


def load_taxonomy(text: str | None = None) -> Taxonomy:
    """Load the packaged taxonomy (``nlp/taxonomy.yaml``) or parse the given YAML text.

    Raises:
        ConfigError: malformed YAML or entry, or duplicate ids.
    """
    if text is None:
        text = resources.files("nlp").joinpath(TAXONOMY_FILE).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{TAXONOMY_FILE}: invalid YAML: {exc}") from exc
    topics = tuple(_parse_topic(t, True) for t in data.get("topics") or [])
    instruments = tuple(_parse_topic(t, False) for t in data.get("instruments") or [])
    for group in (topics, instruments):
        ids = [t.id for t in group]
        if len(ids) != len(set(ids)):
            raise ConfigError(f"{TAXONOMY_FILE}: duplicate ids in {ids}")
    if not topics:
        raise ConfigError(f"{TAXONOMY_FILE}: no topics")
    return Taxonomy(topics=topics, instruments=instruments, version=f"taxonomy-v{data.get('version', 0)}")


def _compile_term(term: str) -> re.Pattern[str] | None:
    if _CJK.search(term):
        return None  # substring match
    body = r"\s+".join(re.escape(p) for p in term.split())
    flags = 0 if any(len(w) >= 2 and w.isupper() for w in term.split()) else re.IGNORECASE
    return re.compile(rf"(?<![\w-]){body}(?![\w-])", flags)


def compile_cues(topics: tuple[Topic, ...]) -> tuple[CompiledCues, ...]:
    """Compile every topic's keywords once (case rules as documented in taxonomy.yaml)."""
    return tuple(
        CompiledCues(t, tuple((term, w, _compile_term(term)) for term, w in t.keywords))
        for t in topics
    )


def _count(pattern: re.Pattern[str] | None, term: str, text: str) -> int:
    if pattern is None:
        return text.count(term)
    return sum(1 for _ in pattern.finditer(text))


def score_cues(
    cues: CompiledCues,
    title: str,
    text: str,
    entity_ids: frozenset[str],
    exemplar_sim: float | None = None,
) -> tuple[float, list[str]]:
    """Raw evidence score of one topic and the matched terms.

    Title hits weigh double; body hits grow with log(count). Entity cues add their weight;
    an exemplar cosine above 0.35 adds up to 2.0.
    """
    raw = 0.0
    evidence: list[str] = []
    for term, weight, pattern in cues.patterns:
        in_title = _count(pattern, term, title)
        in_body = _count(pattern, term, text)
        if in_title or in_body:
            raw += weight * (2.0 * min(in_title, 1) + math.log1p(in_body))
            evidence.append(term)
    for eid, weight in cues.topic.entities:
        if eid in entity_ids:
            raw += weight
            evidence.append(eid)
    if exemplar_sim is not None and exemplar_sim > 0.35:
        raw += min(2.0, (exemplar_sim - 0.35) * 8.0)
        evidence.append(f"exemplar:{exemplar_sim:.2f}")
    return raw, evidence


def tag_document(
    title: str,
    text: str,
    entities: frozenset[str] | set[str],
    taxonomy: Taxonomy,
    exemplar_sims: dict[str, float] | None = None,
    min_score: float = 0.5,
    compiled: tuple[tuple[CompiledCues, ...], tuple[CompiledCues, ...]] | None = None,
) -> list[Tag]:
    """Multi-label topic and instrument tags with scores and evidence.

    Args:
        title: document title.
        text: body text (callers may cut it).
        entities: entity ids found in the document (gazetteer ids count as cues).
        taxonomy: from ``load_taxonomy``.
        exemplar_sims: topic id -> max cosine between the document and the topic's exemplars.
        min_score: tags below this score are dropped.
        compiled: ``(compile_cues(taxonomy.topics), compile_cues(taxonomy.instruments))``,
            to avoid recompiling per document.

    Returns:
        Tags sorted by kind, then score descending. Score = 1 - exp(-raw / 3).
    """
    if compiled is None:
        compiled = (compile_cues(taxonomy.topics), compile_cues(taxonomy.instruments))
    ids = frozenset(entities)
    sims = exemplar_sims or {}
    tags: list[Tag] = []
    for kind, group in (("topic", compiled[0]), ("instrument", compiled[1])):
        found = []
        for cues in group:
            raw, evidence = score_cues(cues, title, text, ids, sims.get(cues.topic.id))
            score = round(1.0 - math.exp(-raw / 3.0), 4)
            if score >= min_score:
                found.append(Tag(kind, cues.topic.id, score, ", ".join(evidence[:8])))
        tags.extend(sorted(found, key=lambda t: -t.score))
    return tags


def exemplar_matrix(taxonomy: Taxonomy, vectors: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Group exemplar vectors by topic: returns (topic id per row, vectors).

    Args:
        taxonomy: the taxonomy whose exemplars were encoded, in order.
        vectors: one L2-normalised row per exemplar, in ``taxonomy.topics`` order.
    """
    owners = [t.id for t in taxonomy.topics for _ in t.exemplars]
    if len(owners) != len(vectors):
        raise ValueError(f"{len(owners)} exemplars but {len(vectors)} vectors")
    return owners, np.asarray(vectors, dtype=np.float32)


def exemplar_similarities(
    doc_vectors: np.ndarray, owners: list[str], exemplars: np.ndarray
) -> list[dict[str, float]]:
    """Per document: topic id -> max cosine to that topic's exemplars."""
    if len(owners) == 0 or len(doc_vectors) == 0:
        return [{} for _ in range(len(doc_vectors))]
    sims = doc_vectors @ exemplars.T
    out = []
    for row in sims:
        best: dict[str, float] = {}
        for owner, s in zip(owners, row.tolist(), strict=True):
            if s > best.get(owner, -1.0):
                best[owner] = s
        out.append(best)
    return out
