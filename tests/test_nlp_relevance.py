"""Mission relevance (nlp/relevance.py): rules, classifier fallback, provenance, quality gates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from config.settings import load_settings
from evaluation.relevance import doc_of, embed_records, load_labelled, snapshot_index
from evaluation.relevance_train import metrics
from nlp.relevance import (
    RelevanceDoc,
    RelevanceModel,
    RuleScorer,
    load_model,
    score_documents,
)
from nlp.topics import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "dev" / "relevance.jsonl"
SETTINGS = load_settings()
RULES = RuleScorer(load_taxonomy(), tuple(SETTINGS.digest.profiles["default"].watchlist))
FLOOR = SETTINGS.digest.relevance_floor


def _rules(title: str, text: str = "", presidential: bool = False) -> float:
    return RULES.score(RelevanceDoc("x", title, text, presidential)).score


@pytest.mark.parametrize(("title", "text"), [
    ("Information Collection; Commercial Acquisitions", ""),
    ("Proposed Collection; Comment Request", "In compliance with the Paperwork Reduction Act"),
    ("Environmental Technologies Trade Advisory Committee", ""),
    ("Self-Regulatory Organizations; Cboe BZX Exchange, Inc.; Notice of Filing", ""),
    ("Gemini Investors VI, L.P. [License No. 01/01-0433]; Surrender of License of Small "
     "Business Investment Company", ""),
    ("Electronic Tariff Filings; Notice of Changes to eTariff Validation Error Codes", ""),
    ("Standards for Business Practices", "The Federal Energy Regulatory Commission amends"),
    ("State of Connecticut: Proposed Agreement", "the U.S. Nuclear Regulatory Commission (NRC)"),
    ("World Autism Awareness Day, 2025", ""),
    ("Research Track Assessment for Atlantic Sea Scallops; Public Meeting", ""),
    ("Request Notice: Use of Foreign-Built Small Passenger Vessel in United States Coastwise "
     "Trade, S/V Echo", ""),
])
def test_routine_notices_are_below_the_floor(title, text):
    assert _rules(title, text) < FLOOR


@pytest.mark.parametrize(("title", "text"), [
    ("Certain Steel Nails From Taiwan: Preliminary Results of Antidumping Duty Administrative "
     "Review", ""),
    ("Dioctyl Terephthalate (DOTP) From Taiwan; Cancellation of Hearing for Antidumping Duty "
     "Investigations", ""),  # a hearing in an AD case is a trade-remedy step, not a meeting
    ("Notice of Receipt of Complaint; Solicitation of Comments Relating to the Public Interest",
     "Notice is hereby given that the U.S. International Trade Commission has received a "
     "complaint entitled Certain DRAM Devices"),
    ("Additions to the Entity List", ""),
    ("Adjusting Imports of Automobiles and Automobile Parts Into the United States", ""),
    ("Fact Sheet: President Donald J. Trump is Suspending the De Minimis Exemption for "
     "Commercial Shipments Globally", ""),  # "exemption for" is no licence here
])
def test_trade_actions_are_above_the_floor(title, text):
    assert _rules(title, text, presidential=title.startswith("Fact Sheet")) >= FLOOR


def test_white_house_lead_mentions_are_evidence_not_a_verdict():
    poll = "President Trump's approval rating is tied for his highest, even on tariffs."
    assert _rules("ICYMI: Trump ties for highest approval", poll, presidential=True) < FLOOR
    abstract = "CBP is implementing additional tariffs on products of China."
    assert _rules("Notice of Implementation", abstract) >= FLOOR


def test_delegation_statute_is_not_section_301():
    lead = "including section 301 of title 3, United States Code, it is hereby ordered"
    assert _rules("Making the District of Columbia Safe", lead, presidential=True) < FLOOR


def test_packaged_model_carries_its_provenance():
    model = load_model()
    assert model is not None and model.weights.shape == (384,)
    assert model.version == "relevance-lr-v2"
    assert model.embedding_model.startswith("sentence-transformers/all-MiniLM-L6-v2@")
    assert "split=dev" in model.provenance["labels"] and "scikit-learn" in model.provenance["trainer"]
    assert 0.0 <= model.probability(np.zeros(384, dtype=np.float32)) <= 1.0


def test_classifier_degrades_to_rules_without_a_usable_vector():
    model = RelevanceModel("m-v0", "emb@1", np.ones(4, dtype=np.float32), 0.0)
    docs = [RelevanceDoc("a", "Additions to the Entity List", "", vector=np.ones(4)),
            RelevanceDoc("b", "Additions to the Entity List", ""),  # no vector
            RelevanceDoc("c", "Additions to the Entity List", "", vector=np.ones(8))]  # other model
    out = score_documents(docs, RULES, model, "classifier")
    assert [r.method for r in out] == ["classifier", "rules", "rules"]
    assert out[0].model == "m-v0@emb@1" and out[1].model == RULES.version
    blend = score_documents(docs[:1], RULES, model, "blend")[0]
    assert blend.model == f"blend({RULES.version}+m-v0@emb@1)"
    assert score_documents(docs, RULES, None, "blend")[0].method == "rules"
    with pytest.raises(ValueError):
        score_documents(docs, RULES, model, "oracle")


def test_missing_model_file_is_a_warning_not_a_crash(monkeypatch, caplog):
    from importlib import resources

    monkeypatch.setattr("nlp.relevance.MODEL_FILE", "no-such-model.json")
    assert load_model() is None
    assert "falls back to the rules" in caplog.text
    assert resources.files("nlp").joinpath("relevance_model.json").is_file()


def test_labels_are_well_formed():
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 400 and len({r["id"] for r in rows}) == len(rows)
    assert {r["split"] for r in rows} == {"dev", "heldout"}
    assert all(r["label"] in (0, 1) and r["url"].startswith("https://") and r["title"] for r in rows)
    heldout = [r for r in rows if r["split"] == "heldout"]
    dev_days = {r["published"] for r in rows if r["split"] == "dev"}
    assert len(heldout) >= 200 and not {r["published"] for r in heldout} & dev_days


# Pinned floors, measured by benchmarks/relevance.py on the held-out split (docs/quality.md,
# "Relevance"): rules P 0.808 R 0.922; blend P 0.908 R 0.922. A change that lowers them has to
# say so here.
@pytest.fixture(scope="module")
def heldout():
    rows = [r for r in load_labelled(LABELS) if r.split == "heldout"]
    return rows, snapshot_index(ROOT / "demo" / "snapshot")


def test_quality_gate_rules_on_the_heldout_half(heldout):
    rows, index = heldout
    res = [RULES.score(doc_of(index[r.id])) for r in rows]
    m = metrics([r.label for r in rows], [x.score for x in res], FLOOR)
    assert m.precision >= 0.80 and m.recall >= 0.90, m


@pytest.mark.slow
def test_quality_gate_blend_on_the_heldout_half(heldout):
    from nlp.embed import load_minilm

    rows, index = heldout
    recs = [index[r.id] for r in rows]
    vecs = embed_records(recs, load_minilm(), SETTINGS.nlp.embed_chars,
                         SETTINGS.nlp.embed_title_weight)
    docs = [doc_of(rec, v) for rec, v in zip(recs, vecs, strict=True)]
    labels = [r.label for r in rows]
    blend = score_documents(docs, RULES, load_model(), "blend")
    assert {r.method for r in blend} == {"blend"}
    m = metrics(labels, [x.score for x in blend], FLOOR)
    assert m.precision >= 0.90 and m.recall >= 0.90, m
    clf = metrics(labels, [x.score for x in score_documents(docs, RULES, load_model(),
                                                            "classifier")], FLOOR)
    assert clf.precision >= 0.82 and clf.recall >= 0.84, clf
