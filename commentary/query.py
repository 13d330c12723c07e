"""A staff request as a search query: trimmed, capped, and Chinese terms carried into English
with the shipped glossary (the store's texts and the default embedder are English).

The glossary's record and its translation are the store's (store.query, which watchlists use
too); loading the shipped glossary and synonyms from commentary/curated is here."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from config.errors import BadInputError
from nlp.entities import load_gazetteer
from store.query import Glossary, translate
from store.segment import CJK_RUN, has_cjk
from store.vocabulary import build_vocabulary, load_phrases

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PreparedQuery:
    """What was asked and what is searched."""

    original: str
    text: str  # English search text
    translated: tuple[tuple[str, str], ...]  # (zh, en) glossary pairs used
    notes: tuple[str, ...]
    # What search is asked: the English text plus the CJK words the glossary does not know
    # (Chinese, Japanese and Korean documents are searched by their own words).
    search_text: str = ""


@lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    """The shipped glossary (``commentary/curated/glossary_zh_en.csv``; sources in SOURCES.md)
    plus the gazetteer's zh-TW labels and Chinese aliases (台積電 -> TSMC, 美國商務部 ->
    U.S. Department of Commerce); a curated row wins over a gazetteer one."""
    text = resources.files("commentary").joinpath("curated/glossary_zh_en.csv").read_text("utf-8")
    rows = [(r["zh_tw"].strip(), r["en"].strip()) for r in csv.DictReader(io.StringIO(text))
            if r.get("zh_tw") and r.get("en")]
    known = {zh for zh, _ in rows}
    for e in load_gazetteer().entries.values():
        for zh in (e.label_zh, *e.aliases):
            if _CJK.search(zh) and zh not in known and len(zh) >= 2:
                rows.append((zh, _CJK.sub("", e.label_en).strip() or e.label_en))
                known.add(zh)
    return Glossary(tuple(sorted(rows, key=lambda r: -len(r[0]))))


@lru_cache(maxsize=1)
def load_synonyms() -> dict[str, tuple[str, ...]]:
    """News wording -> official wording (``commentary/curated/synonyms_en.csv``)."""
    text = resources.files("commentary").joinpath("curated/synonyms_en.csv").read_text("utf-8")
    return {r["term"].strip().lower(): tuple(a.strip() for a in r["alternatives"].split("|") if a.strip())
            for r in csv.DictReader(io.StringIO(text)) if r.get("term")}


@lru_cache(maxsize=1)
def load_vocabulary() -> dict[str, tuple[str, ...]]:
    """The search vocabulary (store/vocabulary.py): the curated synonyms and search phrases,
    every gazetteer name with all its wordings (English, zh-TW, zh-Hans, ja, ko, de), and the
    glossary both ways. What `store.search.search` takes as ``synonyms``."""
    names = [(e.label_en, e.label_zh, *e.aliases) for e in load_gazetteer().entries.values()]
    return build_vocabulary(load_synonyms(), names, load_glossary().terms, load_phrases())


def prepare_query(query: str, max_chars: int, glossary: Glossary | None = None,
                  allow_cjk: bool = False) -> PreparedQuery:
    """Normalise a request into a search query.

    Args:
        query: what staff typed (any language; zh-TW terms go through the glossary).
        max_chars: longer queries are cut at a word boundary (noted in the draft).
        glossary: defaults to the shipped one.
        allow_cjk: Chinese/Japanese/Korean words the glossary does not know are searched as
            they are (``search_text``) instead of making the query unsearchable.

    Raises:
        BadInputError: nothing searchable is left (empty, punctuation only, or — without
            `allow_cjk` — only Chinese words the glossary does not know).
    """
    original = _SPACE.sub(" ", unicodedata.normalize("NFKC", query or "")).strip()
    if not original:
        raise BadInputError("the query is empty: say what the commentary is about")
    notes: list[str] = []
    text = original
    if len(text) > max_chars:
        cut = text[:max_chars]
        text = cut.rsplit(" ", 1)[0] if " " in cut[max_chars // 2:] else cut
        notes.append(f"查詢過長（{len(original)} 字元），僅以前 {len(text)} 字元檢索。")
    translated: tuple[tuple[str, str], ...] = ()
    own = ""
    if has_cjk(text):
        own = " ".join(CJK_RUN.findall(_translated_out(text, glossary or load_glossary())))
        text, translated, leftover = translate(text, glossary or load_glossary())
        if translated:
            pairs = "、".join(f"{zh}→{en}" for zh, en in translated)
            notes.append(f"中文查詢以詞彙表轉為英文檢索：{pairs}。")
        if leftover and allow_cjk:
            notes.append(f"詞彙表未收錄的中日韓文字詞照原文檢索：{own}。")
        elif leftover:
            notes.append(f"詞彙表未收錄而未用於檢索的中文：{leftover}。")
    search_text = " ".join(p for p in (text, own if allow_cjk else "") if p)
    if not re.search(r"\w", search_text if allow_cjk else text):
        raise BadInputError(
            f"nothing searchable in the query {original[:80]!r}: use English terms or "
            "Chinese terms from the glossary (commentary/curated/glossary_zh_en.csv)"
        )
    return PreparedQuery(original=original, text=text, translated=translated, notes=tuple(notes),
                         search_text=search_text)


def _translated_out(text: str, glossary: Glossary) -> str:
    """The text with the glossary's terms taken out (what is left to search as CJK)."""
    for zh, _ in glossary.terms:
        text = text.replace(zh, " ")
    return text
