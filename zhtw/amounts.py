"""Rates and money in an English sentence, written with Chinese units.

The number is the source's own ("25%", "$800" -> "800 美元"); only the scale word is carried
into Chinese units, exactly: 1 million = 100 萬, 1 billion = 10 億, 1 trillion = 1 兆.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_PERCENT = re.compile(r"(?<![\w.,])(\d{1,3}(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)", re.I)
_MONEY = re.compile(
    r"(?:(US)?\$|USD\s?|€|EUR\s?|£|GBP\s?|¥|JPY\s?)\s?(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(million|billion|trillion|mn|bn)\b)?", re.I)
_CURRENCY = {"$": "美元", "us$": "美元", "usd": "美元", "€": "歐元", "eur": "歐元", "£": "英鎊", "gbp": "英鎊",
             "¥": "日圓", "jpy": "日圓"}
# scale word -> (multiplier into the Chinese unit, unit)
_SCALE = {"million": (Decimal(100), "萬"), "mn": (Decimal(100), "萬"),
          "billion": (Decimal(10), "億"), "bn": (Decimal(10), "億"),
          "trillion": (Decimal(1), "兆")}


def _plain(d: Decimal) -> str:
    """A decimal without exponent or trailing zeros, thousands grouped like the source."""
    s = format(d.normalize(), "f")
    whole, _, frac = s.partition(".")
    grouped = f"{int(whole):,}"
    return f"{grouped}.{frac}" if frac else grouped


def money_zh(symbol: str, number: str, scale: str | None) -> str | None:
    """"$" "100" "billion" -> "1,000 億美元"; None when the number does not parse."""
    unit = _CURRENCY.get(symbol.strip().lower(), "美元")
    if not scale:
        return f"{number} {unit}"
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    mult, big = _SCALE[scale.lower()]
    return f"{_plain(value * mult)} {big}{unit}"


def amounts_in(sentence: str) -> list[tuple[str, str]]:
    """(zh-TW value, English surface) for each rate and money amount, in order."""
    found: list[tuple[int, str, str]] = []
    for m in _PERCENT.finditer(sentence):
        found.append((m.start(), f"{m.group(1)}%", m.group(0)))
    for m in _MONEY.finditer(sentence):
        symbol = m.group(0)[: m.start(2) - m.start(0)].strip()
        zh = money_zh(symbol, m.group(2), m.group(3))
        if zh:
            found.append((m.start(), zh, m.group(0).strip()))
    return [(zh, en) for _, zh, en in sorted(found)]


_RATE_WORD = re.compile(r"\b(tariffs?|dut(?:y|ies)|ad valorem|rates?|margins?|subsid\w*|fees?|"
                        r"surcharges?|tax(?:es)?|levy|levies)\b", re.I)


def rate_context(sentence: str, surface: str, words: re.Pattern[str] = _RATE_WORD,
                 before: int = 80, after: int = 50) -> bool:
    """Whether a percentage is a rate (tariff, duty, margin, fee) and not a share or a poll:
    one of `words` within `before`/`after` characters of it."""
    at = sentence.find(surface)
    if at < 0:
        return False
    return bool(words.search(sentence[max(0, at - before): at + len(surface) + after]))
