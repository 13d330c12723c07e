"""The draft's sections as one record: composed from the retrieved documents, then checked
claim by claim (commentary.claims). `write_commentary` runs retrieve -> compose -> check ->
assemble over these records."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from commentary.asof import AsOfStatus, Reach, as_of_status, cancelled_effects
from commentary.claims import CheckSettings, check_all, check_dates, check_statement
from commentary.exposure import implications as find_implications
from commentary.extract import (
    Candidate,
    background_evidence,
    facts,
    focal_docs,
    reaction_candidates,
    summary_evidence,
    timeline,
    watch_items,
)
from commentary.matching import Matcher, condense
from commentary.measures import MeasureDocs
from commentary.records import (
    Fact,
    Implication,
    Removal,
    SourceDoc,
    Statement,
    TimelineEvent,
    WatchItem,
)
from commentary.writers import Evidence, SectionBrief, Writer

_MAX_EVIDENCE = 12


@dataclass(frozen=True)
class Retrieved:
    """What retrieval found for one draft: the sources (oldest first), the query's matcher,
    the candidate sentences (best first) and each source's effective date."""

    query: str  # the English search text
    as_of: date
    sources: tuple[SourceDoc, ...]
    matcher: Matcher
    candidates: tuple[Candidate, ...]
    effective: dict[str, date | None]
    methods: tuple[str, ...] = ()
    reach: Reach | None = None  # how far the store reaches (said in the draft's notes)
    events: tuple[TimelineEvent, ...] = ()  # the measure's lifecycle as of the date, if found
    measure: MeasureDocs | None = None  # the documents of the query's measure
    starts: dict[str, date] | None = None  # each act's first effective date (lifecycle)

    @property
    def by_id(self) -> dict[str, SourceDoc]:
        """The sources by document id."""
        return {d.doc_id: d for d in self.sources}


@dataclass(frozen=True)
class Sections:
    """The draft's sections before assembly (statements cite documents by id)."""

    summary: tuple[Statement, ...] = ()
    background: tuple[Statement, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    facts: tuple[Fact, ...] = ()
    reactions: tuple[Statement, ...] = ()
    implications: tuple[Implication, ...] = ()
    watch: tuple[WatchItem, ...] = ()
    status: tuple[Statement, ...] = ()  # the quotes of the as-of status (事件摘要's head)
    as_of: AsOfStatus | None = None  # where the measure stands on the draft's date

    def statements(self) -> list[Statement]:
        """Every statement, in reading order (the order references are numbered in)."""
        return [*self.status, *self.summary, *self.background,
                *(e.statement for e in self.timeline), *(f.statement for f in self.facts),
                *self.reactions, *(s for i in self.implications for s in i.evidence),
                *(w.statement for w in self.watch)]


@dataclass
class CheckRun:
    """The claim check over one draft: statements checked and removed so far."""

    settings: CheckSettings
    sources: dict[str, SourceDoc]
    encoder: object | None = None
    checked: int = 0
    removed: list[Removal] = field(default_factory=list)

    def plain(self, section: str, items: Sequence[Statement]) -> tuple[Statement, ...]:
        """The statements of a section that one cited source supports."""
        self.checked += len(items)
        kept, gone = check_all(section, list(items), self.sources, self.settings, self.encoder)
        self.removed.extend(gone)
        return tuple(kept)

    def dated(self, section: str, items: Sequence, days: Callable) -> tuple:
        """Items carrying a statement and printed dates (`days(item)`): both must check."""
        out = []
        for item in items:
            self.checked += 1
            st = item.statement
            reason = check_statement(st, self.sources, self.settings, self.encoder)
            bad = (Removal(section, st.text, reason) if reason else
                   check_dates(section, st.text, days(item), st.doc_ids, self.sources))
            if bad:
                self.removed.append(bad)
            else:
                out.append(item)
        return tuple(out)


def _brief(section: str, cands: Sequence[Candidate], docs: dict[str, SourceDoc], n: int,
           chronological: bool = False) -> SectionBrief:
    ev = tuple(Evidence(f"E{i}", c.doc_id, c.text, docs[c.doc_id].day, c.index)
               for i, c in enumerate(cands[:_MAX_EVIDENCE], 1))
    return SectionBrief(section, ev, n, chronological)


def compose(found: Retrieved, writer: Writer, cs,
            events: Sequence[TimelineEvent] | None = None) -> Sections:
    """Every section from the retrieved documents (`events`: a timeline made elsewhere, e.g.
    from the measure's lifecycle; else the documents' own acts)."""
    by_id, cands, as_of = found.by_id, list(found.candidates), found.as_of
    if events is None:
        events = timeline(found.sources, cands, found.matcher, as_of, cs.timeline_events,
                          found.effective)
    focal = focal_docs(found.sources)
    summary = writer.write(found.query, _brief("summary", summary_evidence(focal, cands), by_id,
                                               cs.summary_sentences))
    told = {e.statement.text for e in events}
    said = {s.text for s in summary} | told
    earlier = background_evidence(found.sources, [c for c in cands if condense(c.text) not in said],
                                  focal[0].day if focal else None, set())
    background = writer.write(found.query, _brief("background", earlier, by_id,
                                                  cs.background_sentences, chronological=True))
    reactions = writer.write(found.query, _brief("reactions", reaction_candidates(cands, by_id),
                                                 by_id, cs.reactions))
    used = told | {s.text for s in summary + background}
    fx = facts([c for c in cands if condense(c.text) not in used], by_id, found.effective, as_of,
               cs.facts, used)
    if len(fx) < min(3, cs.facts):  # few sources: key facts may repeat the narrative
        fx = facts([c for c in cands if condense(c.text) not in told], by_id, found.effective,
                   as_of, cs.facts, told)
    watch = watch_items(found.sources, found.matcher, as_of, cs.watch_items)
    status = as_of_status(events, by_id, {**found.effective, **(found.starts or {})}, as_of,
                          found.measure.qualifies(found.matcher), found.matcher.names_anchor) \
        if found.measure is not None and found.events else None
    if status is not None:
        events = cancelled_effects(events, status)
    fx = _by_document_type(fx, events)
    return Sections(tuple(summary), tuple(background), tuple(events), tuple(fx),
                    tuple(reactions), (), tuple(watch),
                    tuple(status.statements()) if status else (), status)


def _by_document_type(fx: Sequence[Fact], events: Sequence[TimelineEvent]) -> list[Fact]:
    """Facts from a request for comment or a proposed rule say so (徵求意見, 擬議), whatever
    their wording: the document type decides, as in the timeline."""
    kinds = {e.statement.doc_ids[0]: e.status for e in events
             if e.status in ("comment_requested", "proposed")}
    return [replace(f, status=kinds[f.statement.doc_ids[0]], certainty="proposed")
            if f.statement.doc_ids[0] in kinds else f for f in fx]


def check(sections: Sections, run: CheckRun, max_implications: int, as_of: date) -> Sections:
    """The sections with every statement that fails the claim check removed (recorded in
    `run`); implications are found from what survived, their evidence checked too."""
    kept = Sections(
        summary=run.plain("summary", sections.summary),
        background=run.plain("background", sections.background),
        timeline=run.dated("timeline", sections.timeline, lambda e: (e.day, e.effective)),
        facts=run.dated("facts", sections.facts, lambda f: (f.effective,)),
        reactions=run.plain("reactions", sections.reactions),
        watch=run.dated("watch", sections.watch, lambda w: (w.day,)),
        status=run.plain("summary", sections.status),
    )
    if sections.as_of is not None:  # what stands on a quote that failed is left out
        status = sections.as_of.keeping(set(kept.status), kept.timeline)
        kept = replace(kept, as_of=status, status=tuple(status.statements()))
    cited = [*kept.status, *kept.summary, *kept.background, *(e.statement for e in kept.timeline),
             *(f.statement for f in kept.facts)]
    imps = tuple(replace(i, evidence=run.plain("implications", i.evidence))
                 for i in find_implications(cited, run.sources, max_implications, as_of))
    return replace(kept, implications=imps)
