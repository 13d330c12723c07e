"""Mission relevance of a document: does it belong in this think tank's morning digest?

The analysts follow industrial-technology and trade policy for Taiwan. New is not enough: the
Federal Register publishes every day hundreds of routine notices (information collections,
licence surrenders, advisory-committee meetings, exchange rule filings, fisheries, permits) that
match a trade/technology search without being trade or technology policy. Two scorers, both
returning a score in [0, 1] whose operating point is 0.5 (``digest.relevance_floor``):

* ``rules``: routine-notice patterns (a cap), trade-remedy and trade-measure patterns (a floor),
  otherwise the taxonomy's keyword evidence for the core topics, with a lift for the analyst
  profile's watchlist and for presidential documents.
* ``classifier``: logistic regression over the stored MiniLM document vector, shipped as
  ``nlp/relevance_model.json`` (weights, training set hash, embedding model, version). A
  document without a vector of that model falls back to the rules, named in the result.

Figures for both are printed by ``benchmarks/relevance.py`` (docs/quality.md, "Relevance").
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from nlp.topics import Taxonomy, compile_taxonomy, term_counts

log = logging.getLogger(__name__)

RULES_VERSION = "relevance-rules-v2.1"
MODEL_FILE = "relevance_model.json"
LEAD_CHARS = 2000
METHODS = ("rules", "classifier", "blend")

# Routine notices: (kind, pattern). Matched on the title; "lead" kinds also on the first
# characters of the text, because FR collections often have a bare title ("Proposed Collection;
# Comment Request") and say what they are only in the abstract. A match caps the score: a
# collection about Section 232 forms or an advisory meeting on export controls is still routine.
_ROUTINE_TITLE = (
    ("information collection", r"information collections?|paperwork reduction|proposed collection"
     r"|comment request|forms? submitted for (?:omb|office of management)|submission for omb"),
    ("meeting", r"\bmeetings?\b|advisory (?:committee|board|panel|council)s?\b|sunshine act"
     r"|\bhearings?\b|public (?:workshop|webinar)|listening session|tribal consultation"),
    ("securities filing", r"self-regulatory organizations?|investment advisers?|investment company"
     r" act|deregistration|exemptive relief|\bfund\b.*\b(?:l\.?p\.?|llc|inc\.?)\s*$"
     r"|\btrust shares\b|order instituting proceedings"),
    ("licence or permit", r"surrender of license|license no\.|\bfile no\.|early site permit"
     r"|\bpermits?\b|licensing board|\bexemptions? (?:from|for)\b"
     r"|request for extension of export commencement|commercial export licenses"
     r"|petition for (?:waiver|modification)|final debarment|coastwise trade|\blease\b"
     r"|accreditation and approval|gauger|importer of controlled|manufacturer of controlled"),
    ("environment or wildlife", r"endangered|marine mammals?|fisheries|fishery|scallops?|salmon"
     r"|air (?:quality )?(?:plan|implementation plan)|implementation plans?|superfund|cercla"
     r"|environmental impact statement|wildlife|inventory completion|repatriation|pesticide"),
    ("safety", r"airworthiness directives?|safety zones?|drawbridge|pipeline safety"
     r"|mandatory safety standards|special local regulations?|anchorage"),
    ("energy-regulatory filing", r"tariff filings?|etariff|combined filings?|rate filings?"
     r"|market-based rate|interconnection|\bhydroelectric\b|depreciation rates"),
    ("records notice", r"privacy act of 1974|system of records|computer matching"),
    ("antitrust registration", r"national cooperative research and production act"),
    ("trade-zone notice", r"foreign-trade zone"),
    ("penalty adjustment", r"civil (?:monetary )?penalt(?:y|ies)|interest rates used"),
    ("observance", r"awareness (?:day|week|month)|\b(?:day|week|month), 20\d\d$"
     r"|presidential message|message on\b|\banniversary\b|\bbirthday\b|nominations? sent"
     r"|presidential delegation|honoring\b|in memoriam|garden tours"),
    ("personnel order", r"order of succession|providing an order of succession"),
)
_ROUTINE_LEAD = {
    "information collection": r"paperwork reduction act",
    # FERC "tariffs" are utility rate schedules, not customs duties
    "energy-regulatory filing": r"federal energy regulatory commission|\bFERC\b",
    # NRC notices are plant licensing; only checked for agency documents (a presidential
    # order on nuclear policy names the NRC in its lead and is news)
    "nuclear licensing": r"nuclear regulatory commission",
}
# A hearing in an antidumping investigation is a step of a trade remedy, not a meeting; an
# "exemption for" low-value shipments in a de minimis title is a trade measure, not a licence.
_OVERRIDABLE = {"meeting": ("trade remedy",),
                "licence or permit": ("trade remedy", "trade measure", "export control")}

# On-mission patterns: trade remedies and trade measures are the desk's daily bread; a match
# lifts the score to at least 0.85 unless the notice is routine. (kind, any case, exact case):
# acronyms match in capitals only ("ai" and "ustr" are parts of other words in URLs and names).
_MISSION = (
    ("trade remedy", r"antidumping|anti-dumping|countervailing|less[- ]than[- ]fair[- ]value"
     r"|sunset reviews?|five-year reviews?|section 337|exclusion order|scope rulings?"
     r"|circumvention|covered merchandise|safeguard (?:measures?|dut\w+|provisions|trigger)"
     r"|international trade commission", ""),
    ("trade measure", r"\btariffs?\b|additional duties|duties on|reciprocal|de minimis"
     # "section 301 of title 3" is the President's delegation statute, not the Trade Act
     r"|section 232|section 301(?! of title 3)|adjusting imports"
     r"|trade (?:agreement|deal|polic\w+|deficits?|action)"
     r"|free trade|trade representative|trade practices", r"\bUSTR\b"),
    ("export control", r"entity list|export controls?|export administration regulations"
     r"|outbound investment|foreign adversar\w+", r"\bCFIUS\b"),
    ("technology", r"semiconductors?|\bchips?\b|artificial intelligence|quantum"
     r"|critical minerals?|rare earths?|supply chains?|manufacturing|investment accelerator",
     r"\bAI\b"),
)
# Title-only cues: too common in a lead ("duties" of an office) to count there.
_TITLE_ONLY = re.compile(r"\bduties\b|\bimports? of\b", re.I)
# Taxonomy topics weighed for the evidence part; peripheral ones (priority 3) count less.
_PRIORITY_WEIGHT = {1: 1.0, 2: 0.7, 3: 0.4}


@dataclass(frozen=True)
class RelevanceDoc:
    """What relevance is judged from: a document's title, lead, kind and stored vector."""

    doc_id: str
    title: str
    text: str
    presidential: bool = False  # a White House page (orders, fact sheets, articles)
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Relevance:
    """A document's mission relevance: score in [0, 1] (0.5 = operating point) and why."""

    doc_id: str
    score: float
    method: str  # the scorer that produced the score (a fallback says "rules")
    model: str  # model/version, recorded wherever the score is stored
    reason: str  # routine kind, mission pattern or top evidence


@dataclass(frozen=True)
class RelevanceModel:
    """Logistic regression over one embedding model's vectors (from relevance_model.json)."""

    version: str
    embedding_model: str
    weights: np.ndarray = field(compare=False, repr=False)
    bias: float = 0.0
    provenance: dict = field(default_factory=dict, compare=False)

    @property
    def label(self) -> str:
        """model/version as recorded with each score."""
        return f"{self.version}@{self.embedding_model}"

    def probability(self, vector: np.ndarray) -> float:
        """P(belongs) with the decision threshold at 0.5 (the bias was shifted when trained)."""
        z = float(np.dot(self.weights, np.asarray(vector, dtype=np.float32))) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


_TAG = re.compile(r"<[^>]{0,200}>")
_MD_LINK = re.compile(r"\[([^\]]{0,300})\]\([^)]{0,500}\)")
_MD_MARK = re.compile(r"[*_#>`]+")


def clean_text(text: str) -> str:
    """Text without HTML tags and Markdown markup, whitespace collapsed (for page dumps)."""
    text = _MD_LINK.sub(r"\1", _TAG.sub(" ", text or ""))
    return " ".join(_MD_MARK.sub(" ", text).split())


def _compile(pairs, flags=re.IGNORECASE) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((kind, re.compile(p, flags)) for kind, p in pairs)


@dataclass(frozen=True)
class RuleScorer:
    """The rules, compiled once (taxonomy keywords, routine and mission patterns, watchlist)."""

    taxonomy: Taxonomy
    watchlist: tuple[str, ...] = ()
    version: str = RULES_VERSION

    def __post_init__(self) -> None:
        # Compiled forms are derived state of a frozen record: set once, here.
        object.__setattr__(self, "_compiled", compile_taxonomy(self.taxonomy))
        object.__setattr__(self, "_keyed", tuple(  # term_counts' keys, not re-derived per document
            (topic, tuple((_key(term), weight) for term, weight in topic.keywords))
            for topic in self.taxonomy.topics))
        object.__setattr__(self, "_routine", _compile(_ROUTINE_TITLE))
        object.__setattr__(self, "_routine_lead", _compile(tuple(_ROUTINE_LEAD.items())))
        object.__setattr__(self, "_mission", tuple(
            (k, re.compile(f"(?i:{ci})" + (f"|{caps}" if caps else ""))) for k, ci, caps in _MISSION))
        words = sorted({w.strip() for w in self.watchlist if w.strip()}, key=len, reverse=True)
        alt = "|".join(re.escape(w) for w in words)
        object.__setattr__(self, "_watch", re.compile(rf"(?<!\w)(?:{alt})(?!\w)", re.I) if words else None)

    def routine_kind(self, title: str, lead: str, presidential: bool = False) -> str | None:
        """The routine-notice kind the title (or, for agency documents, the lead) shows."""
        for kind, pat in self._routine:
            if pat.search(title):
                if self.mission_kind(title) in _OVERRIDABLE.get(kind, ()):
                    return None
                return kind
        if presidential:
            return None
        for kind, pat in self._routine_lead:
            if pat.search(lead[:400]):
                return kind
        return None

    def mission_kind(self, text: str) -> str | None:
        """The first on-mission pattern kind found in the text, or None."""
        for kind, pat in self._mission:
            if pat.search(text):
                return kind
        return None

    def evidence(self, title: str, lead: str) -> tuple[float, str]:
        """Best topic evidence in [0, 1) (title hits double) and the topic id behind it."""
        tc = term_counts(title, self._compiled)
        bc = term_counts(lead, self._compiled)
        best, best_id = 0.0, ""
        for topic, keyed in self._keyed:
            raw = 0.0
            for key, weight in keyed:
                raw += weight * (2.0 * min(tc.get(key, 0), 1) + math.log1p(bc.get(key, 0)))
            score = (1.0 - math.exp(-raw / 3.0)) * _PRIORITY_WEIGHT.get(topic.priority, 0.4)
            if score > best:
                best, best_id = score, topic.id
        return best, best_id

    def score(self, doc: RelevanceDoc) -> Relevance:
        """Score one document with the rules."""
        title = " ".join(doc.title.split())
        lead = clean_text(doc.text[: LEAD_CHARS * 2])[:LEAD_CHARS]
        routine = self.routine_kind(title, lead, doc.presidential)
        if routine is not None:
            return Relevance(doc.doc_id, 0.1, "rules", self.version, f"routine: {routine}")
        ev, topic = self.evidence(title, lead)
        score = ev
        reason = f"topic: {topic}" if topic else "no topic evidence"
        in_title = self.mission_kind(title) or ("trade measure" if _TITLE_ONLY.search(title) else None)
        in_lead = None if in_title else self.mission_kind(lead[:600])
        if in_title is not None:
            score, reason = max(score, 0.85), f"mission: {in_title}"
        elif in_lead is not None and not doc.presidential:
            # an agency abstract says what the notice does in its first sentences
            score, reason = max(score, 0.75), f"mission (lead): {in_lead}"
        elif in_lead is not None:
            # White House pages mention tariffs in passing (polls, prices, round-ups): a lead
            # match is evidence, the title decides
            score, reason = max(score, 0.3), f"mission (lead): {in_lead}"
        if self._watch is not None and self._watch.search(title):
            score += 0.1
        if doc.presidential and score > 0.2:
            score += 0.15  # the President acting on a topic is news on that topic
        return Relevance(doc.doc_id, round(min(1.0, score), 4), "rules", self.version, reason)


def _key(term: str) -> str:
    """term_counts' key of a taxonomy term (exact-case terms get "=", CJK as written)."""
    if re.search(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]", term):
        return term
    if any(len(w) >= 2 and w.isupper() for w in term.split()):
        return "=" + " ".join(term.split())
    return " ".join(term.split()).lower()


def load_model(text: str | None = None) -> RelevanceModel | None:
    """The packaged classifier (``nlp/relevance_model.json``), or None when it is missing."""
    try:
        if text is None:
            text = resources.files("nlp").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        log.warning("relevance model %s missing; relevance falls back to the rules", MODEL_FILE)
        return None
    data = json.loads(text)
    return RelevanceModel(
        version=str(data["version"]),
        embedding_model=str(data["embedding_model"]),
        weights=np.asarray(data["weights"], dtype=np.float32),
        bias=float(data["bias"]),
        provenance=dict(data.get("provenance") or {}),
    )


def score_documents(
    docs: list[RelevanceDoc],
    rules: RuleScorer,
    model: RelevanceModel | None,
    method: str = "classifier",
) -> list[Relevance]:
    """Relevance of each document by `method` ("rules" | "classifier" | "blend").

    A document without a vector (or with no model loaded) is scored by the rules, and its
    result says so (method "rules"), so a missing model degrades, never crashes.

    Raises:
        ValueError: unknown method.
    """
    if method not in METHODS:
        raise ValueError(f"relevance method must be one of {METHODS}, not {method!r}")
    out = []
    for doc in docs:
        by_rules = rules.score(doc)
        usable = method != "rules" and model is not None and doc.vector is not None
        if usable and len(doc.vector) != len(model.weights):
            usable = False  # vectors of another embedding model: never mix spaces
        if not usable:
            out.append(by_rules)
            continue
        p = model.probability(doc.vector)
        if method == "blend":
            score = (p + by_rules.score) / 2
            label = f"blend({rules.version}+{model.label})"
        else:
            score, label = p, model.label
        out.append(Relevance(doc.doc_id, round(score, 4), method, label, by_rules.reason))
    return out
