"""Near-duplicate detection: MinHash (datasketch) over word shingles + banded LSH.

Band keys are plain integers so they can be stored in the database and looked up with a
join (scales to 100k+ documents without rebuilding an in-memory index per run); the same
keys drive the in-memory ``BandIndex`` used inside one batch.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from store.segment import CJK_CLASS, run_tokens

METHOD = "minhash-lsh"
_CASE_GLUE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=\d)(?=[A-Za-z])|(?<=[A-Za-z])(?=\d)")
_URL = re.compile(r"\]\([^)]*\)|https?://\S+|<[^>]{0,300}>")
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(f"[{CJK_CLASS}]")
_CJK_SPLIT = re.compile(f"([{CJK_CLASS}]+)")
# How CJK runs become shingle tokens: "char" (one token per character, the former cut),
# "bigram" or "words" (store/segment.py). Measured in benchmarks/cjk_tokens.py.
CJK_SHINGLES = "char"


@dataclass(frozen=True)
class MinHashParams:
    """Shingle size, permutations, LSH banding, similarity threshold and the minimum size."""

    shingle: int = 3
    num_perm: int = 128
    bands: int = 32
    seed: int = 1
    threshold: float = 0.7
    containment: float = 0.9  # or: the smaller copy is this much inside the larger one
    min_size_ratio: float = 0.33  # ... and at least this fraction of its size
    min_tokens: int = 12
    max_chars: int = 200_000
    max_days: float = 14.0  # copies published further apart are re-issues, not duplicates

    @property
    def rows(self) -> int:
        """Rows per band."""
        return self.num_perm // self.bands

    @property
    def tag(self) -> str:
        """Identifies signatures that can be compared with each other."""
        return f"{METHOD}:k{self.shingle}:p{self.num_perm}:b{self.bands}:s{self.seed}"


@dataclass(frozen=True)
class Signature:
    """MinHash signature of one document, with its LSH band keys."""

    doc_id: str
    values: np.ndarray  # uint64 (num_perm,)
    bands: tuple[int, ...]
    size: int  # number of distinct shingles
    title_words: frozenset[str] = frozenset()
    at: float | None = None  # published instant (POSIX seconds), when known


@dataclass(frozen=True)
class NearDuplicate:
    """``doc_id`` repeats ``duplicate_of`` (the first copy we had) with estimated Jaccard."""

    doc_id: str
    duplicate_of: str
    similarity: float
    method: str = METHOD


def tokens_for_shingles(title: str, text: str, max_chars: int = 200_000,
                        cjk: str = CJK_SHINGLES) -> list[str]:
    """Normalised tokens: NFKC, URLs dropped, glued words split, lower-cased; CJK runs cut as
    `cjk` says ("char": per character; "bigram" / "words": store.segment.run_tokens)."""
    raw = unicodedata.normalize("NFKC", f"{title}\n{text[:max_chars]}")
    raw = _URL.sub(" ", raw)
    raw = _CASE_GLUE.sub(" ", raw).lower()
    out: list[str] = []
    for word in _WORD.findall(raw):
        if not _CJK.search(word):
            out.append(word)
            continue
        for i, part in enumerate(_CJK_SPLIT.split(word)):
            if not part:
                continue
            if i % 2 == 0:  # the text between CJK runs (digits, Latin)
                out.append(part)
            elif cjk == "char":
                out.extend(part)
            else:
                out.extend(run_tokens(part, cjk))
    return out


def shingles(tokens: list[str], k: int) -> set[bytes]:
    """Word k-shingles (the whole token list when shorter than k)."""
    if len(tokens) <= k:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i : i + k]).encode("utf-8") for i in range(len(tokens) - k + 1)}


def band_keys(values: np.ndarray, params: MinHashParams) -> tuple[int, ...]:
    """One signed 63-bit key per band (band index mixed in), storable as BIGINT."""
    keys = []
    rows = params.rows
    for b in range(params.bands):
        chunk = values[b * rows : (b + 1) * rows].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=b"band%04d" % b).digest()
        keys.append(int.from_bytes(digest, "big", signed=True) >> 1)
    return tuple(keys)


_STOP = frozenset("a an and the of to in on for by with from at as is are its into our".split())


def title_words(title: str) -> frozenset[str]:
    """Content words of a title (normalised like the text; stop words and 1-2 letter words
    dropped). A CJK title also gives its character bigrams and every number, so templated
    titles that differ in a word or a date conflict (總統府3月7日開放參觀 vs 總統府12月6日…,
    勲章 vs 褒章: measured in benchmarks/cjk_tokens.py)."""
    words = {w for w in tokens_for_shingles(title, "") if len(w) > 2 and w not in _STOP}
    if _CJK.search(title):
        cut = tokens_for_shingles(title, "", cjk="bigram")
        words |= {w for w in cut if len(w) == 2 and _CJK.search(w)}
        words |= {"#" + w for w in cut if w.isdigit()}
    return frozenset(words)


def titles_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when each title has a word the other lacks (steel/aluminum, northern/southern).

    A word glued to another by a scraper ("andsteel") is not a conflict.
    """
    only_a, only_b = a - b, b - a
    for x in only_a:
        for y in only_b:
            if x not in y and y not in x:
                return True
    return False


def signature(
    doc_id: str, title: str, text: str, params: MinHashParams, at: float | None = None,
    cjk: str = CJK_SHINGLES,
) -> Signature | None:
    """MinHash signature, or None when the document has fewer than ``params.min_tokens`` tokens.

    Args:
        doc_id: document id.
        title: title (shingled with the text, and kept as a word set for the title check).
        text: body text.
        params: shingling and banding.
        at: published instant as POSIX seconds (None when undated).
        cjk: how CJK runs are cut (`tokens_for_shingles`).
    """
    tokens = tokens_for_shingles(title, text, params.max_chars, cjk)
    if len(tokens) < params.min_tokens:
        return None
    mh = MinHash(num_perm=params.num_perm, seed=params.seed)
    sh = shingles(tokens, params.shingle)
    mh.update_batch(list(sh))
    values = np.asarray(mh.hashvalues, dtype=np.uint64)
    return Signature(doc_id, values, band_keys(values, params), len(sh), title_words(title), at)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.mean(a == b))


def duplicate_score(a: Signature, b: Signature, params: MinHashParams) -> float:
    """Jaccard estimate, or the containment of the smaller copy when that rule applies.

    Zero when the titles conflict or the publication dates are more than
    ``params.max_days`` apart (templated orders: steel vs aluminum, monthly extensions).

    Containment comes from Jaccard and the two shingle-set sizes:
    |A ∩ B| = J (|A| + |B|) / (1 + J). It catches a copy wrapped in extra boilerplate
    (a crawler's header, a syndication footer) where Jaccard alone is too low.
    """
    if titles_conflict(a.title_words, b.title_words):
        return 0.0
    if a.at is not None and b.at is not None and abs(a.at - b.at) > params.max_days * 86400:
        return 0.0
    jac = similarity(a.values, b.values)
    if jac >= params.threshold:
        return jac
    small, large = sorted((a.size, b.size))
    if small == 0 or small / large < params.min_size_ratio:
        return jac
    contained = jac * (small + large) / ((1.0 + jac) * small)
    if contained >= params.containment:
        return max(jac, params.threshold)
    return jac


class BandIndex:
    """In-memory LSH buckets: band key -> doc ids (used within one batch)."""

    def __init__(self) -> None:
        self._buckets: dict[int, list[str]] = {}
        self._sigs: dict[str, Signature] = {}

    def add(self, sig: Signature) -> None:
        """Index a signature."""
        self._sigs[sig.doc_id] = sig
        for key in sig.bands:
            self._buckets.setdefault(key, []).append(sig.doc_id)

    def candidates(self, sig: Signature) -> dict[str, Signature]:
        """Indexed documents sharing at least one band with ``sig``."""
        found: dict[str, Signature] = {}
        for key in sig.bands:
            for doc_id in self._buckets.get(key, ()):
                if doc_id != sig.doc_id:
                    found[doc_id] = self._sigs[doc_id]
        return found


StoredLookup = Callable[[list[Signature]], dict[str, tuple[Signature, str]]]


def find_near_duplicates(
    signatures: Iterable[Signature],
    stored: StoredLookup,
    params: MinHashParams,
) -> list[NearDuplicate]:
    """Find, for each new signature (in the given order), the first copy it repeats.

    Args:
        signatures: new documents' signatures, oldest first.
        stored: returns already stored candidates sharing a band with any of the given
            signatures as ``doc_id -> (signature, root id)``, where root id is the stored
            document's own ``duplicate_of`` (or itself).
        params: threshold and banding.

    Returns:
        One record per new document whose best candidate reaches ``params.threshold``;
        ``duplicate_of`` always names a root (a document that is not itself a duplicate).
    """
    sigs = list(signatures)
    known = stored(sigs)
    batch = BandIndex()
    roots: dict[str, str] = {doc_id: root for doc_id, (_, root) in known.items()}
    stored_index = BandIndex()
    for stored_sig, _ in known.values():
        stored_index.add(stored_sig)
    out: list[NearDuplicate] = []
    for sig in sigs:
        cands = stored_index.candidates(sig)
        cands.update(batch.candidates(sig))
        best_id, best_sim = None, 0.0
        for cand_id, cand in cands.items():
            sim = duplicate_score(sig, cand, params)
            if sim > best_sim or (sim == best_sim and best_id is not None and cand_id < best_id):
                best_id, best_sim = cand_id, sim
        if best_id is not None and best_sim >= params.threshold:
            root = roots.get(best_id, best_id)
            roots[sig.doc_id] = root
            out.append(NearDuplicate(sig.doc_id, root, round(best_sim, 4)))
        else:
            roots[sig.doc_id] = sig.doc_id
        batch.add(sig)
    return out
