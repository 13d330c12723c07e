"""Faithfulness check of a zh-TW translation against its English source sentence.

A translation passes when it states the same numbers (money converted exactly: $100 billion =
1,000億美元), percentages, dates, HS codes, named countries/agencies/organisations/companies and
negation as the source, and renders every glossary term in its zh-TW form. It is a check of
facts, not of style: a clumsy translation can pass, a fluent one that changes a number cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from zhtw.glossary import Lexicon, load_lexicon
from zhtw.quantities import (
    DateFact,
    SentenceQuantities,
    chinese_quantities,
    english_quantities,
    same_value,
)

_EN_NEGATION = re.compile(
    r"\b(?:not|no|never|without|none|nor|cannot|nothing|neither|nobody|no one)\b|n't\b", re.I)
# English phrases whose "not"/"no" states a limit, not a negation ("no later than" = 最遲).
_EN_NOT_NEGATION = re.compile(
    r"\b(?:no|not) (?:later|earlier|sooner|more|less|fewer) than\b|\bnot only\b|"
    r"\bno\.\s?\d|\bneither\b(?=.*\bnor\b)|\bno matter\b|\bnot least\b|"
    r"\b(?:like|as) never before\b", re.I)
# "the Secretary", "the Department": a translation may name the agency the source means.
_EN_AGENCY_REFERENCE = re.compile(
    r"\b(?:Secretar(?:y|ies)|Department|Administrator|Commission|Bureau|Agency|Office)\b")
# Sentential negation in zh-TW.
_ZH_NEGATION = re.compile(r"不再|不得|不會|不能|不可|不予|不須|不需|不必|不願|不受|不適用|沒有|"
                          r"無法|無須|無需|未|不|沒|無|非|毋|勿|否|別再|並非|絕非|零")
# Words written with a negation character that negate nothing ("不同" different, "無人機"
# drone, "非關稅" non-tariff, "未來" future, "非法" illegal: their English has no "not").
_ZH_LEXICAL = re.compile(
    r"不同|不斷|不僅|不只|不過|不少|不變|前所未有|前所未見|史無前例|不公平|不公|不當|不利|不良|"
    r"不穩|不確定|不平衡|不對稱|不法|"
    r"不論|不管|不久|不可或缺|不遺餘力|不容忽視|不但|無論|無人機|無線|無疑|無數|無限|無償|無所不|"
    r"無縫|無條件|非常|非法|非關稅|非營利|非市場|非洲|非必要|非美國|非鋼|非鋁|非銅|非汽車|非原產|"
    r"非傳統|非正式|非屬|除非|是非|南非|中非|未來|未經證實|零售|零件|零組件|零星|零部件|否認|否決|"
    r"別墅")
# Exemptions and shortfalls state a negation without a negation word ("no duty" = 免稅, "not
# enough" = 不足): they may stand for the source's "no"/"not", but alone they negate nothing
# (免稅 = duty-free, 不足 = insufficient).
_ZH_EXEMPTION = re.compile(r"免徵|免繳|免稅|免除|免於|免予|免責|豁免|免|不足(?!以)|缺乏|缺少")
_EN_EXEMPTION = re.compile(r"\bduty[- ]free\b|\bexempt\w*|\bwaive\w*|\black\w*|"
                           r"\binsufficient\b|\bshortfall", re.I)
# Negation carried by a word's prefix or meaning ("unacceptable" = 無法接受, "instead of" = 而非,
# "duty-free" = 免稅): a Chinese negation word in their translation is not an added one.
_EN_IMPLICIT = re.compile(
    r"\b(?:un\w{3,}|non-?\w+|im(?:possible|proper|balance\w*)|in(?:sufficient|adequate|ability|"
    r"eligible|valid|correct\w*|accurate\w*|action)|illegal\w*|illicit|fail\w*|lack\w*|absen\w+|"
    r"instead|rather than|den(?:y|ied|ies|ial)|refus\w+|prohibit\w*|ban(?:s|ned|ning)?|"
    r"exclu\w+|except\w*|free|exempt\w*|waive\w*|halt\w*|cease\w*|stop\w*|end(?:s|ed|ing)?|"
    r"revok\w+|rescind\w*|terminat\w+|suspen\w+|avoid\w*|prevent\w*|neither|less|only|"
    r"zero|disapprov\w+|dis\w{4,}|mis\w{4,})\b", re.I)


@dataclass(frozen=True)
class CheckResult:
    """Whether a translation keeps the source's facts, and each problem found."""

    ok: bool
    problems: tuple[str, ...]


def _date_label(d: DateFact) -> str:
    parts = [f"{d.year}年" if d.year else "", f"{d.month}月", f"{d.day}日" if d.day else ""]
    return "".join(parts)


def _date_matches(en: DateFact, zh: DateFact) -> bool:
    if en.month != zh.month or en.day != zh.day:
        return False
    if en.day is None:  # "May 2025" needs its year
        return zh.year == en.year
    return zh.year is None or en.year is None or zh.year == en.year


def _kind_ok(en_kind: str, zh_kinds: set[str]) -> bool:
    """A plain number matches any kind; a rate or an amount must not change kind."""
    return en_kind == "plain" or "plain" in zh_kinds or en_kind in zh_kinds


def _quantity_problems(src: SentenceQuantities, zh: SentenceQuantities) -> list[str]:
    problems = []
    # A year or day the translation wrote inside a date ("December 3-5, 2025" -> 2025年12月3日至5日)
    date_parts = [float(x) for z in zh.dates for x in (z.year, z.day) if x]
    for q in src.numbers:
        kinds = {z.kind for z in zh.numbers if same_value(z.value, q.value)}
        if not kinds and q.kind == "plain" and any(same_value(q.value, v) for v in date_parts):
            kinds = {"plain"}
        if not kinds:
            problems.append(f"number {q.text} missing")
        elif not _kind_ok(q.kind, kinds):
            problems.append(f"number {q.text} changed unit")
    known = [q.value for q in src.numbers] + list(src.allowed)
    # A date's year or day written as a bare number in the source ("in 2025", "the 15th").
    known += [float(x) for d in src.dates for x in (d.year, d.month, d.day) if x]
    for z in zh.numbers:
        if not any(same_value(z.value, v) for v in known):
            problems.append(f"number {z.text} not in source")
    for d in src.dates:
        if not any(_date_matches(d, z) for z in zh.dates):
            problems.append(f"date {d.text} missing")
    for z in zh.dates:
        if z.day is None and z.year is None and z.month in src.months:
            continue  # "in August" -> 8月
        if not any(_date_matches(d, z) or (d.month == z.month and d.day == z.day)
                   for d in src.dates):
            problems.append(f"date {_date_label(z)} not in source")
    for code in sorted(src.codes - zh.codes):
        problems.append(f"code {code} missing")
    for code in sorted(zh.codes - src.codes):
        problems.append(f"code {code} not in source")
    return problems


def english_negations(source_en: str) -> int:
    """How many negation words an English sentence has ("no later than" is none)."""
    return len(_EN_NEGATION.findall(_EN_NOT_NEGATION.sub(" ", source_en.replace("’", "'"))))


def non_negating_spans(zh: str) -> list[tuple[int, int]]:
    """Spans of zh words that hold a negation character but negate nothing (不同, 免稅, 南非)."""
    return [m.span() for p in (_ZH_LEXICAL, _ZH_EXEMPTION) for m in p.finditer(zh)]


def _negations(source_en: str, zh: str) -> list[str]:
    en_count = english_negations(source_en)
    zh_text = _ZH_LEXICAL.sub(" ", zh)
    strong = len(_ZH_NEGATION.findall(_ZH_EXEMPTION.sub(" ", zh_text)))
    # 免稅 that renders the source's own "duty-free" cannot also stand for its "not".
    exempt = max(0, len(_ZH_EXEMPTION.findall(zh_text)) - len(_EN_EXEMPTION.findall(source_en)))
    if en_count and strong + exempt < en_count:
        return [f"negation missing ({en_count} in source, {strong + exempt} in translation)"]
    # One English negation may take two Chinese words (尚無…不足以), so only a negation in a
    # translation of a sentence without any is an added one.
    if strong and not en_count and not _EN_IMPLICIT.search(source_en):
        return [f"negation not in source ({strong} in translation)"]
    return []


def _name_and_term_problems(source_en: str, zh: str, lexicon: Lexicon) -> list[str]:
    problems = []
    found = lexicon.find(source_en)
    source_ids = {f.term.key for f in found}
    for f in found:
        # A term inside a name kept in Latin letters ("AMG Critical Minerals") is no rendering.
        if lexicon.present(f.term, zh) or (f.surface.istitle() and f.surface in zh):
            continue
        if f.kind == "glossary":
            problems.append(f"glossary {f.surface} -> {f.term.zh} missing")
        elif not f.term.generic:
            problems.append(f"name {f.surface} -> {f.term.zh} missing")
    agency_reference = bool(_EN_AGENCY_REFERENCE.search(source_en))
    for form, owners in lexicon.names_in_zh(zh):
        if owners & source_ids or all(lexicon.terms[o].generic for o in owners):
            continue
        if agency_reference and all(o.startswith("agency:") for o in owners):
            continue
        problems.append(f"name {form} not in source")
    return list(dict.fromkeys(problems))


def check_translation(source_en: str, zh: str, lexicon: Lexicon | None = None) -> CheckResult:
    """Check a zh-TW translation against its English source sentence.

    Args:
        source_en: the English original.
        zh: the candidate zh-TW translation.
        lexicon: glossary terms and names; None loads the packaged one.

    Returns:
        ``CheckResult(ok, problems)``; each problem names what differs, e.g.
        ``"number 25% missing"``, ``"date May 2, 2025 missing"``, ``"negation missing (1 in
        source, 0 in translation)"``, ``"glossary countervailing duty -> 平衡稅 missing"``.

    Example:
        >>> check_translation("Tariffs rose to 25% on May 2, 2025.",
        ...                   "關稅於2025年5月2日提高至25%。").ok
        True
    """
    lex = lexicon or load_lexicon()
    if not zh.strip():
        return CheckResult(False, ("empty translation",))
    problems = _quantity_problems(english_quantities(source_en), chinese_quantities(zh))
    problems += _negations(source_en, zh)
    problems += _name_and_term_problems(source_en, zh, lex)
    return CheckResult(not problems, tuple(problems))
