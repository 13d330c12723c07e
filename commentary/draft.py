"""Write a quick-commentary draft: search, pick documents, extract, write, check, store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import duckdb
import numpy as np

from commentary.asof import reach_notes, status_lines, store_reach
from commentary.claims import CheckSettings
from commentary.extract import Candidate, candidates, doc_effective
from commentary.matching import Matcher
from commentary.measures import (
    MeasureDocs,
    capped,
    first_effective,
    lifecycle_of,
    load_life_docs,
    measure_doc_ids,
    measure_timeline_events,
    seed_instruments,
)
from commentary.query import PreparedQuery, load_synonyms, prepare_query
from commentary.records import CheckReport, Draft, DraftInputs, Reference
from commentary.render import KIND_ZH, render_markdown
from commentary.sections import CheckRun, Retrieved, Sections, check, compose
from commentary.sources import load_sources
from commentary.writers import Writer, make_writer
from commentary.zh import read_in_chinese
from config.errors import BadInputError, NotFoundError
from config.settings import Settings
from store import drafts as store_drafts
from store.db import ids_in
from store.fulltext import refresh_search_index
from store.search import SearchFilters, search


def parse_instant(value: date | datetime | str | None, tz: str, end: bool = False) -> datetime | None:
    """A filter bound as a UTC instant; a bare date is its start (or end) in `tz`.

    Raises:
        BadInputError: not an ISO date or date-time, or one that has no UTC instant (before
            year 1 or after year 9999 once converted).
    """
    if value is None or value == "":
        return None
    given = value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value or " " in value.strip() \
                else date.fromisoformat(value.strip())
        except ValueError as exc:
            raise BadInputError(f"not a date (YYYY-MM-DD): {given!r}") from exc
    try:
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))).astimezone(UTC)
        moment = time(23, 59, 59) if end else time(0, 0)
        return datetime.combine(value, moment, ZoneInfo(tz)).astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01 in Asia/Taipei is before year 1 in UTC
        raise BadInputError(f"date out of range: {given!r}") from exc


def _rerank(cands: list[Candidate], encoder, qvec: np.ndarray | None, k: int) -> list[Candidate]:
    """Blend in the embedding cosine between the query and the top `k` candidates."""
    top = cands[:k]
    if not top or encoder is None or qvec is None:
        return cands
    vecs = np.asarray(encoder.encode([c.text[:240] for c in top]), dtype=np.float32)
    sims = vecs @ qvec
    rescored = [replace(c, score=c.score + 1.5 * float(s)) for c, s in zip(top, sims, strict=True)]
    rescored.sort(key=lambda c: (-c.score, c.doc_id, c.index))
    return rescored + cands[k:]


def _choose_documents(con, backend, settings: Settings, text: str, filters: SearchFilters,
                      doc_ids: Sequence[str] | None, qvec: np.ndarray | None,
                      ) -> tuple[list[str], dict[str, float], tuple[str, ...]]:
    cs = settings.commentary
    if doc_ids is not None:
        ids = list(doc_ids)
        return ids, {d: 1.0 - i / max(1, len(ids)) for i, d in enumerate(ids)}, ("pinned",)
    result = search(con, backend, text, filters, limit=cs.search_limit,
                    min_coverage=cs.min_coverage, min_cosine=cs.min_cosine, vector=qvec,
                    synonyms=load_synonyms())
    hits = _relevant(con, text, list(result.docs), cs)[: cs.max_documents]
    if not hits:
        return [], {}, result.methods
    top = hits[0].score or 1.0
    return [h.doc_id for h in hits], {h.doc_id: h.score / top for h in hits}, result.methods


def _relevant(con, text: str, hits: list, cs) -> list:
    """The hits the query's words make relevant: enough of its units that are not numbers, or
    a close embedding and the query's anchor in the text. A number never makes a document
    relevant (and counts only with the unit the query gives it: "32%" is not "32 bilateral
    agreements")."""
    if not hits:
        return hits
    wanted, params = ids_in("id", [h.doc_id for h in hits])  # by the key index
    rows = dict(con.execute(
        "SELECT id, coalesce(title, '') || chr(10) || coalesce(text, '') FROM documents "  # noqa: S608 - ids_in binds the ids
        "WHERE " + wanted, params).fetchall())
    matcher = Matcher.for_query(text, list(rows.values()), load_synonyms())
    if not any(matcher.numeric):
        return hits
    return [h for h in hits if h.doc_id in rows and (
        matcher.word_share(rows[h.doc_id]) >= cs.min_coverage
        or ((h.cosine or -1.0) >= cs.min_cosine and matcher.anchored(rows[h.doc_id])))]


def _story_members(con: duckdb.DuckDBPyConnection, story_id: str, limit: int) -> list[str]:
    rows = con.execute(
        "SELECT m.doc_id FROM story_members m JOIN documents d ON d.id = m.doc_id "
        "WHERE m.story_id = ? OR m.story_id IN (SELECT id FROM stories WHERE merged_into = ?) "
        "ORDER BY coalesce(d.published_at, d.first_seen_at) DESC LIMIT ?",
        [story_id, story_id, limit]).fetchall()
    return [r[0] for r in rows]


@dataclass(frozen=True)
class Request:
    """What a draft is asked for: the prepared query, its filters and its reference date."""

    query: PreparedQuery
    filters: SearchFilters
    as_of: date
    story_id: str | None = None
    since: object = None  # as given, for the error message


def _request(con, settings: Settings, query: str, story_id: str | None, since, until,
             as_of: date | None) -> Request:
    tz = settings.timezone
    since_at, until_at = parse_instant(since, tz), parse_instant(until, tz, end=True)
    if until_at is None and as_of is not None:  # nothing published after the reference date
        until_at = parse_instant(as_of, tz, end=True)
    as_of = as_of or (until_at or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()
    if story_id is not None:
        row = con.execute("SELECT title FROM stories WHERE id = ?", [story_id]).fetchone()
        if row is None:
            raise NotFoundError(f"story {story_id!r} does not exist (find stories with radar search)")
        if not (query or "").strip():
            query = row[0]
    pq = prepare_query(query, settings.commentary.max_query_chars)
    filters = SearchFilters(since=since_at, until=until_at, story_id=story_id)
    return Request(pq, filters, as_of, story_id, since)


def retrieve(con: duckdb.DuckDBPyConnection, backend, settings: Settings, req: Request,
             doc_ids: Sequence[str] | None = None) -> Retrieved:
    """The documents a draft may cite and their candidate sentences, best first.

    Raises:
        BadInputError: no document matches.
    """
    cs = settings.commentary
    text = req.query.text
    qvec = np.asarray(backend.encode([text]), dtype=np.float32)[0] if backend else None
    ids, relevance, methods = _choose_documents(con, backend, settings, text, req.filters,
                                                doc_ids, qvec)
    if not ids and req.story_id is not None:
        ids = _story_members(con, req.story_id, cs.max_documents)
        relevance = dict.fromkeys(ids, 0.5)
    narrative = load_sources(con, ids, relevance)
    if not narrative:
        scope = f" in story {req.story_id}" if req.story_id else ""
        scope += f" since {req.since}" if req.since else ""
        raise BadInputError(f"no documents match {req.query.original[:120]!r}{scope}: no draft "
                            "written (try other words, a wider date range, or radar search)")
    matcher = Matcher.for_query(text, [s for d in narrative for s in (d.title, *d.sentences)],
                                load_synonyms())
    measure = MeasureDocs(tuple(ids), (), seed_instruments(load_life_docs(con, ids), matcher)) \
        if doc_ids is not None else measure_doc_ids(con, matcher, req.filters)
    extra = [d for d in measure.ids if d not in relevance]
    sources = sorted([*narrative, *load_sources(con, extra)],
                     key=lambda d: (d.day or date.min, d.doc_id))
    cands = _rerank(candidates(narrative, matcher, cs.sentence_coverage), backend, qvec,
                    cs.embed_candidates)
    effective = {d.doc_id: doc_effective(d, matcher) for d in sources}
    by_id = {d.doc_id: d for d in sources}
    life = lifecycle_of(con, by_id, measure.ids) if measure.anchored else []
    seeds = [n for n in (measure.seeds or {}) if n.isdigit()]
    starts = first_effective(life, by_id)
    events = capped(measure_timeline_events(life, by_id, matcher.subject(), req.as_of,
                                            {**effective, **starts}, cs.sentence_coverage,
                                            seeds), 2 * cs.timeline_events)
    return Retrieved(text, req.as_of, tuple(sources), matcher, tuple(cands), effective, methods,
                     store_reach(con, settings.timezone), tuple(events), measure, starts)


def write_commentary(
    con: duckdb.DuckDBPyConnection,
    backend,
    settings: Settings,
    query: str,
    story_id: str | None = None,
    since: date | datetime | str | None = None,
    writer: Writer | str | None = None,
    *,
    until: date | datetime | str | None = None,
    as_of: date | None = None,
    doc_ids: Sequence[str] | None = None,
    save: bool = True,
) -> Draft:
    """A cited 智庫短評 draft on a query (and/or a story), stored as a new version:
    retrieve -> compose -> check -> assemble.

    Args:
        con: the store; writable when `save` (it also refreshes the search index).
        backend: embedding backend that made the stored embeddings (nlp.embed.load_backend).
        settings: loaded settings (`commentary` section, `timezone`).
        query: what the comment is about (English or zh-TW; may be empty with a story).
        story_id: restrict to one story (and stories merged into it).
        since: earliest document date (YYYY-MM-DD in the settings' zone, or an instant).
        writer: a Writer, a writer name, or None for `settings.commentary.writer`.
        until: latest document date; also the draft's reference date for "in force".
        as_of: reference date for certainty and what is still ahead (default: until or today).
        doc_ids: write from exactly these documents (reproduction), skipping search.
        save: store the draft in `drafts`.

    Raises:
        BadInputError: empty/unsearchable query, bad dates, or no document matches.
        NotFoundError: the story does not exist.
    """
    cs = settings.commentary
    if isinstance(writer, str) or writer is None:
        writer = make_writer(writer or cs.writer, cs)
    req = _request(con, settings, query, story_id, since, until, as_of)
    if save and doc_ids is None:
        refresh_search_index(con)
    found = retrieve(con, backend, settings, req, doc_ids)
    sections = compose(found, writer, cs, found.events or None)
    run = CheckRun(CheckSettings(cs.support_overlap, cs.support_cosine), found.by_id,
                   None if writer.name == "extractive" else backend)
    sections = check(sections, run, cs.implications, req.as_of)
    draft = assemble(req, found, sections, run, writer, backend, settings)
    draft = with_status(read_in_chinese(draft, list(found.sources), settings), sections)
    return _store(con, draft, settings) if save else draft


def with_status(draft: Draft, sections: Sections) -> Draft:
    """The draft with the as-of status at the head of 事件摘要, in English (its quotes) and
    in the zh layer (the status lines over them)."""
    status = sections.as_of
    if status is None:
        return draft
    zh_events = []
    for e in status.recent:
        line = draft.zh.timeline[draft.timeline.index(e)] \
            if e in draft.timeline and draft.zh is not None else None
        zh_events.append((line, (line.label if line else "") or KIND_ZH.get(e.kind, "")))
    lines = status_lines(status, zh_events)
    zh = replace(draft.zh, summary=(*lines, *draft.zh.summary),
                 composed=draft.zh.composed + len(lines)) if draft.zh else None
    return replace(draft, zh=zh)


def assemble(req: Request, found: Retrieved, sections: Sections, run: CheckRun, writer,
             backend, settings: Settings) -> Draft:
    """The draft: checked sections, references numbered in order of first citation, inputs."""
    order: list[str] = []
    for st in sections.statements():
        order.extend(d for d in st.doc_ids if d not in order)
    for imp in sections.implications:
        order.extend(d for d in imp.doc_ids if d not in order)
    by_id = found.by_id
    refs = tuple(Reference(n, d, by_id[d].title, by_id[d].publisher, by_id[d].day, by_id[d].url)
                 for n, d in enumerate(order, 1))
    notes = [*req.query.notes, *reach_notes(found.reach, req.as_of)]
    if "bm25" not in found.methods and "pinned" not in found.methods:
        notes.append("全文索引未建立，本次僅以語意向量檢索。")
    sources = found.sources
    inputs = DraftInputs(
        query=req.query.original, search_query=req.query.text,
        filters={**_filters_json(req.filters), "as_of": req.as_of.isoformat()},
        doc_ids=tuple(d.doc_id for d in sources),
        doc_versions=tuple((d.doc_id, d.version, d.content_hash) for d in sources),
        story_ids=tuple(sorted({d.story_id for d in sources if d.story_id})),
        writer=writer.name, model=writer.model, embedder=getattr(backend, "name", ""),
    )
    s = sections
    return Draft(
        title=f"智庫短評初稿：{req.query.original[:80]}", created_at=datetime.now(UTC),
        timezone=settings.timezone, inputs=inputs, summary=s.summary, status=s.status,
        background=s.background, timeline=s.timeline, facts=s.facts, reactions=s.reactions,
        implications=s.implications, watch=s.watch, references=refs,
        check=CheckReport(run.checked, tuple(run.removed)), notes=tuple(notes),
    )


def _filters_json(f: SearchFilters) -> dict:
    return {"since": f.since.isoformat() if f.since else None,
            "until": f.until.isoformat() if f.until else None, "countries": list(f.countries),
            "sources": list(f.sources), "topics": list(f.topics), "story_id": f.story_id}


def _content(draft: Draft) -> dict:
    content = draft.as_json()
    for key in ("created_at", "draft_id", "version"):
        content.pop(key, None)
    return content


def _store(con: duckdb.DuckDBPyConnection, draft: Draft, settings: Settings) -> Draft:
    key_filters = {k: v for k, v in draft.inputs.filters.items() if k != "as_of"}
    draft_id = store_drafts.draft_key(draft.inputs.query, key_filters)
    content = _content(draft)
    chash = store_drafts.content_hash(content)
    latest = store_drafts.latest_version(con, draft_id)
    if latest and latest[1] == chash:
        return replace(draft, draft_id=draft_id, version=latest[0])
    draft = replace(draft, draft_id=draft_id, version=(latest[0] + 1) if latest else 1)
    row = store_drafts.DraftRow(
        draft_id=draft_id, version=draft.version, created_at=draft.created_at,
        query=draft.inputs.query, search_query=draft.inputs.search_query,
        filters=draft.inputs.filters,
        doc_ids=[{"id": i, "version": v, "content_hash": h} for i, v, h in draft.inputs.doc_versions],
        story_ids=list(draft.inputs.story_ids), writer=draft.inputs.writer,
        model=f"{draft.inputs.model}; embedder={draft.inputs.embedder}",
        settings=settings.commentary.model_dump(), content_hash=chash, content=content,
        markdown=render_markdown(draft), claims_checked=draft.check.checked,
        claims_removed=len(draft.check.removed), note=None,
    )
    store_drafts.save_draft(con, row)
    return draft


def reproduce_draft(con: duckdb.DuckDBPyConnection, backend, settings: Settings, draft_id: str,
                    version: int | None = None, writer: Writer | str | None = None) -> Draft:
    """Re-write a stored draft from its stored inputs (same documents, filters, reference date
    and writer); nothing is stored.

    Raises:
        NotFoundError: no such draft or version.
    """
    row = store_drafts.load_draft(con, draft_id, version)
    f = row.filters
    name = writer or (row.writer if row.writer != "revision" else settings.commentary.writer)
    return write_commentary(
        con, backend, settings, row.query, story_id=f.get("story_id"), since=f.get("since"),
        writer=name, until=f.get("until"),
        as_of=date.fromisoformat(f["as_of"]) if f.get("as_of") else None,
        doc_ids=[d["id"] for d in row.doc_ids], save=False,
    )
