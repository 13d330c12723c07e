"""A query as units a document must cover: its content words (stop words dropped), the
phrases the texts use ("de minimis"), the known phrases and names of the vocabulary with their
other wordings, and its CJK words; how much of them each document (and its title) covers;
and the text BM25 is asked. The units' patterns and checks are store/units.py."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from store.segment import CJK, CJK_RUN, has_cjk
from store.units import (
    Texts,
    Unit,
    anchored_matches,
    anchors,
    build_unit,
    cjk_units,
    term_regex,
    unit_matching,
    wording_regex,
)
from store.vocabulary import lookup

_WORD = re.compile(r"[a-z0-9][a-z0-9']*")  # "US-Japan" is two words
# Words that carry no topic: the fts index's English stop words plus query glue.
STOP = frozenset(
    "a an and are as at be but by for from has have how i in into is it its of on or our over "
    "that the their them these they this to us was what when where which who why will with "
    "about after against all also any before between can did do does during each new news "
    "than then there under up very via".split()
)



def query_terms(query: str) -> tuple[str, ...]:
    """Content words of a query (lower-cased, stop words and 1-letter words dropped, unique)."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(query.lower()):
        w = w.strip("'-")
        if len(w) > 1 and w not in STOP:
            seen.setdefault(w, None)
    return tuple(seen)


def phrase_units(terms: Sequence[str], adjacency: Callable[[str, str], tuple[int, int]],
                 min_ratio: float = 0.8, min_count: int = 2) -> tuple[tuple[str, ...], ...]:
    """Group consecutive query terms that the texts use as one phrase ("de minimis").

    Args:
        terms: query terms (stems) in query order.
        adjacency: (a, b) -> (texts containing both, texts containing "a b" adjacent).
        min_ratio: share of co-occurrences that must be adjacent.
        min_count: adjacent occurrences needed.

    Returns:
        Units in query order: one-term tuples and two-term phrases.
    """
    pairs = (adjacency(a, b) for a, b in zip(terms, terms[1:], strict=False))
    ratios = sorted(((adj / both, i) for i, (both, adj) in enumerate(pairs)
                     if adj >= min_count and adj >= min_ratio * both > 0), reverse=True)
    taken: set[int] = set()
    starts: set[int] = set()
    for _, i in ratios:
        if not {i, i + 1} & taken:
            taken |= {i, i + 1}
            starts.add(i)
    units, i = [], 0
    while i < len(terms):
        n = 2 if i in starts else 1
        units.append(tuple(terms[i:i + n]))
        i += n
    return tuple(units)


def unit_regex(unit: Sequence[str], alternatives: Sequence[str] = ()) -> str:
    """Regex of a term or an adjacent-word phrase, or any of its alternative wordings."""
    main = r"\W+".join(term_regex(t) for t in unit)
    return "(?:" + "|".join([main, *(term_regex(a) for a in alternatives)]) + ")" if alternatives else main


def unit_alternatives(unit: Sequence[str], raw: Sequence[str],
                      synonyms: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    """Alternatives of a one-term unit (looked up by the raw query word)."""
    return tuple(synonyms.get(raw[0].lower(), ())) if synonyms and len(unit) == 1 and raw else ()


K = TypeVar("K", bound=Hashable)
# (regex, words every match contains) -> the keys of the texts it matches
Matching = Callable[[str, Sequence[str]], frozenset[K]]


def text_matching(texts: Mapping[K, str]) -> Matching[K]:
    """A memoised lookup over lower-cased texts: (regex, words every match contains) -> the
    keys of the texts it matches. The words are tested with `in` first, which rules most
    texts out far faster than the regex would; the regex is then tried only where one of its
    leading literals (`store.units.anchors`) starts."""
    found: dict[str, frozenset[K]] = {}

    def matching(regex: str, literals: Sequence[str]) -> frozenset[K]:
        if regex not in found:
            pattern = re.compile(regex)
            leads = anchors(regex)

            def has(t: str) -> bool:
                if not leads:
                    return bool(pattern.search(t))
                return next(anchored_matches(pattern, t, t, leads), None) is not None

            found[regex] = frozenset(k for k, t in texts.items()
                                     if all(w in t for w in literals) and has(t))
        return found[regex]

    return matching


def adjacency_in(matching: Matching[K]) -> Callable[[str, str], tuple[int, int]]:
    """`phrase_units`' adjacency over some texts: (a, b) -> (texts with both terms, texts with
    them adjacent)."""

    def adjacency(a: str, b: str) -> tuple[int, int]:
        both = matching(term_regex(a), (a,)) & matching(term_regex(b), (b,))
        return len(both), len(both & matching(unit_regex((a, b)), (a, b)))

    return adjacency


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9']*")
_LONGEST_PHRASE = 6
_PHRASES: dict[int, tuple[Mapping[str, Sequence[str]], tuple[str, ...]]] = {}


def _phrases(vocabulary: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """Every lower-case English wording of the vocabulary (cached per mapping)."""
    cached = _PHRASES.get(id(vocabulary))
    if cached is None or cached[0] is not vocabulary:
        words = {w.lower() for k, v in vocabulary.items() for w in (k, *v) if not has_cjk(w)}
        cached = (vocabulary, tuple(sorted(words)))
        _PHRASES[id(vocabulary)] = cached
    return cached[1]


def query_units(query: str, stems_of: Mapping[str, str], texts: Texts,
                vocabulary: Mapping[str, Sequence[str]] | None) -> list[Unit]:
    """The units of a query, in query order: known phrases first (the longest vocabulary key
    over consecutive words), the other content words grouped where the texts use them as one
    phrase, each with its other wordings; then the query's CJK words.

    Args:
        query: the search text.
        stems_of: content word -> its stem (as the index stems it).
        texts: the candidate documents' texts (decide the phrases and the word senses).
        vocabulary: word or phrase -> other wordings (store/vocabulary.py).
    """
    vocabulary = vocabulary or {}
    phrases = _phrases(vocabulary) if vocabulary else ()
    english = CJK.sub(" ", query)
    cased = _TOKEN.findall(english)
    words = [w.lower().strip("'-") for w in cased]
    units: list[Unit] = []
    loose: list[tuple[str, str]] = []  # (word, as typed)
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_PHRASE, len(words) - i), 1, -1):
            span = words[i:i + n]
            if span[0] in STOP or span[-1] in STOP:
                continue
            alts = lookup(vocabulary, " ".join(span))
            if alts is not None:
                typed = " ".join(cased[i:i + n])
                units.append(build_unit(" ".join(span), _typed_regex(cased[i:i + n]), alts,
                                        phrases))
                units[-1] = replace(units[-1], label=typed, word_sense=(), typed_sense=())
                i += n
                break
        else:
            if words[i] in stems_of:
                loose.append((words[i], cased[i]))
            i += 1
    loose = list({w: (w, c) for w, c in loose}.values())
    if loose:
        stems = [stems_of[w] for w, _ in loose]
        typed_of = {stems_of[w]: c for w, c in loose}
        adjacency = adjacency_in(text_matching(texts.lowered))
        for u in phrase_units(stems, adjacency):
            label = " ".join(typed_of[s] for s in u)
            raw = " ".join(w for w, _ in loose if stems_of[w] in u)
            alts = lookup(vocabulary, raw) or ()
            caps = [typed_of[s] for s in u]
            main = _typed_regex(caps) if any(_is_caps(c) for c in caps) else unit_regex(u)
            unit = build_unit(raw, main, alts, phrases)
            if any(_is_caps(c) for c in caps):  # typed as an acronym: no word sense
                unit = replace(unit, label=label, word_sense=(), typed_sense=())
            units.append(unit)
    if has_cjk(query):
        known = [k for k in vocabulary if has_cjk(k)]
        units.extend(cjk_units(query, known, vocabulary, phrases))
    return units


def _is_caps(word: str) -> bool:
    return len(word) > 1 and word.isupper()


def _typed_regex(cased: Sequence[str]) -> str:
    """The query's own words as typed: ALL-CAPS ones case-sensitively."""
    return wording_regex(" ".join(cased))


# How much a unit counts by where a document has it: a title says what a document is about,
# its opening (LEAD_CHARS) nearly as much; a long text that has the unit only once, past its
# opening, often mentions it in passing.
TITLE_WEIGHT = 1.0
LEAD_WEIGHT = 0.7
BODY_WEIGHT = 0.35
ONCE_WEIGHT = 0.15


def coverage(bodies: Mapping[str, str], titles: Mapping[str, str], units: Sequence[Unit],
              texts: Texts, leads: Mapping[str, str] | None = None,
              ) -> tuple[dict[str, float], dict[str, float]]:
    """Per document: the share of the query's units its text contains (what decides whether
    it matches), and its evidence (what ranks it): the units it contains, each counted by the
    best place it is found (title, lead, body twice or more, body once: the weights above) and
    by its rarity among the candidates: "quantum" more than "computing", so a
    "Computer-Aided Detection" notice is not half as good a match for "quantum computing".

    Args:
        bodies: id -> the text matched (title and text).
        titles: id -> title.
        units: the query's units.
        texts: `bodies` prepared for matching.
        leads: id -> title and the opening of the text (None: the title alone).
    """
    if not bodies or not units:
        return {i: 0.0 for i in bodies}, {i: 0.0 for i in bodies}
    repeated: dict[str, frozenset[str]] = {}
    matching = unit_matching(texts, repeated)
    hits = [matching(u) for u in units]
    twice = [repeated[u.label] for u in units]
    title_match = unit_matching(Texts(titles))
    in_title = [title_match(u) for u in units]
    lead_match = unit_matching(Texts(leads)) if leads is not None else title_match
    in_lead = [lead_match(u) for u in units]
    weights = [math.log(1.0 + len(bodies) / (1.0 + len(h))) for h in hits]
    total = sum(weights) or 1.0
    cover, evidence = {}, {}
    for i in bodies:
        have, best = 0, 0.0
        for w, h, h2, t, ld in zip(weights, hits, twice, in_title, in_lead, strict=True):
            if i in h:
                have += 1
                best += w * (TITLE_WEIGHT if i in t else LEAD_WEIGHT if i in ld
                             else BODY_WEIGHT if i in h2 else ONCE_WEIGHT)
        cover[i], evidence[i] = have / len(hits), best / total
    return cover, evidence


def bm25_text(query: str, terms: Sequence[str],
               vocabulary: Mapping[str, Sequence[str]] | None) -> str:
    """What BM25 is asked: the query's words, their other wordings (of each word and of each
    known phrase of consecutive words), and the query's own CJK text."""
    words = list(terms)
    extra: list[str] = []
    if vocabulary:
        lowered = [w.lower().strip("'-") for w in _TOKEN.findall(CJK.sub(" ", query))]
        spans = {" ".join(lowered[i:j]) for i in range(len(lowered))
                 for j in range(i + 1, min(len(lowered), i + _LONGEST_PHRASE) + 1)}
        for span in sorted(spans):
            for alt in lookup(vocabulary, span) or ():
                extra.extend([alt] if has_cjk(alt) else query_terms(alt))
    cjk = " ".join(m.group() for m in CJK_RUN.finditer(query))
    return " ".join(dict.fromkeys([*words, *extra, cjk]))


def phrase_wordings(query: str, vocabulary: Mapping[str, Sequence[str]] | None,
                    per_phrase: int = 4) -> list[str]:
    """The known phrases of consecutive query words (two words or more) and their first
    `per_phrase` multi-word wordings, for BM25's every-word pass ("CHIPS Act", "CHIPS and
    Science Act")."""
    if not vocabulary:
        return []
    words = [w.lower().strip("'-") for w in _TOKEN.findall(CJK.sub(" ", query))]
    out: list[str] = []
    for i in range(len(words)):
        for j in range(min(len(words), i + _LONGEST_PHRASE), i + 1, -1):
            alts = lookup(vocabulary, " ".join(words[i:j]))
            if alts is not None:
                out.append(" ".join(words[i:j]))
                out += [a for a in alts if not has_cjk(a) and " " in a][:per_phrase]
                break
    return list(dict.fromkeys(out))
