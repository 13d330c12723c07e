"""Mentions: gazetteer matches and NER spans resolved into the entity mentions we trust.

``nlp.entities.build_pipeline`` runs NER on its own and the gazetteer as two span rulers
(``GAZ_KEYS``); the ``radar_mentions`` component at the end merges them into
``doc._.radar_mentions``:

* gazetteer matches go longest first, so an alias never matches inside a longer alias or a
  ``longer_names`` phrase ("People's Republic of China" is never Taiwan);
* a gazetteer match that opens a longer name ("Korea Economic Daily", "White House Task Force
  on ...") is part of that name, not a mention of its own, and a longer place name wins over
  the country inside it ("South China Sea");
* NER spans that are no names (``nlp.names``: verbs, headline fragments, capitals, generic
  words) are dropped, company names NER cut apart are taken whole;
* a person or organisation named by part of its name, or by the abbreviation the text gives
  it, is the one the document names in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from nlp.entities import slugify
from nlp.names import ORG_HEADS, PLACE_LABELS, Lexicon, NameRules, common_words, company_names

if TYPE_CHECKING:
    from nlp.entities import Gazetteer

__all__ = ["GAZ_KEYS", "NER_KIND", "Mention", "SoftBreaks", "common_words", "mentions_of", "resolve"]

GAZ_KEYS = ("gazetteer_lower", "gazetteer_exact")  # doc.spans keys of the two rulers
# English models label GPE/PERSON, the French one LOC/PER; laws keep a kind of their own.
NER_KIND = {"ORG": "org", "GPE": "place", "PERSON": "person", "LOC": "place", "PER": "person",
            "LAW": "law"}
_NAMES = frozenset({"ORG", "LAW", "FAC"})  # FAC is never output, but it can hold a country
_PERSONS = frozenset({"PERSON", "PER"})
_DETERMINERS = frozenset({"the", "a", "an", "this", "these", "those", "its", "our", "their"})
_HONORIFICS = frozenset({"president", "vice", "secretary", "senator", "sen.", "rep.",
                         "representative", "governor", "gov.", "mr.", "mrs.", "ms.", "dr.",
                         "judge", "justice", "ambassador", "prime", "minister", "chancellor",
                         "king", "queen", "prince", "lady", "first", "acting", "assistant",
                         "deputy", "director", "chairman", "chair", "speaker", "general", "gen.",
                         "admiral", "ceo", "pope", "sir", "dame", "mayor", "attorney",
                         "commissioner"})
_OFFICES = frozenset({"chair", "chairman", "director", "secretary", "administrator", "president",
                      "head", "members", "staff"})  # "Chair of Task Force 250" -> the task force
_MONTHS = frozenset({"january", "february", "march", "april", "may", "june", "july", "august",
                     "september", "october", "november", "december", "jan.", "feb.", "aug.",
                     "sept.", "oct.", "nov.", "dec."})
# Words after a country that still mean that country, not a longer name.
_COUNTRY_HEADS = frozenset({"government", "administration", "embassy", "consulate", "delegation",
                            "mission", "ambassador", "people", "economy", "officials", "federal"})
_NUMBERING = re.compile(r"(?:[IVX]+|[A-Z]|\d+)\.")  # section numbering before a name
_LAW_NAME = re.compile(r"\b(?:Act|Code|Constitution|Amendment)(?: of \d{4})?$")
_FOLLOWED_BY_LEGAL_FORM = r"(?:\s+[A-Z][\w.-]*){0,4},?\s+(?:Co|Corp|Corporation|Inc|Ltd|LLC|Limited|A\.S|S\.A|GmbH|AG|PLC|Company)\b"


@dataclass(frozen=True)
class Mention:
    """One resolved entity mention: character offsets in the Doc text, id and kind."""

    start: int
    end: int
    text: str
    entity_id: str
    kind: str
    label: str  # English label (gazetteer) or the cleaned surface (NER)
    origin: str  # gazetteer | ner


if not Doc.has_extension("radar_mentions"):
    Doc.set_extension("radar_mentions", default=None)


class MentionResolver:
    """Pipeline component that sets ``doc._.radar_mentions`` (see the module docstring)."""

    def __init__(self) -> None:
        """Unconfigured: ``configure`` gives it the gazetteer and the common-word list."""
        self.gazetteer: Gazetteer | None = None
        self.lexicon = Lexicon()

    def configure(self, gazetteer: Gazetteer, lexicon: Lexicon) -> MentionResolver:
        """Set the gazetteer the rulers were built from and the model's common words."""
        self.gazetteer, self.lexicon = gazetteer, lexicon
        return self

    def __call__(self, doc: Doc) -> Doc:
        """Resolve the mentions of one Doc."""
        if self.gazetteer is not None:
            doc._.radar_mentions = resolve(doc, self.gazetteer, self.lexicon)
        return doc


@Language.factory("radar_mentions")
def make_resolver(nlp: Language, name: str) -> MentionResolver:
    """spaCy factory of the resolver (configured after ``add_pipe``)."""
    return MentionResolver()


class SoftBreaks:
    """Tokenizer wrapper: a line break inside a paragraph is a space, so that names wrapped
    over two lines ("People’s\\nRepublic of China") still match. Offsets are kept."""

    def __init__(self, tokenizer):
        """Wrap a spaCy tokenizer."""
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        """Tokenize with single line breaks read as spaces (blank lines kept)."""
        return self.tokenizer(re.sub(r"(?<!\n)\n(?!\n)", " ", text))


def mentions_of(doc: Doc, gazetteer: Gazetteer) -> list[Mention]:
    """The resolved mentions of a Doc (resolved now if the pipeline had no resolver)."""
    found = doc._.radar_mentions
    return found if found is not None else resolve(doc, gazetteer, Lexicon())


def resolve(doc: Doc, gazetteer: Gazetteer, lexicon: Lexicon) -> list[Mention]:
    """Gazetteer matches and NER spans of a Doc as mentions, left to right.

    Args:
        doc: processed by NER and the span rulers of ``GAZ_KEYS``.
        gazetteer: the gazetteer the rulers were built from.
        lexicon: common words of the model's language (``common_words``).
    """
    spans = filter_spans([s for key in GAZ_KEYS if key in doc.spans for s in doc.spans[key]])
    gaz = [s for s in spans if s.label_ == "GAZ" and s.id_]
    blocked = [s for s in spans if s.label_ == "BLOCK"]
    rules = NameRules(doc, lexicon, gazetteer.not_names)
    companies = company_names(doc)
    ents = [e for e in doc.ents if not any(c.start < e.end and e.start < c.end for c in companies)]
    kept: list[Span] = []
    for span in filter(None, [*companies, *map(_clean, ents)]):
        if any(b.start <= span.start and span.end <= b.end for b in blocked):
            continue
        inside = [g for g in gaz if g.start < span.end and span.start < g.end]
        trusted = rules.junk(span) is None
        if inside and trusted and _names_longer(span, inside, gazetteer, rules):
            gaz = [g for g in gaz if not any(g is h for h in inside)]
            kept.append(span)
        elif not inside and trusted and span.label_ in NER_KIND:
            kept.append(span)
    out = [_gazetteer_mention(g.start_char, g.end_char, g.text, g.id_, gazetteer) for g in gaz]
    out += [m for s in kept if (m := _ner_mention(s, gazetteer)) is not None]
    out += _cjk_mentions(doc.text, gazetteer)
    out.sort(key=lambda m: (m.start, -m.end))
    return _merge_short_names(_merge_abbreviations(doc.text, out))


def _clean(ent: Span) -> Span | None:
    """The NER span without a leading determiner or office ("Chair of"), a trailing possessive,
    punctuation, an unclosed parenthesis or a date, and (persons) leading titles."""
    if ent.label_ not in NER_KIND and ent.label_ not in _NAMES:
        return None
    doc, start, end = ent.doc, ent.start, ent.end
    for i in range(start, end):
        if doc[i].text in (":", ";") or (
                doc[i].text == "(" and not any(doc[j].text == ")" for j in range(i, end))):
            end = i  # "HOME Investment Partnerships Program: Program Updates ..."
            break
        if doc[i].lower_ in _MONTHS and i + 1 < len(doc) and doc[i + 1].like_num and i > start:
            end = i - 1 if doc[i - 1].lower_ in ("of", "on", ",") else i
            break
    while start < end and (doc[start].lower_ in _DETERMINERS or _NUMBERING.fullmatch(doc[start].text)):
        start += 1  # "the ...", "I. DEA"
    if ent.label_ == "ORG" and start >= 2 and doc[start - 1].lower_ in ("for", "of", "on") \
            and doc[start - 2].is_title and doc[start - 2].lower_ in ORG_HEADS:
        start -= 2  # NER left out the head: "Centers for | Medicare & Medicaid Services"
    if ent.label_ in _NAMES and end - start > 2 and doc[start].lower_ in _OFFICES \
            and doc[start + 1].lower_ == "of":
        start += 2
        start += int(start < end and doc[start].lower_ == "the")
    while end > start and (doc[end - 1].lower_ in ("'s", "’s", "'", "’")
                           or (doc[end - 1].is_punct and doc[end - 1].text != ".")):
        end -= 1
    if ent.label_ in _PERSONS:
        while end - start > 1 and doc[start].lower_ in _HONORIFICS:
            start += 1
    label = ent.label_
    if label in _PERSONS | PLACE_LABELS and end > start and re.match(
            re.escape(doc[start:end].text) + _FOLLOWED_BY_LEGAL_FORM, doc.text[doc[start].idx:]):
        label = "ORG"  # "Tricera" of "Tricera Corp.", which NER takes for a person
    return Span(doc, start, end, label=label) if end > start else None


def _names_longer(span: Span, inside: list[Span], gazetteer: Gazetteer, rules: NameRules) -> bool:
    """Whether the NER span is a longer name the gazetteer matches lie in (then they are no
    mentions of their own) rather than a bad span around a true match."""
    if any(g.start < span.start or g.end > span.end for g in inside):
        return False
    if all(g.start == span.start and g.end == span.end for g in inside):
        return False
    kinds = [gazetteer.entry(g.id_).kind for g in inside]
    if span.label_ in _PERSONS:  # "Melania Trump" is not Donald Trump
        return all(k == "person" for k in kinds)
    extra = [t for t in span if not any(g.start <= t.i < g.end for g in inside)]
    if span.label_ in PLACE_LABELS:  # "South China Sea", but "South Korea and Taiwan" is two
        return (len(inside) == 1 and any(t.is_title for t in extra)
                and all(t.is_title or t.is_upper or t.lower_ in ("of", "the", "-") for t in extra))
    first = min(inside, key=lambda g: g.start)
    if span.label_ not in _NAMES or first.start != span.start:
        return False
    after = span.doc[first.end]
    if not after.is_alpha or not (after.is_title or after.is_upper):
        return False
    if kinds[0] == "country" and after.lower_ in _COUNTRY_HEADS:
        return False
    # "Korea Economic Daily" is a name; "American Independence" is America's independence
    return any(t.lower_ in ORG_HEADS for t in extra) or not rules.common(extra)


def _gazetteer_mention(start: int, end: int, text: str, eid: str, gazetteer: Gazetteer) -> Mention:
    e = gazetteer.entry(eid)
    return Mention(start, end, text, e.id, e.kind, e.label_en, "gazetteer")


def _ner_mention(span: Span, gazetteer: Gazetteer) -> Mention | None:
    text = " ".join(span.text.split())
    known = gazetteer.alias_index.get("=" + text) or gazetteer.alias_index.get(text.lower())
    if known:
        return _gazetteer_mention(span.start_char, span.end_char, span.text, known, gazetteer)
    label = "LAW" if span.label_ == "ORG" and _LAW_NAME.search(text) else span.label_
    slug = slugify(text)
    if label not in NER_KIND or len(slug) < 2:
        return None
    return Mention(span.start_char, span.end_char, span.text, f"ner:{label}:{slug}",
                   NER_KIND[label], text, "ner")


def _cjk_mentions(text: str, gazetteer: Gazetteer) -> list[Mention]:
    """CJK aliases by substring, longest first (美國商務部 is Commerce, not also 美國)."""
    if not gazetteer.cjk_aliases or not any("\u3040" <= ch for ch in text):
        return []
    taken = bytearray(len(text))
    out = []
    for alias, eid in gazetteer.cjk_aliases:
        start = text.find(alias)
        while start >= 0:
            end = start + len(alias)
            if not any(taken[start:end]):
                taken[start:end] = b"\x01" * len(alias)
                out.append(_gazetteer_mention(start, end, alias, eid, gazetteer))
            start = text.find(alias, end)
    return out


def _merge_abbreviations(text: str, mentions: list[Mention]) -> list[Mention]:
    """A NER name given in parentheses right after a name ("Office of Management and Budget
    (OMB)", "Dar Yu Enterprise Co Ltd. (Dar Yu)") is that entity, there and further on."""
    same: dict[str, Mention] = {}
    for prev, m in zip(mentions, mentions[1:], strict=False):
        if m.origin == "ner" and prev.kind in ("org", "agency", "company", "law", "person") \
                and re.fullmatch(r"(?:\s+of\s+\d{4})?,?\s*\(\s*[\"“']?", text[prev.end:m.start]) \
                and re.match(r"[\"”']?\s*\)", text[m.end:]):  # all there is in the parentheses
            same.setdefault(m.label, prev)
    if not same:
        return mentions
    return [replace(m, entity_id=same[m.label].entity_id, kind=same[m.label].kind,
                    label=same[m.label].label, origin=same[m.label].origin)
            if m.origin == "ner" and m.label in same else m for m in mentions]


def _name_parts(name: str) -> tuple[list[str], set[str]]:
    words = [w.strip(".,").lower() for w in name.split()]
    return words, set(words) | {p for w in words for p in w.split("-")}


def _merge_short_names(mentions: list[Mention]) -> list[Mention]:
    """A NER person or organisation named by part of its name ("Garcia", "Pritzker", "Dar
    Yu") becomes the one entity of the document whose fuller name holds it."""
    out = []
    for m in mentions:
        if m.origin != "ner" or m.kind not in ("person", "org"):
            out.append(m)
            continue
        words, _ = _name_parts(m.label)
        fuller = {}
        for p in mentions:
            if p.kind != m.kind or p.entity_id == m.entity_id:
                continue
            p_words, p_parts = _name_parts(p.label)
            if m.kind == "person":
                holds = set(words) <= p_parts and words[-1] in p_parts
            else:  # an organisation by the first words of its name
                holds = p_words[: len(words)] == words
            if len(p_words) > len(words) and holds:
                fuller.setdefault(p.entity_id, p)
        if len(fuller) == 1:
            p = next(iter(fuller.values()))
            m = replace(m, entity_id=p.entity_id, label=p.label, origin=p.origin)
        out.append(m)
    return out
