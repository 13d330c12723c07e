"""The terminology a zh-TW translation must use, and the forms of the names it must keep.

Glossary terms: the MOEA 《WTO小辭典》 rows (``nlp/glossary_terms.csv``) and the gazetteer's
instrument, law and product entries (``nlp/gazetteer.yaml``), with the extra correct forms and
the known wrong (often mainland) renderings of ``zhtw/renderings.csv``. Names: the gazetteer's
countries, agencies, organisations and companies with their zh labels and aliases.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from config.errors import ConfigError
from nlp.entities import Gazetteer, load_gazetteer
from zhtw.terms import Mention, TermMatcher, build_matcher

GLOSSARY_KINDS = frozenset({"instrument", "law", "product"})
NAME_KINDS = frozenset({"country", "agency", "org", "company"})
# Gazetteer aliases that tag a document but are no rendering of the entry ("Liberation Day" is
# not 對等關稅, "country of origin" is 原產國 in the WTO glossary, not 原產地規則).
_NOT_RENDERINGS = frozenset(a.lower() for a in (
    "Liberation Day", "country of origin", "outbound investment", "inbound investment",
    "reciprocal trade", "less-than-fair-value", "less than fair value", "wood products",
    "EAR", "Export Administration Regulations", "export restrictions", "non-tariff measures",
    "ship-to-shore cranes", "Nippon Steel", "ByteDance", "Iron Dome for America",
))
# A zh agency label often carries its country ("美國商務部"); the bare name is also correct.
_COUNTRY_PREFIX = re.compile(r"^(?:美國|日本|韓國|英國|德國|中國大陸|美國商務部)(?=..)")
_CJK = re.compile(r"[\u3400-\u9fff]")
# One-character country abbreviations zh-TW joins into pairs: 美日 (U.S.-Japan), 美柬, 台美.
_ABBREVIATION = {"country:US": "美", "country:JP": "日", "country:CN": "中陸", "country:KR": "韓",
                 "country:TW": "台臺", "country:GB": "英", "country:EU": "歐", "country:IN": "印",
                 "country:VN": "越", "country:KH": "柬", "country:CA": "加", "country:MX": "墨",
                 "country:DE": "德", "country:FR": "法", "country:RU": "俄", "country:UA": "烏",
                 "country:TH": "泰", "country:PH": "菲", "country:AU": "澳", "country:SA": "沙",
                 "country:IL": "以", "country:CH": "瑞", "country:ID": "印", "country:MY": "馬"}
_PAIR = re.compile("[" + "".join(_ABBREVIATION.values()) + "]{2,4}(?=[^國本拿大哥西亞利蘭羅斯克])")
_EXTRA_IDS = {"ROK": "country:KR"}
_EXTRA_EN = re.compile(r"\b(?:" + "|".join(_EXTRA_IDS) + r")\b")
_JOINING_HYPHEN = re.compile(r"(?<=[A-Za-z.])-(?=[A-Za-z])")
_CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b")
_FULLWIDTH_PAREN = re.compile(r"（[^）]*）")


@dataclass(frozen=True)
class Term:
    """One entry the translation must render: the zh form, other correct forms, repairs."""

    key: str  # gazetteer id or "wto:<English>"
    en: str
    zh: str
    accepted: tuple[str, ...]  # every correct zh-TW form, zh first
    repairs: tuple[tuple[str, str], ...]  # (wrong, right), longest wrong first
    generic: bool = False

    def present(self, zh_text: str) -> bool:
        """Whether `zh_text` carries one of the correct forms."""
        return any(form in zh_text for form in self.accepted)


@dataclass(frozen=True)
class Found:
    """A term or name found in an English sentence."""

    term: Term
    kind: str  # glossary | name
    surface: str


@dataclass(frozen=True)
class Lexicon:
    """Glossary terms and names with the matchers over English and zh-TW text."""

    terms: dict[str, Term]
    matcher: TermMatcher
    wto: tuple[tuple[re.Pattern[str], str], ...]  # English pattern -> wto key
    zh_names: re.Pattern[str]  # every zh/ASCII form of a name, longest first
    zh_owner: dict[str, frozenset[str]]  # form -> entity ids it may stand for
    kinds: dict[str, str]  # key -> glossary | name

    def find(self, english: str) -> list[Found]:
        """Glossary terms and names of an English sentence, left to right, no overlaps
        (a WTO row wins over the gazetteer entry inside it: "anti-dumping measures")."""
        spans: list[tuple[int, int, Found]] = []
        for pattern, key in self.wto:
            for m in pattern.finditer(english):
                spans.append((m.start(), m.end(), Found(self.terms[key], "glossary", m.group(0))))
        for mention in self._mentions(english):
            term = self.terms.get(mention.entity_id)
            if term is None or mention.surface.lower() in _NOT_RENDERINGS:
                continue
            start, end = mention.start, mention.start + len(mention.surface)
            if any(s < end and start < e for s, e, _ in spans):
                continue
            spans.append((start, end, Found(term, self.kinds[term.key], mention.surface)))
        return [f for _, _, f in sorted(spans, key=lambda s: s[0])]

    def _mentions(self, english: str) -> list:
        """Gazetteer mentions, also in "Japan-based", "U.S.-Japan" and ALL-CAPS headings
        (the matcher wants whole words in their usual case); the copies keep every offset."""
        unhyphened = _JOINING_HYPHEN.sub(" ", english)
        headings = _CAPS_WORD.sub(lambda m: m.group(0).title(), unhyphened)
        out, taken = [], []
        for text in dict.fromkeys((english, unhyphened, headings)):
            for m in self.matcher.mentions(text) + self._extra(text):
                span = (m.start, m.start + len(m.surface))
                if not any(s < span[1] and span[0] < e for s, e in taken):
                    taken.append(span)
                    out.append(m)
        return out

    def present(self, term: Term, zh_text: str) -> bool:
        """Whether the zh-TW text renders `term`, a country also as one character of a pair
        ("美日" for U.S.-Japan)."""
        if term.present(zh_text):
            return True
        chars = _ABBREVIATION.get(term.key, "")
        return bool(chars) and any(set(chars) & set(m.group(0)) for m in _PAIR.finditer(zh_text)
                                   if len(set(m.group(0))) > 1)

    def _extra(self, text: str) -> list[Mention]:
        """Names the gazetteer does not list but the sources use ("ROK" for South Korea)."""
        out = []
        for m in _EXTRA_EN.finditer(text):
            e = self.matcher.gazetteer.entries[_EXTRA_IDS[m.group(0)]]
            out.append(Mention(e.id, e.kind, e.label_zh, e.label_en, m.group(0), m.start(),
                               e.generic))
        return out

    def names_in_zh(self, zh_text: str) -> list[tuple[str, frozenset[str]]]:
        """Name forms found in zh-TW text (longest first, no overlaps) with their entity ids."""
        return [(m.group(0), self.zh_owner[m.group(0)]) for m in self.zh_names.finditer(zh_text)]


def _rows(text: str) -> list[dict[str, str]]:
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(body)))


def _wto_pattern(en: str) -> re.Pattern[str]:
    """"Countervailing duties" also matches "countervailing duty"; "Anti-dumping" "antidumping"."""
    words = en.lower().replace("favoured", "favou?red").split()
    last = words[-1]
    stem = last[:-3] + "(?:y|ies)" if last.endswith("ies") else last.rstrip("s") + "s?"
    body = r"\s+".join([*words[:-1], stem]).replace("-", "[-\\s]?")
    return re.compile(rf"(?<![\w-])(?i:{body})(?![\w-])")


def _split(cell: str | None) -> list[str]:
    return [x.strip() for x in (cell or "").split("|") if x.strip()]


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The lexicon of the packaged glossary files and gazetteer (built once per process)."""
    return build_lexicon(load_gazetteer())


def build_lexicon(gaz: Gazetteer) -> Lexicon:
    """Build the lexicon from the packaged glossary files and a gazetteer.

    Raises:
        ConfigError: a renderings row names a key that exists nowhere.
    """
    extra = {r["key"]: r for r in _rows(resources.files("zhtw").joinpath(
        "renderings.csv").read_text("utf-8"))}
    terms: dict[str, Term] = {}
    kinds: dict[str, str] = {}

    def add(key: str, en: str, zh: str, forms: list[str], generic: bool, kind: str) -> None:
        row = extra.get(key, {})
        main = (row.get("zh") or "").strip() or zh
        accepted = list(dict.fromkeys([main, zh, *forms, *_split(row.get("accepted"))]))
        repairs = []
        for item in _split(row.get("wrong")):
            wrong, _, right = item.partition("=")
            repairs.append((wrong, right or main))
        repairs.sort(key=lambda r: -len(r[0]))
        terms[key] = Term(key, en, main, tuple(accepted), tuple(repairs), generic)
        kinds[key] = kind

    for e in gaz.entries.values():
        if e.kind not in GLOSSARY_KINDS | NAME_KINDS:
            continue
        cjk = [a for a in e.aliases if _CJK.search(a)]
        if e.kind in NAME_KINDS:
            stripped = _COUNTRY_PREFIX.sub("", e.label_zh)
            cjk += [stripped] if stripped != e.label_zh else []
            # Acronyms and company names are often kept in Latin letters in zh-TW text.
            cjk += [a for a in e.aliases if not _CJK.search(a)
                    and (a.isupper() and len(a) >= 2 or e.kind == "company")]
        add(e.id, e.label_en, e.label_zh, cjk, e.generic,
            "name" if e.kind in NAME_KINDS else "glossary")
    wto = []
    glossary_csv = resources.files("nlp").joinpath("glossary_terms.csv").read_text("utf-8")
    for row in _rows(glossary_csv):
        en, zh = row["en"].strip(), _FULLWIDTH_PAREN.sub("", row["zh_tw"]).strip()
        add(f"wto:{en}", en, zh, [], False, "glossary")
        wto.append((_wto_pattern(en), f"wto:{en}"))
    unknown = set(extra) - set(terms)
    if unknown:
        raise ConfigError(f"zhtw/renderings.csv: unknown keys {sorted(unknown)}")
    owner: dict[str, set[str]] = {}
    for key, term in terms.items():
        if kinds[key] == "name" and not key.startswith("company:"):
            for form in term.accepted:
                owner.setdefault(form, set()).add(key)
    forms = sorted(owner, key=len, reverse=True)
    zh_names = re.compile("|".join(
        rf"(?<![A-Za-z]){re.escape(f)}(?![A-Za-z])" if f.isascii() else re.escape(f)
        for f in forms))
    return Lexicon(terms, build_matcher(gaz), tuple(wto), zh_names,
                   {f: frozenset(ids) for f, ids in owner.items()}, kinds)


def repair_terms(english: str, zh_text: str, lexicon: Lexicon) -> tuple[str, int]:
    """Replace known wrong renderings of the terms and names in `english` by the glossary form.

    A wrong form is replaced only while the term has no correct form in the text, so a correct
    translation is never touched.

    Returns:
        (repaired text, number of replacements).
    """
    fixes = 0
    for found in lexicon.find(english):
        term = found.term
        if term.present(zh_text):
            continue
        for wrong, right in term.repairs:
            if wrong in zh_text:
                fixes += zh_text.count(wrong)
                zh_text = zh_text.replace(wrong, right)
                break
    return zh_text, fixes
