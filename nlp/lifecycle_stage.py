"""The lifecycle stage, run after story assignment: the measure events of every story whose
members changed since its events were computed (or that an older rule version made), stored
per story with provenance (store/lifecycle.py). Idempotent: a second run changes nothing.

The instrument index learns numbers from every stored document that cites an order with its
title ("Executive Order 14195 of February 1, 2025 (Imposing Duties ...)"), so a White House
page, which never carries its own number, still gets it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from nlp.lifecycle import MODEL, build_index, lifecycle_events
from store.lifecycle import citing_documents, save_story_events, stale_stories, story_documents

log = logging.getLogger(__name__)
_SENTENCE_CHARS = 2000  # a citing sentence is kept whole up to this length


@dataclass(frozen=True)
class LifecycleCounts:
    """What one lifecycle run did."""

    stories: int = 0
    events: int = 0
    errors: int = 0


def record_story_events(con: duckdb.DuckDBPyConnection, batch: int = 200) -> LifecycleCounts:
    """Compute and store the events of every stale story (``store.lifecycle.stale_stories``).

    A story whose documents make the rules fail is logged and left for the next run; the
    others are stored.
    """
    stale = stale_stories(con, MODEL)
    if not stale:
        return LifecycleCounts()
    index = build_index(citing_documents(con))
    stories = events = errors = 0
    for start in range(0, len(stale), batch):
        part = stale[start:start + batch]
        docs = story_documents(con, [sid for sid, _ in part])
        for story_id, members_hash in part:
            try:
                found = lifecycle_events(docs.get(story_id, []), index=index.copy())
            except (ValueError, TypeError, OverflowError) as exc:  # bad input, not a bug
                log.warning("lifecycle events of story %s not computed: %s", story_id, exc)
                errors += 1
                continue
            rows = [(e.measure, e.kind, e.date, e.instrument, e.doc_id,
                     e.sentence[:_SENTENCE_CHARS], e.published) for e in found]
            save_story_events(con, story_id, members_hash, MODEL, rows)
            stories += 1
            events += len(rows)
    return LifecycleCounts(stories=stories, events=events, errors=errors)
