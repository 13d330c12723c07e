"""Write a quick-commentary draft: search, pick documents, extract, write, check, store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import duckdb
import numpy as np

from commentary.claims import CheckSettings, check_all, check_dates, check_statement
from commentary.exposure import implications as find_implications
from commentary.extract import (
    Candidate,
    background_evidence,
    candidates,
    doc_effective,
    facts,
    focal_docs,
    reaction_candidates,
    summary_evidence,
    timeline,
    watch_items,
)
from commentary.matching import Matcher, condense
from commentary.query import load_synonyms, prepare_query
from commentary.records import (
    CheckReport,
    Draft,
    DraftInputs,
    Reference,
    Removal,
    SourceDoc,
    Statement,
)
from commentary.render import render_markdown
from commentary.sources import load_sources
from commentary.writers import Evidence, SectionBrief, Writer, make_writer
from commentary.zh import read_in_chinese
from radar.errors import BadInputError, NotFoundError
from radar.settings import Settings
from store import drafts as store_drafts
from store.fulltext import refresh_search_index
from store.search import SearchFilters, search

_MAX_EVIDENCE = 12


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


def _brief(section: str, cands: Sequence[Candidate], docs: dict[str, SourceDoc], n: int,
           chronological: bool = False) -> SectionBrief:
    ev = tuple(Evidence(f"E{i}", c.doc_id, c.text, docs[c.doc_id].day, c.index)
               for i, c in enumerate(cands[:_MAX_EVIDENCE], 1))
    return SectionBrief(section, ev, n, chronological)


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
    hits = list(result.docs[: cs.max_documents])
    if not hits:
        return [], {}, result.methods
    top = hits[0].score or 1.0
    return [h.doc_id for h in hits], {h.doc_id: h.score / top for h in hits}, result.methods


def _story_members(con: duckdb.DuckDBPyConnection, story_id: str, limit: int) -> list[str]:
    rows = con.execute(
        "SELECT m.doc_id FROM story_members m JOIN documents d ON d.id = m.doc_id "
        "WHERE m.story_id = ? OR m.story_id IN (SELECT id FROM stories WHERE merged_into = ?) "
        "ORDER BY coalesce(d.published_at, d.first_seen_at) DESC LIMIT ?",
        [story_id, story_id, limit]).fetchall()
    return [r[0] for r in rows]


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
    """A cited 智庫短評 draft on a query (and/or a story), stored as a new version.

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
    tz = settings.timezone
    if isinstance(writer, str) or writer is None:
        writer = make_writer(writer or cs.writer, cs)
    since_at, until_at = parse_instant(since, tz), parse_instant(until, tz, end=True)
    as_of = as_of or (until_at or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()
    if story_id is not None:
        row = con.execute("SELECT title FROM stories WHERE id = ?", [story_id]).fetchone()
        if row is None:
            raise NotFoundError(f"story {story_id!r} does not exist (find stories with radar search)")
        if not (query or "").strip():
            query = row[0]
    pq = prepare_query(query, cs.max_query_chars)
    filters = SearchFilters(since=since_at, until=until_at, story_id=story_id)
    if save and doc_ids is None:
        refresh_search_index(con)
    qvec = np.asarray(backend.encode([pq.text]), dtype=np.float32)[0] if backend else None
    ids, relevance, methods = _choose_documents(con, backend, settings, pq.text, filters, doc_ids,
                                                qvec)
    if not ids and story_id is not None:
        ids = _story_members(con, story_id, cs.max_documents)
        relevance = dict.fromkeys(ids, 0.5)
    sources = load_sources(con, ids, relevance)
    if not sources:
        scope = f" in story {story_id}" if story_id else ""
        scope += f" since {since}" if since else ""
        raise BadInputError(f"no documents match {pq.original[:120]!r}{scope}: no draft written "
                            "(try other words, a wider date range, or radar search)")
    by_id = {d.doc_id: d for d in sources}
    matcher = Matcher.for_query(pq.text, [s for d in sources for s in (d.title, *d.sentences)],
                                load_synonyms())
    cands = _rerank(candidates(sources, matcher, cs.sentence_coverage), backend, qvec,
                    cs.embed_candidates)
    effective = {d.doc_id: doc_effective(d, matcher) for d in sources}
    events = timeline(sources, cands, matcher, as_of, cs.timeline_events, effective)
    focal = focal_docs(sources)
    focal_day = focal[0].day if focal else None
    summary = writer.write(pq.text, _brief("summary", summary_evidence(focal, cands), by_id,
                                           cs.summary_sentences))
    said = {s.text for s in summary} | {e.statement.text for e in events}
    earlier = background_evidence(sources, [c for c in cands if condense(c.text) not in said],
                                  focal_day, set())
    background = writer.write(pq.text, _brief("background", earlier, by_id,
                                              cs.background_sentences, chronological=True))
    reactions = writer.write(pq.text, _brief("reactions", reaction_candidates(cands, by_id),
                                             by_id, cs.reactions))
    told = {e.statement.text for e in events}
    used = told | {s.text for s in summary + background}
    fx = facts([c for c in cands if condense(c.text) not in used], by_id, effective, as_of,
               cs.facts, used)
    if len(fx) < min(3, cs.facts):  # few sources: key facts may repeat the narrative
        fx = facts([c for c in cands if condense(c.text) not in told], by_id, effective, as_of,
                   cs.facts, told)
    watch = watch_items(sources, matcher, as_of, cs.watch_items)

    check = CheckSettings(cs.support_overlap, cs.support_cosine)
    encoder = None if writer.name == "extractive" else backend
    removed: list[Removal] = []
    checked = 0

    def keep(section: str, items: list[Statement]) -> tuple[Statement, ...]:
        nonlocal checked
        checked += len(items)
        kept, gone = check_all(section, items, by_id, check, encoder)
        removed.extend(gone)
        return tuple(kept)

    def keep_dated(section: str, items, get_days):
        nonlocal checked
        out = []
        for item in items:
            checked += 1
            st = item.statement
            reason = check_statement(st, by_id, check, encoder)
            bad = (Removal(section, st.text, reason) if reason else
                   check_dates(section, st.text, get_days(item), st.doc_ids, by_id))
            if bad:
                removed.append(bad)
            else:
                out.append(item)
        return tuple(out)

    summary_k = keep("summary", summary)
    background_k = keep("background", background)
    timeline_k = keep_dated("timeline", events, lambda e: (e.day, e.effective))
    facts_k = keep_dated("facts", fx, lambda f: (f.effective,))
    reactions_k = keep("reactions", reactions)
    watch_k = keep_dated("watch", watch, lambda w: (w.day,))
    cited = [*summary_k, *background_k, *(e.statement for e in timeline_k),
             *(f.statement for f in facts_k)]
    imps = []
    for imp in find_implications(cited, by_id, cs.implications):
        imps.append(replace(imp, evidence=keep("implications", list(imp.evidence))))
    draft = _assemble(pq, filters, as_of, sources, writer, backend, methods, summary_k,
                      background_k, timeline_k, facts_k, reactions_k, tuple(imps), watch_k,
                      checked, removed, settings)
    draft = read_in_chinese(draft, sources, settings)  # the zh-TW lines over the checked English
    if save:
        draft = _store(con, draft, settings)
    return draft


def _assemble(pq, filters: SearchFilters, as_of: date, sources: list[SourceDoc], writer, backend,
              methods, summary, background, events, fx, reactions, imps, watch, checked: int,
              removed: list[Removal], settings: Settings) -> Draft:
    order: list[str] = []
    groups = [summary, background, [e.statement for e in events], [f.statement for f in fx],
              reactions, [s for i in imps for s in i.evidence], [w.statement for w in watch]]
    for group in groups:
        for st in group:
            order.extend(d for d in st.doc_ids if d not in order)
    for imp in imps:
        order.extend(d for d in imp.doc_ids if d not in order)
    by_id = {d.doc_id: d for d in sources}
    refs = tuple(Reference(n, d, by_id[d].title, by_id[d].publisher, by_id[d].day, by_id[d].url)
                 for n, d in enumerate(order, 1))
    notes = list(pq.notes)
    if "bm25" not in methods and "pinned" not in methods:
        notes.append("全文索引未建立，本次僅以語意向量檢索。")
    inputs = DraftInputs(
        query=pq.original, search_query=pq.text,
        filters={**_filters_json(filters), "as_of": as_of.isoformat()},
        doc_ids=tuple(d.doc_id for d in sources),
        doc_versions=tuple((d.doc_id, d.version, d.content_hash) for d in sources),
        story_ids=tuple(sorted({d.story_id for d in sources if d.story_id})),
        writer=writer.name, model=writer.model, embedder=getattr(backend, "name", ""),
    )
    return Draft(
        title=f"智庫短評初稿：{pq.original[:80]}", created_at=datetime.now(UTC),
        timezone=settings.timezone, inputs=inputs, summary=tuple(summary),
        background=tuple(background), timeline=tuple(events), facts=tuple(fx),
        reactions=tuple(reactions), implications=tuple(imps), watch=tuple(watch),
        references=refs, check=CheckReport(checked, tuple(removed)), notes=tuple(notes),
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
