"""Summary quality: ROUGE against hand-written references for real multi-source stories.

The references (briefs/eval_references.jsonl) were written by hand for 15 trade and
technology stories of 2025, each told by two to four documents of the shared corpus
(White House fact sheet + presidential action, the USA TODAY copy, a Federal Register
notice). ROUGE-N and ROUGE-L F1 are computed on lower-cased word tokens (no stemming).
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from briefs.summarize import Encoder, InputDoc, summarize_docs
from config.errors import BadInputError
from config.settings import DigestSettings
from nlp.sentences import document_sentences

CORPUS_FILES = (
    "whitehouse_archive_2024_2025.jsonl.gz",
    "whitehouse_presidential_actions_usatoday_2025.jsonl.gz",
    "federal_register_abstracts_2024_2025.jsonl.gz",
)
# The bundled snapshot (demo/snapshot) keeps the same records, ids and texts for 2025, which
# covers every reference story: the evaluation runs from it where the shared corpus is absent.
SNAPSHOT_FILES = ("whitehouse.jsonl.gz", "usatoday.jsonl.gz", "federal_register.jsonl.gz")
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Rouge:
    """ROUGE-1, ROUGE-2 and ROUGE-L F1."""

    r1: float
    r2: float
    rl: float


@dataclass(frozen=True)
class Reference:
    """A hand-written reference summary of a story and the corpus documents that tell it."""

    story_id: str
    doc_ids: tuple[str, ...]
    reference: str


@dataclass(frozen=True)
class EvalRow:
    """Scores of one story: the system's summary and the lead-3 baseline."""

    story_id: str
    system: Rouge
    baseline: Rouge
    summary: tuple[str, ...]


@dataclass(frozen=True)
class EvalReport:
    """Per-story rows and their means."""

    rows: tuple[EvalRow, ...]
    mean_system: Rouge
    mean_baseline: Rouge


def tokens(text: str) -> list[str]:
    """Lower-cased alphanumeric word tokens."""
    return _TOKEN.findall(text.lower())


def _f1(overlap: int, n_candidate: int, n_reference: int) -> float:
    if overlap == 0 or n_candidate == 0 or n_reference == 0:
        return 0.0
    p, r = overlap / n_candidate, overlap / n_reference
    return 2 * p * r / (p + r)


def rouge_n(candidate: str, reference: str, n: int) -> float:
    """ROUGE-N F1 (clipped n-gram overlap)."""
    c, r = tokens(candidate), tokens(reference)
    cg = Counter(tuple(c[i : i + n]) for i in range(len(c) - n + 1))
    rg = Counter(tuple(r[i : i + n]) for i in range(len(r) - n + 1))
    return _f1(sum((cg & rg).values()), sum(cg.values()), sum(rg.values()))


def _lcs(a: list[str], b: list[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 (longest common subsequence over the whole text)."""
    c, r = tokens(candidate), tokens(reference)
    return _f1(_lcs(c, r), len(c), len(r))


def rouge(candidate: str, reference: str) -> Rouge:
    """ROUGE-1/2/L F1 of a candidate against a reference."""
    return Rouge(
        rouge_n(candidate, reference, 1), rouge_n(candidate, reference, 2), rouge_l(candidate, reference)
    )


def load_references() -> list[Reference]:
    """The packaged hand-written references."""
    text = resources.files("briefs").joinpath("eval_references.jsonl").read_text(encoding="utf-8")
    return [
        Reference(o["story_id"], tuple(o["doc_ids"]), o["reference"])
        for o in map(json.loads, filter(None, text.splitlines()))
    ]


def load_corpus_docs(corpus: Path, wanted: set[str]) -> dict[str, InputDoc]:
    """Documents with the wanted ids from the shared corpus files, or from the bundled
    snapshot's files when `corpus` is a snapshot folder.

    Raises:
        BadInputError: a corpus file is missing or a wanted document is not found.
    """
    found: dict[str, InputDoc] = {}
    snapshot = (Path(corpus) / SNAPSHOT_FILES[0]).is_file()
    for name in SNAPSHOT_FILES if snapshot else CORPUS_FILES:
        path = Path(corpus) / name
        if not path.is_file():
            raise BadInputError(f"corpus file {path} not found")
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                obj = json.loads(line)
                if obj["id"] in wanted:
                    found[obj["id"]] = InputDoc(obj["id"], obj["title"], obj.get("text") or "")
    missing = wanted - set(found)
    if missing:
        raise BadInputError(f"{len(missing)} reference documents not in the corpus: {sorted(missing)[:3]}")
    return found


def _mean(scores: list[Rouge]) -> Rouge:
    n = max(len(scores), 1)
    return Rouge(
        sum(s.r1 for s in scores) / n, sum(s.r2 for s in scores) / n, sum(s.rl for s in scores) / n
    )


def evaluate(corpus: Path, backend: Encoder, settings: DigestSettings) -> EvalReport:
    """Summarise every reference story as the digest does and score it with ROUGE.

    The baseline is lead-3: the first three summary-worthy sentences of the story's
    first document (its White House fact sheet).
    """
    refs = load_references()
    docs = load_corpus_docs(corpus, {d for r in refs for d in r.doc_ids})
    rows = []
    for ref in refs:
        story = [docs[d] for d in ref.doc_ids]
        summary = summarize_docs(
            story,
            backend,
            settings.summary_sentences,
            lam=settings.mmr_lambda,
            max_candidates=settings.max_candidate_sentences,
        )
        text = " ".join(s.text for s in summary)
        lead = " ".join(document_sentences(story[0].text)[:3])
        rows.append(
            EvalRow(
                ref.story_id,
                rouge(text, ref.reference),
                rouge(lead, ref.reference),
                tuple(s.text for s in summary),
            )
        )
    return EvalReport(
        tuple(rows), _mean([r.system for r in rows]), _mean([r.baseline for r in rows])
    )
