"""A measure's lifecycle: status events (announced, proposed, signed, effective, suspended,
rates changed, amended, revoked, enjoined, ...) read from the documents that make or report
it, each with its date, instrument, citing document and verbatim sentence.

Events come from three things only: the document's type (an executive order is signed, a
fact sheet announces, a Federal Register proposed rule proposes - the snapshot has no FR
type field, so title and abstract cues decide), the dates its sentences give for taking
effect, and the verbs of its sentences (suspend, pause, increase, modify, amend, revoke,
enjoin). An order that amends, suspends or modifies EO N joins N's measure, following the
chain (EO 14259 amends EO 14256, which amends EO 14195: all three are EO 14195's measure).

Public API: ``lifecycle_events``, ``measure_timeline``, ``current_status``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from nlp.instruments import find_instruments, relations, title_citations, title_key
from nlp.lifecycle_docs import DocInfo, classify, doc_sentences, effective_events, signed_date
from nlp.lifecycle_links import link_measures

MODEL = "lifecycle-4"  # provenance of stored events; bumped when the rules change
KINDS = ("announced", "proposed", "comment_requested", "final", "signed", "effective",
         "suspended", "rates_changed", "amended", "revoked", "enjoined")
VERB_KIND = {"amends": "amended", "supersedes": "amended", "suspends": "suspended",
             "revokes": "revoked", "modifies": "amended"}
# Which kind wins when one document says two things on one day (the act itself first)
_ORDER = {k: i for i, k in enumerate(KINDS)}
# Which event is the status when several happen on one day: what changes the measure most
_STATUS_RANK = {k: i for i, k in enumerate((
    "announced", "proposed", "comment_requested", "final", "signed", "effective", "amended",
    "rates_changed", "suspended", "revoked", "enjoined"))}


class LifecycleDoc(Protocol):
    """What lifecycle extraction reads from a document (store.digests.MemberDoc has it; a
    store.records.Document has ``id`` instead of ``doc_id``, which is accepted too)."""

    title: str
    text: str
    published_at: datetime | None
    url: str | None
    doc_number: str | None
    doc_type: str | None


@dataclass(frozen=True)
class MeasureEvent:
    """One status event of one measure, with its citation.

    Attributes:
        measure: measure key - the instrument that defines it ("EO 14257") or
            "title:<normalised title>" when no number is known.
        kind: one of ``KINDS``.
        date: when the event happens (the stated effective date, else the publication date).
        instrument: the instrument that makes the event ("EO 14266", "FR 2025-05678"), if known.
        doc_id: the citing document.
        sentence: the verbatim citing sentence (the title for an event read from the title).
        published: when the citing document was published (for as-of filtering).
    """

    measure: str
    kind: str
    date: date
    instrument: str | None
    doc_id: str
    sentence: str
    published: date


class InstrumentIndex:
    """Instrument numbers known from citations ("Executive Order 14195 of February 1, 2025
    (Imposing Duties ...)"): resolves an order cited by date and title, or a presidential
    action whose own page never carries its number, to "EO 14195"; and each amending
    instrument to the one it amends (the measure's root)."""

    def __init__(self) -> None:
        self._by_title: dict[tuple[str, date | None], str] = {}
        self.parent: dict[str, str] = {}
        # Hashes of the texts read: a text adds nothing the second time (the first label of
        # a title wins), and `lifecycle_events` adds its documents' texts to an index that is
        # often built from those same texts (a third of a draft's lifecycle time at 1M).
        self._read: set[int] = set()

    def copy(self) -> InstrumentIndex:
        """An independent copy (extraction adds to the index it is given)."""
        other = InstrumentIndex()
        other._by_title = dict(self._by_title)
        other.parent = dict(self.parent)
        other._read = set(self._read)
        return other

    def add_text(self, text: str) -> None:
        """Learn the numbers cited with a title in a text (once per text)."""
        key = hash(text)
        if key in self._read:
            return
        self._read.add(key)
        for ref in find_instruments(text):
            if ref.title and ref.kind in ("EO", "Proclamation"):
                key = title_key(ref.title)
                if key:
                    self._by_title.setdefault((key, ref.signed), ref.label)
                    self._by_title.setdefault((key, None), ref.label)

    def resolve(self, title: str, signed: date | None) -> str | None:
        """The label of the instrument with this title (and signing date, when given; a
        signing date off by a day - a late-evening order posted the next day - still counts)."""
        key = title_key(title)
        if not key:
            return None
        if signed is not None:
            for delta in (0, -1, 1):
                found = self._by_title.get((key, date.fromordinal(signed.toordinal() + delta)))
                if found:
                    return found
            return None
        return self._by_title.get((key, None))

    def root(self, label: str) -> str:
        """The first instrument of the chain of amendments ``label`` belongs to."""
        seen = {label}
        while label in self.parent and self.parent[label] not in seen:
            label = self.parent[label]
            seen.add(label)
        return label


def doc_id_of(doc: object) -> str:
    """A document's id (``doc_id`` of a MemberDoc, ``id`` of a Document)."""
    return str(getattr(doc, "doc_id", None) or doc.id)


def build_index(docs: Iterable[LifecycleDoc]) -> InstrumentIndex:
    """An instrument index learnt from the citations in some documents (e.g. a whole store)."""
    index = InstrumentIndex()
    for d in docs:
        index.add_text(d.title + "\n" + (d.text or "")[:60000])
    return index


def lifecycle_events(docs: Sequence[LifecycleDoc], *, index: InstrumentIndex | None = None
                     ) -> list[MeasureEvent]:
    """Status events of the measures the documents make or report, deduplicated by
    (measure, kind, date) - the earliest-published citing document kept.

    Args:
        docs: the documents (a story's members, or any set; MemberDoc-like records).
        index: instrument numbers learnt from a wider set of documents (``build_index``);
            the documents' own citations are always added.
    """
    index = index or InstrumentIndex()
    docs = _without_inspection_copies(docs)
    infos = []
    for d in docs:
        index.add_text(d.title + "\n" + (d.text or "")[:60000])
    for d in docs:
        infos.append(classify(d, doc_id_of(d)))
    own: dict[str, str | None] = {}
    for info in infos:
        own[info.doc_id] = _own_instrument(info, index)
    # parents first: what each act acts on
    acts_by_date: dict[date, list[tuple[set[str], str]]] = {}
    for info in infos:
        if info.kind in ("eo", "proclamation", "memorandum"):
            key = own[info.doc_id] or "title:" + title_key(info.title)
            acts_by_date.setdefault(info.signed, []).append((set(title_key(info.title).split()), key))
    targets: dict[str, list[tuple[str, str, str]]] = {}
    for info in infos:
        targets[info.doc_id] = _targets(info, index, own[info.doc_id], acts_by_date)
        label = own[info.doc_id]
        if label and targets[info.doc_id]:
            index.parent.setdefault(label, targets[info.doc_id][0][1])
    measure_of = link_measures(infos, {i.doc_id: _measure(i, own[i.doc_id], targets[i.doc_id], index)
                                       for i in infos}, own)
    events: list[MeasureEvent] = []
    for info in infos:
        events.extend(_doc_events(info, measure_of[info.doc_id], own[info.doc_id],
                                  targets[info.doc_id]))
    return _dedup(events)


def _without_inspection_copies(docs: Sequence[LifecycleDoc]) -> list[LifecycleDoc]:
    """The documents without a public-inspection copy whose published Federal Register
    document is also there (the same FR number: one document, one set of events)."""
    published = {d.doc_number for d in docs if d.doc_number
                 and not (d.doc_type or "").startswith("public-inspection")}
    return [d for d in docs if not ((d.doc_type or "").startswith("public-inspection")
                                    and d.doc_number in published)]


def _own_instrument(info: DocInfo, index: InstrumentIndex) -> str | None:
    """The instrument a document is: its FR document number, or a presidential action's
    number resolved from citations of its title and signing date."""
    if info.kind in ("eo", "proclamation", "memorandum", "fr_presidential"):
        found = index.resolve(info.title, info.signed)
        if found:
            return found
        if info.kind == "fr_presidential":
            return None
    if info.fr_number:
        return f"FR {info.fr_number}"
    return None


def _by_date(cited_on: date, title: str, acts_by_date) -> str | None:
    """The act of the document set signed on a date whose title shares the most words with
    the citing document's ("Progress on ... Northern Border" cites the Northern Border order)."""
    words = set(title_key(title).split())
    best = max(acts_by_date.get(cited_on, []), key=lambda a: len(a[0] & words), default=None)
    return best[1] if best and best[0] & words else None


def _targets(info: DocInfo, index: InstrumentIndex, own: str | None,
             acts_by_date: dict | None = None) -> list[tuple[str, str, str]]:
    """(verb, target label, sentence) of what a document does to earlier instruments."""
    if info.kind not in ("eo", "proclamation", "memorandum", "fr"):
        return []
    out: list[tuple[str, str, str]] = []
    for s in info.sentences[:60]:
        for rel in relations(s):
            if rel.target != own and rel.verb != "implements":
                out.append((rel.verb, rel.target, s))
        for cited in title_citations(s, year=info.signed.year):
            if cited.title:
                found = index.resolve(cited.title, cited.signed)
                target = found or "title:" + title_key(cited.title)
            else:
                target = _by_date(cited.signed, info.title, acts_by_date or {})
                if target is None and cited.signed > info.signed:
                    continue  # "the January 3 Order" read in the wrong year
                target = target or f"Order of {cited.signed.isoformat()}"
            if target != own and re.search(r"\b(regarding|amend|replace|suspend|modif|revok)",
                                           s, re.IGNORECASE):
                out.append(("amends", target, s))
    if not out and info.kind == "fr":
        for s in info.sentences[:5]:
            for rel in relations(s):
                if rel.verb == "implements":
                    out.append((rel.verb, rel.target, s))
    return out


def _measure(info: DocInfo, own: str | None, targets, index: InstrumentIndex) -> str:
    if targets:
        return index.root(targets[0][1])
    if own and not own.startswith("FR "):
        return index.root(own)
    if own:
        return own
    return "title:" + title_key(info.title)


def _doc_events(info: DocInfo, measure: str, own: str | None, targets) -> list[MeasureEvent]:
    out: list[MeasureEvent] = []

    def add(kind: str, day: date, sentence: str, instrument: str | None = own) -> None:
        out.append(MeasureEvent(measure, kind, day, instrument, info.doc_id, sentence,
                                info.published))

    for kind, sentence in act_kinds(info, targets):
        add(kind, info.signed, sentence)
    for kind, day, sentence in info.dated:
        add(kind, day, sentence, None)
    for kind, day, sentence in effective_events(info):
        add(kind, day, sentence)
    return out


_STRONG = ("suspended", "rates_changed", "revoked")


def act_kinds(info: DocInfo, targets) -> list[tuple[str, str]]:
    """The events a document is itself, on its signing (publication) date.

    A new order is "signed" (what it does inside is its own business); an order that acts on
    an earlier one is what its title says, else its verb ("amends", "suspends"), and the pause,
    rate change or revocation its operative sentences perform replaces a plain "amended"
    (5 February: an "Amendment" that pauses the end of de minimis). Federal Register documents
    are each kind their title and abstract state.
    """
    if info.title_kind is None:
        return []
    if info.kind not in ("eo", "proclamation", "memorandum"):
        return [(info.title_kind, info.title), *info.body_kinds]
    base = info.title_kind
    if base == "signed" and not targets:
        return [("signed", info.title)]
    if base == "signed":
        base = VERB_KIND.get(targets[0][0], "signed")
    strong = [(k, s) for k, s in info.body_kinds if k in _STRONG and k != base]
    if base == "amended" and strong:
        return strong
    return [(base, info.title), *strong]


def _dedup(events: list[MeasureEvent]) -> list[MeasureEvent]:
    best: dict[tuple[str, str, date], MeasureEvent] = {}
    for e in sorted(events, key=lambda e: (e.published, e.instrument is None, e.doc_id)):
        best.setdefault((e.measure, e.kind, e.date), e)
    return sorted(best.values(), key=_sort_key)


def _sort_key(e: MeasureEvent) -> tuple:
    return (e.measure, e.date, _ORDER[e.kind], e.published, e.doc_id)


def measure_timeline(events: Iterable[MeasureEvent], *, as_of: date | None = None
                     ) -> dict[str, list[MeasureEvent]]:
    """Events per measure in date order, only those cited by documents published by ``as_of``.

    Args:
        events: events from ``lifecycle_events``.
        as_of: leave out events whose citing document was published after this date.
    """
    out: dict[str, list[MeasureEvent]] = {}
    for e in sorted(events, key=_sort_key):
        if as_of is not None and e.published > as_of:
            continue
        out.setdefault(e.measure, []).append(e)
    return out


def current_status(timeline: Sequence[MeasureEvent], as_of: date) -> MeasureEvent | None:
    """The measure's status on ``as_of``: its latest event that has happened by then, cited
    by a document published by then (an effective date still ahead is not a status yet). On
    one day a pause or revocation outranks a rate change or amendment, and the date a pause
    takes effect keeps the pause as the status.

    Args:
        timeline: one measure's events (a value of ``measure_timeline``).
        as_of: the reference date (a digest's or draft's date).
    """
    done = [e for e in timeline if e.published <= as_of and e.date <= as_of]
    if not done:
        return None
    best = max(done, key=lambda e: (e.date, _STATUS_RANK[e.kind], e.published))
    if best.kind == "effective":
        # the date a pause or revocation takes effect: the status is the pause ("暫緩"), not
        # "in effect" (9 April order: suspended, effective 10 April)
        paused = [e for e in done if e.doc_id == best.doc_id and e.kind in ("suspended", "revoked")]
        if paused:
            return max(paused, key=lambda e: (e.date, _STATUS_RANK[e.kind]))
    return best


__all__ = ["KINDS", "MODEL", "InstrumentIndex", "LifecycleDoc", "MeasureEvent", "build_index",
           "current_status", "doc_id_of", "doc_sentences", "lifecycle_events", "measure_timeline",
           "signed_date"]
