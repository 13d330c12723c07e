"""Extractive story summaries: MMR over sentence embeddings against the story centroid."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from briefs.generate import LocalLM, faithful_rewrite, load_generator
from config.errors import BadInputError
from config.jsonl import read_jsonl
from config.settings import Settings
from nlp.sentences import document_sentences, normalise

# Two sentences this close (cosine) or sharing this much vocabulary say the same thing.
MAX_SIMILARITY = 0.88
MAX_WORD_OVERLAP = 0.6
# News and fact sheets put the gist first: bonus lead_bias / (1 + position in the document).
LEAD_BIAS = 0.15
# The story's lead document (the first explanatory one: a fact sheet or article before the legal
# instrument it explains) supplies most of a summary: bonus lead_doc_bias / (1 + its rank).
LEAD_DOC_BIAS = 1.0
# An analyst wants the facts (rates, dates, amounts, who acts under which law), not the
# centroid's generic praise: bonus specificity_bonus * specificity(sentence). With the three
# weights above it was tuned on the dev references only (docs/quality.md, "Summaries").
SPECIFICITY_BONUS = 0.5
# specificity saturates at this many fact words (a figure counts 1, a name 0.5)
_FACT_WORDS = 6.0
_DIGIT = re.compile(r"\d")
_CAPITALISED = re.compile(r"^[A-Z][A-Za-z.\-']*$")
_WORD_EDGE = ",.;:()\"'"
# First-person legal voice ("I, DONALD J. TRUMP ... find", "I hereby") marks recitals and
# operative clauses: accurate, but a digest reader needs the third-person gist.
RECITAL_PENALTY = 0.3
_FIRST_PERSON = re.compile(r"\b(?:I|me|my|myself|hereby)\b")
# "Annex I", "Title I", "World War I": a Roman numeral, not the first person.
_NUMERAL_I = re.compile(r"\b(?:Annex|Title|Phase|Part|Schedule|Article|Chapter|Section|Tier|"
                        r"Class|Stage|War|Volume|Appendix)\s+I\b")
# Sentences are embedded by their first words only (the backend's cost grows with length).
EMBED_WORDS = 32


class Encoder(Protocol):
    """What the summariser needs from an embedding backend (nlp.embed.EmbeddingBackend)."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 L2-normalised vectors."""
        ...


class SourceText(Protocol):
    """A story member as far as summarising goes (store.digests.MemberDoc fits)."""

    doc_id: str
    title: str
    text: str


@dataclass(frozen=True)
class InputDoc:
    """A document given to the summariser from outside the store (JSONL input)."""

    doc_id: str
    title: str
    text: str


@dataclass(frozen=True)
class SummarySentence:
    """A summary sentence and the document it was taken from (its citation)."""

    text: str
    doc_id: str


@dataclass(frozen=True)
class Candidate:
    """A candidate sentence: text, its document, its position in that document, and the
    document's rank in the story (0 = the lead document)."""

    text: str
    doc_id: str
    position: int
    doc_rank: int = 0


def is_recital(sentence: str) -> bool:
    """Whether a sentence speaks in the first-person legal voice of an instrument."""
    return _FIRST_PERSON.search(_NUMERAL_I.sub("", sentence)) is not None


def specificity(sentence: str) -> float:
    """How much fact a sentence carries, 0..1: words with a digit (rates, dates, amounts,
    order numbers) count 1, names after the first word (capitalised words, acronyms of 2-6
    letters) count 0.5; six fact words or more give 1."""
    words = sentence.split()
    if not words:
        return 0.0
    figures = sum(1 for w in words if _DIGIT.search(w))
    names = 0
    for w in words[1:]:
        bare = w.strip(_WORD_EDGE)
        if w.isupper():
            names += len(bare) <= 6 and len(w) > 1
        elif _CAPITALISED.match(bare):
            names += 1
    return min(1.0, (figures + 0.5 * names) / _FACT_WORDS)


def candidates(docs: list[SourceText], limit: int) -> list[Candidate]:
    """Candidate sentences taken round-robin from the documents' leads, exact repeats dropped.

    Documents are ranked explanatory-first: by their share of first-person (recital)
    sentences, ties in the given order, so a fact sheet leads the order it explains.

    Args:
        docs: the story's documents, most important first.
        limit: most candidates returned.
    """
    sentences = [document_sentences(d.text, d.title) for d in docs]
    share = [sum(map(is_recital, ss)) / len(ss) if ss else 1.0 for ss in sentences]
    order = sorted(range(len(docs)), key=lambda i: share[i])
    seen: set[str] = set()
    out: list[Candidate] = []
    depth = max((len(s) for s in sentences), default=0)
    for pos in range(depth):
        for rank, i in enumerate(order):
            if pos >= len(sentences[i]):
                continue
            key = normalise(sentences[i][pos])
            if key in seen:
                continue
            seen.add(key)
            out.append(Candidate(sentences[i][pos], docs[i].doc_id, pos, rank))
            if len(out) >= limit:
                return out
    return out


def reading_order(cands: list[Candidate], picked: list[int]) -> list[int]:
    """Picked candidates as a reader meets them: lead document first, then by position."""
    return sorted(picked, key=lambda i: (cands[i].doc_rank, cands[i].position))


def _overlap(a: str, b: str) -> float:
    wa, wb = set(normalise(a).split()), set(normalise(b).split())
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


def mmr_select(
    cands: list[Candidate],
    vectors: np.ndarray,
    centroid: np.ndarray,
    n: int,
    lam: float = 0.7,
    lead_bias: float = LEAD_BIAS,
    lead_doc_bias: float = LEAD_DOC_BIAS,
    recital_penalty: float = RECITAL_PENALTY,
    specificity_bonus: float = SPECIFICITY_BONUS,
) -> list[int]:
    """Indices of up to `n` candidates by maximal marginal relevance, never near-repeats.

    Args:
        cands: candidate sentences.
        vectors: their L2-normalised embeddings, one row each.
        centroid: L2-normalised story centroid.
        n: sentences wanted.
        lam: relevance/diversity trade-off (1 = relevance only).
        lead_bias: relevance bonus of a document's first sentence (halved for the second...).
        lead_doc_bias: relevance bonus of the lead document's sentences (halved for the next...).
        recital_penalty: relevance taken from first-person (recital) sentences.
        specificity_bonus: relevance added per unit of `specificity`.
    """
    position = np.array([c.position for c in cands], dtype=np.float32)
    rank = np.array([c.doc_rank for c in cands], dtype=np.float32)
    recital = np.array([is_recital(c.text) for c in cands], dtype=np.float32)
    facts = np.array([specificity(c.text) for c in cands], dtype=np.float32)
    relevance = (vectors @ centroid + lead_bias / (1.0 + position)
                 + lead_doc_bias / (1.0 + rank) - recital_penalty * recital
                 + specificity_bonus * facts)
    chosen: list[int] = []
    while len(chosen) < n:
        best, best_val = -1, -np.inf
        for i in range(len(cands)):
            if i in chosen:
                continue
            redundancy = float(np.max(vectors[chosen] @ vectors[i])) if chosen else 0.0
            if redundancy > MAX_SIMILARITY or any(
                _overlap(cands[i].text, cands[j].text) > MAX_WORD_OVERLAP for j in chosen
            ):
                continue
            val = lam * float(relevance[i]) - (1 - lam) * redundancy
            if val > best_val:
                best, best_val = i, val
        if best < 0:
            break
        chosen.append(best)
    return chosen


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm > 0 else v


def summarize_stories(
    stories: list[list[SourceText]],
    backend: Encoder,
    n: int = 3,
    *,
    lam: float = 0.7,
    max_candidates: int = 24,
    generator: LocalLM | None = None,
) -> list[list[SummarySentence]]:
    """Summaries of several stories, one list per story (see `summarize_docs`).

    All candidate sentences and titles are embedded in one batch, which is much
    faster than one call per story.
    """
    cands = [candidates(docs, max_candidates) for docs in stories]
    # with no more candidates than wanted there is nothing to choose: no embedding needed
    choose = [bool(c) and (generator is not None or len(c) > n) for c in cands]
    titles = [
        [d.title for d in docs if d.title.strip()] if ch else []
        for docs, ch in zip(stories, choose, strict=True)
    ]
    texts = [
        _embedding_text(t)
        for c, ts, ch in zip(cands, titles, choose, strict=True)
        if ch
        for t in [x.text for x in c] + ts
    ]
    vecs = np.asarray(backend.encode(texts), dtype=np.float32) if texts else np.zeros((0, 0))
    out: list[list[SummarySentence]] = []
    at = 0
    for story_cands, story_titles, ch in zip(cands, titles, choose, strict=True):
        if not ch:
            out.append(_in_order(story_cands, n))
            continue
        sent_vecs = vecs[at : at + len(story_cands)]
        title_vecs = vecs[at + len(story_cands) : at + len(story_cands) + len(story_titles)]
        at += len(story_cands) + len(story_titles)
        centroid = sent_vecs.mean(axis=0)
        if len(title_vecs):
            centroid = centroid + title_vecs.mean(axis=0)
        out.append(_pick(story_cands, sent_vecs, _unit(centroid), backend, n, lam, generator))
    return out


def _embedding_text(text: str, max_words: int = EMBED_WORDS) -> str:
    """The head of a sentence, which carries its gist; keeps embedding cheap."""
    words = text.split()
    return text if len(words) <= max_words else " ".join(words[:max_words])


def _in_order(cands: list[Candidate], n: int) -> list[SummarySentence]:
    """Up to `n` candidates in reading order, skipping any that repeat an earlier one."""
    kept: list[Candidate] = []
    for c in cands:
        if len(kept) < n and all(_overlap(c.text, k.text) <= MAX_WORD_OVERLAP for k in kept):
            kept.append(c)
    return [SummarySentence(c.text, c.doc_id) for c in kept]


def _pick(
    cands: list[Candidate],
    vecs: np.ndarray,
    centroid: np.ndarray,
    backend: Encoder,
    n: int,
    lam: float,
    generator: LocalLM | None,
) -> list[SummarySentence]:
    picked = mmr_select(cands, vecs, centroid, n if generator is None else n + 3, lam)
    if generator is not None:  # the model gets the sentences best first
        rewrite = faithful_rewrite(generator, [cands[i].text for i in picked], backend, n)
        if rewrite.kept:
            return [SummarySentence(text, cands[picked[k]].doc_id) for text, k in rewrite.kept]
    return [SummarySentence(cands[i].text, cands[i].doc_id)
            for i in reading_order(cands, picked[:n])]


def summarize_docs(
    docs: list[SourceText],
    backend: Encoder,
    n: int = 3,
    *,
    lam: float = 0.7,
    max_candidates: int = 24,
    generator: LocalLM | None = None,
) -> list[SummarySentence]:
    """Summary of one story: up to `n` sentences, each citing its document.

    The centroid is the mean of the candidate sentences and the titles; sentences
    are picked by MMR against it, skipping any that repeat a chosen one. With a
    `generator`, the model rewrites the top MMR sentences and only generated
    sentences that pass the faithfulness check are kept (citing the document of
    their supporting sentence); when none pass, the extractive summary is returned.

    Args:
        docs: the story's documents, most important first.
        backend: sentence embedding backend.
        n: sentences wanted.
        lam: MMR trade-off.
        max_candidates: candidate sentences considered.
        generator: optional local LM (see `briefs.generate.load_generator`).
    """
    return summarize_stories(
        [docs], backend, n, lam=lam, max_candidates=max_candidates, generator=generator
    )[0]


_LINE_BREAKS = re.compile(r"\s*\n\s*")


def read_jsonl_docs(path: Path) -> list[InputDoc]:
    """Documents of a JSONL file (`title`, `text`, optional `id`/`doc_id`), one per line.

    Raises:
        BadInputError: the file is missing, a line is not a JSON object, or has no text.
    """
    docs = []
    for no, obj in read_jsonl(path):
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise BadInputError(f"{path}:{no}: expected an object with a string 'text'")
        doc_id = str(obj.get("id") or obj.get("doc_id") or f"doc{no}")
        docs.append(InputDoc(doc_id, str(obj.get("title") or ""), obj["text"]))
    return docs


def summarize_jsonl(path: Path | str, settings: Settings) -> list[str]:
    """Summary lines for the documents of a JSONL file taken as one story.

    Backs `radar summarize --input docs.jsonl`: the same `summarize_docs` the digest uses,
    with the configured embedding backend (and generative model, when enabled); one
    sentence per returned line.

    Args:
        path: JSONL file of documents.
        settings: loaded settings (`nlp` picks the backend, `digest` the length).
    """
    from nlp.embed import load_backend  # the NLP stack loads only when a summary is asked for

    docs = read_jsonl_docs(Path(path))
    backend = load_backend(settings.nlp)
    summary = summarize_docs(
        docs,
        backend,
        settings.digest.summary_sentences,
        lam=settings.digest.mmr_lambda,
        max_candidates=settings.digest.max_candidate_sentences,
        generator=load_generator(settings.digest.generative),
    )
    return [_LINE_BREAKS.sub(" ", s.text) for s in summary]
