"""The search vocabulary: query word or phrase -> its other wordings, in English and in
Chinese/Japanese/Korean, from five curated sources:

* news wording -> official wording (commentary/curated/synonyms_en.csv: "parcel" ->
  "postal item");
* search phrases (store/search_phrases.csv: "export controls" -> "Export Administration
  Regulations", "Entity List");
* the gazetteer's names: every alias of an entity is a wording of every other ("CHIPS Act" ->
  "CHIPS and Science Act", 晶片法案; 経済産業省 -> METI);
* the zh-TW glossary both ways (半導體 <-> semiconductors, 對等關稅 <-> reciprocal tariff);
* English policy terms with their Korean and Japanese wordings, both ways
  (store/search_terms_cjk.csv: "semiconductor" <-> 반도체 / 半導体), so English finds the Korean
  and Japanese documents (the glossary does that for Chinese).

Keys are lower-case with hyphens as spaces (CJK as written); a query word is looked up as
written, and with or without a plural "s".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources

from store.segment import has_cjk

PHRASES_FILE = "search_phrases.csv"
CJK_TERMS_FILE = "search_terms_cjk.csv"


def build_vocabulary(synonyms: Mapping[str, Sequence[str]],
                     names: Iterable[Sequence[str]],
                     glossary: Iterable[tuple[str, str]],
                     phrases: Mapping[str, Sequence[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """Merge the sources into one mapping (curated synonyms and phrases first).

    Args:
        synonyms: query word -> alternatives (news -> official wording).
        names: each entity's wordings (English label, aliases, zh label).
        glossary: (zh, en) pairs.
        phrases: search phrase -> alternatives.
    """
    out: dict[str, dict[str, None]] = {}

    def add(key: str, wordings: Iterable[str]) -> None:
        k = key if has_cjk(key) else _key(key)
        slot = out.setdefault(k.strip(), {})
        for w in wordings:
            if w.strip() and w.strip().lower() != k:
                slot.setdefault(w.strip(), None)

    for key, alts in (*synonyms.items(), *(phrases or {}).items()):
        add(key, alts)
    for wordings in names:
        ws = [w for w in dict.fromkeys(wordings) if w and len(w) >= 2]
        for w in ws:
            add(w, [x for x in ws if x != w])
    for zh, en in glossary:
        add(en, [zh])
        add(zh, [en])
    return {k: tuple(v) for k, v in out.items() if k}


def _key(key: str) -> str:
    """An English key as looked up: lower case, a hyphen as a space (a query's "medium-sized"
    is two words, store/query_units.py)."""
    return " ".join(key.lower().replace("-", " ").split())


def lookup(vocabulary: Mapping[str, Sequence[str]], key: str) -> tuple[str, ...] | None:
    """The wordings of a key as written, or of its singular / plural; None when unknown."""
    k = key if has_cjk(key) else _key(key)
    for cand in (k, k[:-1] if k.endswith("s") else k + "s"):
        if cand in vocabulary:
            return tuple(vocabulary[cand])
    return None


@lru_cache(maxsize=1)
def load_phrases() -> dict[str, tuple[str, ...]]:
    """The shipped search phrases (store/search_phrases.csv) and the English -> Korean /
    Japanese policy terms (store/search_terms_cjk.csv) both ways, so an English query finds
    Korean and Japanese documents (반도체 for "semiconductor") and a Korean one English ones."""
    text = resources.files("store").joinpath(PHRASES_FILE).read_text("utf-8")
    out: dict[str, dict[str, None]] = {}
    for r in csv.DictReader(io.StringIO(text)):
        if r.get("phrase"):
            slot = out.setdefault(r["phrase"].strip().lower(), {})
            slot.update(dict.fromkeys(a.strip() for a in r["alternatives"].split("|") if a.strip()))
    for en, others in cjk_terms():
        out.setdefault(en.lower(), {}).update(dict.fromkeys(others))
        for other in others:
            if has_cjk(other):
                out.setdefault(other, {}).update(dict.fromkeys([en]))
    return {k: tuple(v) for k, v in out.items()}


def cjk_terms() -> list[tuple[str, tuple[str, ...]]]:
    """(English term, its Korean and Japanese wordings) from store/search_terms_cjk.csv."""
    text = resources.files("store").joinpath(CJK_TERMS_FILE).read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows = []
    for r in csv.DictReader(lines):
        wordings = [w.strip() for col in ("ko", "ja") for w in (r.get(col) or "").split("|")]
        rows.append((r["en"].strip(), tuple(dict.fromkeys(w for w in wordings if w))))
    return rows
