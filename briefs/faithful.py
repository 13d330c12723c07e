"""Faithfulness check: a generated sentence stands only if a source sentence supports it.

Support means close in meaning (embedding cosine) and carrying every number, date,
name and negation that the generated sentence states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday"
).split()
_NEGATIONS = {"not", "no", "never", "none", "nor", "without", "neither", "n't", "cannot"}
# Capitalised words that are grammar, not names.
_FUNCTION_WORDS = set(
    "a an the this that these those it its he she they we you i in on at by for from of to with "
    "and or but as after before under over about according also however while when where which "
    "who if there their his her our new today yesterday".split()
)


@dataclass(frozen=True)
class Facts:
    """What a sentence asserts that must be found in its source."""

    numbers: frozenset[str]
    dates: frozenset[str]
    names: frozenset[str]
    negated: bool


@dataclass(frozen=True)
class Verdict:
    """Whether a generated sentence is supported, by which source sentence, and why not."""

    supported: bool
    source_index: int
    similarity: float
    reason: str


def _norm_number(raw: str) -> str:
    s = raw.replace(",", "")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _base(word: str) -> str:
    w = word.lower().strip("'’-")
    for suffix in ("'s", "’s"):
        if w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def facts(sentence: str) -> Facts:
    """Numbers (normalised: "1,000" = "1000", "10.0" = "10"), date words, names, negation."""
    words = _WORD.findall(sentence)
    lowered = [w.lower().strip("'’") for w in words]
    names = {
        _base(w)
        for w in words
        if (w[0].isupper() or w.isupper()) and w.lower() not in _FUNCTION_WORDS
        and w.lower() not in _MONTHS
    }  # fmt: skip
    return Facts(
        numbers=frozenset(_norm_number(n) for n in _NUMBER.findall(sentence)),
        dates=frozenset(w for w in lowered if w in _MONTHS),
        names=frozenset(names),
        negated=any(w in _NEGATIONS or w.endswith("n't") for w in lowered),
    )


def _vocabulary(text: str) -> set[str]:
    return {_base(w) for w in _WORD.findall(text)}


def missing_facts(generated: str, source: str) -> list[str]:
    """Numbers, dates and names of `generated` that `source` does not contain, and a negation
    that only one of them has."""
    g, s = facts(generated), facts(source)
    vocab = _vocabulary(source)
    missing = [f"number {n}" for n in sorted(g.numbers - s.numbers)]
    missing += [f"date {d}" for d in sorted(g.dates - s.dates)]
    missing += [f"name {n}" for n in sorted(g.names) if n not in vocab]
    if g.negated != s.negated:
        missing.append("negation")
    return missing


def check_sentence(
    generated: str,
    sources: list[str],
    similarities: np.ndarray,
    cited: list[int],
    min_similarity: float,
) -> Verdict:
    """Judge one generated sentence against the source sentences it cites.

    Without citations the two most similar source sentences are taken as cited.
    The sentence is supported when the best cited sentence is at least
    `min_similarity` close and the cited sentences together contain its facts.

    Args:
        generated: the generated sentence (citation markers removed).
        sources: the source sentences the model was given.
        similarities: cosine of `generated` to each source sentence.
        cited: indices into `sources` the sentence cites (may be empty).
        min_similarity: lowest cosine accepted.
    """
    valid = [i for i in cited if 0 <= i < len(sources)]
    if not valid:
        valid = [int(i) for i in np.argsort(-similarities)[:2]]
    best = max(valid, key=lambda i: float(similarities[i]))
    sim = float(similarities[best])
    if sim < min_similarity:
        return Verdict(False, best, sim, f"similarity {sim:.2f} < {min_similarity:.2f}")
    missing = missing_facts(generated, " ".join(sources[i] for i in valid))
    if missing:
        return Verdict(False, best, sim, "unsupported " + ", ".join(missing))
    return Verdict(True, best, sim, "")
