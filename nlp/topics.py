"""Bilingual topic taxonomy and multi-label tagging with evidence (keywords, entities, exemplars)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources

import numpy as np
import yaml

from config.errors import ConfigError

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
class CompiledTaxonomy:
    """Every keyword of every topic and instrument in two alternation regexes (one scan per text)."""

    insensitive: re.Pattern[str] | None
    sensitive: re.Pattern[str] | None
    cjk_terms: tuple[str, ...]


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


def _term_key(term: str) -> str:
    return " ".join(term.split()).lower()


def _alternation(terms: list[str], flags: int) -> re.Pattern[str] | None:
    if not terms:
        return None
    parts = [r"\s+".join(re.escape(p) for p in t.split()) for t in sorted(set(terms), key=len, reverse=True)]
    return re.compile(rf"(?<![\w-])(?:{'|'.join(parts)})(?![\w-])", flags)


def compile_taxonomy(taxonomy: Taxonomy) -> CompiledTaxonomy:
    """Compile every keyword once. ALL-CAPS words match exactly, other terms ignore case, CJK
    terms match as substrings."""
    insensitive, sensitive, cjk = [], [], []
    for topic in (*taxonomy.topics, *taxonomy.instruments):
        for term, _ in topic.keywords:
            if _CJK.search(term):
                cjk.append(term)
            elif any(len(w) >= 2 and w.isupper() for w in term.split()):
                sensitive.append(term)
            else:
                insensitive.append(term)
    return CompiledTaxonomy(
        insensitive=_alternation(insensitive, re.IGNORECASE),
        sensitive=_alternation(sensitive, 0),
        cjk_terms=tuple(sorted(set(cjk))),
    )


def term_counts(text: str, compiled: CompiledTaxonomy) -> dict[str, int]:
    """Occurrences of each keyword in one scan per regex.

    Keys: lower-cased single-spaced terms; exact-case terms get a leading "="; CJK as written.
    """
    counts: dict[str, int] = {}
    for pattern, exact in ((compiled.insensitive, False), (compiled.sensitive, True)):
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            key = "=" + " ".join(m.group(0).split()) if exact else _term_key(m.group(0))
            counts[key] = counts.get(key, 0) + 1
    for term in compiled.cjk_terms:
        n = text.count(term)
        if n:
            counts[term] = counts.get(term, 0) + n
    return counts


def score_topic(
    topic: Topic,
    title_counts: dict[str, int],
    body_counts: dict[str, int],
    entity_ids: frozenset[str],
    exemplar_sim: float | None = None,
) -> tuple[float, list[str]]:
    """Raw evidence score of one topic and the matched terms.

    Title hits weigh double; body hits grow with log(count). Entity cues add their weight;
    an exemplar cosine above 0.35 adds up to 2.5.
    """
    raw = 0.0
    evidence: list[str] = []
    for term, weight in topic.keywords:
        if _CJK.search(term):
            key = term
        elif _is_sensitive(term):
            key = "=" + " ".join(term.split())
        else:
            key = _term_key(term)
        in_title = title_counts.get(key, 0)
        in_body = body_counts.get(key, 0)
        if in_title or in_body:
            raw += weight * (2.0 * min(in_title, 1) + math.log1p(in_body))
            evidence.append(term)
    for eid, weight in topic.entities:
        if eid in entity_ids:
            raw += weight
            evidence.append(eid)
    if exemplar_sim is not None and exemplar_sim > 0.35:
        raw += min(2.5, (exemplar_sim - 0.35) * 8.0)
        evidence.append(f"exemplar:{exemplar_sim:.2f}")
    return raw, evidence


def _is_sensitive(term: str) -> bool:
    return any(len(w) >= 2 and w.isupper() for w in term.split())


def tag_document(
    title: str,
    text: str,
    entities: frozenset[str] | set[str],
    taxonomy: Taxonomy,
    exemplar_sims: dict[str, float] | None = None,
    min_score: float = 0.5,
    compiled: CompiledTaxonomy | None = None,
    max_topics: int | None = None,
    max_instruments: int | None = None,
    min_support: float = 0.0,
) -> list[Tag]:
    """Multi-label topic and instrument tags with scores and evidence.

    A long text touches many topics in passing (the reciprocal-tariff order names
    pharmaceuticals among its exemptions); a tag needs evidence worth ``min_support`` of its
    kind's strongest tag, and each kind keeps its ``max_*`` best tags.

    Args:
        title: document title.
        text: body text (callers may cut it).
        entities: entity ids found in the document (gazetteer ids count as cues).
        taxonomy: from ``load_taxonomy``.
        exemplar_sims: topic id -> max cosine between the document and the topic's exemplars.
        min_score: tags below this score are dropped.
        compiled: ``compile_taxonomy(taxonomy)``, to avoid recompiling per document.
        max_topics: at most this many topic tags (None: no cap).
        max_instruments: at most this many policy-instrument tags (None: no cap).
        min_support: a tag's raw evidence must be at least this share of the strongest tag's
            of the same kind (0: no minimum).

    Returns:
        Tags sorted by kind, then score descending. Score = 1 - exp(-raw / 2).
    """
    if compiled is None:
        compiled = compile_taxonomy(taxonomy)
    ids = frozenset(entities)
    sims = exemplar_sims or {}
    title_counts = term_counts(title, compiled)
    body_counts = term_counts(text, compiled)
    tags: list[Tag] = []
    for kind, group, cap in (("topic", taxonomy.topics, max_topics),
                             ("instrument", taxonomy.instruments, max_instruments)):
        scored = [(*score_topic(t, title_counts, body_counts, ids,
                                sims.get(t.id) if kind == "topic" else None), t) for t in group]
        strongest = max((raw for raw, _, _ in scored), default=0.0)
        found = []
        for raw, evidence, topic in scored:
            score = round(1.0 - math.exp(-raw / 2.0), 4)
            if score >= min_score and raw >= min_support * strongest:
                found.append(Tag(kind, topic.id, score, ", ".join(evidence[:8])))
        found.sort(key=lambda t: -t.score)
        tags.extend(found if cap is None else found[:cap])
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
