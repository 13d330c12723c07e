"""Claim check: every statement must be traceable to a sentence of a document it cites, and the
numbers, dates and names in it must appear in that document. It runs on whatever wrote the
text; statements that fail are removed and counted with the reason."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Protocol

import numpy as np

from commentary.matching import quote_pieces
from commentary.records import Removal, SourceDoc, Statement
from nlp.dates import find_dates

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_NAME = re.compile(r"\b[A-Z][a-zA-Z’'\-]+(?:\s+(?:of\s+|the\s+|for\s+|and\s+)?[A-Z][a-zA-Z’'\-]+)*")
_CJK = re.compile(r"[\u3400-\u9fff]")
_STOP = frozenset(
    "a an and are as at be been by for from has have in into is it its of on or that the their "
    "this to was were which will with shall would also any all such other than these those".split()
)
# Capitalised words that are not names (sentence starts, weekdays, generic words).
_NOT_NAMES = frozenset(
    "The A An In On At By For From To This That These Those It Its Today Yesterday Tomorrow "
    "Accordingly However Additionally Further Furthermore Following Under Pursuant Such Each Any "
    "All Other Many Some Last First Second Third Section Sec Subsection Order Orders And But Or "
    "If When While After Before Since As Of With Without Upon Within Imported Carriers Monday "
    "Tuesday Wednesday Thursday Friday Saturday Sunday".split()
)


class Encoder(Protocol):
    """Optional sentence embedder for paraphrases (nlp.embed.EmbeddingBackend fits)."""

    name: str

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, L2-normalised rows."""
        ...


@dataclass(frozen=True)
class CheckSettings:
    """Thresholds: content-word recall of the claim in one source sentence, or (paraphrase)
    embedding cosine with it."""

    min_overlap: float = 0.6
    min_cosine: float = 0.8


def content_words(text: str) -> list[str]:
    """Lower-cased content words (stop words dropped)."""
    return [w for w in _WORD.findall(text.lower().replace("’", "'")) if w not in _STOP]


def _number_tokens(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _strip_dates(text: str, ref: date | None = None) -> tuple[str, list[date]]:
    days = []
    for d, s, e in reversed(find_dates(text, ref)):
        days.append(d)
        text = text[:s] + " " + text[e:]
    return text, days


def names_in(text: str) -> list[str]:
    """Capitalised word runs that look like names (not sentence starts or generic words)."""
    out = []
    for m in _NAME.finditer(text):
        words = [w for w in m.group(0).split() if w not in ("of", "the", "for", "and")]
        words = [w for w in words if w.strip("’'") not in _NOT_NAMES]
        if not words or (m.start() == 0 and len(words) == 1):
            continue
        if all(w.isupper() and len(w) > 6 for w in words):
            continue  # shouted headings are not names
        out.append(" ".join(words))
    return out


@dataclass(frozen=True)
class _Prepared:
    """What the check needs from one source, computed once per source."""

    days: frozenset[date]
    numbers: frozenset[str]
    flat: str
    sentences: tuple[str, ...]
    words: tuple[tuple[str, ...], ...]
    normal: tuple[str, ...]


@lru_cache(maxsize=256)
def _prepared(doc: SourceDoc) -> _Prepared:
    days = {d for d, _, _ in find_dates(doc.text, doc.day)}
    if doc.day:
        days.add(doc.day)
    src_text, _ = _strip_dates(doc.text, doc.day)
    sentences = (doc.title, *doc.sentences, *doc.meta_lines)
    return _Prepared(frozenset(days), frozenset(_number_tokens(src_text)),
                     re.sub(r"\s+", " ", doc.text), sentences,
                     tuple(tuple(content_words(x)) for x in sentences),
                     tuple(_normal(x) for x in sentences))


def _source_days(doc: SourceDoc) -> frozenset[date]:
    return _prepared(doc).days


def missing_details(claim: str, doc: SourceDoc) -> str | None:
    """The first number, date or name of the claim that the document does not contain."""
    prep = _prepared(doc)
    rest, days = _strip_dates(claim, doc.day)
    for d in days:
        if d not in prep.days:
            return f"date {d.isoformat()} not in source"
    for n in _number_tokens(rest):
        if n not in prep.numbers:
            return f"number {n} not in source"
    for name in names_in(rest):
        if not all(w in prep.flat for w in name.split()):
            return f"name {name!r} not in source"
    return None


def _normal(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower().replace("’", "'")))


def _bigrams(words: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(words, words[1:], strict=False))


def best_support(claim: str, doc: SourceDoc) -> tuple[float, str]:
    """The source sentence (or title) that best carries the claim, and how well (0..1).

    Score = mean of content-word recall and content-word-bigram recall, per verbatim piece of
    a condensed quote, so recombining a sentence's words into another statement scores low.
    """
    pieces = [content_words(p) for p in quote_pieces(claim)]
    words = [w for p in pieces for w in p]
    grams = set().union(*(_bigrams(p) for p in pieces)) if pieces else set()
    if not words:
        return 0.0, ""
    prep = _prepared(doc)
    best, best_s = 0.0, ""
    for sentence, sw in zip(prep.sentences, prep.words, strict=True):
        present = set(sw)
        recall = sum(1 for w in words if w in present) / len(words)
        gram = len(grams & _bigrams(sw)) / len(grams) if grams else recall
        score = (recall + gram) / 2
        if score > best:
            best, best_s = score, sentence
    return best, best_s


def verbatim_in(quote: str, doc: SourceDoc) -> bool:
    """Whether every piece of a (condensed) quote occurs word for word in one source sentence."""
    pieces = [_normal(p) for p in quote_pieces(quote)]
    return any(all(p in s for p in pieces) for s in _prepared(doc).normal)


def check_statement(st: Statement, sources: dict[str, SourceDoc], settings: CheckSettings,
                    encoder: Encoder | None = None) -> str | None:
    """Why a statement fails the check (None when one cited document supports it)."""
    cited = [sources[d] for d in st.doc_ids if d in sources]
    if not cited:
        return "no citation to a known source"
    if not content_words(st.text) and not _CJK.search(st.text):
        return "no checkable content"
    reasons = []
    for doc in cited:
        missing = missing_details(st.text, doc)
        if missing:
            reasons.append(missing)
            continue
        if st.quote:
            if verbatim_in(st.text, doc):
                return None
            reasons.append("quote not found word for word in the source")
            continue
        share, sentence = best_support(st.text, doc)
        if share >= settings.min_overlap:
            return None
        if encoder is not None and sentence:
            vec = np.asarray(encoder.encode([st.text, *_top_sentences(st.text, doc)]), np.float32)
            if len(vec) > 1 and float(np.max(vec[1:] @ vec[0])) >= settings.min_cosine:
                return None
        reasons.append(f"no supporting sentence (best overlap {share:.2f})")
    return "; ".join(dict.fromkeys(reasons))


def _top_sentences(claim: str, doc: SourceDoc, k: int = 8) -> list[str]:
    words = set(content_words(claim))
    scored = sorted(doc.sentences, key=lambda s: -len(words & set(content_words(s))))
    return [s[:600] for s in scored[:k]]


def check_all(section: str, statements: Sequence[Statement], sources: dict[str, SourceDoc],
              settings: CheckSettings, encoder: Encoder | None = None,
              ) -> tuple[list[Statement], list[Removal]]:
    """Keep the statements that pass; the others become removals of this section."""
    kept, removed = [], []
    for st in statements:
        reason = check_statement(st, sources, settings, encoder)
        if reason is None:
            kept.append(st)
        else:
            removed.append(Removal(section, st.text, reason))
    return kept, removed


def check_dates(section: str, text: str, days: Sequence[date | None], doc_ids: Sequence[str],
                sources: dict[str, SourceDoc]) -> Removal | None:
    """Dates printed next to a statement (event day, effective date) must be in a cited source."""
    known: set[date] = set()
    for d in doc_ids:
        if d in sources:
            known |= _source_days(sources[d])
    for day in days:
        if day is not None and day not in known:
            return Removal(section, text, f"date {day.isoformat()} not in the cited source")
    return None
