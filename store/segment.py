"""Chinese, Japanese and Korean text as words, for the BM25 index, query matching and
near-duplicate shingles.

CJK is written without spaces, so a whitespace tokeniser sees a whole sentence as one
"word" (DuckDB's fts tokeniser drops it altogether). Two ways to cut it are offered and
were measured on real items (benchmarks/cjk_tokens.py, docs/performance.md):

* ``bigram``: overlapping character pairs of every CJK run (a one-character run stays one
  token) — needs no dictionary and works for all three languages;
* ``words``: the jieba-rs segmenter (``rjieba``, search mode: words and their sub-words)
  for runs of Chinese characters; kana and Hangul runs as bigrams (jieba has no Japanese or
  Korean dictionary).

Chinese is folded to Simplified first (OpenCC ``t2s``), so 臺灣, 台灣 and 台湾 are one word
and a zh-Hant query finds a zh-Hans text; the folding keeps the text's length, so match
positions map back one to one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# Han (with extension A and compatibility ideographs), kana (with the long-vowel mark),
# Hangul syllables and jamo.
# Real characters, not escapes: the same class goes into DuckDB's RE2, which has no \\u.
CJK_CLASS = ("\u3005\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
             "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af")
CJK = re.compile(f"[{CJK_CLASS}]")
CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
_HAN = re.compile("[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile("[\u3040-\u30ff]")
MODES = ("bigram", "words")
DEFAULT_MODE = "bigram"
# What the fts index must not throw away: ASCII letters (as before) and CJK (for this module's
# tokens). The extension's default is (\\.|[^a-z])+.
FTS_IGNORE = r"(\.|[^a-z" + CJK_CLASS + r"])+"

_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _t2s() -> Any:  # opencc ships no type hints
    import opencc

    return opencc.OpenCC("t2s")


def has_cjk(text: str) -> bool:
    """Whether `text` has any Chinese, Japanese or Korean character."""
    return bool(CJK.search(text or ""))


def fold(text: str) -> str:
    """Chinese characters folded to Simplified (same length); other text unchanged."""
    if not text or not _HAN.search(text):
        return text
    with _LOCK:  # OpenCC's converter is not documented as thread-safe
        out = _t2s().convert(text)
    return out if len(out) == len(text) else text


def bigrams(run: str) -> list[str]:
    """Overlapping character pairs of a CJK run; a single character stays itself."""
    return [run] if len(run) < 2 else [run[i:i + 2] for i in range(len(run) - 1)]


@lru_cache(maxsize=1)
def _jieba() -> Any:  # rjieba ships no type hints
    import rjieba

    return rjieba.Jieba()


def words(run: str) -> list[str]:
    """A folded run of Chinese characters in jieba's search mode (words and their sub-words;
    no single-character words, which carry little and match everywhere)."""
    with _LOCK:
        cut = _jieba().cut_for_search(run, True)
    out = [w for w in cut if len(w) > 1 and not w.isspace()]
    return out or [run]


def run_tokens(run: str, mode: str = DEFAULT_MODE) -> list[str]:
    """Tokens of one folded CJK run."""
    if mode == "words" and not _KANA.search(run) and _HAN.search(run):
        return words(run)
    return bigrams(run)


def tokens(text: str, mode: str = DEFAULT_MODE) -> list[str]:
    """The CJK tokens of a text, in order (non-CJK text is left out)."""
    return [t for run in CJK_RUN.findall(fold(text or "")) for t in run_tokens(run, mode)]


def spaced(text: str, mode: str = DEFAULT_MODE) -> str:
    """The text with every CJK run replaced by its tokens between spaces (what the BM25
    index and the BM25 query read); text without CJK comes back unchanged."""
    if not has_cjk(text):
        return text
    return CJK_RUN.sub(lambda m: " " + " ".join(run_tokens(m.group(), mode)) + " ", fold(text))


# Korean particles and endings a query word may carry (산업통상자원부는 -> 산업통상자원부).
_KO_PARTICLE = re.compile(r"(?:에서는|에서|으로|에게|까지|부터|은|는|이|가|을|를|의|에|로|와|과|도|만)$")
_HAN_OR_KATAKANA = re.compile("[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[\u30a0-\u30ff]{2,}")


def query_words(text: str, known: Iterable[str] = (), mode: str = "words") -> list[str]:
    """A query's CJK words in order, unique; matched as substrings of the folded text, so the
    index's finer cut does not matter here.

    Args:
        text: the query.
        known: names to keep whole wherever they occur (glossary and gazetteer terms such as
            台積電, which the segmenter's dictionary cuts wrongly), longest first.
        mode: ``words``: Chinese runs through the segmenter (single characters glued to a
            neighbour); otherwise each Chinese run whole. Japanese runs give their kanji and
            katakana words (hiragana particles dropped); Korean words lose a trailing particle.
    """
    seen: dict[str, None] = {}
    keep = sorted({fold(k) for k in known if has_cjk(k)}, key=len, reverse=True)
    for run in CJK_RUN.findall(fold(text or "")):
        for part in _split_known(run, keep):
            if part in keep:
                pieces = [part]
            elif _KANA.search(part):
                pieces = _HAN_OR_KATAKANA.findall(part)
            elif not _HAN.search(part):
                stripped = _KO_PARTICLE.sub("", part)
                pieces = [stripped if len(stripped) >= 2 else part]
            elif mode == "words" and len(part) > 2:
                with _LOCK:
                    cut = [w for w in _jieba().cut(part, True) if w.strip()]
                pieces = _merge_singles(cut)
            else:
                pieces = [part]
            for p in pieces:
                seen.setdefault(p, None)
    return list(seen)


def _split_known(run: str, known: list[str]) -> list[str]:
    """A run cut around the known names it contains (longest first), names kept whole."""
    for name in known:
        at = run.find(name)
        if at >= 0:
            return [p for p in (*_split_known(run[:at], known), name,
                                *_split_known(run[at + len(name):], known)) if p]
    return [run] if run else []


def _merge_singles(cut: Iterable[str]) -> list[str]:
    """Glue single characters to the word before them ("台积 电" -> "台积电"): a lone character
    as a query word would match nearly every Chinese text."""
    out: list[str] = []
    for w in cut:
        if len(w) == 1 and out:
            out[-1] += w
        elif len(w) == 1:
            out.append(w)
        elif out and len(out[-1]) == 1:
            out[-1] += w
        else:
            out.append(w)
    return out
