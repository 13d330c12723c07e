"""Names: which NER spans are entity names, and company names NER cuts apart.

en_core_web_sm takes headline words, verbs, run-in headings and abbreviations of common nouns
for names ("Contribute", "Rectify Trade Practices", "National and Economic Security PURSUING
RECIPROCITY", "POR"). ``NameRules.junk`` says why a span is no name; ``company_names`` finds
names ending in a legal form ("Dar Yu Enterprise Co Ltd.") that NER splits into persons and
places. Used by ``nlp.mentions``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span

PLACE_LABELS = frozenset({"GPE", "LOC"})
MAX_WORDS = 8
FUNCTION_WORDS = frozenset({"of", "and", "the", "for", "from", "to", "in", "on", "at", "by",
                            "with", "or", "&", "a", "an", "as", "into", "than", "that", "not",
                            "nor", "via"})
# Last words that make a phrase of common words a name ("Office of Management and Budget",
# "Korea Economic Daily"); without one, "Orders and Actions" or "Unemployment Insurance" is none.
ORG_HEADS = frozenset({
    "office", "department", "bureau", "agency", "administration", "commission", "committee",
    "council", "board", "authority", "service", "services", "institute", "institutes", "center",
    "centre", "centers", "association", "foundation", "fund", "bank", "party", "corporation",
    "company", "group", "daily", "times", "post", "news", "journal", "herald", "radio",
    "airlines", "motors", "motor", "electronics", "industries", "guard", "army", "navy", "corps",
    "force", "patrol", "university", "college", "court", "forum", "alliance", "union",
    "federation", "coalition", "network", "chamber", "exchange", "society", "league", "register",
    "organization", "organisation", "cabinet", "ministry", "parliament", "senate", "house",
    "workers", "reserve", "system", "laboratory", "laboratories", "trust", "partners",
    "holdings", "inc", "llc", "ltd", "co", "corp"})
_EVENT_HEADS = frozenset({"month", "week", "day", "days", "year", "anniversary", "birthday"})
_VERB_TAGS = frozenset({"VB", "VBD", "VBP", "VBZ", "MD"})
_LAW_HEADS = frozenset({"act", "code", "constitution", "amendment", "treaty", "convention",
                        "agreement", "regulation", "regulations", "declaration", "charter", "accord",
                        "protocol", "directive", "law"})
ORG_SUFFIX = re.compile(r"\b(?:LLC|L\.L\.C\.|Inc\.?|Corp\.?|Corporation|Company|Co\.?|Ltd\.?|"
                        r"Limited|LLP|L\.P\.|PLC|GmbH|AG|S\.A\.|A\.S\.|N\.V\.)$")
# Title-case notice headings that NER takes for organisations ("Notice of Filing", ...).
_NOT_AN_ORG = re.compile(
    r"\b(notice|filing|comment|collection activities|rule change|effectiveness|proposed|"
    r"application|meeting|docket|analysis of|issuance|amendment|modification)\b",
    re.I,
)
_MARKUP = re.compile(r"[/<>=_@#]|\.(?:jpe?g|png|gif|svg|pdf|html?)\b|\b\d+(?:px|em|w)\b|\bPh\.D\b", re.I)
# a comma inside a name only before a legal form or a suffix ("Duke Energy Carolinas, LLC")
_LIST = re.compile(r",\s+(?!(?:LLC|Inc|Ltd|Co|Corp|A\.S|S\.A|L\.P|Jr|Sr|II|III)\b)")
_END_WORDS = frozenset({"no", "no.", "nos", "nos.", "et", "al."})  # "License Nos", "et al."
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# A name ending in a legal form: capitalised words (with ve/and/&/de/of between them), an
# optional comma, then the form ("Icdas Celik Enerji Tersane ve Ulasim Sanayi, A.S.").
_LEGAL_FORM = r"(?:Co\.?,?\s+Ltd\.?|Co\.|Corp\.|Corporation|Inc\.|Ltd\.|LLC|LLP|L\.L\.C\.|L\.P\.|A\.S\.|S\.A\.|GmbH|AG|PLC|N\.V\.|Company)"
_NAME_WORD = r"[A-Z][\w&'’.-]*"
_COMPANY = re.compile(rf"\b{_NAME_WORD}(?:(?:\s+(?:ve|and|&|de|of|und))?\s+{_NAME_WORD}){{0,7}}?,?\s+"
                      + _LEGAL_FORM + r"(?![\w])")
_LEADING_NON_NAME = frozenset({"the", "in", "on", "by", "for", "and", "of", "to", "additionally",
                               "pursuant", "notice", "today", "commerce", "that"})


@dataclass(frozen=True)
class Lexicon:
    """Common words of a language: all of them, and those that are also a verb, adjective or
    adverb (a person named only by such words is a phrase: "Comment Request", "Order")."""

    words: frozenset[str] = frozenset()
    not_only_nouns: frozenset[str] = frozenset()


def common_words(nlp: Language) -> Lexicon:
    """Single lower-case words of the model's lemmatizer lists (WordNet for English): a NER
    name made only of such words ("Commission", "Strengthen", "Orders and Actions") needs an
    organisation head word to count."""
    if "lemmatizer" not in nlp.component_names:
        return Lexicon()
    lookups = nlp.get_pipe("lemmatizer").lookups
    if not lookups.has_table("lemma_index"):
        return Lexicon()
    table = lookups.get_table("lemma_index")
    by_pos = {key: {w for w in table[key] if w.isalpha() and w.islower()} for key in table}
    noun = get_string_id("noun")
    return Lexicon(frozenset().union(*by_pos.values()),
                   frozenset(w for key, words in by_pos.items() if key != noun for w in words))


def company_names(doc: Doc) -> list[Span]:
    """Names ending in a legal form, as ORG spans (leading sentence words left out)."""
    out = []
    for m in _COMPANY.finditer(doc.text):
        sentence = list(re.finditer(r"[a-z]{2}\.\s+(?=[A-Z])", m.group(0)))  # "Luling. The ..."
        begin = m.start() + (sentence[-1].end() if sentence else 0)
        span = doc.char_span(begin, m.end(), label="ORG", alignment_mode="expand")
        if span is None:
            continue
        start = span.start
        while start < span.end - 1 and doc[start].lower_ in _LEADING_NON_NAME:
            start += 1
        if span.end - start >= 2:
            out.append(Span(doc, start, span.end, label="ORG"))
    return out


class NameRules:
    """What the junk rules need to know about one Doc: its title, capital runs, the words of
    its body, the model's common words."""

    def __init__(self, doc: Doc, lexicon: Lexicon, not_names: frozenset[str]):
        """Read the title (text before the first blank line) and the capital runs of a Doc."""
        self.doc, self.lexicon, self.not_names = doc, lexicon, not_names
        cut = doc.text.find("\n\n")
        self.title_end = len(doc.text) if cut < 0 else cut
        self.body = " ".join(doc.text[self.title_end:].split())
        words = [w for w in _WORD.findall(doc.text[: self.title_end]) if len(w) >= 4]
        self.headline = len(words) >= 2 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)
        self.capitals = _capital_runs(doc)
        # the lead was cut from a longer text: a name running into its end is cut too
        self.cut_end = len(doc.text) if self.body and doc.text[-1:].isalnum() else -1

    def common(self, tokens, not_only_nouns: bool = False) -> bool:
        """Every word is a common word of the language (function words aside): no proper name
        and no acronym among them; with ``not_only_nouns``, every word is also a verb,
        adjective or adverb (many surnames are nouns: "Lyons", "Smith")."""
        vocabulary = self.lexicon.not_only_nouns if not_only_nouns else self.lexicon.words
        words = [t for t in tokens if t.is_alpha and t.lower_ not in FUNCTION_WORDS]
        return bool(words) and all(not (w.is_upper and len(w) > 1) and self._known(w.lower_, vocabulary)
                                   for w in words)

    @staticmethod
    def _known(word: str, vocabulary: frozenset[str]) -> bool:
        """The word or a plain inflection of it is a common word ("orders", "enhanced")."""
        stems = [word]
        for suffix, add in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                stem = word[: -len(suffix)]
                stems.append(stem + add)
                if len(stem) > 2 and stem[-1] == stem[-2]:
                    stems.append(stem[:-1])  # "vetting" -> "vet"
        return any(w in vocabulary for w in stems)

    def junk(self, span: Span) -> str | None:
        """Why the span is no entity name (None when it may be one)."""
        text, first, last, label = span.text, span[0], span[-1], span.label_
        flat = " ".join(text.split())
        if "\n\n" in text or span.start_char < self.title_end < span.end_char:
            return "crosses the title"
        if first.lower_ in FUNCTION_WORDS or last.lower_ in FUNCTION_WORDS | _END_WORDS \
                or text.endswith("-"):
            return "fragment"
        if _LIST.search(flat):
            return "list"
        if text[:1].islower():
            return "lower case"
        if len(flat.split()) > MAX_WORDS:
            return "too long"
        if flat.lower() in self.not_names:
            return "generic word"
        if span.end_char == self.cut_end:
            return "cut off"
        if first.tag_ in _VERB_TAGS | {"VBG"} or any(
                t.tag_ in _VERB_TAGS or t.pos_ in ("VERB", "AUX") for t in span):
            return "verb"
        if any(t.i in self.capitals for t in span) or _shouting(span):
            return "capitals"
        if span.end_char <= self.title_end and self.headline and flat not in self.body \
                and not (not self.body and ORG_SUFFIX.search(flat)):
            return "headline fragment"
        if _MARKUP.search(text):
            return "markup"
        return self._by_label(span, label, flat)

    def _by_label(self, span: Span, label: str, flat: str) -> str | None:
        first, last = span[0], span[-1]
        if label in ("PERSON", "PER") and any(ch.isdigit() for ch in flat):
            return "number"  # licence and docket numbers ("DPR-47")
        if label == "LAW" and not any(t.lower_ in _LAW_HEADS for t in span):
            return "not a law"
        if label == "ORG" and _NOT_AN_ORG.search(flat):
            return "notice heading"
        if label == "ORG" and last.lower_ in _EVENT_HEADS:
            return "event"
        if label == "ORG" and self.common(span) and not ORG_SUFFIX.search(flat) and (
                len(span) == 1 or not any(t.lower_ in ORG_HEADS for t in span)):
            return "common words"
        if label in ("PERSON", "PER") and self.common(span, not_only_nouns=True):
            return "common words"
        if len(span) == 1 and first.is_upper and self._spelled_out(first.text):
            return "abbreviation"
        return None

    def _spelled_out(self, acronym: str) -> bool:
        """The text defines the acronym for a lower-case phrase: "period of review (POR)"."""
        rx = re.compile(r"(\w[\w-]*)[\s,]*\(\s*[\"“']?" + re.escape(acronym) + r"s?[\"”']?\s*\)")
        return any(m.group(1)[0].islower() for m in rx.finditer(self.doc.text))


def _capital_runs(doc: Doc) -> frozenset[int]:
    """Token indices inside runs of three or more capitalised words (run-in headings such as
    "PURSUING RECIPROCITY TO REBUILD THE ECONOMY", memorandum address lines)."""
    marked: set[int] = set()
    run: list[int] = []
    caps = 0
    for t in [*doc, None]:
        if t is not None and t.is_alpha and t.is_upper and len(t) >= 2:
            run.append(t.i)
            caps += 1
        elif t is not None and run and (t.is_punct or t.text.upper() in ("'S", "’S")):
            run.append(t.i)
        else:
            if caps >= 3:
                marked.update(run)
            run, caps = [], 0
    return frozenset(marked)


def _shouting(span: Span) -> bool:
    """Capitals a NER span cannot be trusted in: two long all-caps words, one long one, or
    a long one beside title-case words (acronyms of up to five letters are names)."""
    words = [t.text for t in span if t.is_alpha]
    long_caps = [w for w in words if w.isupper() and len(w) >= 4]
    if any(len(w) >= 5 for w in long_caps) and any(w.istitle() for w in words):
        return True  # a run-in heading glued to the sentence: "HONDA Honda has decided"
    return len(long_caps) >= 2 or (len(words) == 1 and words[0].isupper() and len(words[0]) > 5)
