"""Language identification that also works on short titles (py3langid + script counts).

CJK is decided by script (kana -> ja, hangul -> ko, Han only -> zh) because n-gram models
are unreliable on a dozen characters. Chinese is further told apart as Traditional (zh-Hant:
Taiwan, Hong Kong) or Simplified (zh-Hans: the Mainland) by which characters OpenCC would
convert, since neither py3langid nor lingua distinguishes the two (docs/performance.md). Latin-script text goes to py3langid restricted to the
languages our sources publish in; a long text that the unrestricted model confidently puts
outside that set (e.g. Portuguese, Russian) is reported with its own code and
``supported=False`` so the caller can record "no model for this language".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en", "fr", "de", "ja", "ko", "zh", "es", "nl", "sv", "fi", "it",
)  # fmt: skip
UNDETERMINED = "und"
_MARKUP = re.compile(r"https?://\S+|\[|\]\([^)]*\)|[#*_`>|]")
_MAX_CHARS = 2000


@dataclass(frozen=True)
class LanguageGuess:
    """Result of language identification."""

    code: str  # ISO 639-1, or "und"
    confidence: float
    supported: bool
    method: str  # script | langid | prior | empty
    script: str | None = None  # "Hant" | "Hans" for Chinese when the characters say which

    @property
    def tag(self) -> str:
        """The code with the script when known: "zh-Hant", "zh-Hans", "en"."""
        return f"{self.code}-{self.script}" if self.script else self.code


@dataclass(frozen=True)
class LanguageIdentifiers:
    """py3langid models: one restricted to our languages, one with every language."""

    restricted: LanguageIdentifier
    full: LanguageIdentifier
    languages: tuple[str, ...]


def load_identifiers(languages: tuple[str, ...] = SUPPORTED_LANGUAGES) -> LanguageIdentifiers:
    """Load the packaged py3langid model twice (restricted and full), normalised probabilities.

    Args:
        languages: ISO 639-1 codes that count as supported.
    """
    restricted = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    restricted.set_languages([c for c in languages if c not in ("ja", "ko", "zh")] or None)
    full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return LanguageIdentifiers(restricted=restricted, full=full, languages=tuple(languages))


def script_counts(text: str) -> dict[str, int]:
    """Letters per script: latin, han, kana, hangul, other."""
    counts = {"latin": 0, "han": 0, "kana": 0, "hangul": 0, "other": 0}
    for ch in text:
        if not ch.isalpha():
            continue
        o = ord(ch)
        if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
            counts["latin"] += 1
        elif 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D:
            counts["kana"] += 1
        elif 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            counts["hangul"] += 1
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            counts["han"] += 1
        else:
            counts["other"] += 1
    return counts


@lru_cache(maxsize=1)
def _opencc() -> tuple | None:
    """OpenCC's Traditional->Simplified converter and its Simplified->Traditional ones (plain,
    Taiwan, Hong Kong standards); None without the opencc package (the script stays unknown)."""
    try:
        import opencc
    except ImportError:
        return None
    return opencc.OpenCC("t2s"), tuple(opencc.OpenCC(c) for c in ("s2t", "s2tw", "s2hk"))


def chinese_script(text: str) -> str | None:
    """"Hant" or "Hans" for Chinese text, or None when its characters do not say.

    A character that t2s changes is written only in Traditional (國, 與, 灣). One that every
    Simplified->Traditional standard changes (plain, Taiwan, Hong Kong) is Simplified (国, 发)
    or, for a few, also Traditional in some senses (后, 里, 恒 of 恒生); one that the Taiwan or
    Hong Kong standard keeps (台, 峰, 秘) is no evidence. The side with more characters wins,
    a tie going to Traditional (the dual-use characters all sit on the Simplified side).
    """
    converters = _opencc()
    han = sorted({ch for ch in text if script_counts(ch)["han"]})
    if converters is None or not han:
        return None
    t2s, to_traditional = converters
    joined = "\n".join(han)  # one character per line: no phrase rules, one result per character
    outputs = [conv.convert(joined).split("\n") for conv in (t2s, *to_traditional)]
    if any(len(out) != len(han) for out in outputs):
        return None
    changed = {ch for ch, a in zip(han, outputs[0], strict=True) if a != ch}
    simp = {ch for i, ch in enumerate(han) if all(out[i] != ch for out in outputs[1:])}
    trad = sum(text.count(ch) for ch in changed)
    simplified = sum(text.count(ch) for ch in simp)
    if trad and trad >= simplified:
        return "Hant"
    if simplified > trad:
        return "Hans"
    return None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text[: _MAX_CHARS * 2])
    return " ".join(_MARKUP.sub(" ", text).split())[:_MAX_CHARS]


def detect_language(
    text: str,
    identifiers: LanguageIdentifiers,
    long_text_chars: int = 150,
    prior: str | None = None,
    prior_below: float = 0.7,
) -> LanguageGuess:
    """Identify the language of a title or text.

    Args:
        text: title, body, or title + lead.
        identifiers: from ``load_identifiers``.
        long_text_chars: from this length on, a confident unsupported language is believed.
        prior: the language the source declares (sources.yaml), if any.
        prior_below: a Latin-script guess less confident than this yields to ``prior``
            (short titles made of names: "Golub Capital BDC Inc., et al.").

    Returns:
        code + confidence; ``supported`` is False for a language outside ``identifiers.languages``.
    """
    clean = _clean(text)
    counts = script_counts(clean)
    letters = sum(counts.values())
    if letters == 0:
        return LanguageGuess(UNDETERMINED, 0.0, False, "empty")
    cjk = counts["han"] + counts["kana"] + counts["hangul"]
    if cjk / letters >= 0.3:
        if counts["kana"] >= max(1, 0.05 * cjk):
            code = "ja"
        elif counts["hangul"] >= 0.5 * cjk:
            code = "ko"
        else:
            code = "zh"
        conf = min(1.0, cjk / letters + 0.2)
        return LanguageGuess(code, round(conf, 4), code in identifiers.languages, "script",
                             chinese_script(clean) if code == "zh" else None)
    if counts["other"] / letters >= 0.5:
        code, conf = identifiers.full.classify(clean)
        return LanguageGuess(code, round(conf, 4), code in identifiers.languages, "langid")
    code, conf = identifiers.restricted.classify(clean)
    if prior and prior != code and conf < prior_below and prior in identifiers.languages:
        return LanguageGuess(prior, round(conf, 4), True, "prior")
    if len(clean) >= long_text_chars:
        full_code, full_conf = identifiers.full.classify(clean)
        if full_code not in identifiers.languages and full_conf >= 0.9 and full_conf > conf:
            return LanguageGuess(full_code, round(full_conf, 4), False, "langid")
    return LanguageGuess(code, round(conf, 4), code in identifiers.languages, "langid")
