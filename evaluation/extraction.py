"""Extraction quality on real pages: token F1 and ROUGE-L against reference texts.

The only real news pages available offline are the snapshot's White House releases, which the
mirror renders as whitehouse.gov pages (boilerplate, navigation, share links, footer) around
the real text. The reference for a page is the snapshot text itself (markdown reduced to plain
words), so a perfect extractor scores 1.0 and one that keeps the boilerplate loses precision.

Pages are split by a stable hash of their URL into a development half (used to choose the
extractor settings) and a held-out half (used for the reported figures and the quality gate).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from replay.mirror_whitehouse import markdown_text

_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens."""
    return _TOKEN.findall((text or "").lower())


def reference_text(markdown: str) -> str:
    """Plain text of a snapshot markdown body (what a perfect extractor would return)."""
    return markdown_text(markdown)


def token_f1(candidate: str, reference: str) -> float:
    """Bag-of-tokens F1 (SQuAD style) between an extraction and its reference."""
    c, r = Counter(tokens(candidate)), Counter(tokens(reference))
    overlap = sum((c & r).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(c.values()), overlap / sum(r.values())
    return 2 * precision * recall / (precision + recall)


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence (bit-parallel, Allison-Dix/Hyyrö)."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for i, tok in enumerate(a):
        masks[tok] = masks.get(tok, 0) | (1 << i)
    full = (1 << len(a)) - 1
    row = full
    for tok in b:
        u = row & masks.get(tok, 0)
        row = ((row + u) | (row - u)) & full
    return len(a) - bin(row).count("1")


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over word tokens."""
    c, r = tokens(candidate), tokens(reference)
    lcs = lcs_length(r, c)
    if not lcs:
        return 0.0
    precision, recall = lcs / len(c), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class Page:
    """One real page as served by the mirror, with its reference text."""

    url: str
    html: bytes
    reference: str


def is_heldout(url: str) -> bool:
    """Stable split: about half the pages are held out from any tuning."""
    return int(hashlib.sha1(url.encode()).hexdigest(), 16) % 2 == 1


def snapshot_pages(snapshot_dir: Path, heldout: bool | None = True, limit: int | None = None,
                   min_words: int = 30) -> Iterator[Page]:
    """Mirror-rendered White House pages and their reference texts.

    Args:
        snapshot_dir: the bundled snapshot (demo/snapshot).
        heldout: True for the held-out half, False for the development half, None for all.
        limit: stop after this many pages.
        min_words: skip near-empty releases (a bare title is no test of extraction).
    """
    from replay.mirror import sites_for
    from replay.mirror_whitehouse import article_html

    site, _ = sites_for(Path(snapshot_dir))
    as_of = datetime.fromisoformat("2100-01-01T00:00:00+00:00")
    n = 0
    for host in site.hosts:
        sections = tuple(site.sections(host))
        for item in site.section_items(host, None, as_of) or []:
            if heldout is not None and is_heldout(item.doc["url"]) != heldout:
                continue
            ref = reference_text(item.doc.get("text") or "")
            if len(tokens(ref)) < min_words:
                continue
            html = article_html(item, item.modified_at(as_of), sections).encode("utf-8")
            yield Page(item.doc["url"], html, ref)
            n += 1
            if limit and n >= limit:
                return


def score(extract: Callable[[Page], str], pages: list[Page]) -> dict[str, float]:
    """Mean token F1 and ROUGE-L of an extractor (page -> text) over pages."""
    f1 = rl = 0.0
    for page in pages:
        text = extract(page)
        f1 += token_f1(text, page.reference)
        rl += rouge_l(text, page.reference)
    n = max(1, len(pages))
    return {"pages": len(pages), "token_f1": f1 / n, "rouge_l": rl / n}
