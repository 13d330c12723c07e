"""Query-term matching on sentences and quoting long legal sentences without changing them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from store.search import (
    adjacency_in,
    phrase_units,
    query_terms,
    text_matching,
    unit_alternatives,
    unit_regex,
)

_SUFFIXES = ("ings", "ing", "ies", "ied", "es", "ed", "ly", "s")
# a parenthetical of two words or more, e.g. "(which include products of Hong Kong)"
_PAREN_MULTI = re.compile(r"\s*\((?=[^()]*\s)(?:[^()]|\([^()]*\))*\)")
_ELLIPSES = re.compile(r"(?:\s*…\s*[,;]?)+\s*")
_LEGAL_CITE = re.compile(
    r",?\s+(?:under|pursuant to)\s+(?:section\s+[\w().]+\s+of\s+)?(?:the\s+)?"
    r"(?:\d+\s+U\.S\.C\.\s+[\w().]+|[A-Z][\w ]+ Act(?: of \d{4})?)(?:,\s*as amended)?",
)
_CAPS_LEAD = re.compile(r"^[A-Z0-9’'&,\- ]{8,}:\s+")
_SPACE = re.compile(r"\s+")
ELLIPSIS = " … "
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")
_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(%|percent\b|per\s*cent\b)|\$\s*(\d+(?:\.\d+)?)", re.I)


def _number_regex(number: str, query: str) -> str | None:
    """A number of the query with the unit the query gives it ("32%" matches 32 percent,
    32 per cent, 32%; "$25" matches $25 and 25 dollars), so that "32 bilateral agreements"
    is not 32%."""
    for m in _UNIT.finditer(query):
        if m.group(1) == number:
            return rf"\b{re.escape(number)}(?:\.0+)?\s*(?:%|percent\b|per\s*cent\b)"
        if m.group(3) == number:
            return rf"(?:\${re.escape(number)}\b|\b{re.escape(number)}\s*(?:dollars|USD)\b)"
    return None


def _stem(term: str) -> str:
    if len(term) == 4 and term.endswith("s") and not term.endswith("ss"):
        return term[:-1]
    if len(term) <= 4:
        return term
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            return term[: -len(suffix)]
    return term


@dataclass(frozen=True)
class Matcher:
    """The query's content terms as word-prefix patterns (short terms as whole words); terms
    the texts use together ("de minimis") count as one phrase. Units the texts rarely use
    weigh more (inverse document frequency over the texts)."""

    terms: tuple[str, ...]
    units: tuple[tuple[str, ...], ...]
    patterns: tuple[re.Pattern[str], ...]
    weights: tuple[float, ...] = ()
    numeric: tuple[bool, ...] = ()  # units that are numbers: they never match on their own

    @classmethod
    def for_query(cls, query: str, texts: Sequence[str] = (),
                  synonyms: Mapping[str, Sequence[str]] | None = None) -> Matcher:
        """Compile the content terms of an (English) query; `texts` decide the phrases and
        `synonyms` (query word -> alternatives) widen single terms."""
        terms = query_terms(query)
        stems = [_stem(t) for t in terms]
        raw_of = dict(zip(stems, terms, strict=True))
        lowered = [t.lower() for t in texts]
        adjacency = adjacency_in(text_matching(dict(enumerate(lowered))))
        units = phrase_units(stems, adjacency) if lowered else tuple((s,) for s in stems)
        numeric = tuple(len(u) == 1 and bool(_NUMBER.match(u[0])) for u in units)
        pats = tuple(re.compile(
            (_number_regex(u[0], query) if num else None)
            or unit_regex(u, unit_alternatives(u, [raw_of[u[0]]], synonyms)), re.IGNORECASE)
            for u, num in zip(units, numeric, strict=True))
        n = len(lowered)
        weights = tuple(math.log((n + 1) / (sum(1 for t in lowered if p.search(t)) + 1)) + 0.1
                        for p in pats) if n else tuple(1.0 for _ in pats)
        return cls(terms, units, pats, weights, numeric)

    def anchored(self, text: str) -> bool:
        """Whether the text has the query's anchor: one of its phrases ("de minimis"), or, when
        it has none, its most specific unit (a single-unit query: that unit)."""
        if not self.patterns:
            return False
        phrases = [p for u, p in zip(self.units, self.patterns, strict=True) if len(u) > 1]
        if phrases:
            return any(p.search(text) for p in phrases)
        words = self._words()
        if not words:
            return False
        top = max(w for _, w in words)
        return any(p.search(text) for p, w in words if w == top)

    def anchor_units(self) -> tuple[tuple[str, ...], ...]:
        """What names the query's subject: its rarest phrase ("de minimis", not "united
        states"), with the one other word of a phrase-and-word query ("Section 232
        semiconductors" is not every Section 232 action); a query without phrases, all its words that are not numbers (the three
        rarest of a long one: "reciprocal tariffs Taiwan" is not every text naming Taiwan)."""
        weights = self.weights or tuple(1.0 for _ in self.patterns)
        numeric = self.numeric or tuple(False for _ in self.patterns)
        rows = list(zip(self.units, weights, numeric, strict=True))
        phrases = [(w, u) for u, w, _ in rows if len(u) > 1]
        others = [u for u, _, n in rows if len(u) == 1 and not n]
        if len(phrases) == 1 and len(others) == 1:  # "Section 232 semiconductors": both
            return (phrases[0][1], others[0])
        if phrases:
            return (max(phrases, key=lambda x: x[0])[1],)
        words = sorted(((w, u) for u, w, n in rows if not n), key=lambda x: -x[0])[:3]
        return tuple(u for _, u in words)

    def subject(self) -> Matcher:
        """A matcher of the query's subject only (`anchor_units`): what the measure's
        timeline quotes are chosen by, so that two wordings of one request quote the same
        sentences."""
        units = self.anchor_units()
        if not units:
            return self
        at = [self.units.index(u) for u in units]
        weights = self.weights or tuple(1.0 for _ in self.patterns)
        numeric = self.numeric or tuple(False for _ in self.patterns)
        return Matcher(tuple(w for u in units for w in u), units,
                       tuple(self.patterns[i] for i in at), tuple(weights[i] for i in at),
                       tuple(numeric[i] for i in at))

    def names_anchor(self, text: str) -> bool:
        """Whether the text names the query's subject (`anchor_units`, all of them; stricter
        than `anchored`, which takes any phrase or the rarest word)."""
        units = self.anchor_units()
        return bool(units) and all(self.patterns[self.units.index(u)].search(text)
                                   for u in units)

    def _words(self) -> list[tuple[re.Pattern[str], float]]:
        """(pattern, weight) of the units that are not numbers (a number never anchors)."""
        weights = self.weights or tuple(1.0 for _ in self.patterns)
        numeric = self.numeric or tuple(False for _ in self.patterns)
        return [(p, w) for p, w, n in zip(self.patterns, weights, numeric, strict=True) if not n]

    def word_share(self, text: str) -> float:
        """Share of the query's units that are not numbers found in the text (unweighted, as
        search counts coverage): what makes a document relevant, numbers aside."""
        words = self._words()
        return sum(1 for p, _ in words if p.search(text)) / len(words) if words else 0.0

    def words_matched(self, text: str) -> bool:
        """Whether a unit that is not a number matches (a number alone makes nothing relevant)."""
        return any(p.search(text) for p, _ in self._words())

    def hits(self, text: str) -> int:
        """How many query units the text contains."""
        return sum(1 for p in self.patterns if p.search(text))

    def coverage(self, text: str) -> float:
        """Weighted share of query units in the text (0 when the query has no content terms)."""
        if not self.patterns:
            return 0.0
        weights = self.weights or tuple(1.0 for _ in self.patterns)
        got = sum(w for p, w in zip(self.patterns, weights, strict=True) if p.search(text))
        if got and not self.words_matched(text):
            return 0.0  # only the query's number matched
        return got / sum(weights)


def condense(sentence: str, max_chars: int = 420) -> str:
    """A shorter quote of a source sentence made only by leaving words out, every omission
    marked with an ellipsis (a shouted lead-in such as "CLOSING LOOPHOLES: " is a heading and
    is simply dropped).

    Long sentences lose their multi-word parentheticals and "under 19 U.S.C. ..." citations;
    if still too long, the head and the tail are kept around an ellipsis.
    """
    text = _CAPS_LEAD.sub("", sentence.strip())
    if len(text) > max_chars:
        text = _PAREN_MULTI.sub(ELLIPSIS, text)
        text = _LEGAL_CITE.sub(ELLIPSIS, text)
        text = _ELLIPSES.sub(ELLIPSIS, _SPACE.sub(" ", text)).strip()
    if len(text) <= max_chars:
        return text
    head_len = int(max_chars * 0.55)
    tail_len = max_chars - head_len - len(ELLIPSIS)
    head = text[:head_len].rsplit(" ", 1)[0].rstrip(",;:")
    tail = text[-tail_len:]
    tail = tail.split(" ", 1)[1] if " " in tail else tail
    return _ELLIPSES.sub(ELLIPSIS, head + ELLIPSIS + tail)


def quote_pieces(quote: str) -> list[str]:
    """The verbatim pieces of a condensed quote (split at ellipses)."""
    return [p.strip() for p in quote.split("…") if p.strip()]
