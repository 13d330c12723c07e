"""Shared helpers for the briefs tests: a seeded store and a deterministic embedding test double."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from nlp.topics import load_taxonomy
from store.db import connect

TAXONOMY = load_taxonomy()


class HashingEncoder:
    """Test double for nlp.embed.EmbeddingBackend: hashed bag of words, L2-normalised."""

    name = "test-hashing"
    dim = 512

    def encode(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text; identical word sets give identical vectors."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                out[i, h % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def new_store(tmp_path: Path):
    """A migrated, empty store in a temporary directory."""
    return connect(tmp_path / "radar.duckdb")


def add_source(con, sid: str, name: str, publisher: str, country: str, authority: float = 1.0):
    """Register a source."""
    con.execute(
        "INSERT INTO sources (id, name, publisher, country, language, kind, url, authority) "
        "VALUES (?, ?, ?, ?, 'en', 'feed', ?, ?)",
        [sid, name, publisher, country, f"https://{sid}.example.gov/feed", authority],
    )


def add_doc(
    con,
    doc_id: str,
    source_id: str,
    title: str,
    text: str,
    first_seen_at: datetime,
    published_at: datetime | None = None,
    url: str | None = None,
    doc_number: str | None = None,
    doc_type: str | None = None,
):
    """Insert an extracted document."""
    url = url or f"https://{source_id}.example.gov/{doc_id}"
    con.execute(
        "INSERT INTO documents (id, url, canonical_url, source_id, title, text, published_at, "
        "published_precision, first_seen_at, updated_at, content_hash, doc_number, doc_type) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            doc_id, url, f"{url}#{doc_id}", source_id, title, text, published_at,
            "datetime" if published_at else "none", first_seen_at, first_seen_at,
            hashlib.sha1(text.encode()).hexdigest(), doc_number, doc_type,
        ],
    )  # fmt: skip


def add_story(con, story_id: str, title: str, doc_ids: list[str], first_seen_at: datetime):
    """Insert a story and its members."""
    con.execute(
        "INSERT INTO stories (id, title, first_seen_at, last_seen_at, size, model, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 'test', ?)",
        [story_id, title, first_seen_at, first_seen_at, len(doc_ids), first_seen_at],
    )
    for d in doc_ids:
        con.execute(
            "INSERT INTO story_members (doc_id, story_id, similarity, assigned_at, model) "
            "VALUES (?, ?, 0.9, ?, 'test')",
            [d, story_id, first_seen_at],
        )


def add_tag(con, doc_id: str, tag: str, score: float = 0.9, kind: str = "topic"):
    """Tag a document."""
    con.execute(
        "INSERT INTO tags (doc_id, kind, tag, score, evidence, model) VALUES (?, ?, ?, ?, '', 't')",
        [doc_id, kind, tag, score],
    )
