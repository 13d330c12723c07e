"""Enrichment pass (language, entities, topics, embeddings, near-duplicates) and story assignment.

``Models`` (nlp/enrich_models.py) is created once by the caller and passed down;
``enrich_documents`` and ``assign_stories`` are idempotent: a second run over the same store
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np

from config.errors import BadInputError
from config.settings import NlpSettings
from nlp.cluster import ClusterItem, ClusterState, cluster_items, restore_story
from nlp.enrich_models import Models, language_pipelines, minhash_params
from nlp.entities import entities_from_doc, gazetteer_only, ner_input, product_matcher
from nlp.instruments import NAMED_ORDER_CHARS, ORDER_CUE, orders_named
from nlp.neardup import (
    METHOD,
    MinHashParams,
    Signature,
    find_near_duplicates,
    signature,
    title_words,
)
from nlp.screening import Screened, screen_document
from nlp.topics import exemplar_similarities, tag_document
from nlp.vectors import embed_primary, multilingual_rows, primary_cache
from store.cluster_inputs import languages_and_vectors
from store.enrichment import (
    EnrichmentRows,
    PendingDoc,
    StoryRow,
    active_stories,
    pending_documents,
    record_item_errors,
    save_stories,
    stored_signatures,
    unassigned_documents,
    write_enrichment,
)

# Models and its loaders live in nlp/enrich_models.py; imported from here by most callers.
__all__ = ["PIPELINE_VERSION", "ClusterCounts", "EnrichCounts", "Models", "assign_stories",
           "enrich_documents", "language_pipelines", "minhash_params"]

log = logging.getLogger(__name__)
# Bumped when enrichment's output changes (enrich-3: French NER, products in the gazetteer;
# enrich-4: longest-name mentions, no junk NER spans, people, capped topic tags; enrich-5: a
# multilingual vector per document); `radar enrich --redo` re-enriches what an older version made.
PIPELINE_VERSION = "enrich-5"
STAGE = "enrich"


@dataclass(frozen=True)
class EnrichCounts:
    """What one enrichment run did."""

    seen: int = 0
    ok: int = 0
    empty: int = 0
    skipped: int = 0
    errors: int = 0
    duplicates: int = 0
    reused_vectors: int = 0


@dataclass(frozen=True)
class ClusterCounts:
    """What one story-assignment run did."""

    documents: int = 0
    new_stories: int = 0
    joined: int = 0
    merges: int = 0


def enrich_documents(
    con: duckdb.DuckDBPyConnection,
    models: Models,
    settings: NlpSettings,
    doc_ids: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    redo: bool = False,
) -> EnrichCounts:
    """Enrich documents that have no enrichment yet or whose content changed, in batches.

    Args:
        con: open writable store.
        models: loaded models.
        settings: NLP settings.
        doc_ids: restrict to these documents.
        progress: called with (done, total) after each batch.
        redo: also re-enrich documents an older pipeline version enriched (after a model or
            gazetteer upgrade); their features are replaced, vectors of unchanged texts reused,
            story memberships kept.
    """
    pending = pending_documents(con, doc_ids, redo_unless=PIPELINE_VERSION if redo else None)
    totals: dict[str, int] = {}
    for start in range(0, len(pending), settings.enrich_batch):
        batch = pending[start : start + settings.enrich_batch]
        counts = _enrich_batch(con, models, settings, batch)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if progress:
            progress(start + len(batch), len(pending))
    return EnrichCounts(**totals)


def _enrich_batch(con, models: Models, settings: NlpSettings, batch: list[PendingDoc]) -> dict:
    now = datetime.now(UTC)
    counts = {"seen": len(batch), "ok": 0, "empty": 0, "skipped": 0, "errors": 0,
              "duplicates": 0, "reused_vectors": 0}
    screened: dict[str, Screened] = {}
    errors: list[tuple[str, str, str]] = []
    for doc in batch:
        try:
            screened[doc.id] = screen_document(doc.title, doc.text, doc.published_at,
                                               models.identifiers, settings.max_text_chars,
                                               source_language=doc.source_language)
        except BAD_INPUT as exc:  # a bad item must not stop the batch
            errors.append((doc.id, "bad_input", f"screening failed: {type(exc).__name__}: {exc}"))
        except Exception as exc:
            raise _bug(doc, "screening", exc) from exc
    ok = [d for d in batch if d.id in screened and screened[d.id].status == "ok"]
    tables, features_ok = _features_with_fallback(con, models, settings, ok, screened, counts, errors)
    enrich_rows = []
    reasons = {item: reason for item, _, reason in errors}
    for doc in batch:
        s = screened.get(doc.id)
        status = s.status if s else "skipped:error"
        if status == "ok" and doc.id not in features_ok:
            status = "skipped:error"
        notes = list(s.notes) if s else []
        if doc.id in reasons:
            notes.append(reasons[doc.id][:500])
        key = "ok" if status == "ok" else "empty" if status == "empty" else "skipped"
        counts[key] += 1
        enrich_rows.append({
            "doc_id": doc.id, "content_hash": doc.content_hash,
            "language": s.language.code if s else None, "status": status,
            "note": "; ".join(notes) if notes else None,
            "pipeline_version": PIPELINE_VERSION, "enriched_at": now,
        })
    counts["errors"] = len(errors)
    tables["enrichments"] = enrich_rows
    write_enrichment(con, EnrichmentRows(tuple(d.id for d in batch), tables))
    if errors:
        record_item_errors(con, STAGE, errors)
    return counts


_FEATURE_TABLES = ("entities", "tags", "embeddings", "multilingual_embeddings", "near_duplicates",
                   "minhash_signatures")
# What a document's content can make the models raise (its bad input); anything else is a bug.
BAD_INPUT = (BadInputError, UnicodeError)


def _bug(doc: PendingDoc, step: str, exc: Exception) -> RuntimeError:
    return RuntimeError(f"enrichment ({step}) failed on document {doc.id} "
                        f"({doc.title[:80]!r}): {type(exc).__name__}: {exc}")


def _features_with_fallback(con, models, settings, docs, screened, counts, errors):
    """Features for the whole batch; if that fails, document by document (a ``BAD_INPUT``
    one is recorded in ``errors``, a bug raises). Rows and counts of a failed try are dropped."""
    try:
        tables = {t: [] for t in _FEATURE_TABLES}
        local = {"duplicates": 0, "reused_vectors": 0}
        ok_ids = _features(con, models, settings, docs, screened, tables, local)
    except Exception:
        log.exception("enrichment batch failed; retrying documents one by one")
    else:
        for key, value in local.items():
            counts[key] += value
        return tables, ok_ids
    tables, ok_ids = {t: [] for t in _FEATURE_TABLES}, set()
    for doc in docs:
        single = {t: [] for t in _FEATURE_TABLES}
        local = {"duplicates": 0, "reused_vectors": 0}
        try:
            ok_ids |= _features(con, models, settings, [doc], screened, single, local)
        except BAD_INPUT as exc:
            errors.append((doc.id, "bad_input", f"{type(exc).__name__}: {exc}"))
            continue
        except Exception as exc:
            raise _bug(doc, "features", exc) from exc
        for t, rows in single.items():
            tables[t].extend(rows)
        for key, value in local.items():
            counts[key] += value
    return tables, ok_ids


def _features(con, models: Models, settings: NlpSettings, docs, screened, tables, counts) -> set[str]:
    """Entities, embeddings, tags and near-duplicates for screened-ok documents."""
    if not docs:
        return set()
    ner_texts = [ner_input(screened[d.id].title, screened[d.id].text, settings.ner_chars) for d in docs]
    # Each language with a NER model gets its pipeline; the rest the English one with NER off
    # (gazetteer only: English NER on other languages finds nonsense).
    groups: dict[str | None, list[int]] = {}
    for i, d in enumerate(docs):
        lang = screened[d.id].language.code
        groups.setdefault(lang if lang in models.ner else None, []).append(i)
    ents_per_doc: list = [None] * len(docs)
    model_of = [models.spacy_name] * len(docs)
    # The transformer (MiniLM) runs in a second thread while this one does NER, the
    # multilingual vectors and MinHash: torch releases the GIL in its kernels, so the two
    # halves share the cores (docs/performance.md, "Enrichment"). Store reads stay here.
    cached = primary_cache(con, models.backend, docs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="enrich-vectors") as pool:
        primary = pool.submit(embed_primary, models.backend, settings, docs, screened, cached)
        for lang, idx in groups.items():
            nlp, name = models.ner[lang or "en"]
            with nlp.select_pipes(disable=[] if lang else gazetteer_only(nlp)):
                for i, sdoc in zip(idx, nlp.pipe([ner_texts[i] for i in idx], batch_size=32),
                                   strict=True):
                    ents_per_doc[i] = entities_from_doc(sdoc, models.gazetteer)
                    model_of[i] = name
        tables["multilingual_embeddings"].extend(
            multilingual_rows(con, models.multilingual, settings, docs, screened,
                              datetime.now(UTC)))
        params = minhash_params(settings)
        sigs = _signatures(docs, screened, params, tables)
        vectors, reused = primary.result()
    counts["reused_vectors"] += reused
    sims = exemplar_similarities(vectors, models.exemplar_owners, models.exemplar_vectors)
    tag_model = f"{models.taxonomy.version}+{models.backend.name}"
    for i, doc in enumerate(docs):
        s = screened[doc.id]
        ent_ids = {e.id for e in ents_per_doc[i]}
        for e in ents_per_doc[i]:
            tables["entities"].append({
                "doc_id": doc.id, "entity_id": e.id, "kind": e.kind, "label_en": e.label_en,
                "label_zh": e.label_zh, "mentions": e.mentions, "origin": e.origin,
                "model": model_of[i]})
        for tag in tag_document(s.title, s.text[:20000], ent_ids, models.taxonomy, sims[i],
                                settings.tag_min_score, models.cues, settings.tag_max_topics,
                                settings.tag_max_instruments, settings.tag_min_support):
            tables["tags"].append({"doc_id": doc.id, "kind": tag.kind, "tag": tag.tag,
                                   "score": tag.score, "evidence": tag.evidence, "model": tag_model})
        tables["embeddings"].append({"doc_id": doc.id, "model": models.backend.name,
                                     "content_hash": doc.content_hash, "dim": models.backend.dim,
                                     "vector": np.round(vectors[i], 7)})
    for dup in find_near_duplicates(sigs, lambda ss: _stored_lookup(con, ss, params), params):
        tables["near_duplicates"].append({"doc_id": dup.doc_id, "duplicate_of": dup.duplicate_of,
                                          "similarity": dup.similarity, "method": METHOD})
        counts["duplicates"] += 1
    return {d.id for d in docs}


def _signatures(docs, screened, params: MinHashParams, tables) -> list[Signature]:
    """MinHash signatures of the docs (rows added to ``tables``); texts too short get none."""
    sigs: list[Signature] = []
    for doc in docs:
        at = doc.published_at.timestamp() if doc.published_at else None
        sig = signature(doc.id, screened[doc.id].title, screened[doc.id].text, params, at)
        if sig is not None:
            sigs.append(sig)
            tables["minhash_signatures"].append({
                "doc_id": doc.id, "content_hash": doc.content_hash, "params": params.tag,
                "size": sig.size, "signature": sig.values, "bands": list(sig.bands)})
    return sigs


def _stored_lookup(con, sigs: list[Signature], params: MinHashParams) -> dict:
    keys = sorted({k for s in sigs for k in s.bands})
    batch_ids = {s.doc_id for s in sigs}
    found = {}
    for doc_id, values, bands, size, root, title, published in stored_signatures(
        con, params.tag, keys
    ):
        if doc_id in batch_ids:
            continue
        sig = Signature(doc_id, np.asarray(values, dtype=np.uint64), tuple(bands), int(size),
                        title_words(title), published.timestamp() if published else None)
        found[doc_id] = (sig, root)
    return found


def _orders(title: str, lead: str) -> frozenset[str]:
    # lead: the text's start, "" when the store found no order named in it (the title may)
    return orders_named(title + "\n" + lead)


def assign_stories(
    con: duckdb.DuckDBPyConnection, models: Models, settings: NlpSettings
) -> ClusterCounts:
    """Assign enriched documents that are in no story yet, in time order (online clustering).

    Loads active stories of the same embedding model within the window before the oldest
    unassigned document, runs ``cluster_items`` and saves stories, members and merge events.
    """
    model = models.backend.name
    generic = models.gazetteer.generic_ids
    # Orders named in the text link a document to a story (nlp.story_fit.instrument_overlap);
    # with the link off (the default) no text is sent over and none is parsed for them.
    linked = settings.cluster_instrument_weight > 0
    lead = {"lead_pattern": ORDER_CUE.pattern, "lead_chars": NAMED_ORDER_CHARS} if linked else {}
    orders = _orders if linked else (lambda title, text: frozenset())
    docs = unassigned_documents(con, model, generic, **lead)
    if not docs:
        return ClusterCounts()
    since = docs[0].at - timedelta(days=settings.cluster_window_days)
    products = product_matcher(models.gazetteer)
    stored_stories = active_stories(con, model, since, generic, **lead)
    # Languages and multilingual vectors: documents in different languages are compared by
    # the multilingual vector (nlp.cluster); none stored means primary vectors only.
    lang, mvec = languages_and_vectors(
        con, [d.id for d in docs] + [m[0] for s in stored_stories for m in s.members])
    mdim = len(next(iter(mvec.values()))) if mvec else 0
    state = ClusterState(dim=models.backend.dim, mdim=mdim)
    for stored in stored_stories:
        members = [ClusterItem(doc_id, at, vec, ents, title, auth, products=products(title),
                               language=lang.get(doc_id, ""), mvector=mvec.get(doc_id),
                               instruments=orders(title, text))
                   for doc_id, vec, ents, title, auth, at, text in stored.members]
        state.add_story(restore_story(stored.id, stored.first_at, stored.last_at, members))
    before = {sid: list(s.members) for sid, s in state.stories.items()}
    items = [ClusterItem(d.id, d.at, d.vector, d.entities, d.title, d.authority, d.duplicate_of,
                         products(d.title), lang.get(d.id, ""), mvec.get(d.id),
                         orders(d.title, d.lead), d.dated) for d in docs]
    assignments = cluster_items(items, state, settings)
    sims = {a.doc_id: a.similarity for a in assignments}
    members = [(a.doc_id, state.doc_story[a.doc_id], sims[a.doc_id]) for a in assignments]
    moved = [(doc_id, state.doc_story[doc_id]) for sid, docs_before in before.items()
             for doc_id in docs_before if state.doc_story[doc_id] != sid]
    rows = []
    for sid in sorted(state.changed):
        s = state.stories[sid]
        rows.append(StoryRow(sid, s.title(), s.first_at, s.last_at, len(s.members),
                                s.centroid, s.status, s.merged_into))
    events = [(e.happened_at, e.kind, e.story_id, e.other_id, e.detail) for e in state.events]
    save_stories(con, model, rows, members, moved, events)
    new = sum(1 for a in assignments if a.new_story)
    return ClusterCounts(documents=len(assignments), new_stories=new,
                         joined=len(assignments) - new, merges=len(state.events))
