"""Translation engines: a local transformers model (seq2seq MarianMT / M2M100 / NLLB / mBART, or
a causal LM through its chat template, safetensors or GGUF) and any OpenAI-compatible
``/chat/completions`` server a user runs locally (Ollama, vLLM, llama.cpp server).

An engine turns one English sentence into raw model text. It raises TransientError (network,
timeout, 429/5xx), BadInputError (a refusal, an answer without text) or ConfigError (bad
configuration); judging and cleaning the text is zhtw/translate.py's job.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from config.errors import ConfigError
from config.settings import TranslateSettings
from nlp.chat import EndpointChat, LocalChat, resolve_model_dir

SYSTEM_PROMPT = (
    "You are a professional translator for a Taiwanese policy think tank. Translate the English "
    "sentence the user sends into Traditional Chinese as written in Taiwan (zh-TW). Keep every "
    "number, amount, percentage, date, name and negation exactly. Answer with the translation "
    "only, on one line."
)
# Seq2seq target-language codes by tokenizer family, tried in order (the first in the vocab).
_TARGETS = (
    ("zho_Hant", "eng_Latn"),  # NLLB-200: Traditional directly
    ("__zh__", "en"),  # M2M100
    ("zh_CN", "en_XX"),  # mBART-50
)
_MARIAN_TARGETS = (">>cmn_Hant<<", ">>zho_Hant<<", ">>cmn<<", ">>zho<<")


class Engine(Protocol):
    """What a translation backend offers."""

    label: str

    def translate(self, sentence: str, hints: Sequence[tuple[str, str]]) -> str:
        """Raw model output for one English sentence (hints: glossary (en, zh) pairs)."""
        ...


def translation_messages(sentence: str, hints: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """The chat prompt: instructions, the glossary terms of this sentence, the sentence.

    Args:
        sentence: the English source.
        hints: (English, zh-TW) glossary pairs found in the sentence.
    """
    system = SYSTEM_PROMPT
    if hints:
        system += " Use these zh-TW terms: " + "; ".join(f"{en} = {zh}" for en, zh in hints) + "."
    return [{"role": "system", "content": system}, {"role": "user", "content": sentence}]


@dataclass
class CausalEngine:
    """A local causal LM (GGUF or safetensors) prompted through its chat template, greedy, CPU."""

    writer: LocalChat
    label: str

    def translate(self, sentence: str, hints: Sequence[tuple[str, str]]) -> str:
        """Greedy completion of the translation prompt."""
        return self.writer.complete(translation_messages(sentence, hints))


@dataclass
class OpenAIEngine:
    """An OpenAI-compatible chat endpoint (temperature 0)."""

    writer: EndpointChat
    label: str

    def translate(self, sentence: str, hints: Sequence[tuple[str, str]]) -> str:
        """One chat completion of the translation prompt."""
        return self.writer.complete(translation_messages(sentence, hints))


@dataclass
class Seq2SeqEngine:
    """A local encoder-decoder translation model; the target language is forced where the
    model family needs it (NLLB/M2M100/mBART: forced BOS; multi-target Marian: >>tgt<< prefix)."""

    model_dir: Path
    label: str
    tgt_lang: str = ""
    max_new_tokens: int = 160
    _loaded: tuple[Any, Any, dict[str, Any], str] | None = field(default=None, repr=False)

    def _language(self, tok) -> tuple[dict[str, Any], str]:
        """Generation kwargs (forced BOS) and the source prefix for this tokenizer."""
        vocab = tok.get_vocab()
        if self.tgt_lang:
            marian = f">>{self.tgt_lang}<<"
            if marian in vocab:
                return {}, marian + " "
            for token in (self.tgt_lang, f"__{self.tgt_lang}__"):
                if token in vocab:
                    return {"forced_bos_token_id": vocab[token]}, ""
            raise ConfigError(f"translate.tgt_lang {self.tgt_lang!r} is not in the vocabulary "
                              f"of {self.model_dir}")
        for target, source in _TARGETS:
            if target in vocab:
                if hasattr(tok, "src_lang"):
                    tok.src_lang = source
                return {"forced_bos_token_id": vocab[target]}, ""
        for marian in _MARIAN_TARGETS:
            if marian in vocab:
                return {}, marian + " "
        return {}, ""  # a single-target model (opus-mt-en-zh style)

    def _load(self) -> tuple[Any, Any, dict[str, Any], str]:
        if self._loaded is None:
            try:
                from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
            except ImportError as exc:
                raise ConfigError(f"seq2seq translator unavailable: {exc}") from exc
            tok = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
            model = AutoModelForSeq2SeqLM.from_pretrained(str(self.model_dir),
                                                          local_files_only=True)
            model.eval()
            kwargs, prefix = self._language(tok)
            self._loaded = (tok, model, kwargs, prefix)
        return self._loaded

    def translate(self, sentence: str, hints: Sequence[tuple[str, str]]) -> str:
        """Greedy decoding; glossary hints are applied after decoding, not in the input."""
        import torch

        tok, model, kwargs, prefix = self._load()
        enc = tok(prefix + sentence, return_tensors="pt", truncation=True, max_length=512)
        enc.pop("token_type_ids", None)
        with torch.no_grad():
            out = model.generate(**enc, max_new_tokens=self.max_new_tokens, num_beams=1,
                                 do_sample=False, **kwargs)
        return tok.decode(out[0], skip_special_tokens=True)


def build_engine(settings: TranslateSettings) -> Engine:
    """The engine named by ``TranslateSettings`` (backend "transformers" or "openai").

    Raises:
        ConfigError: a missing model folder/package/GGUF file, a bad endpoint URL, no model name.
    """
    if settings.backend == "openai":
        if not settings.endpoint.startswith(("http://", "https://")):
            raise ConfigError("translate.endpoint must be the http(s) URL of an OpenAI-compatible "
                              f"API (e.g. http://127.0.0.1:11434/v1), not {settings.endpoint!r}")
        if not settings.model:
            raise ConfigError("translate.model is empty: name the model the endpoint serves")
        endpoint = settings.endpoint.rstrip("/")
        writer = EndpointChat(endpoint, settings.model, os.environ.get(settings.api_key_env, ""),
                              settings.timeout_s, settings.max_new_tokens)
        return OpenAIEngine(writer, f"openai:{settings.model}@{endpoint}")
    if settings.backend != "transformers":
        raise ConfigError(f"translate.backend {settings.backend!r}: none | transformers | openai")
    path = resolve_model_dir(settings.model_dir, settings.model_package, section="translate")
    if settings.gguf_file and not (path / settings.gguf_file).is_file():
        raise ConfigError(f"translate.gguf_file {settings.gguf_file!r} not found in {path}")
    name = f"{path.name}/{settings.gguf_file}" if settings.gguf_file else path.name
    if settings.model_kind == "seq2seq":
        if settings.gguf_file:
            raise ConfigError("translate.gguf_file is for causal models; a seq2seq model is a "
                              "folder saved with save_pretrained")
        return Seq2SeqEngine(path, f"transformers-seq2seq:{name}", settings.tgt_lang,
                             settings.max_new_tokens)
    writer = LocalChat(path, settings.gguf_file, settings.max_new_tokens, model=name)
    return CausalEngine(writer, f"transformers-causal:{name}")
