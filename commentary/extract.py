"""From cited documents to the draft's structured parts: timeline, key facts, things to watch,
and the candidate sentences the writer chooses from for the narrative sections."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from commentary.matching import Matcher, condense
from commentary.records import Fact, SourceDoc, Statement, TimelineEvent, WatchItem
from nlp.dates import certainty, date_mentions, find_dates, is_report_duty, relative_deadline

AUTHORITY = {"order": 3.0, "register": 2.5, "fact-sheet": 2.0, "statement": 1.5,
             "article": 1.0, "other": 1.0}
_ACTION = re.compile(
    r"\b(shall|will|hereby|suspend\w*|impos\w*|eliminat\w*|clos\w*|ending|ends?|terminat\w*|"
    r"amend\w*|no longer|paus\w*|signed|announc\w*|establish\w*|increas\w*|reduc\w*|modif\w*|"
    r"implement\w*|cease\w*|repeal\w*|extend\w*|effective)\b", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"^(?:\(?[a-z]\)\s*)?(?:Nothing in this (?:order|proclamation|memorandum)|This (?:order|"
    r"proclamation|memorandum) (?:shall be implemented|is not intended)|The costs for publication|"
    r"By the authority vested in me|the authority granted by law|the functions of the Director)",
    re.IGNORECASE)
_REFERENCE = re.compile(
    r"Executive Order (\d{5}) of ((?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December) \d{1,2}, \d{4}) \(([^()]{10,220})\)")
_OPERATIVE = re.compile(
    r"\b(shall no longer|shall not (?:be available|apply)|no longer (?:be )?(?:available|apply)|"
    r"(?:is|are) (?:hereby )?suspended|hereby|shall be (?:suspended|eliminated|terminated|imposed)|"
    r"signed an? (?:Executive Order|Proclamation|Memorandum)|is ending|is suspending|"
    r"eliminat(?:es|ing)|suspend(?:s|ing)|clos(?:es|ing)|repeals?|takes? effect)\b", re.IGNORECASE)
_BACKREF = re.compile(
    r"^(?:In (?:that|this|such|the) (?:order|proclamation)|In Executive Order|In Proclamation|"
    r"As noted in|I subsequently|In my judgment|I also provided|Regarding the|As described in|"
    r"On \w+ \d{1,2}, \d{4})", re.IGNORECASE)
_CONTEXT = re.compile(
    r"\b(because|due to|threat|crisis|loophole|exploit\w*|avoid detection|increased|volume|"
    r"previously|deceptive|evade|evasion|circumvent\w*|purpose|in order to|to address|"
    r"billion|million|percent|average)\b", re.IGNORECASE)
_REACTION = re.compile(
    r"\b(said|says|stated|according to|welcomed|praised|critici[sz]ed|warned|applauded|urged|"
    r"called (?:on|for)|argued|vowed|condemned|responded|retaliat\w*)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Candidate:
    """A source sentence that mentions the query, with what it says about dates."""

    doc_id: str
    index: int
    text: str
    coverage: float
    effective: tuple[date, ...]
    score: float


def _norm_title(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", title.lower().replace("’", "'")))


def is_boilerplate(sentence: str) -> bool:
    """Standard closing provisions and enacting formulas (never facts)."""
    return bool(_BOILERPLATE.search(sentence.strip()))


def candidates(docs: Sequence[SourceDoc], matcher: Matcher, min_coverage: float) -> list[Candidate]:
    """Sentences covering enough of the query, scored (coverage, action, dates, authority, lead)."""
    out = []
    for doc in docs:
        for i, s in enumerate(doc.sentences):
            cov = matcher.coverage(s)
            if cov < min_coverage or is_boilerplate(s) or (cov < 1.0 and not matcher.anchored(s)):
                continue
            eff = tuple(m.day for m in date_mentions(s, doc.day) if m.role == "effective")
            score = (2.0 * cov + (0.6 if _ACTION.search(s) else 0.0) + (0.5 if eff else 0.0)
                     + 0.15 * AUTHORITY[doc.kind] + 0.4 / (1 + i) + doc.relevance
                     - (0.4 if len(s) > 700 else 0.0))
            out.append(Candidate(doc.doc_id, i, s, cov, eff, score))
    out.sort(key=lambda c: (-c.score, c.doc_id, c.index))
    return out


def doc_effective(doc: SourceDoc, matcher: Matcher) -> date | None:
    """The effective date a document gives for its measure: the most stated one on or after
    the document's date, preferring sentences that mention the query; source metadata wins."""
    for line in doc.meta_lines:
        if line.startswith("Effective on"):
            found = find_dates(line)
            if found:
                return found[0][0]
    relevant: Counter[date] = Counter()
    any_: Counter[date] = Counter()
    for s in doc.sentences:
        days = [m.day for m in date_mentions(s, doc.day) if m.role == "effective"
                and (doc.day is None or m.day >= doc.day)]
        any_.update(days)
        if matcher.coverage(s) > 0:
            relevant.update(days)
    pool = relevant or any_
    if not pool:
        return None
    return sorted(pool.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def key_sentence(doc: SourceDoc, cands: Sequence[Candidate],
                 effective: date | None) -> Candidate | None:
    """The sentence that states this document's own act: operative wording, the document's
    effective date, the query; not a recital of earlier orders."""
    own = [c for c in cands if c.doc_id == doc.doc_id and _ACTION.search(c.text)]
    if not own:
        return None

    def rank(c: Candidate) -> tuple[float, int]:
        score = (2.0 * c.coverage + (1.0 if _OPERATIVE.search(c.text) else 0.0)
                 + (0.8 if effective and effective in c.effective else 0.0)
                 - (1.2 if _BACKREF.search(c.text) else 0.0)
                 - (0.4 if len(c.text) > 600 else 0.0) + 0.3 / (1 + c.index))
        return score, -c.index

    return max(own, key=rank)


_ACTS = ("order", "register")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower()))


def _companion_of(ev: TimelineEvent, doc: SourceDoc,
                  merged: Sequence[tuple[float, TimelineEvent, SourceDoc]]) -> int | None:
    """The same-day act a fact sheet or statement accompanies: same effective date, or same
    story with shared wording (acts themselves are never merged with each other)."""
    best, best_key = None, (0, 0.0)
    for i, (_, e0, d0) in enumerate(merged):
        if e0.day != ev.day or d0.kind not in _ACTS:
            continue
        same_eff = bool(ev.effective and e0.effective == ev.effective)
        a, b = _words(doc.title + " " + ev.statement.text), _words(d0.title + " " + e0.statement.text)
        overlap = len(a & b) / max(1, len(a | b))
        same_story = bool(d0.story_id and d0.story_id == doc.story_id and overlap >= 0.15)
        key = (int(same_eff) + int(same_story), overlap)
        if (same_eff or same_story) and key > best_key:
            best, best_key = i, key
    return best


def timeline(docs: Sequence[SourceDoc], cands: Sequence[Candidate], matcher: Matcher,
             as_of: date, max_events: int,
             effective: dict[str, date | None] | None = None) -> list[TimelineEvent]:
    """Dated events: each relevant document's own act (with its effective date), plus earlier
    executive orders the documents cite by number and date, oldest first.

    A document is an event when a sentence covering the query states an action, and it is an
    order, a register notice, a fact sheet or a statement, or its title covers the query.
    A fact sheet or statement on the same day and measure as an act (same effective date, or
    same story and shared wording) joins that act's event as a second citation.
    """
    events: list[tuple[float, TimelineEvent, SourceDoc]] = []
    titles = {_norm_title(d.title) for d in docs}
    for doc in docs:
        eff = effective[doc.doc_id] if effective is not None else doc_effective(doc, matcher)
        key = key_sentence(doc, cands, eff)
        if doc.day is None or key is None or doc.day > as_of:
            continue
        if doc.kind in ("article", "other") and matcher.coverage(doc.title) < 0.5:
            continue
        text = condense(key.text)
        level = certainty(key.text, doc.kind, eff, as_of)
        if doc.kind not in _ACTS:  # a fact sheet saying the order was signed speaks for the act
            said = {certainty(c.text, doc.kind, eff, as_of) for c in cands if c.doc_id == doc.doc_id}
            level = next((x for x in ("in force", "signed") if x in said), level)
        ev = TimelineEvent(doc.day, doc.kind, Statement(text, (doc.doc_id,), quote=True), level, eff)
        events.append((key.score + AUTHORITY[doc.kind], ev, doc))
    merged: list[tuple[float, TimelineEvent, SourceDoc]] = []
    for score, ev, doc in sorted(events, key=lambda e: -AUTHORITY[e[2].kind]):
        twin = None if doc.kind in _ACTS else _companion_of(ev, doc, merged)
        if twin is None:
            merged.append((score, ev, doc))
        else:
            s0, e0, d0 = merged[twin]
            st = Statement(e0.statement.text, (*e0.statement.doc_ids, doc.doc_id), quote=True)
            merged[twin] = (max(s0, score), TimelineEvent(e0.day, e0.kind, st, e0.certainty,
                                                          e0.effective), d0)
    seen_refs: set[str] = set()
    for c in cands:
        for m in _REFERENCE.finditer(c.text):
            number, when, title = m.group(1), find_dates(m.group(2)), m.group(3)
            if not when or _norm_title(title) in titles or number in seen_refs:
                continue
            if matcher.coverage(c.text[m.start():m.end() + 240]) < 1.0:
                continue
            seen_refs.add(number)
            text = condense(c.text[m.start():] if m.start() > 0 else c.text)
            ev = TimelineEvent(when[0][0], "reference", Statement(text, (c.doc_id,), quote=True),
                               "signed", None)
            merged.append((c.score, ev, next(d for d in docs if d.doc_id == c.doc_id)))
    merged.sort(key=lambda e: -e[0])
    kept = [e for _, e, _ in merged[:max_events]]
    return sorted(kept, key=lambda e: (e.day, -AUTHORITY.get(e.kind, 1.0)))


def facts(cands: Sequence[Candidate], docs: dict[str, SourceDoc], effective: dict[str, date | None],
          as_of: date, max_facts: int, exclude: set[str], per_doc: int = 2) -> list[Fact]:
    """Key facts: the best informative sentences (numbers, dates or actions), at most `per_doc`
    from one document, none repeating another; each with certainty and effective date."""
    out: list[Fact] = []
    taken: Counter[str] = Counter()
    chosen: list[set[str]] = []
    for c in cands:
        if len(out) >= max_facts:
            break
        if c.text in exclude or taken[c.doc_id] >= per_doc:
            continue
        if not (re.search(r"\d", c.text) or _ACTION.search(c.text)):
            continue
        words = set(re.findall(r"[a-z0-9]+", c.text.lower()))
        if any(len(words & w) / max(1, len(words | w)) > 0.5 for w in chosen):
            continue
        doc = docs[c.doc_id]
        eff = c.effective[0] if c.effective else (
            effective.get(c.doc_id) if doc.kind in ("order", "register")
            and _OPERATIVE.search(c.text) else None)
        out.append(Fact(Statement(condense(c.text), (c.doc_id,), quote=True),
                        certainty(c.text, doc.kind, eff, as_of), eff))
        taken[c.doc_id] += 1
        chosen.append(words)
    return out


def watch_items(docs: Sequence[SourceDoc], matcher: Matcher, as_of: date,
                max_items: int) -> list[WatchItem]:
    """Deadlines, comment periods, effective dates after `as_of`, and ordered reports, from
    sentences that mention the query, or state the effective date of an act whose title is
    on the query's topic (documents published by `as_of` only; dated first, soonest first)."""
    dated: list[tuple[date, str, Statement]] = []
    undated: list[tuple[float, Statement]] = []
    seen: set[tuple[date, str]] = set()
    for doc in docs:
        if doc.day is not None and doc.day > as_of:
            continue
        about = doc.kind in _ACTS and matcher.anchored(doc.title)  # an act on the query's topic
        for s in doc.sentences:
            cov = matcher.coverage(s) if matcher.anchored(s) else 0.0
            if is_boilerplate(s) or (cov == 0 and not about):
                continue
            for m in date_mentions(s, doc.day):
                if m.role == "mention" or m.day <= as_of or (m.day, m.role) in seen:
                    continue
                if cov == 0 and m.role != "effective":
                    continue
                seen.add((m.day, m.role))
                dated.append((m.day, m.role, Statement(condense(s), (doc.doc_id,), quote=True)))
            if relative_deadline(s) and is_report_duty(s) and cov >= 0.5 and (
                    doc.day is None or doc.day >= as_of.replace(year=as_of.year - 1)):
                undated.append((cov + AUTHORITY[doc.kind],
                                Statement(condense(s), (doc.doc_id,), quote=True)))
    dated.sort(key=lambda x: (x[0], x[1]))
    items = [WatchItem(d, role, st) for d, role, st in dated]
    undated.sort(key=lambda x: -x[0])
    items += [WatchItem(None, "report", st) for _, st in undated]
    return items[:max_items]


def reaction_candidates(cands: Sequence[Candidate], docs: dict[str, SourceDoc]) -> list[Candidate]:
    """Sentences reporting what someone said or did in response (not the measure's own text)."""
    return [c for c in cands if docs[c.doc_id].kind not in ("order", "register")
            and _REACTION.search(c.text)]


def summary_evidence(focal: Sequence[SourceDoc], cands: Sequence[Candidate]) -> list[Candidate]:
    """What happened: the focal documents' sentences in reading order (press summaries first)."""
    order = {"fact-sheet": 0, "statement": 1, "article": 2, "order": 3, "register": 4, "other": 5}
    ids = {d.doc_id: (order.get(d.kind, 5), -d.relevance) for d in focal}
    own = [c for c in cands if c.doc_id in ids and not _BACKREF.search(c.text)]
    return sorted(own, key=lambda c: (ids[c.doc_id], c.index))


def background_evidence(docs: Sequence[SourceDoc], cands: Sequence[Candidate],
                        focal_day: date | None, exclude: set[str]) -> list[Candidate]:
    """Context: reasons, scale and earlier measures, from the focal day or before."""
    by_id = {d.doc_id: d for d in docs}
    out = []
    for c in cands:
        day = by_id[c.doc_id].day
        if c.text in exclude or (focal_day and day and day > focal_day):
            continue
        bonus = (1.0 if _CONTEXT.search(c.text) else 0.0) + (0.6 if _BACKREF.search(c.text) else 0.0)
        out.append((c.score + bonus, c))
    return [c for _, c in sorted(out, key=lambda x: (-x[0], x[1].doc_id, x[1].index))]


def focal_docs(docs: Sequence[SourceDoc]) -> list[SourceDoc]:
    """The event the draft is about: the most relevant document and its same-day companions."""
    if not docs:
        return []
    top = max(docs, key=lambda d: (d.relevance, AUTHORITY[d.kind], d.day or date.min))
    return [d for d in docs if d.day == top.day and (d is top or d.story_id == top.story_id
                                                     or d.relevance >= 0.5 * top.relevance)]
