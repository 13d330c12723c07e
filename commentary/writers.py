"""Writers of the narrative sections behind one interface: the default extractive writer picks
source sentences; generative writers (commentary.generate) are prompted with the same evidence.
Whatever writes, the claim check runs afterwards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from commentary.matching import condense
from commentary.records import Statement
from config.errors import ConfigError
from nlp.sentences import split_sentences

_KEYS = re.compile(r"\[\s*(E\d+(?:\s*[,;]\s*E?\d+)*)\s*\]")
_WORDS = re.compile(r"[a-z0-9]+")

SECTION_INSTRUCTIONS = {
    "summary": "Say what happened: the measure, who took it, what it does and from when.",
    "background": "Give the background: earlier measures and the reasons stated for them.",
    "reactions": "Report reactions: who said what about the measure.",
}


@dataclass(frozen=True)
class Evidence:
    """A numbered source sentence a writer may use (key "E1", "E2", ...)."""

    key: str
    doc_id: str
    text: str
    day: date | None
    position: int


@dataclass(frozen=True)
class SectionBrief:
    """What a writer gets for one section: the evidence (best first) and a length."""

    section: str  # summary | background | reactions
    evidence: tuple[Evidence, ...]
    max_sentences: int
    chronological: bool = False


class Writer(Protocol):
    """Writes one narrative section as cited statements."""

    name: str
    model: str

    def write(self, query: str, brief: SectionBrief) -> list[Statement]:
        """Statements citing documents by id (the claim check decides what stays)."""
        ...


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, len(a | b))


@dataclass
class ExtractiveWriter:
    """The default writer: the best evidence sentences, verbatim (condensed), no repeats."""

    name: str = "extractive"
    model: str = "extractive-template-v1"
    max_overlap: float = 0.5

    def write(self, query: str, brief: SectionBrief) -> list[Statement]:
        """Pick up to `max_sentences` evidence sentences in rank order, skipping near-repeats."""
        picked: list[Evidence] = []
        seen: list[set[str]] = []
        for ev in brief.evidence:
            if len(picked) >= brief.max_sentences:
                break
            words = set(_WORDS.findall(ev.text.lower()))
            if any(_overlap(words, w) > self.max_overlap for w in seen):
                continue
            picked.append(ev)
            seen.append(words)
        if brief.chronological:
            picked.sort(key=lambda e: (e.day or date.min, e.position))
        return [Statement(condense(e.text), (e.doc_id,), quote=True) for e in picked]


def build_prompt(query: str, brief: SectionBrief) -> list[dict[str, str]]:
    """Chat messages asking a generative model for one section, citing evidence keys."""
    lines = "\n".join(f"[{e.key}] {condense(e.text, 360)}" for e in brief.evidence)
    system = (
        "You write one section of a short policy commentary for a think tank. Use only the "
        f"numbered evidence. Write at most {brief.max_sentences} sentences in plain English. End every sentence "
        "with the keys of the evidence it is based on in square brackets, e.g. [E2]. Do not add "
        "any fact, number, date or name that is not in the evidence."
    )
    user = (f"Topic: {query}\nSection: {SECTION_INSTRUCTIONS.get(brief.section, brief.section)}\n"
            f"Evidence:\n{lines}\n\nWrite the section now.")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_generated(text: str, brief: SectionBrief) -> list[Statement]:
    """Split generated text into sentences; each cites the documents of its evidence keys.

    A sentence with no (known) key cites nothing, so the claim check will remove it.
    """
    by_key = {e.key: e.doc_id for e in brief.evidence}
    out: list[Statement] = []
    for paragraph in re.split(r"\n+", text.strip()):
        paragraph = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", paragraph)
        for sentence in split_sentences(paragraph):
            keys: list[str] = []
            for group in _KEYS.findall(sentence):
                for k in re.split(r"\s*[,;]\s*", group):
                    keys.append(k if k.startswith("E") else f"E{k}")
            clean = re.sub(r"\s+", " ", _KEYS.sub("", sentence)).strip()
            clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
            if len(clean.split()) < 3:
                continue
            doc_ids = tuple(dict.fromkeys(by_key[k] for k in keys if k in by_key))
            out.append(Statement(clean, doc_ids, quote=False))
        if len(out) >= brief.max_sentences:
            break
    return out[: brief.max_sentences]


def make_writer(name: str, settings) -> Writer:
    """The writer named `name` ("extractive", "transformers" or "openai").

    Args:
        name: writer name.
        settings: ``CommentarySettings`` (model path, endpoint, limits).

    Raises:
        ConfigError: unknown writer or a generative writer without its configuration.
    """
    if name == "extractive":
        return ExtractiveWriter()
    if name == "transformers":
        from commentary.generate import TransformersWriter

        return TransformersWriter.from_settings(settings)
    if name == "openai":
        from commentary.generate import OpenAIWriter

        return OpenAIWriter.from_settings(settings)
    raise ConfigError(f"commentary.writer must be extractive, transformers or openai, not {name!r}")
