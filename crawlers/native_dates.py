"""Dates written the way foreign sources write them, which dateutil misreads or cannot read.

| form | example | who writes it |
|---|---|---|
| cjk | 2025年4月3日, 2025年4月3 (MOFCOM lists), 二〇二五年四月三日 | China, Japan, Taiwan |
| japanese-era | 令和7年4月3日, 令和元年5月1日, R7.4.3 | Japanese ministries |
| roc | 114年4月3日, 民國114年4月3日, 114/04/03 | Taiwan (Republic of China years) |
| korean | 2025년 4월 3일 | Korean ministries |
| ymd-dots | 2025.04.03, 2025. 4. 3. | Korea, China, Japan |
| dmy-dots | 24.01.2022 | Germany (BMWK, BMFTR), most of Europe |
| month-name | 24. Januar 2022, 3 avril 2025 | German and French pages |

Each form may be followed by a weekday in brackets and a time (``10:30``, ``오후 3:15``,
``10:30 Uhr``). dateutil reads "03.04.2025" as 4 March and "2025年4月3日" not at all, so
these forms are read first (see `crawlers.extract.parse_when`); `page_date_text` finds where a
page shows its date in one of them (div.pageDate1 span.date 114年04月10日 on 總統府 pages).

A text that has a native form but names no real day (month 13, 30 February, year 9999, 平成40年)
gives a `NativeDate` with no value and a reason: an unknown date, never dateutil's guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2199  # as crawlers.extract.plausible
_ROC_OFFSET = 1911  # ROC year 1 = 1912
# Japanese eras: (name, romanised initial, first day); an era's year 1 is its first day's year
_ERAS = (("令和", "R", date(2019, 5, 1)), ("平成", "H", date(1989, 1, 8)),
         ("昭和", "S", date(1926, 12, 25)), ("大正", "T", date(1912, 7, 30)))
_ERA_BY_NAME = {name: i for i, (name, _, _) in enumerate(_ERAS)}
_ERA_BY_INITIAL = {initial: i for i, (_, initial, _) in enumerate(_ERAS)}
_CJK_DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
               "七": 7, "八": 8, "九": 9}
_MONTHS = {
    # German
    # (only names dateutil does not know: "3 April 2025 16:30 -0400" stays dateutil's, offset
    # and all)
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mai": 5,
    "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
    # French
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}

_D = r"(\d{1,2})"
_WEEKDAY = r"(?:\s*\(\s*[月火水木金土日一二三四五六天월화수목금토일]\s*\))?"
_TIME = (r"(?:[\sT,]*(?:(午前|午後|上午|下午|오전|오후)\s*)?(\d{1,2}):(\d{2})(?::(\d{2}))?"
         r"(?:\s*Uhr)?(?:\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})(?![\d]))?)?")
_ERA_NAMES = "|".join(name for name, _, _ in _ERAS)
_CJK_NUM = "〇零○一二三四五六七八九十"
_FORMS: tuple[tuple[str, re.Pattern], ...] = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in (
    ("japanese-era", rf"({_ERA_NAMES})\s*(\d{{1,2}}|元)\s*年\s*{_D}\s*月\s*{_D}\s*日?"),
    ("japanese-era-short", rf"(?<![A-Za-z])([RHST])\s?(\d{{1,2}})\.{_D}\.{_D}(?!\d)"),
    ("cjk", rf"(?<!\d)(\d{{4}})\s*年\s*{_D}\s*月\s*{_D}\s*日?"),
    ("roc", rf"(中華民國|中华民国|民國|民国)?\s*(?<!\d)(\d{{2,3}})\s*年\s*{_D}\s*月\s*{_D}\s*日?"),
    ("roc-numeric", rf"(?<![\d.])(1\d\d)([./-]){_D}\2{_D}(?![\d.])"),
    ("cjk-numerals", rf"([{_CJK_NUM}]{{4}})\s*年\s*([{_CJK_NUM}]{{1,3}})\s*月\s*([{_CJK_NUM}]{{1,3}})\s*日"),
    ("korean", rf"(?<!\d)(\d{{4}})\s*년\s*{_D}\s*월\s*{_D}\s*일"),
    ("ymd-dots", rf"(?<![\d.])(\d{{4}})\s*\.\s*{_D}\s*\.\s*{_D}(?:\s*\.)?(?![\d])"),
    ("dmy-dots", rf"(?<![\d.]){_D}\.\s*{_D}\.\s*(\d{{4}})(?![\d.])"),
    ("month-name", rf"(?<!\d)(\d{{1,2}}|1er)\.?\s+({'|'.join(_MONTHS)})\s+(\d{{4}})(?!\d)"),
))  # fmt: skip
_AFTER = re.compile(_WEEKDAY + _TIME)
_BRACKETS = "[]()【】「」〔〕<>"


@dataclass(frozen=True)
class NativeDate:
    """A date found in one of the native forms.

    Attributes:
        form: which form matched (see the module table).
        value: the date-time (midnight for a date), naive unless the text gave a UTC offset,
            or None when the text names no real day (month 13, year 9999, 平成40年).
        precision: "date" or "datetime".
        reason: why `value` is None.
    """

    form: str
    value: datetime | None
    precision: str
    reason: str = ""


def _cjk_number(text: str) -> int:
    """二〇二五 -> 2025 (digit by digit), 十二 -> 12, 二十三 -> 23, 三 -> 3."""
    if "十" not in text:
        return int("".join(str(_CJK_DIGITS[c]) for c in text))
    tens, _, units = text.partition("十")
    return (_CJK_DIGITS[tens] if tens else 1) * 10 + (_CJK_DIGITS[units] if units else 0)


def _time(match: re.Match) -> tuple[tuple[int, int, int], timezone | None] | None:
    """((hour, minute, second), UTC offset or None) from the optional time after a date."""
    meridiem, hour, minute, second, offset = match.group(1, 2, 3, 4, 5)
    if hour is None:
        return None
    h = int(hour)
    if meridiem in ("午後", "下午", "오후") and h < 12:
        h += 12
    elif meridiem in ("午前", "上午", "오전") and h == 12:
        h = 0
    zone = None
    if offset:
        digits = offset.replace(":", "")
        if offset.upper() in ("Z", "UTC", "GMT"):
            zone = UTC
        elif int(digits[1:3]) <= 18:  # "+99:00" is no offset: the time stays local
            minutes = int(digits[1:3]) * 60 + int(digits[3:5])
            zone = timezone(timedelta(minutes=-minutes if digits[0] == "-" else minutes))
    return (h, int(minute), int(second or 0)), zone


def _ymd(form: str, m: re.Match, tz: str | None) -> tuple[int, int, int] | str:
    """(year, month, day) read from a match, or the reason it is no date."""
    g = m.groups()
    if form == "japanese-era" or form == "japanese-era-short":
        era = _ERA_BY_NAME[g[0]] if form == "japanese-era" else _ERA_BY_INITIAL[g[0].upper()]
        n = 1 if g[1] == "元" else int(g[1])
        name, _, start = _ERAS[era]
        if n < 1:
            return f"{name}{n}年 does not exist"
        year, month, day = start.year + n - 1, int(g[2]), int(g[3])
        try:
            day_in = date(year, month, day)
        except ValueError as exc:
            return str(exc)
        end = _ERAS[era - 1][2] if era > 0 else None
        if day_in < start or (end and day_in >= end):
            return f"{name}{n}年{month}月{day}日 is outside the {name} era"
        return year, month, day
    if form == "roc":
        prefix, year = g[0], g[1]
        if not prefix and len(year) == 2 and tz != "Asia/Taipei":
            # "25年" could be ROC 25 (1936) or a shortened 2025: only a Taiwan source says which
            return f"two-digit year {year}年 without 民國 outside Taiwan"
        return int(year) + _ROC_OFFSET, int(g[2]), int(g[3])
    if form == "roc-numeric":
        return int(g[0]) + _ROC_OFFSET, int(g[2]), int(g[3])
    if form == "cjk-numerals":
        return _cjk_number(g[0]), _cjk_number(g[1]), _cjk_number(g[2])
    if form in ("dmy-dots",):
        return int(g[2]), int(g[1]), int(g[0])
    if form == "month-name":
        return int(g[2]), _MONTHS[g[1].lower()], 1 if g[0].lower() == "1er" else int(g[0])
    return int(g[0]), int(g[1]), int(g[2])  # cjk, korean, ymd-dots


def native_date(text: str, tz: str | None = None) -> NativeDate | None:
    """Find a date in a native form in a short text (a listing's date node, a feed value).

    Args:
        text: the text; full-width digits, era ligatures (㋿) and brackets are fine.
        tz: the source's zone; "Asia/Taipei" makes a bare two-digit year with 年 an ROC year.

    Returns:
        The first native date found (its `value` is None when it names no real day), or None
        when the text holds none of the native forms (then another parser may try).
    """
    clean = unicodedata.normalize("NFKC", text or "").strip().strip(_BRACKETS).strip()
    if not clean:
        return None
    for form, pattern in _FORMS:
        m = pattern.search(clean)
        if m is None:
            continue
        name = form.removesuffix("-short").removesuffix("-numeric").removesuffix("-numerals")
        ymd = _ymd(form, m, tz)
        if isinstance(ymd, str):
            return NativeDate(name, None, "none", ymd)
        year, month, day = ymd
        if not _EARLIEST_YEAR <= year <= _LATEST_YEAR:
            return NativeDate(name, None, "none", f"year {year} is no publication year")
        timed = _time(_AFTER.match(clean, m.end()))
        hms, zone = timed if timed else ((0, 0, 0), None)
        try:
            value = datetime(year, month, day, *hms, tzinfo=zone)
        except ValueError as exc:
            return NativeDate(name, None, "none", f"{m.group(0)!r}: {exc}")
        return NativeDate(name, value, "datetime" if timed else "date")
    return None


# A node that marks a date by its class or id ("pageDate1", "date", "c-topline__time"), not an
# update stamp ("last-updated", 更新日期) nor a validation hint.
_DATE_NODE = (".//*[self::time or contains(translate(@class, 'DATE', 'date'), 'date') "
              "or contains(translate(@id, 'DATE', 'date'), 'date')]")
_NOT_PUBLICATION = re.compile(r"updat|validat|modif|更新|修改", re.I)
# A label that names the publication date in words, just before it (發布日期：114-04-10,
# 掲載日 令和7年4月3日, 등록일 2025.04.03): the label's date, not one in a sentence of the text.
_DATE_LABEL = re.compile(r"(?:發布|發佈|发布|公告|公布|刊登|發文|新聞|上稿|掲載|発表|公表|등록|작성|게시)"
                         r"\s*(?:日期|時間|时间|日付|日|일자|일)\s*[:：]?\s*"
                         r"|(?<![\w])(?:日期|Datum|Date)\s*[:：]\s*")
_DATE_START = re.compile(r"\s*(?:中華民國|中华民国|民國|民国|令和|平成|[RH]\d|\d|[〇零○一二])")
_NODE_TEXT_CHARS = 80  # a date node holds a date and a label, not a paragraph
_HEAD_TEXTS = 300  # a labelled date stands among the page's first texts, above the article


def _marks_update(node) -> bool:
    return any(_NOT_PUBLICATION.search(f"{n.get('class') or ''} {n.get('id') or ''}")
               for n in node.iter() if isinstance(n.tag, str))


def _dated(text: str, tz: str | None) -> bool:
    found = native_date(text, tz)
    return found is not None and found.value is not None


def page_date_text(tree, tz: str | None = None) -> str | None:
    """The short text where a page shows its publication date in a native form
    (中華民國114年4月10日, 114-04-10, 令和7年4月3日, 2025.04.03), for pages whose metadata and
    htmldate give none.

    First a short node marked as a date by its class or id, the main content's before the
    rest of the page (a sidebar's list of other releases comes later), then a short node
    among the page's first texts that labels the date in words (發布日期：…). Update stamps
    (更新日期, class="lastupdate") and dates inside the article's sentences are not taken.

    Args:
        tree: the page's lxml tree.
        tz: the source's zone (see `native_date`).

    Returns:
        A text `native_date` reads as a real day, or None.
    """
    scopes = tree.xpath("//main|//article") or []
    seen: set[int] = set()
    for scope in (*scopes, tree):
        for node in scope.xpath(_DATE_NODE):
            if id(node) in seen:
                continue
            seen.add(id(node))
            text = " ".join(node.text_content().split())
            if (text and len(text) <= _NODE_TEXT_CHARS and not _NOT_PUBLICATION.search(text)
                    and not _marks_update(node) and _dated(text, tz)):
                return text
    for piece in tree.xpath("//body//text()")[:_HEAD_TEXTS]:
        if not _DATE_LABEL.search(piece):
            continue
        # the label's node, or an ancestor when the date sits in a sibling (<li><span>發布日期
        # </span>：<span>114-04-10</span></li>)
        node, climbs = piece.getparent(), 0
        while node is not None and climbs < 3:
            text = " ".join(node.text_content().split())
            if len(text) > _NODE_TEXT_CHARS:
                break
            m = _DATE_LABEL.search(text)
            if (m and _DATE_START.match(text, m.end()) and not _NOT_PUBLICATION.search(text[:m.start()])
                    and _dated(text[m.end():], tz)):
                return text[m.end():]
            node, climbs = node.getparent(), climbs + 1
    return None
