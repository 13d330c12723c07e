"""The search vocabulary: query word or phrase -> its other wordings, in English and in
Chinese/Japanese/Korean, from four curated sources:

* news wording -> official wording (commentary/curated/synonyms_en.csv: "parcel" ->
  "postal item");
* search phrases (store/search_phrases.csv: "export controls" -> "Export Administration
  Regulations", "Entity List");
* the gazetteer's names: every alias of an entity is a wording of every other ("CHIPS Act" ->
  "CHIPS and Science Act", 晶片法案; 経済産業省 -> METI);
* the zh-TW glossary both ways (半導體 <-> semiconductors, 對等關稅 <-> reciprocal tariff).

Keys are lower-case (CJK as written); a query word is looked up as written, and with or
without a plural "s".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources

from store.segment import has_cjk

PHRASES_FILE = "search_phrases.csv"


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
        k = key if has_cjk(key) else key.lower()
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


def lookup(vocabulary: Mapping[str, Sequence[str]], key: str) -> tuple[str, ...] | None:
    """The wordings of a key as written, or of its singular / plural; None when unknown."""
    k = key if has_cjk(key) else key.lower()
    for cand in (k, k[:-1] if k.endswith("s") else k + "s"):
        if cand in vocabulary:
            return tuple(vocabulary[cand])
    return None


@lru_cache(maxsize=1)
def load_phrases() -> dict[str, tuple[str, ...]]:
    """The shipped search phrases (store/search_phrases.csv)."""
    text = resources.files("store").joinpath(PHRASES_FILE).read_text("utf-8")
    return {r["phrase"].strip().lower(): tuple(a.strip() for a in r["alternatives"].split("|")
                                               if a.strip())
            for r in csv.DictReader(io.StringIO(text)) if r.get("phrase")}
