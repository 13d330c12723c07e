"""Optional EN->zh-TW sentence translation: summary sentences, commentary facts and quotes.

Each sentence goes through the configured engine (zhtw/backends.py), then: garbage filters
(empty, HTML, a prompt echo, not Chinese, too long), Simplified -> Traditional with Taiwan
phrasing (OpenCC ``s2twp``), glossary repair (known wrong renderings -> the zh-TW glossary form,
counted), and the faithfulness check (zhtw/check.py). Only a translation that passed is given
as ``text``; otherwise the caller shows the English original, marked, with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from config.errors import BadInputError, ConfigError, TransientError
from config.settings import TranslateSettings
from zhtw.check import check_translation
from zhtw.glossary import Lexicon, load_lexicon, repair_terms

if TYPE_CHECKING:
    from zhtw.backends import Engine

_HTML = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]{0,200}>|&(?:lt|gt|amp|nbsp|#\d+);")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")
_LABEL = re.compile(r"^\s*(?:translation|zh-tw|traditional chinese|翻譯|譯文|译文|中文|繁體中文)"
                    r"\s*[:：]\s*", re.I)
_QUOTES = "\"'“”「」『』` "
# A distinctive stretch of the instructions: seeing it in an answer means the prompt came back.
_PROMPT_MARKS = ("professional translator", "Traditional Chinese as written", "Use these zh-TW",
                 "Answer with the translation")


@dataclass(frozen=True)
class Translation:
    """One sentence's translation, shown in Chinese only when ``ok``."""

    source: str  # English original
    text: str | None  # zh-TW, set only when the faithfulness check passed
    ok: bool
    reason: str  # "" when ok, else a short named reason
    backend: str  # provenance: backend + model label
    glossary_fixes: int


@dataclass
class Translator:
    """An engine plus what judges its output (length cap, OpenCC, lexicon)."""

    engine: Engine
    max_length_ratio: float
    opencc_config: str
    lexicon: Lexicon
    _converters: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        """Provenance: backend and model."""
        return self.engine.label

    def convert(self, text: str) -> str:
        """Simplified script -> Traditional with the configured OpenCC config; Traditional text
        is left alone (OpenCC's s2t would turn 台灣 into 臺灣, and Taiwan writes both)."""
        s2t, t2s = self._converter("s2t"), self._converter("t2s")
        simplified = sum(a != b for a, b in zip(text, s2t.convert(text), strict=False))
        traditional = sum(a != b for a, b in zip(text, t2s.convert(text), strict=False))
        if simplified > traditional:
            return self._converter(self.opencc_config).convert(text)
        return text

    def _converter(self, config: str):
        if config not in self._converters:
            import opencc

            self._converters[config] = opencc.OpenCC(config)
        return self._converters[config]


def load_translator(settings: TranslateSettings) -> Translator | None:
    """The translator ``TranslateSettings`` describes; None when ``backend = "none"``.

    Nothing is downloaded: a transformers model is loaded (lazily, on first use) from
    ``model_dir`` or the folder of ``model_package``; an OpenAI-compatible server is only
    called when a sentence is translated.

    Raises:
        ConfigError: an unknown backend, a missing model folder/package/GGUF file, a bad
            endpoint, an unknown OpenCC config, or a length ratio that is not positive.
    """
    if settings.backend == "none":
        return None
    if settings.max_length_ratio <= 0:
        raise ConfigError("translate.max_length_ratio must be > 0")
    try:
        import opencc

        opencc.OpenCC(settings.opencc_config)
    except ImportError as exc:
        raise ConfigError("translation needs the opencc package (pip install opencc)") from exc
    except Exception as exc:  # the binding raises a bare RuntimeError for an unknown config
        raise ConfigError(f"translate.opencc_config {settings.opencc_config!r}: {exc}") from exc
    # Imported here: the backends reuse commentary's writers, and the digest flow must not
    # import commentary when no backend is configured.
    from zhtw.backends import build_engine

    return Translator(build_engine(settings), settings.max_length_ratio, settings.opencc_config,
                      load_lexicon())


def garbage(source: str, raw: str, max_length_ratio: float) -> str | None:
    """Why raw model output is no translation of `source`, or None when it may be one."""
    text = raw.strip()
    if not text:
        return "garbage: empty"
    if _HTML.search(text):
        return "garbage: html"
    lowered = text.lower()
    if any(mark.lower() in lowered for mark in _PROMPT_MARKS) or (
            len(source) > 20 and source.strip().lower()[:60] in lowered):
        return "garbage: prompt echo"
    cjk, latin = len(_CJK.findall(text)), len(_LATIN.findall(text))
    if len(_KANA_HANGUL.findall(text)) > max(2, cjk // 10):
        return "garbage: not Chinese (kana/hangul)"
    if cjk == 0 or cjk < 0.5 * latin:
        return "garbage: not Chinese"
    if len(text) > max_length_ratio * len(source):
        return f"garbage: too long ({len(text)} chars for a {len(source)}-char source)"
    return None


def _clean(source: str, raw: str) -> str:
    """The translation line: first line with Chinese, its label stripped, and the quotes a
    model wraps an answer in (kept when the source itself is a quotation)."""
    quoted = source.lstrip()[:1] in "\"“'‘"
    for line in raw.strip().splitlines():
        line = _LABEL.sub("", line).strip()
        line = line if quoted else line.strip(_QUOTES)
        if _CJK.search(line):
            return line
    return raw.strip()


def _backend_reason(exc: Exception) -> str:
    if isinstance(exc, TransientError):
        if isinstance(exc.__cause__, httpx.TimeoutException):
            return f"backend slow: timeout ({exc})"
        return f"backend down: {exc}"
    if isinstance(exc, BadInputError):
        return f"backend error: {exc}"
    return f"backend error: {type(exc).__name__}: {exc}"


def translate_one(translator: Translator, sentence: str) -> Translation:
    """Translate and check one sentence (backend errors propagate; see translate_sentences)."""
    found = translator.lexicon.find(sentence)
    # The prompt names the zh-TW form of each term and name (a model left alone writes 反補貼稅
    # for countervailing duty, 韓國 for South Korea); seq2seq engines ignore the hints.
    hints = list(dict.fromkeys((f.surface, f.term.zh) for f in found if not f.term.generic))
    raw = translator.engine.translate(sentence, hints)
    bad = garbage(sentence, raw, translator.max_length_ratio)
    if bad:
        return Translation(sentence, None, False, bad, translator.label, 0)
    zh = translator.convert(_clean(sentence, raw))
    zh, fixes = repair_terms(sentence, zh, translator.lexicon)
    result = check_translation(sentence, zh, translator.lexicon)
    if not result.ok:
        return Translation(sentence, None, False, "; ".join(result.problems[:4]),
                           translator.label, fixes)
    return Translation(sentence, zh, True, "", translator.label, fixes)


def translate_sentences(translator: Translator | None,
                        sentences: Sequence[str]) -> list[Translation]:
    """Translate English sentences to zh-TW; never raises for backend trouble.

    A backend that is down, slow (timeout) or answers garbage gives ``ok=False`` with the
    reason; after a transient failure (down, timeout) the remaining sentences are not sent, so
    a dead server costs one timeout, not one per sentence.

    Args:
        translator: from ``load_translator``; None marks every item "no backend".
        sentences: English sentences.

    Returns:
        One ``Translation`` per sentence, in order.

    Example:
        >>> translate_sentences(None, ["Tariffs rose."])[0].reason
        'no backend'
    """
    if translator is None:
        return [Translation(s, None, False, "no backend", "none", 0) for s in sentences]
    out: list[Translation] = []
    down = ""
    for sentence in sentences:
        if not sentence.strip():
            out.append(Translation(sentence, None, False, "empty source", translator.label, 0))
            continue
        if down:
            out.append(Translation(sentence, None, False, f"{down} (not sent again)",
                                   translator.label, 0))
            continue
        try:
            out.append(translate_one(translator, sentence))
        except Exception as exc:  # the contract: a backend's failure is a reason, never a crash
            reason = _backend_reason(exc)
            if isinstance(exc, TransientError):
                down = reason
            out.append(Translation(sentence, None, False, reason, translator.label, 0))
    return out
