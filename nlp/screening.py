"""Input screening before enrichment: empty, oversized, mojibake, unsupported language, no date.

Every document gets exactly one outcome: ``ok`` (possibly with notes such as a repair or a
truncation), ``empty`` or ``skipped:<reason>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from nlp.language import LanguageGuess, LanguageIdentifiers, detect_language

# Typical UTF-8-read-as-cp1252/latin-1 sequences, and the replacement character.
_MOJIBAKE = re.compile(r"[ÃÂ][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2018-\u203a\u20ac\u2122]|â€|Ã.|\ufffd")
_MIN_LETTERS = 2


@dataclass(frozen=True)
class Screened:
    """Outcome of screening one document, with the (possibly repaired / cut) text to use."""

    status: str  # ok | empty | skipped:<reason>
    title: str
    text: str
    language: LanguageGuess
    notes: tuple[str, ...]


def mojibake_score(text: str) -> float:
    """Mojibake markers per 100 characters (0 for clean text)."""
    if not text:
        return 0.0
    return 100.0 * len(_MOJIBAKE.findall(text)) / len(text)


_CP1252_TAIL = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_RUN = re.compile(f"[\u00c2-\u00f4][{_CP1252_TAIL}]{{1,3}}")


def _fix_run(run: str) -> str:
    data = bytearray()
    for ch in run:
        try:
            data += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return run
            data.append(ord(ch))  # bytes cp1252 leaves undefined pass through as latin-1
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return run


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as cp1252/latin-1, run by run (mixed clean and broken text is common)."""
    if mojibake_score(text) == 0:
        return text
    fixed = _RUN.sub(lambda m: _fix_run(m.group(0)), text)
    return fixed if mojibake_score(fixed) < mojibake_score(text) else text


def screen_document(
    title: str,
    text: str,
    published_at: datetime | None,
    identifiers: LanguageIdentifiers,
    max_text_chars: int,
    mojibake_limit: float = 0.5,
    source_language: str | None = None,
) -> Screened:
    """Decide whether and how a document is enriched.

    Args:
        title: document title.
        text: body text.
        published_at: the source's date (None = undated: clustered by first_seen_at).
        identifiers: language models.
        max_text_chars: longer bodies are cut to this length (noted).
        mojibake_limit: markers per 100 chars above which an unrepairable text is skipped.
        source_language: the language the source declares (a prior for short titles).
    """
    title = (title or "").strip()
    text = text or ""
    notes: list[str] = []
    if not title and not text.strip():
        return Screened("empty", "", "", LanguageGuess("und", 0.0, False, "empty"), ("no title and no text",))
    if len(text) > max_text_chars:
        notes.append(f"text truncated from {len(text)} to {max_text_chars} chars")
        text = text[:max_text_chars]
    for name, value in (("title", title), ("text", text[:20000])):
        if mojibake_score(value) > 0:
            fixed = repair_mojibake(value) if name == "title" else repair_mojibake(text)
            if mojibake_score(fixed) < mojibake_score(value if name == "title" else text):
                notes.append(f"mojibake repaired in {name}")
                if name == "title":
                    title = fixed
                else:
                    text = fixed
    if mojibake_score(title + " " + text[:20000]) > mojibake_limit:
        guess = LanguageGuess("und", 0.0, False, "empty")
        return Screened("skipped:mojibake", title, text, guess, tuple(notes + ["unrepairable mojibake"]))
    letters = sum(ch.isalpha() for ch in title + text[:2000])
    if letters < _MIN_LETTERS:
        guess = LanguageGuess("und", 0.0, False, "empty")
        return Screened("empty", title, text, guess, tuple(notes + ["no letters"]))
    prior = (source_language or "").split("-")[0].lower() or None
    guess = detect_language(f"{title}\n{text[:1500]}", identifiers, prior=prior)
    if not guess.supported:
        reason = f"skipped:language:{guess.code}"
        return Screened(reason, title, text, guess, tuple(notes + [f"no model for language {guess.code}"]))
    if not text.strip():
        notes.append("title only")
    if published_at is None:
        notes.append("no published_at: clustered by first_seen_at")
    return Screened("ok", title, text, guess, tuple(notes))
