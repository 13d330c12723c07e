"""Watchlist queries: parsing and matching against a document's title and text (no NLP), and
the glossary translation (Traditional Chinese terms -> English) they share with search.

A query is alternatives separated by ``OR``; within an alternative every word or "quoted
phrase" must appear. Latin-script terms match whole words, case-insensitively; terms in
Chinese or Japanese match as substrings (no spaces between words there). A zh-TW term the
glossary knows also matches its English wording (對等關稅 -> "reciprocal tariff"), so a Chinese
watchlist finds the English documents. The parsing lives in the store because the store's
watchlists run it; the shipped glossary's contents are loaded above it
(``commentary.query.load_glossary``) and passed in.

Example:
    >>> q = parse_query('"de minimis" OR "section 321" parcels')
    >>> matches(q, "US ends de minimis exemption", "")
    True
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from config.errors import ConfigError

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SPACE = re.compile(r"\s+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # what the glossary translates


@dataclass(frozen=True)
class Glossary:
    """Traditional Chinese -> English terms, longest first (for greedy matching)."""

    terms: tuple[tuple[str, str], ...]


def translate(text: str, glossary: Glossary) -> tuple[str, tuple[tuple[str, str], ...], str]:
    """Replace glossary terms (longest match first) by their English.

    Returns:
        (English text with untranslated CJK removed, pairs used, the CJK left untranslated).
    """
    used: list[tuple[str, str]] = []
    out = text
    for zh, en in glossary.terms:
        if zh in out:
            out = out.replace(zh, f" {en} ")
            used.append((zh, en))
    leftover = "".join(_HAN.findall(out))
    english = _SPACE.sub(" ", _HAN.sub(" ", out)).strip()
    return english, tuple(used), leftover


@dataclass(frozen=True)
class Query:
    """A parsed watchlist query: any alternative matches when all its terms appear."""

    text: str
    alternatives: tuple[tuple[str, ...], ...]
    expansions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # zh term -> English wordings

    def wordings(self, term: str) -> tuple[str, ...]:
        """The term and the English wordings it was expanded to."""
        return (term, *dict(self.expansions).get(term, ()))


def normalise(text: str) -> str:
    """Case-folded NFKC text with runs of whitespace (and dashes) collapsed to one space."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = re.sub(r"[\u2010-\u2015\-]", " ", text)
    return _SPACE.sub(" ", text).strip()


def parse_query(text: str, glossary: Callable[[], Glossary] | None = None) -> Query:
    """Parse a watchlist query.

    Args:
        text: the query.
        glossary: returns the zh -> English glossary (called only when the query has Chinese
            or Japanese terms); None parses without English expansions (enough to validate).

    Raises:
        ConfigError: empty query, an empty alternative, or an unbalanced quote.
    """
    try:
        tokens = shlex.split(text or "", posix=True)
    except ValueError as exc:
        raise ConfigError(f"alert query {text!r}: {exc}") from exc
    alternatives: list[tuple[str, ...]] = []
    current: list[str] = []
    for token in tokens:
        if token == "OR":
            if not current:
                raise ConfigError(f"alert query {text!r}: nothing before OR")
            alternatives.append(tuple(current))
            current = []
            continue
        term = normalise(token)
        if term:
            current.append(term)
    if not current:
        raise ConfigError(f"alert query {text!r}: empty query or nothing after OR")
    alternatives.append(tuple(current))
    terms = dict.fromkeys(t for alt in alternatives for t in alt if _CJK.search(t))
    expansions = tuple((t, english) for t in terms
                       if glossary is not None and (english := _english(t, glossary())))
    return Query(text=text, alternatives=tuple(alternatives), expansions=expansions)


def _english(term: str, glossary: Glossary) -> tuple[str, ...]:
    """English wordings of a Chinese term, when the glossary covers all of it."""
    english, used, leftover = translate(term, glossary)
    if not used or leftover:
        return ()
    phrase = normalise(english)
    # "reciprocal tariff" must find "reciprocal tariffs" and the other way round
    variants = {phrase, phrase[:-1] if phrase.endswith("s") else phrase + "s"}
    return tuple(sorted(variants))


def _term_pattern(term: str) -> re.Pattern[str]:
    if _CJK.search(term):
        return re.compile(re.escape(term))
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)")


def matches(query: Query, title: str, text: str) -> bool:
    """Whether a document (title and text) matches the query."""
    haystack = normalise(f"{title}\n{text}")
    return any(all(any(_term_pattern(w).search(haystack) for w in query.wordings(t)) for t in alt)
               for alt in query.alternatives)
