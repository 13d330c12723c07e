"""Which documents of the store name a draft's anchor or cite one of its instruments, for
commentary.measures: the store narrowed to the documents that may (a word's BM25 postings,
a `contains` or a regex over the texts, or, with no literal, every document in scope), then
the patterns over their texts, newest first, up to a limit.

Candidates' ids come a page at a time in date order and their texts a few hundred at a time
by the key index, so a search stops at its limit having read only what it had to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from commentary.matching import Matcher
from store.db import ids_in
from store.fulltext import docs_with_word
from store.search import SearchFilters

# Documents in a draft's scope (dates, story) that may contain a literal (then a regex decides)
_IN_SCOPE = (
    " FROM documents "
    "WHERE (?::TIMESTAMPTZ IS NULL OR coalesce(published_at, first_seen_at) >= ?::TIMESTAMPTZ) "
    "AND (?::TIMESTAMPTZ IS NULL OR coalesce(published_at, first_seen_at) <= ?::TIMESTAMPTZ) "
    "AND (?::VARCHAR IS NULL OR id IN (SELECT doc_id FROM story_members WHERE story_id = ? "
    "OR story_id IN (SELECT id FROM stories WHERE merged_into = ?))) AND "
)
_NEWEST = " ORDER BY coalesce(published_at, first_seen_at) DESC, id"
_SCOPE_SQL = "SELECT id" + _IN_SCOPE
_ORDER_SQL = _NEWEST + " LIMIT ? OFFSET ?"
_CONTAINS = "(contains(title, ?) OR contains(text, ?))"
_PAGE = 1000  # candidate ids of the first page, newest first; each further page is 8x larger
_TEXTS = 200  # texts read per query, by the key index


def _narrowing(con, literal: str) -> tuple[str, list[str]] | None:
    """The condition that narrows the store to documents that may contain `literal`, cheapest
    first: a word's documents from the BM25 postings; digits (an EO number) by a plain
    `contains`, which needs no lower-casing of every text (7-10x faster at 1M); no literal:
    every document (the regex decides); otherwise the lower-cased scan. None: no document
    can match."""
    if not literal:
        return "TRUE", []
    ids = docs_with_word(con, literal)
    if ids is not None:
        return ids_in("id", ids) if ids else None
    if not any(c.isalpha() for c in literal):
        return _CONTAINS, [literal, literal]
    return "(contains(lower(title), ?) OR contains(lower(text), ?))", [literal, literal]


def _texts(con, ids: Sequence[str]) -> dict[str, str]:
    """Title and text of some documents, by id (one string each, as the patterns read it)."""
    wanted, params = ids_in("id", ids)
    return dict(con.execute(
        "SELECT id, coalesce(title, '') || chr(10) || coalesce(text, '') FROM documents "  # noqa: S608 - ids_in binds the ids
        "WHERE " + wanted, params).fetchall())


def _matching(con, literal: str, pattern: re.Pattern[str], filters: SearchFilters,
              limit: int) -> dict[str, str]:
    """Documents in the filters' scope whose title or text matches `pattern` (the store is
    narrowed to those that may contain `literal` first), newest first, at most `limit`: id
    -> its text (whitespace collapsed).

    The candidates' ids come a page at a time in date order and their texts a few hundred
    at a time, so the search stops at the limit having read only what it had to: reading
    every candidate's text first cost 7 s (and a reader's whole memory) at 1M documents for
    an anchor with no literal ("semiconductor tariffs": every document a candidate)."""
    narrowed = _narrowing(con, literal)
    if narrowed is None:
        return {}
    cond, params = narrowed
    scope = [*_scope(filters), *params]
    found: dict[str, str] = {}
    offset, page = 0, _PAGE
    while True:
        ids = [r[0] for r in con.execute(_SCOPE_SQL + cond + _ORDER_SQL,
                                         [*scope, page, offset]).fetchall()]
        for start in range(0, len(ids), _TEXTS):
            batch = ids[start:start + _TEXTS]
            texts = _texts(con, batch)
            for doc_id in batch:
                text = " ".join(texts.get(doc_id, "").split())
                if pattern.search(text):
                    found[doc_id] = text
                    if len(found) >= limit:
                        return found  # newest first: the rest would be cut anyway
        if len(ids) < page:
            return found
        offset, page = offset + page, page * 8


def _scope(filters: SearchFilters) -> list:
    f = filters
    return [f.since, f.since, f.until, f.until, f.story_id, f.story_id, f.story_id]


def citing(con, numbers: Sequence[str], filters: SearchFilters, limit: int
            ) -> dict[str, list[str]]:
    """For each EO number, the documents in scope citing it ("Executive Order 14256"),
    newest first, at most `limit` each: what `_matching` gives number by number, from one
    scan of the texts for all of them (a `contains` over 1M texts is ~0.8 s, a regex
    alternation of the numbers about the same, and a broad measure has four or more)."""
    numbers = [n for n in numbers if n.isdigit()]  # digits: literals in the regex too
    if not numbers:
        return {}
    any_of = "|".join(numbers)
    ids = [r[0] for r in con.execute(
        "SELECT id" + _IN_SCOPE + "(regexp_matches(title, ?) OR regexp_matches(text, ?))"
        + _NEWEST, [*_scope(filters), any_of, any_of]).fetchall()]
    cites = {n: re.compile(rf"\bExecutive Order {n}\b") for n in numbers}
    found: dict[str, list[str]] = {n: [] for n in numbers}
    for start in range(0, len(ids), _TEXTS):
        batch = ids[start:start + _TEXTS]
        texts = _texts(con, batch)
        for doc_id in batch:
            raw = texts.get(doc_id, "")
            text = None
            for n in numbers:  # contains(title, n) OR contains(text, n), then the citation
                if len(found[n]) < limit and n in raw:
                    text = text or " ".join(raw.split())
                    if cites[n].search(text):
                        found[n].append(doc_id)
        if all(len(f) >= limit for f in found.values()):
            break
    return found


def anchor_ids(con, matcher: Matcher, filters: SearchFilters, limit: int) -> list[str]:
    """Documents naming the query's subject, newest first, at most `limit` (read from the
    store directly, so the set does not depend on how search ranks the rest of the query)."""
    units = matcher.anchor_units()
    if not units:
        return []
    pats = [matcher.patterns[matcher.units.index(u)] for u in units]
    plain = [(u, p) for u, p in zip(units, pats, strict=True) if "|" not in p.pattern]
    # narrowed by the longest word every match must contain (none when all have alternatives)
    literal = max((w for u, _ in plain for w in u if not _is_short(w)), key=len, default="")
    found = _matching(con, literal.lower(), pats[0], filters, limit * 4)
    if len(pats) == 1:
        return list(found)[:limit]
    return [i for i, text in found.items() if matcher.names_anchor(text)][:limit]


def _is_short(word: str) -> bool:
    return len(word) < 3
