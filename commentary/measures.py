"""The draft's timeline from the measure's lifecycle (nlp.lifecycle): every document in the
store, up to the draft's date, that names the query's anchor ("de minimis") or acts on an
instrument made for it (an order that raises the rates of EO 14256 never says "de minimis"),
read into status events with their instrument, date and verbatim sentence.

The documents are found by the anchor alone (the query's most specific unit, matched in the
store's texts), not by the whole query, so an English and a Chinese request that carry the
same anchor get the same timeline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import duckdb

from commentary.anchor_docs import anchor_ids, citing
from commentary.extract import candidates, is_boilerplate, key_sentence
from commentary.matching import Matcher, condense
from commentary.records import SourceDoc, Statement, TimelineEvent
from nlp.lifecycle import MeasureEvent, build_index, lifecycle_events, measure_timeline
from store.db import ids_in
from store.search import SearchFilters

# lifecycle kind -> the certainty key the rest of the draft uses
CERTAINTY_OF = {"announced": "announced", "proposed": "proposed", "comment_requested": "proposed",
                "final": "signed", "signed": "signed", "effective": "in force",
                "suspended": "signed", "rates_changed": "signed", "amended": "signed",
                "revoked": "signed", "enjoined": "signed"}
_ACT_KINDS = ("order", "register")
_EO = re.compile(r"\bExecutive Order (\d{5})\b")
_CHANGE = re.compile(r"\b(increas\w*|decreas\w*|reduc\w*|retain\w*|modif\w*|amend\w*|suspend\w*|"
                     r"paus\w*|revok\w*|terminat\w*)\b", re.IGNORECASE)
_RATE = re.compile(r"\b\d+(?:\.\d+)?\s*(?:percent|dollars)\b|\$\d", re.IGNORECASE)
_PAUSE = re.compile(r"\b(paus\w*|is available for otherwise eligible|shall cease to be available "
                    r"for such articles upon notification|suspended the elimination)\b",
                    re.IGNORECASE)
_FROM_TO = re.compile(r"\bfrom \d+(?:\.\d+)? (?:percent|dollars) to \d", re.IGNORECASE)
_SUSPENDS_SUBJECT = re.compile(r"^\s*(suspending|suspension of)\b", re.IGNORECASE)
MAX_DOCS = 60


@dataclass(frozen=True)
class LifeDoc:
    """A stored document as nlp.lifecycle reads it."""

    doc_id: str
    title: str
    text: str
    url: str
    published_at: datetime | None
    published_precision: str | None
    first_seen_at: datetime | None
    doc_number: str | None
    doc_type: str | None


def load_life_docs(con: duckdb.DuckDBPyConnection, ids: Sequence[str]) -> list[LifeDoc]:
    """The documents with these ids, as lifecycle records."""
    if not ids:
        return []
    wanted, params = ids_in("id", ids)  # by the key index: only these rows' text is read
    rows = con.execute(
        "SELECT id, title, coalesce(text, ''), url, published_at, published_precision, "  # noqa: S608 - ids_in binds the ids
        "first_seen_at, doc_number, doc_type FROM documents WHERE " + wanted, params).fetchall()
    return [LifeDoc(*r) for r in rows]


@dataclass(frozen=True)
class MeasureDocs:
    """The documents of the query's measure: those naming the anchor, those acting on an
    instrument made for it, and those instruments (EO number -> its document)."""

    anchored: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    seeds: dict[str, str] | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        """Every document of the measure."""
        return (*self.anchored, *self.related)

    def qualifies(self, matcher: Matcher):
        """Which clauses speak of the measure's rates: clauses naming the anchor or citing one
        of its instruments, and the rate clauses of those instruments' own documents."""
        seeds = self.seeds or {}
        cited = [re.compile(rf"\bExecutive Order {n}\b") for n in seeds if n.isdigit()]

        def test(clause: str, doc_id: str) -> bool:
            return (matcher.names_anchor(clause) or any(p.search(clause) for p in cited)
                    or doc_id in seeds.values())

        return test


def measure_doc_ids(con, matcher: Matcher, filters: SearchFilters) -> MeasureDocs:
    """The documents naming the anchor and those acting on an instrument made for it.

    An instrument is "made for" the anchor when its own document names the anchor in its
    title or in three sentences or more (EO 14256 on low-value imports, not EO 14195 on all
    Chinese goods, which names de minimis once); a document acts on it when one of its
    sentences cites it with a change verb and a rate (increase ... from 90 percent to 120
    percent).
    """
    anchored = anchor_ids(con, matcher, filters, MAX_DOCS)
    seeds = seed_instruments(load_life_docs(con, anchored), matcher)
    related: list[str] = []
    numbers = sorted(n for n in seeds if n.isdigit())
    for number, cited_by in citing(con, numbers, filters, MAX_DOCS).items():
        for doc in load_life_docs(con, cited_by):
            if doc.doc_id in anchored or doc.doc_id in related:
                continue
            for s in re.split(r"(?<=[.])\s+", doc.text):
                if number in _EO.findall(s) and _CHANGE.search(s) and _RATE.search(s):
                    related.append(doc.doc_id)
                    break
    return MeasureDocs(tuple(anchored), tuple(related), seeds)


def seed_instruments(docs: Sequence[LifeDoc], matcher: Matcher) -> dict[str, str]:
    """EO number (or "doc:<id>" when no citation gives the number yet) -> document, for the
    orders made for the anchor: it is in the title, or in three sentences or more that are
    at least a twentieth of the order (EO 14256 on low-value imports; not EO 14257, the
    reciprocal tariff order, which names de minimis three times in 200 sentences)."""
    index = build_index(docs)
    seeds: dict[str, str] = {}
    for d in docs:
        sentences = re.split(r"(?<=[.;])\s+", d.text)
        hits = sum(1 for s in sentences if matcher.names_anchor(s))
        if matcher.names_anchor(d.title) or (hits >= 3 and hits >= 0.05 * len(sentences)):
            label = index.resolve(d.title, None)
            key = label.split()[1] if label and label.startswith("EO ") else f"doc:{d.doc_id}"
            seeds[key] = d.doc_id
    return seeds


def _key_quote(doc: SourceDoc, matcher: Matcher, effective: date | None,
               min_coverage: float, cites: re.Pattern[str] | None = None) -> str | None:
    """The sentence that says what the document does for the subject: a rate change of one
    of the measure's instruments (`cites`), else the operative sentence
    commentary.extract.key_sentence picks if it names the whole subject, else the first
    sentence that does, else the title if it does; None when nothing in the document names
    the whole subject in one place (it names "Section 232" here and "semiconductors" there:
    the act is not about the subject)."""
    if cites is not None:
        for s in doc.sentences[:200]:
            if cites.search(s) and _FROM_TO.search(s):
                return condense(s)
    key = key_sentence(doc, candidates([doc], matcher, min_coverage), effective)
    if key is not None and matcher.names_anchor(key.text):
        return condense(key.text)
    for s in doc.sentences[:200]:
        if matcher.names_anchor(s) and not is_boilerplate(s):
            return condense(s)
    return doc.title if matcher.names_anchor(doc.title) else None


def _sentence_of(doc: SourceDoc, sentence: str) -> str | None:
    """The document's own sentence (as the draft splits it) that holds a lifecycle sentence."""
    if sentence == doc.title:
        return doc.title
    probe = " ".join(sentence.split())[:160]
    for s in doc.sentences:
        if probe and probe in " ".join(s.split()):
            return s
    return None


def measure_timeline_events(events: Sequence[MeasureEvent], sources: dict[str, SourceDoc],
                            matcher: Matcher, as_of: date,
                            effective: dict[str, date | None] | None = None,
                            min_coverage: float = 0.5, seeds: Sequence[str] = (),
                            ) -> list[TimelineEvent]:
    """Timeline events from lifecycle events, as of a date: each document's own act with
    the sentence that says what it does for the anchor (for an order that changes the rates
    of one of the measure's instruments, that change), and the effective dates stated by
    sentences naming the anchor or citing those instruments (`seeds`, EO numbers); a fact
    sheet on the same day as the act it describes joins the act's event. Oldest first."""
    cites = re.compile(rf"\bExecutive Order (?:{'|'.join(seeds)})\b") if seeds else None
    out: list[TimelineEvent] = []
    for e in (x for t in measure_timeline(events, as_of=as_of).values() for x in t):
        doc = sources.get(e.doc_id)
        if doc is None or doc.day is None or doc.day > as_of:
            continue
        if e.kind == "effective":
            own = _sentence_of(doc, e.sentence)
            if own is None or not (matcher.names_anchor(own) or (cites and cites.search(own))):
                continue
            text, certainty = condense(own), ("in force" if e.date <= as_of else "signed")
        else:
            text = _key_quote(doc, matcher, (effective or {}).get(doc.doc_id), min_coverage,
                              cites)
            if text is None:
                continue
            certainty = CERTAINTY_OF.get(e.kind, "announced")
        status = e.kind
        if status == "amended" and _PAUSE.search(text):
            status = "suspended"  # an amendment that puts the measure off is a pause
        elif status == "suspended" and _SUSPENDS_SUBJECT.match(doc.title) \
                and matcher.names_anchor(doc.title):
            # "Suspending Duty-Free De Minimis Treatment": the act takes the subject away,
            # it does not pause a measure; it is signed, and in force from its date
            status, certainty = "signed", "signed"
        eff = (effective or {}).get(doc.doc_id) if e.kind != "effective" else None
        if eff is not None and eff < e.date:
            eff = None
        if certainty == "signed" and eff is not None and eff <= as_of:
            certainty = "in force"
        out.append(TimelineEvent(e.date, doc.kind, Statement(text, (doc.doc_id,), quote=True),
                                 certainty, eff if e.kind != "effective" else None,
                                 instrument=e.instrument, status=status))
    return _merge_companions(out, sources)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower()))


def _merge_companions(events: list[TimelineEvent], sources: dict[str, SourceDoc]
                      ) -> list[TimelineEvent]:
    """One event per act: a fact sheet or statement announcing, on an act's day, what that
    act does becomes the act's second citation (the same-day act whose title shares most
    words with it); then one event per (day, quote, document)."""
    out: list[TimelineEvent] = []
    for e in sorted(events, key=lambda e: (e.day, e.kind not in _ACT_KINDS)):
        if e.kind not in _ACT_KINDS and e.status == "announced":
            mine = _words(sources[e.statement.doc_ids[0]].title)
            acts = [(len(mine & _words(sources[a.statement.doc_ids[0]].title)), i)
                    for i, a in enumerate(out)
                    if a.day == e.day and a.kind in _ACT_KINDS and a.status != "effective"]
            if acts:
                _, i = max(acts)
                a = out[i]
                ids = (*a.statement.doc_ids, *e.statement.doc_ids)
                out[i] = replace(a, statement=replace(a.statement, doc_ids=ids))
                continue
        out.append(e)
    seen: set[tuple] = set()
    unique = []
    for e in out:
        key = (e.day, e.statement.text, e.statement.doc_ids[0])
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique


def lifecycle_of(con, sources: dict[str, SourceDoc], ids: Sequence[str]) -> list[MeasureEvent]:
    """Lifecycle events of the given documents (instrument numbers learnt from all of them)."""
    docs = load_life_docs(con, ids)
    return lifecycle_events(docs, index=build_index(docs))


def first_effective(events: Sequence[MeasureEvent], sources: dict[str, SourceDoc]
                    ) -> dict[str, date]:
    """Each document's first effective date on or after its publication (what the rates it
    sets apply from when a clause gives no date of its own)."""
    out: dict[str, date] = {}
    for e in events:
        doc = sources.get(e.doc_id)
        if e.kind == "effective" and doc is not None and doc.day and e.date >= doc.day:
            out[e.doc_id] = min(out.get(e.doc_id, e.date), e.date)
    return out


def capped(events: Sequence[TimelineEvent], limit: int) -> list[TimelineEvent]:
    """At most `limit` events: effective dates go first, then the oldest acts (a broad
    subject - "tariffs" - names hundreds of documents; the draft's date is what matters)."""
    out = list(events)
    if len(out) <= limit:
        return out
    acts = [e for e in out if e.status not in ("effective", "superseded")]
    keep = set(map(id, acts[-limit:])) if len(acts) >= limit else set(map(id, acts))
    rest = [e for e in out if id(e) not in keep]
    keep |= set(map(id, rest[-(limit - len(keep)):])) if len(keep) < limit else set()
    return [e for e in out if id(e) in keep]
