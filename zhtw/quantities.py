"""Numbers, money, percentages, dates and HS codes in an English sentence and in its zh-TW
translation, normalised to comparable values ($100 billion = 1,000億美元 = 1e11 USD)."""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
# Capitalised month names only: "may" the verb is not a month.
_MON = "(?:" + "|".join(sorted((m.capitalize() for m in MONTHS), key=len, reverse=True)) + r")\.?"
_EN_DATES = (
    re.compile(rf"\b(?P<mon>{_MON})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{{4}})\b)?"),
    re.compile(rf"\b(?P<day>\d{{1,2}})\s+(?P<mon>{_MON}),?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"\b(?P<mon>{_MON}),?\s+(?P<year>\d{{4}})\b"),
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})\b"),
)
_MONTH_ONLY = re.compile(rf"\b{_MON}(?!\w)")
# HS / HTSUS codes: 8471.30.01, 9903.01.25 (compared as written, never as numbers)
HS_CODE = re.compile(r"(?<![\d.])\d{4}\.\d{2}(?:\.\d{2,4}){0,2}(?!\d|\.\d)")
_SCALE_EN = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mn": 1e6,
             "bn": 1e9}
_EN_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.])(?P<cur>US\$|\$|€|£|¥)?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:st|nd|rd|th)?"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion|mn|bn)\b)?"
    r"(?:\s*(?P<unit>%|percent\b|per cent\b|percentage points?\b|dollars\b|euros\b|yen\b))?"
)
_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "thousand": 1000, "dozen": 12, "first": 1, "second": 2,
    "third": 3, "fourth": 4, "fifth": 5, "half": 0.5, "twice": 2, "double": 2, "decade": 10,
}  # fmt: skip
_EN_WORD_NUMBER = re.compile(
    r"\b(?P<word>" + "|".join(_WORD_NUMBERS) + r")(?:[\s-]+(?P<scale>hundred|thousand|million|"
    r"billion|trillion))?\b", re.I)
_CUR_EN = {"$": "USD", "US$": "USD", "dollars": "USD", "€": "EUR", "euros": "EUR", "£": "GBP",
           "¥": "JPY", "yen": "JPY"}

_ZH_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"萬": 1e4, "億": 1e8, "兆": 1e12}
_ZH_NUMERAL = "〇零一二兩三四五六七八九十百千萬億兆"
_ZH_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
ZH_DATE = re.compile(
    r"(?:(?P<year>\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*|民國\s*(?P<roc>\d{2,3})\s*年\s*)?"
    r"(?P<mon>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月"
    r"(?:\s*(?P<day>3[01]|[12]\d|0?[1-9]|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])\s*[日號])?"
)
ZH_ISO = re.compile(r"(?<!\d)(?P<year>\d{4})[-/](?P<mon>\d{1,2})[-/](?P<day>\d{1,2})(?!\d)")
_ZH_PERCENT_WORD = re.compile(rf"百分之(?P<num>{_ZH_NUM}|[{_ZH_NUMERAL}]+)")
_ZH_NUMBER = re.compile(
    rf"(?<![A-Za-z0-9.數幾上])(?P<cur>US\$|\$|NT\$)?\s?(?P<num>{_ZH_NUM}|[{_ZH_NUMERAL}]{{2,}})"
    r"(?:\s?(?P<scale>[十百千萬億兆]{1,2}))?\s*"
    r"(?P<unit>%|％|個百分點|美元|美金|歐元|英鎊|日圓|日元|人民幣|新臺幣|新台幣)?"
)
_CUR_ZH = {"$": "USD", "US$": "USD", "美元": "USD", "美金": "USD", "歐元": "EUR", "英鎊": "GBP",
           "日圓": "JPY", "日元": "JPY", "人民幣": "CNY", "NT$": "TWD", "新臺幣": "TWD",
           "新台幣": "TWD"}
# Words written with numerals that are not quantities ("十分重要" = very important).
_ZH_NOT_NUMBERS = ("十分", "萬一", "千萬別", "一一", "三三兩兩", "一二")


@dataclass(frozen=True)
class Quantity:
    """A number with its kind: "plain", "percent" or "money:USD" (EUR, JPY, ...)."""

    value: float
    kind: str
    text: str


@dataclass(frozen=True)
class DateFact:
    """A calendar date or month; missing parts are None."""

    year: int | None
    month: int
    day: int | None
    text: str


@dataclass(frozen=True)
class SentenceQuantities:
    """Everything countable a sentence states."""

    numbers: tuple[Quantity, ...]
    dates: tuple[DateFact, ...]
    codes: frozenset[str]
    allowed: frozenset[float] = frozenset()  # spelled-out numbers ("three") a translation may use
    months: frozenset[int] = frozenset()  # months named without a day ("in August")


def _blank(text: str, start: int, end: int) -> str:
    """Replace a consumed span by spaces so later patterns do not read it again."""
    return text[:start] + " " * (end - start) + text[end:]


def _float(raw: str) -> float:
    return float(raw.replace(",", ""))


def zh_numeral(raw: str) -> float | None:
    """Value of a Chinese numeral ("一千五百萬" = 15000000, "二〇二五" = 2025); None if not one."""
    if all(c in _ZH_DIGIT for c in raw):
        return float("".join(str(_ZH_DIGIT[c]) for c in raw)) if len(raw) > 1 else float(_ZH_DIGIT[raw])
    total, section, digit = 0.0, 0.0, None
    for c in raw:
        if c in _ZH_DIGIT:
            if digit is not None:
                return None  # two digits without a unit between them: not a numeral
            digit = _ZH_DIGIT[c]
        elif c in _ZH_UNIT:
            section += (1 if digit is None else digit) * _ZH_UNIT[c]
            digit = None
        elif c in _ZH_BIG:
            section += digit or 0
            total = (total + (section or 1)) * _ZH_BIG[c] if c != "萬" or total == 0 else \
                total + (section or 1) * _ZH_BIG[c]
            section, digit = 0.0, None
        else:
            return None
    return total + section + (digit or 0)


def _scale_zh(scale: str | None) -> float:
    factor = 1.0
    for c in scale or "":
        factor *= _ZH_UNIT.get(c) or _ZH_BIG.get(c, 1)
    return factor


def english_quantities(sentence: str) -> SentenceQuantities:
    """Dates, HS codes and numbers of an English sentence (dates and codes taken out first)."""
    text = sentence
    dates: list[DateFact] = []
    for pattern in _EN_DATES:
        for m in pattern.finditer(text):
            groups = m.groupdict()
            month = int(groups["mnum"]) if groups.get("mnum") else \
                MONTHS[groups["mon"].rstrip(".").lower()]
            day = int(groups["day"]) if groups.get("day") else None
            if day is not None and not 1 <= day <= 31 or not 1 <= month <= 12:
                continue
            year = int(groups["year"]) if groups.get("year") else None
            dates.append(DateFact(year, month, day, m.group(0)))
            text = _blank(text, m.start(), m.end())
    months = frozenset(MONTHS[m.group(0).rstrip(".").lower()] for m in _MONTH_ONLY.finditer(text))
    codes = frozenset(m.group(0) for m in HS_CODE.finditer(text))
    text = HS_CODE.sub(" ", text)
    numbers = []
    for m in _EN_NUMBER.finditer(text):
        value = _float(m.group("num")) * _SCALE_EN.get((m.group("scale") or "").lower(), 1.0)
        unit = (m.group("unit") or "").lower()
        cur = m.group("cur") or (unit if unit in _CUR_EN else "")
        kind = f"money:{_CUR_EN[cur]}" if cur else "percent" if unit.startswith("per") or unit == "%" \
            else "plain"
        numbers.append(Quantity(value, kind, m.group(0).strip()))
    allowed = set()
    for m in _EN_WORD_NUMBER.finditer(text):
        base = _WORD_NUMBERS[m.group("word").lower()]
        allowed.add(base * _SCALE_EN.get((m.group("scale") or "").lower(), 1.0)
                    if m.group("scale") != "hundred" else base * 100)
    return SentenceQuantities(tuple(numbers), tuple(dates), codes, frozenset(allowed), months)


def _zh_int(raw: str) -> int | None:
    if raw.isdigit():
        return int(raw)
    value = zh_numeral(raw)
    return int(value) if value is not None else None


def chinese_quantities(sentence: str) -> SentenceQuantities:
    """Dates, HS codes and numbers of a zh-TW sentence (Arabic or Chinese numerals)."""
    text = sentence.replace("，", "，").replace("\u3000", " ")
    dates: list[DateFact] = []
    for pattern in (ZH_ISO, ZH_DATE):
        for m in pattern.finditer(text):
            g = m.groupdict()
            month = _zh_int(g["mon"])
            day = _zh_int(g["day"]) if g.get("day") else None
            if month is None or not 1 <= month <= 12 or day is not None and not 1 <= day <= 31:
                continue
            year = _zh_int(g["year"]) if g.get("year") else None
            if g.get("roc"):
                year = int(g["roc"]) + 1911  # 民國 year
            dates.append(DateFact(year, month, day, m.group(0)))
            text = _blank(text, m.start(), m.end())
    codes = frozenset(m.group(0) for m in HS_CODE.finditer(text))
    text = HS_CODE.sub(" ", text)
    for word in _ZH_NOT_NUMBERS:
        text = text.replace(word, " " * len(word))
    numbers = []
    for m in _ZH_PERCENT_WORD.finditer(text):
        raw = m.group("num")
        value = _float(raw) if raw[0].isdigit() else zh_numeral(raw)
        if value is not None:
            numbers.append(Quantity(value, "percent", m.group(0)))
        text = _blank(text, m.start(), m.end())
    for m in _ZH_NUMBER.finditer(text):
        raw = m.group("num")
        value = _float(raw) if raw[0].isdigit() else zh_numeral(raw)
        if value is None:
            continue
        value *= _scale_zh(m.group("scale"))
        unit = m.group("unit") or ""
        cur = m.group("cur") or (unit if unit in _CUR_ZH else "")
        kind = f"money:{_CUR_ZH[cur]}" if cur else "percent" if unit in ("%", "％", "個百分點") \
            else "plain"
        numbers.append(Quantity(value, kind, m.group(0).strip()))
    return SentenceQuantities(tuple(numbers), tuple(dates), codes)


def same_value(a: float, b: float) -> bool:
    """Equal up to float noise (1.5 x 1e6 vs 150 x 1e4)."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
