"""Hypothesis strategies for hostile outside input: text, dates, charsets, bytes, JSON.

Everything here imitates what the web actually sends a crawler on a bad day: control and
bidi characters, U+2028 inside a title, a charset label Python knows but cannot decode with,
year 9999 and ``+99:00`` offsets, ``0000-00-00`` placeholders, deeply nested markup and
bodies far larger than usual (up to `CAP` bytes, the size a test can afford).
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

CAP = 1_000_000  # largest generated body: the crawl cap is 10 MB, a test cannot afford that

CONTROL = [chr(c) for c in range(0x00, 0x20)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xA0)]
BIDI = list("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
SEPARATORS = list("\u2028\u2029\u0085\u000b\u000c\u001c\u001d\u001e")
ODD = list("\ufeff\ufffd\ufffe\uffff\u200b\u200d\u00a0\u3000\u0301\U0001f4a9\U000e0041")
MARKUP = list("<>&\"';=/\\]]>-->{}$%")
WORDS = ["tariff", "semiconductor", "關稅", "半導體", "Zölle", "ministère", "関税", "관세",
         "export controls", "de minimis", "Section 232", "&amp;", "&#0;", "&#x110000;", "&bogus;"]

hostile_chars = st.one_of(
    st.sampled_from(CONTROL + BIDI + SEPARATORS + ODD + MARKUP),
    st.characters(blacklist_categories=("Cs",)),  # lone surrogates cannot come off the wire
)
hostile_text = st.one_of(
    st.text(hostile_chars, max_size=80),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(hostile_chars, max_size=8)),
             max_size=12).map(" ".join),
)

# --- dates -------------------------------------------------------------------------------------

YEARS = [0, 1, 99, 999, 1000, 1582, 1899, 1900, 1969, 1970, 2000, 2025, 2038, 2199, 2200,
         9998, 9999, 10000, 99999]
_year = st.one_of(st.sampled_from(YEARS), st.integers(0, 99999))
_month = st.integers(0, 13)
_day = st.integers(0, 32)
_hour = st.integers(0, 25)
_minute = st.integers(0, 61)
_offset = st.one_of(
    st.sampled_from(["Z", "z", "", "+00:00", "-00:00", "+99:00", "-99:59", "+24:00", "-23:59",
                     "+14:00", "+18:01", " GMT", " EST", " EDT", " CEST", " XYZ", " UTC+99"]),
    st.builds(lambda sign, hh, mm, colon: f"{sign}{hh:02d}{':' if colon else ''}{mm:02d}",
              st.sampled_from("+-"), st.integers(0, 99), st.integers(0, 99), st.booleans()),
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
           "Foo", "Sept"]


@st.composite
def hostile_dates(draw) -> str:
    """A date string from a feed, a meta tag, a sitemap or an API: plausible to absurd."""
    y, mo, d = draw(_year), draw(_month), draw(_day)
    h, mi, s = draw(_hour), draw(_minute), draw(_minute)
    off = draw(_offset)
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return f"{y:04d}-{mo:02d}-{d:02d}"
    if shape == 1:
        return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{off}"
    if shape == 2:
        wd = draw(st.sampled_from(["Mon", "Wed", "Sun", "Xyz", ""]))
        mon = draw(st.sampled_from(_MONTHS))
        return f"{wd}, {d:02d} {mon} {y} {h:02d}:{mi:02d}:{s:02d} {off.strip() or '+0000'}"
    if shape == 3:
        return f"{mo}/{d}/{y}"
    if shape == 4:
        return str(draw(st.one_of(st.integers(-(10**20), 10**20), st.floats())))
    if shape == 5:
        return f"{y}年{mo}月{d}日"
    if shape == 6:
        frac = draw(st.text("0123456789", min_size=1, max_size=30))
        return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{frac}{off}"
    if shape == 7:
        return draw(st.sampled_from([
            "0000-00-00", "0000-00-00T00:00:00Z", "0000-00-00 00:00:00", "9999-12-31",
            "9999-12-31T23:59:59+99:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00",
            "0001-01-01", "1970-01-01T00:00:00Z", "2025-02-30", "2025-04-02T24:00:00Z",
            "Wed, 02 Apr 9999 23:00:00 -0400", "Mon, 01 Jan 0001 00:00:00 +0100", "now",
            "yesterday", "", " ", "\u2028", "2025-04-02T10:00:00\u202e+08:00",
        ]))
    if shape == 8:
        return draw(hostile_text)
    return draw(hostile_text) + f" {y}-{mo}-{d} " + draw(hostile_text)


# --- charsets and bytes ------------------------------------------------------------------------

CHARSETS = [
    "utf-8", "UTF-8", "utf8", "utf-16", "utf-16le", "utf-32", "utf-7", "cp1252", "windows-1252",
    "iso-8859-1", "latin-1", "ascii", "us-ascii", "big5", "gb2312", "gbk", "gb18030",
    "shift_jis", "euc-jp", "iso-2022-jp", "euc-kr", "koi8-r", "cp1250", "mac-roman",
    # labels Python knows that are no text codec, or none at all
    "undefined", "rot13", "rot_13", "hex", "base64", "zlib", "bz2", "uu", "quopri", "idna",
    "punycode", "unicode_escape", "raw_unicode_escape", "mbcs", "oem", "x-user-defined",
    "utf8mb4", "", " ", "\"utf-8\"", "'utf-8", "utf-8;", "utf-8\u2028", "none", "binary",
    "\x00", "é",
]
charsets = st.sampled_from(CHARSETS)
content_types = st.one_of(
    st.none(),
    st.sampled_from(["text/html", "application/xhtml+xml", "application/pdf", "text/plain",
                     "application/octet-stream", "", "text/html; charset"]),
    st.builds(lambda t, cs, tail: f"{t}; charset={cs}{tail}",
              st.sampled_from(["text/html", "application/rss+xml", "text/xml"]), charsets,
              st.sampled_from(["", "; boundary=x", ";charset=big5", "\r\n"])),
    st.text(hostile_chars, max_size=40),
)


def encode(text: str, codec: str) -> bytes:
    """`text` in `codec` when Python can, else UTF-8 (a label is still declared)."""
    try:
        return text.encode(codec, errors="xmlcharrefreplace")
    except (LookupError, UnicodeError, TypeError, ValueError):
        return text.encode("utf-8", errors="surrogatepass")


@st.composite
def mangle(draw, body: bytes) -> bytes:
    """Cut, splice random bytes into, or blow up (repeat, up to CAP) a well-formed body."""
    how = draw(st.integers(0, 5))
    if how == 0 or not body:
        return body
    if how == 1:
        return body[: draw(st.integers(0, len(body)))]
    if how == 2:
        at = draw(st.integers(0, len(body)))
        return body[:at] + draw(st.binary(min_size=1, max_size=64)) + body[at:]
    if how == 3:
        times = draw(st.sampled_from([2, 10, 100, 1000]))
        return (body * times)[:CAP]
    if how == 4:
        return body.replace(b"<", b"\x00<", draw(st.integers(1, 20)))
    return draw(st.binary(max_size=16)) + body


raw_bytes = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([b"", b" ", b"\x00" * 64, b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff\x00<",
                     b"\x1f\x8b\x08\x00", b"%PDF-1.7\n", b"<?xml version='1.0'?>",
                     b"<html>" * 10_000, b"\x80\x81\x82\x83" * 1000]),
    st.builds(lambda chunk, n: (chunk * n)[:CAP], st.binary(min_size=1, max_size=32),
              st.integers(1, 50_000)),
)

# --- JSON --------------------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False), hostile_text, hostile_dates(),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(hostile_text, st.sampled_from(
                                ["datePublished", "@graph", "title", "results", "name"])),
                                inner, max_size=4)),
    max_leaves=20,
)


def deep_json(depth: int) -> str:
    """A JSON text nested `depth` levels (the stdlib parser recurses per level)."""
    return "[" * depth + "]" * depth


def to_json(value: object) -> str:
    """JSON text of a generated value (generated values are always serialisable)."""
    return json.dumps(value, ensure_ascii=False)
