"""Crawled text to clean candidate sentences: markdown noise, headers and boilerplate removed."""

from __future__ import annotations

import re
import unicodedata

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMPHASIS = re.compile(r"(\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w))")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]{0,200}>")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_SPACE = re.compile(r"\s+")
_BOILERPLATE = re.compile(
    r"^(?:the white house|share(?: this)?|print|copy link|next post|previous post|all news|"
    r"briefings? (?:&|and) statements|presidential actions|fact sheets|news|related|"
    r"subscribe|sign up|click here|read more|###)\b",
    re.IGNORECASE,
)
_NOISE_WORDS = re.compile(
    r"(?:click here|sign up|subscribe|cookie|javascript|follow us|@\w|all rights reserved)",
    re.IGNORECASE,
)
# Abbreviations whose trailing period does not end a sentence.
_ABBREV = {
    "u.s", "u.s.c", "u.k", "e.u", "u.n", "mr", "mrs", "ms", "dr", "no", "nos", "sec", "secs",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "inc", "co", "corp", "ltd", "st", "gen", "gov", "sen", "rep", "reps", "pres", "v", "vs",
    "e.g", "i.e", "al", "fed", "reg", "pub", "l", "a.m", "p.m", "art", "para", "pp", "vol",
    "ch", "subch", "cf", "approx", "est", "dept", "jr", "sr", "hon", "amb", "lt", "col", "adm",
}
_SPLIT = re.compile(r"(?<=[.!?。！？])[\"”’)\]]*\s+|(?<=[。！？])")
_CJK = re.compile(r"[\u3400-\u9fff]")
# "(e) any other practice ..." / "(ii) ..." / "Sec. 3." : list fragments and section headings
_ENUMERATION = re.compile(r"^(?:\((?:[a-z]{1,3}|[0-9]{1,3})\)|Sec\.\s*\d+\.|Section \d+\.)\s")


def clean_markdown(text: str) -> list[str]:
    """Paragraphs of plain text from crawled markdown-ish text.

    Soft-wrapped lines are joined; headers, tables, link/URL noise, emphasis and
    boilerplate lines are removed.
    """
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n")
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(_SPACE.sub(" ", " ".join(current)).strip())
            current.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith(("#", "|", "---", "===", "```")) or _BOILERPLATE.match(line):
            flush()
            continue
        if _BULLET.match(line):
            flush()
            line = _BULLET.sub("", line)
        line = line.lstrip("> ").strip()
        current.append(line)
    flush()
    out = []
    for p in paragraphs:
        p = _IMAGE.sub("", p)
        p = _LINK.sub(r"\1", p)
        p = _REF_LINK.sub(r"\1", p)
        p = _HTML_TAG.sub("", p)
        p = _URL.sub("", p)
        p = _EMPHASIS.sub("", p)
        p = _SPACE.sub(" ", p).strip()
        if p:
            out.append(p)
    return out


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences, keeping abbreviations (U.S., No., Sec.) intact."""
    pieces = [p for p in _SPLIT.split(paragraph) if p and p.strip()]
    sentences: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if sentences and _ends_in_abbreviation(sentences[-1]):
            sentences[-1] = f"{sentences[-1]} {piece}"
        elif sentences and piece[:1].islower():
            sentences[-1] = f"{sentences[-1]} {piece}"
        else:
            sentences.append(piece)
    return sentences


def _ends_in_abbreviation(sentence: str) -> bool:
    if not sentence.endswith("."):
        return False
    last = sentence.rsplit(None, 1)[-1].rstrip(".").lstrip("(\"“").lower()
    return last in _ABBREV or (len(last) == 1 and last.isalpha())


def is_summary_worthy(sentence: str) -> bool:
    """Whether a sentence can stand in a summary: a full, informative, noise-free sentence."""
    if _CJK.search(sentence):
        return 12 <= len(sentence) <= 300 and sentence[-1] in "。！？"
    words = sentence.split()
    if not 6 <= len(words) <= 50 or not 40 <= len(sentence) <= 350:
        return False
    if sentence.endswith(("…", "...", ":", ";", ",", ":)")) or sentence[-1] not in ".!\"”’)":
        return False
    if not (sentence[0].isupper() or sentence[0].isdigit() or sentence[0] in "\"“("):
        return False
    if _ENUMERATION.match(sentence):
        return False
    letters = [c for c in sentence if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) / len(letters) > 0.5:
        return False
    return not _NOISE_WORDS.search(sentence)


def without_title(text: str, title: str) -> str:
    """The text without a leading copy of its title (Federal Register and many extracted pages
    start with it, wrapped over lines and with no full stop, so it would glue onto the first
    sentence); the text unchanged when it does not start with the title."""
    words = re.findall(r"\w+", title.lower())
    if not words:
        return text
    found = re.finditer(r"\w+", text)
    end = 0
    for want in words:
        got = next(found, None)
        if got is None or got.group().lower() != want:
            return text
        end = got.end()
    return text[end:].lstrip(" \t:.-–—\n")


def document_sentences(text: str, title: str = "") -> list[str]:
    """Summary-worthy sentences of a document, in reading order (a leading copy of `title`
    left out)."""
    out = []
    for p in clean_markdown(without_title(text, title) if title else text):
        out.extend(s for s in split_sentences(p) if is_summary_worthy(s))
    return out


def normalise(sentence: str) -> str:
    """Comparison key of a sentence: lower-cased words only."""
    return " ".join(re.findall(r"\w+", sentence.lower()))
