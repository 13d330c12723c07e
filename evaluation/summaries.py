"""Summary quality: ROUGE against hand-written references for real multi-source stories.

The references (evaluation/summary_references.jsonl) were written by hand (how: tests/dev/README.md,
"Reference summaries"): 23 development stories of January–June 2025 and 17 held-out stories
of July–December 2025, each told by two to ten documents of the bundled snapshot (White House
fact sheets, orders, joint statements and articles, their USA TODAY copies, Federal Register
documents). ROUGE-N and ROUGE-L F1 are computed on lower-cased word tokens (no stemming).

Two extractive baselines are scored at the system summary's own length (in tokens), so a
longer summary cannot win by length alone:

* **lead**: the opening sentences of the story's explanatory document (the member with the
  fewest first-person recitals: the fact sheet rather than the order it explains);
* **centroid** (Radev et al. 2004): sentences of every member ranked by TF-IDF cosine to the
  story's centroid, near-repeats skipped, best first.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from briefs.summarize import Encoder, InputDoc, is_recital, summarize_stories
from config.errors import BadInputError
from config.settings import DigestSettings
from nlp.sentences import document_sentences, normalise

CORPUS_FILES = (
    "whitehouse_archive_2024_2025.jsonl.gz",
    "whitehouse_presidential_actions_usatoday_2025.jsonl.gz",
    "federal_register_abstracts_2024_2025.jsonl.gz",
)
# The bundled snapshot (demo/snapshot) keeps the same records, ids and texts for 2025, which
# covers every reference story: the evaluation runs from it where the shared corpus is absent.
SNAPSHOT_FILES = ("whitehouse.jsonl.gz", "usatoday.jsonl.gz", "federal_register.jsonl.gz")
SPLITS = ("dev", "heldout")
_TOKEN = re.compile(r"[a-z0-9]+")
# two centroid-baseline sentences sharing this much vocabulary say the same thing
_CENTROID_OVERLAP = 0.6


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
    split: str = "dev"


@dataclass(frozen=True)
class EvalRow:
    """Scores of one story: the system's summary and the two length-matched baselines."""

    story_id: str
    split: str
    system: Rouge
    lead: Rouge
    centroid: Rouge
    summary: tuple[str, ...]


@dataclass(frozen=True)
class SplitScores:
    """Mean scores of one split and the system/baseline ROUGE-2 ratios."""

    split: str
    stories: int
    system: Rouge
    lead: Rouge
    centroid: Rouge

    @property
    def ratio_lead(self) -> float:
        """Mean system ROUGE-2 over mean lead ROUGE-2."""
        return self.system.r2 / self.lead.r2 if self.lead.r2 else math.inf

    @property
    def ratio_centroid(self) -> float:
        """Mean system ROUGE-2 over mean centroid ROUGE-2."""
        return self.system.r2 / self.centroid.r2 if self.centroid.r2 else math.inf


@dataclass(frozen=True)
class EvalReport:
    """Per-story rows and the means of each split."""

    rows: tuple[EvalRow, ...]
    splits: dict[str, SplitScores]


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


def truncate(text: str, budget: int) -> str:
    """The first `budget` tokens of a text (what a length-matched score sees)."""
    return " ".join(tokens(text)[:budget])


def lead_baseline(docs: list[InputDoc], budget: int) -> str:
    """The opening sentences of the story's explanatory document, `budget` tokens long.

    The explanatory document is the one with the smallest share of first-person recitals
    (ties: the given order), the same choice the summariser makes for its lead document.
    """
    sentences = [document_sentences(d.text, d.title) for d in docs]
    share = [sum(map(is_recital, ss)) / len(ss) if ss else 1.0 for ss in sentences]
    best = min(range(len(docs)), key=lambda i: share[i]) if docs else None
    return truncate(" ".join(sentences[best]), budget) if best is not None else ""


def _tfidf(words: list[str], idf: dict[str, float]) -> dict[str, float]:
    counts = Counter(words)
    return {w: c * idf.get(w, 0.0) for w, c in counts.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(v * b.get(w, 0.0) for w, v in a.items())
    na, nb = math.sqrt(sum(v * v for v in a.values())), math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def document_frequencies(docs: list[InputDoc]) -> dict[str, float]:
    """Smoothed IDF of every token over a background collection of documents."""
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(tokens(d.text)))
    n = len(docs)
    return {w: math.log((1 + n) / (1 + c)) + 1.0 for w, c in df.items()}


def centroid_baseline(docs: list[InputDoc], budget: int, idf: dict[str, float]) -> str:
    """Sentences closest (TF-IDF cosine) to the story centroid, best first, `budget` tokens.

    Args:
        docs: the story's documents.
        budget: tokens wanted.
        idf: inverse document frequencies of the background collection.
    """
    sentences = [(s, tokens(s)) for d in docs for s in document_sentences(d.text, d.title)]
    if not sentences:
        return ""
    centroid: Counter[str] = Counter()
    for d in docs:
        centroid.update(_tfidf(tokens(d.text), idf))
    scored = sorted(sentences, key=lambda st: -_cosine(_tfidf(st[1], idf), centroid))
    picked: list[set[str]] = []
    out: list[str] = []
    length = 0
    for text, words in scored:
        if length >= budget:
            break
        key = set(normalise(text).split())
        if not key or any(len(key & k) / min(len(key), len(k)) > _CENTROID_OVERLAP for k in picked):
            continue
        picked.append(key)
        out.append(text)
        length += len(words)
    return truncate(" ".join(out), budget)


def load_references() -> list[Reference]:
    """The packaged hand-written references."""
    text = resources.files("evaluation").joinpath("summary_references.jsonl").read_text(encoding="utf-8")
    return [
        Reference(o["story_id"], tuple(o["doc_ids"]), o["reference"], o.get("split", "dev"))
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


def score_story(
    ref: Reference, story: list[InputDoc], summary: list[str], idf: dict[str, float]
) -> EvalRow:
    """One story's ROUGE for a summary and for both baselines at the summary's length."""
    text = " ".join(summary)
    budget = len(tokens(text))
    return EvalRow(
        ref.story_id,
        ref.split,
        rouge(text, ref.reference),
        rouge(lead_baseline(story, budget), ref.reference),
        rouge(centroid_baseline(story, budget, idf), ref.reference),
        tuple(summary),
    )


def evaluate(corpus: Path, backend: Encoder, settings: DigestSettings) -> EvalReport:
    """Summarise every reference story as the digest does and score it and the baselines.

    Args:
        corpus: the shared corpus folder or the bundled snapshot folder.
        backend: sentence embedding backend of the summariser.
        settings: digest settings (summary length, MMR trade-off, candidate pool).
    """
    refs = load_references()
    docs = load_corpus_docs(corpus, {d for r in refs for d in r.doc_ids})
    idf = document_frequencies(list(docs.values()))
    stories = [[docs[d] for d in ref.doc_ids] for ref in refs]
    # all stories in one call, as the digest summarises a day's stories (one embedding batch)
    summaries = summarize_stories(
        stories,
        backend,
        settings.summary_sentences,
        lam=settings.mmr_lambda,
        max_candidates=settings.max_candidate_sentences,
    )
    rows = [
        score_story(ref, story, [s.text for s in summary], idf)
        for ref, story, summary in zip(refs, stories, summaries, strict=True)
    ]
    splits = {}
    for split in SPLITS:
        part = [r for r in rows if r.split == split]
        if part:
            splits[split] = SplitScores(
                split, len(part), _mean([r.system for r in part]), _mean([r.lead for r in part]),
                _mean([r.centroid for r in part]),
            )
    return EvalReport(tuple(rows), splits)
