"""Whether a document fits a story beyond embedding similarity: what its title's slots say.

Used by the online clusterer (``nlp.cluster``) and the second pass (``nlp.story_merge``). A
story here is anything with ``items``, ``cases``, ``title_span``, ``term_counts`` and
``top_products()`` (``nlp.cluster.Story``); a document anything with ``title``, ``at`` and
``products`` (``nlp.cluster.ClusterItem``).
"""

from __future__ import annotations

from config.settings import NlpSettings
from nlp.story_slots import Case, fits_case, title_key

__all__ = ["cases_agree", "instrument_overlap", "recurs", "slot_penalty", "title_key",
           "title_overlap"]

_DAY = 86400.0
_MEMBER_PROBE = 64  # recent members compared for instrument overlap


def recurs(item, story, settings: NlpSettings) -> bool:
    """A recurring notice: the story holds the same title only from weeks away (the monthly
    "Opportunity To Request Administrative Review", a later order named like an earlier
    one), never from the same days (copies of one page)."""
    span = story.title_span.get(item.key)
    if span is None:
        return False
    gap_s = settings.cluster_recurring_days * _DAY
    at = item.at.timestamp()
    return at - span[1] >= gap_s or span[0] - at >= gap_s


def slot_penalty(item, case: Case | None, story, settings: NlpSettings) -> float:
    """What the title slots take off (or, for the same case, add to) a candidate's score."""
    penalty = 0.0
    if case is not None:
        # Templated notices: the boilerplate is alike, the case decides. A notice joins only
        # a story of its own case.
        if not fits_case(case, story.cases):
            return settings.cluster_case_penalty
        penalty -= settings.cluster_case_bonus
    elif story.cases and len(story.items) == sum(story.cases.values()):
        # A document naming no case (a monthly list of reviews) next to one case's notices.
        penalty += settings.cluster_case_penalty / 2
    if recurs(item, story, settings):
        return settings.cluster_case_penalty
    products = story.top_products()
    # Trade actions come one product at a time (copper, lumber, autos ...): alike in
    # wording, separate stories for an analyst.
    if item.products and products and not item.products & products:
        penalty += settings.cluster_product_penalty
    return penalty


def cases_agree(a, b) -> bool:
    """Two stories may merge unless one holds notices of a case the other does not share."""
    if not a.cases and not b.cases:
        return True
    return bool(a.cases and b.cases) and all(fits_case(c, a.cases) for c in b.cases)


def title_overlap(weights: dict[str, float], story) -> float:
    """IDF-weighted share of a title's words (``weights``: term -> idf) that the story's
    titles carry (each term counted by the share of members whose title has it)."""
    mass = sum(weights.values())
    if not mass:
        return 0.0
    n = len(story.items)
    counts = story.term_counts
    got = 0.0
    for term, weight in weights.items():  # a loop with dict.get: ~8 calls per document
        count = counts.get(term)
        if count:
            got += weight * min(1.0, count / n)
    return got / mass


def instrument_overlap(item, story) -> float:
    """Best Jaccard overlap of the orders and proclamations a document names with those one
    of the story's recent members names (0 when either names none).

    Different documents about one thread cite the same instruments: the five law-firm
    orders each cite EO 14147 and EO 14230, the Canada, Mexico and China fentanyl orders
    EO 14157 and Proclamation 10886. A whole set in common says more than one shared
    number (many orders cite EO 14257), and as a plain shared entity they cost precision.
    """
    mine = item.instruments
    if not mine or not story.instrument_counts or mine.isdisjoint(story.instrument_counts):
        return 0.0
    best = 0.0
    for member in story.items[-_MEMBER_PROBE:]:
        theirs = member.instruments
        if theirs and not mine.isdisjoint(theirs):
            best = max(best, len(mine & theirs) / len(mine | theirs))
    return best
