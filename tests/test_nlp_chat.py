"""nlp/chat.py: the model folder is found or the error names the settings section; an
OpenAI-compatible endpoint (a real loopback server) answers, or fails as transient (429, 5xx,
network) or as bad input (any other refusal, an answer without a message)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config.errors import BadInputError, ConfigError, TransientError
from nlp.chat import EndpointChat, resolve_model_dir


class _Endpoint(BaseHTTPRequestHandler):
    answers: list[tuple[int, str]] = []
    bodies: list[dict] = []

    def do_POST(self):  # noqa: N802
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        status, text = self.answers.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Endpoint.answers, _Endpoint.bodies = [], []
    yield _Endpoint, f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_model_folder_errors_name_the_settings_section(tmp_path):
    assert resolve_model_dir(str(tmp_path)) == tmp_path
    with pytest.raises(ConfigError, match=r"^translate\.model_dir .* is not a directory"):
        resolve_model_dir(str(tmp_path / "missing"), section="translate")
    with pytest.raises(ConfigError, match=r"^commentary\.model_package 'no_such_pkg_x'"):
        resolve_model_dir("", "no_such_pkg_x")
    with pytest.raises(ConfigError, match="translate.model_dir or translate.model_package"):
        resolve_model_dir("", "", section="translate")


def test_endpoint_answers_and_refusals(endpoint):
    handler, url = endpoint
    chat = EndpointChat(url, "m1", api_key="k", max_tokens=12)
    assert chat.model == f"m1@{url}"
    handler.answers = [(200, json.dumps({"choices": [{"message": {"content": "好"}}]})),
                       (429, "{}"), (503, "{}"), (400, '{"error": "no"}'), (200, "{}")]
    assert chat.complete([{"role": "user", "content": "hi"}]) == "好"
    assert handler.bodies[0] == {"model": "m1", "messages": [{"role": "user", "content": "hi"}],
                                 "temperature": 0, "max_tokens": 12}
    for _ in range(2):
        with pytest.raises(TransientError):
            chat.complete([])
    with pytest.raises(BadInputError, match="answered 400"):
        chat.complete([])
    with pytest.raises(BadInputError, match="gave no message"):
        chat.complete([])


def test_an_unreachable_endpoint_is_transient():
    with pytest.raises(TransientError):
        EndpointChat("http://127.0.0.1:9/v1", "m1", timeout_s=2).complete([])
