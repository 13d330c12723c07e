"""Optional generative summary with a local causal LM, kept only where sources support it."""

from __future__ import annotations

import importlib.util
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from briefs.faithful import check_sentence
from config.errors import ConfigError
from config.settings import GenerativeSettings
from nlp.sentences import normalise, split_sentences

log = logging.getLogger(__name__)

_CITE = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
SYSTEM_PROMPT = (
    "You write short, factual news summaries for policy analysts. Use only the numbered facts "
    "you are given; do not add anything. End each sentence with the numbers of the facts it "
    "uses in brackets, like [2]."
)


@dataclass(frozen=True)
class LocalLM:
    """A causal LM loaded from local files, with its generation settings."""

    name: str
    model: Any
    tokenizer: Any
    max_new_tokens: int
    min_similarity: float

    def complete(self, system: str, user: str) -> str:
        """Greedy completion of a chat prompt (system + user turn)."""
        import torch

        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        enc = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with torch.inference_mode():
            out = self.model.generate(
                **enc,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                repetition_penalty=1.1,
                pad_token_id=self.tokenizer.eos_token_id,
            )
        prompt_len = enc["input_ids"].shape[1]
        return self.tokenizer.decode(out[0][prompt_len:], skip_special_tokens=True)


def model_location(gen: GenerativeSettings) -> Path:
    """Folder of the configured model: `model_dir`, or the folder of `model_package`.

    Raises:
        ConfigError: neither is set, or the folder does not exist.
    """
    if gen.model_dir:
        folder = Path(gen.model_dir)
    elif gen.model_package:
        spec = importlib.util.find_spec(gen.model_package)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(f"digest.generative.model_package {gen.model_package!r} not installed")
        folder = Path(next(iter(spec.submodule_search_locations)))
    else:
        raise ConfigError("digest.generative needs model_dir or model_package")
    if not folder.is_dir():
        raise ConfigError(f"digest.generative model folder {folder} does not exist")
    if gen.gguf_file and not (folder / gen.gguf_file).is_file():
        raise ConfigError(f"digest.generative.gguf_file {gen.gguf_file!r} not in {folder}")
    return folder


def load_generator(gen: GenerativeSettings) -> LocalLM | None:
    """The configured local model, or None when generative summaries are off.

    Only local files are read (never a hub).

    Raises:
        ConfigError: the model is configured but cannot be found or loaded.
    """
    if not gen.enabled:
        return None
    folder = model_location(gen)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"local_files_only": True}
    if gen.gguf_file:
        kwargs["gguf_file"] = gen.gguf_file
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), **kwargs)
        model = AutoModelForCausalLM.from_pretrained(str(folder), **kwargs)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot load generative model from {folder}: {exc}") from exc
    model.eval()
    name = f"{folder.name}/{gen.gguf_file}" if gen.gguf_file else folder.name
    return LocalLM(name, model, tokenizer, gen.max_new_tokens, gen.min_similarity)


def build_prompt(facts: list[str], n: int) -> str:
    """The user turn: numbered facts and the length wanted."""
    lines = "\n".join(f"[{i}] {f}" for i, f in enumerate(facts, 1))
    return f"Facts:\n{lines}\n\nSummarise these facts in at most {n} sentences, citing them."


def parse_output(text: str) -> list[tuple[str, list[int]]]:
    """Generated sentences with citation markers removed, and the 0-based facts each cites."""
    out = []
    for paragraph in text.split("\n"):
        for sentence in split_sentences(paragraph.strip()):
            cited = [int(x) - 1 for m in _CITE.findall(sentence) for x in m.split(",")]
            clean = _CITE.sub("", sentence).strip().lstrip("-*• ").strip()
            if len(clean.split()) >= 4:
                out.append((clean, cited))
    return out


@dataclass(frozen=True)
class Rewrite:
    """Generated sentences kept (text, index of the supporting fact) and dropped (text, reason)."""

    kept: tuple[tuple[str, int], ...]
    dropped: tuple[tuple[str, str], ...]


def judge(
    generated: list[tuple[str, list[int]]],
    facts: list[str],
    backend: Any,
    n: int,
    min_similarity: float,
) -> Rewrite:
    """Keep generated sentences that a cited fact supports (no repeats, at most `n`).

    Args:
        generated: (sentence, cited fact indices) pairs, see `parse_output`.
        facts: the source sentences the model was given.
        backend: embedding backend (`encode` -> unit vectors).
        n: most sentences kept.
        min_similarity: lowest cosine to the supporting fact.
    """
    if not generated or not facts:
        return Rewrite((), tuple((g, "no facts") for g, _ in generated))
    vecs = np.asarray(backend.encode([g for g, _ in generated] + facts), dtype=np.float32)
    gen_vecs, fact_vecs = vecs[: len(generated)], vecs[len(generated) :]
    kept: list[tuple[str, int]] = []
    dropped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for (sentence, cited), vec in zip(generated, gen_vecs, strict=True):
        key = normalise(sentence)
        if key in seen or len(kept) >= n:
            dropped.append((sentence, "repeat" if key in seen else "too many"))
            continue
        verdict = check_sentence(sentence, facts, fact_vecs @ vec, cited, min_similarity)
        if verdict.supported:
            kept.append((sentence, verdict.source_index))
            seen.add(key)
        else:
            dropped.append((sentence, verdict.reason))
    return Rewrite(tuple(kept), tuple(dropped))


def faithful_rewrite(generator: LocalLM, facts: list[str], backend: Any, n: int) -> Rewrite:
    """Ask the model to summarise `facts`, then keep only what the facts support."""
    raw = generator.complete(SYSTEM_PROMPT, build_prompt(facts, n))
    rewrite = judge(parse_output(raw), facts, backend, n, generator.min_similarity)
    for sentence, reason in rewrite.dropped:
        log.info("generated sentence dropped (%s): %s", reason, sentence)
    return rewrite
