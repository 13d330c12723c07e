"""Web UI security pieces: password hashes, signed sessions, CSRF tokens, sanitised Markdown,
local-only redirects, the users check at start; over real HTTP, request body limits and the
security headers on every response, errors included."""

from __future__ import annotations

import re
import select
import socket

import pytest
from fastapi import Request

from config.errors import ConfigError
from config.settings import WebSettings, load_settings
from tests.webserver import PASSWORD, SECRET_ENV, USER, WebServer, csrf_of, login, web_settings
from web import auth
from web.render import local_path, markdown_html, url_host

KEY = b"k" * 32


def test_password_hashes_verify_and_differ_per_salt():
    h1, h2 = auth.hash_password("s3cret"), auth.hash_password("s3cret")
    assert h1 != h2 and h1.startswith("scrypt:")
    assert auth.verify_password("s3cret", h1)
    assert not auth.verify_password("S3cret", h1)
    assert not auth.verify_password("s3cret", "plain-text")


def test_login_needs_a_configured_user_and_its_password():
    web = WebSettings(users={"ana": auth.hash_password("pw")})
    assert auth.check_login(web, "ana", "pw")
    assert not auth.check_login(web, "ana", "nope")
    assert not auth.check_login(web, "bob", "pw")


def test_no_users_or_plain_passwords_refuse_to_start():
    with pytest.raises(ConfigError, match="no users"):
        auth.validate_users(WebSettings())
    with pytest.raises(ConfigError, match="scrypt"):
        auth.validate_users(WebSettings(users={"ana": "hunter2"}))


def test_sessions_are_signed_and_expire():
    s = auth.new_session("ana", hours=1)
    cookie = auth.encode_session(KEY, s)
    got = auth.decode_session(KEY, cookie)
    assert (got.sid, got.user, int(got.expires)) == (s.sid, s.user, int(s.expires))
    payload, sig = cookie.rsplit(".", 1)
    forged = auth.encode_session(KEY, auth.new_session("admin", 1)).rsplit(".", 1)[0]
    assert auth.decode_session(KEY, f"{forged}.{sig}") is None
    assert auth.decode_session(b"other key" * 4, cookie) is None
    assert auth.decode_session(KEY, cookie, now=s.expires + 1) is None
    assert auth.decode_session(KEY, "garbage") is None


def test_csrf_tokens_belong_to_one_session():
    a, b = auth.new_session(None, 1), auth.new_session(None, 1)
    token = auth.csrf_token(KEY, a)
    assert auth.csrf_ok(KEY, a, token)
    assert not auth.csrf_ok(KEY, b, token)
    assert not auth.csrf_ok(KEY, a, "")


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "[x](JaVaScRiPt:alert(1))",
    "<svg onload=alert(1)>",
])
def test_markdown_is_sanitised(payload):
    html = str(markdown_html(f"# t\n\n{payload}\n\n[ok](https://www.whitehouse.gov/x)"))
    lowered = html.lower()
    assert not re.search(r"<(script|svg|img)\b", lowered)  # as text they are escaped: &lt;
    assert not re.search(r"<[^>]*\son\w+\s*=", lowered)  # no event handler inside a tag
    assert not re.search(r"<a\b[^>]*href=\"?\s*javascript", lowered)
    assert '<a href="https://www.whitehouse.gov/x"' in html


@pytest.mark.parametrize(("value", "expected"), [
    ("/stories/abc?x=1", "/stories/abc?x=1"),
    ("//evil.example/x", "/"),
    ("https://evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("", "/"),
])
def test_redirect_targets_stay_on_this_site(value, expected):
    assert local_path(value) == expected


def test_webhook_targets_are_shown_without_their_secret_path():
    assert url_host("https://hooks.slack.com/services/T000/B000/XXXXsecret") == (
        "https://hooks.slack.com/…")
    assert url_host("not a url") == "…"


# --- the app over real HTTP: request body limits, security headers on every response -------

def _raw_request(port: int, head: str, chunks, chunked: bool = False) -> tuple[int, dict, int]:
    """Send a request on a plain socket, stop sending as soon as the server answers.

    Returns:
        (status, lower-cased headers, body bytes sent before the answer came).
    """
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)  # "sent" ~ what was read
        sock.sendall(head.encode("latin-1"))
        try:
            for chunk in chunks:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server has answered (or closed): stop uploading
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                sent += len(chunk)
            else:
                if chunked:
                    sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        while b"\r\n\r\n" not in data:
            got = sock.recv(65536)
            if not got:
                break
            data += got
    status_line, *lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, v in
                   (line.split(":", 1) for line in lines if ":" in line))
    return int(status_line.split()[1]), headers, sent


def _assert_security_headers(headers) -> None:
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"


@pytest.fixture
def server(tmp_path, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "test key " * 4)
    with WebServer(web_settings(tmp_path, max_body_bytes=100_000)) as s:
        yield s


def test_the_body_limit_is_a_setting_of_about_a_megabyte():
    assert 500_000 <= WebSettings().max_body_bytes <= 2_000_000
    assert load_settings().web.max_body_bytes == WebSettings().max_body_bytes


def test_a_declared_huge_body_is_refused_before_it_is_read(server):
    head = ("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            "\r\nContent-Length: 300000000\r\n\r\n")
    status, headers, sent = _raw_request(server.port, head, (b"a" * 65536 for _ in range(4)))
    assert status == 413 and sent < 300_000
    _assert_security_headers(headers)


def test_a_streamed_body_is_cut_at_the_limit(server):
    head = ("POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            "\r\nTransfer-Encoding: chunked\r\n\r\n")
    status, headers, sent = _raw_request(server.port, head,
                                         (b"a" * 65536 for _ in range(800)), chunked=True)
    assert status == 413 and sent < 5_000_000, sent  # 52 MB if nobody stops the upload
    _assert_security_headers(headers)


def test_multipart_is_refused_where_no_route_takes_files(server):
    with server.client() as client:
        token = csrf_of(client)
        got = client.post("/login", data={"csrf": token, "username": USER, "password": PASSWORD},
                          files={"upload": ("x.bin", b"\0" * 1000)})
    assert got.status_code == 415
    _assert_security_headers(got.headers)
    with server.client() as client:  # the same form urlencoded logs in
        assert login(client).status_code == 303


def _boom(request: Request):
    raise RuntimeError("a bug in a route")


@pytest.fixture
def logged_in(tmp_path, monkeypatch):
    """A server (with a route that raises) and a logged-in client."""
    from web.app import create_app

    monkeypatch.setenv(SECRET_ENV, "test key " * 4)
    settings = web_settings(tmp_path, max_body_bytes=100_000)
    app = create_app(settings)
    app.add_api_route("/boom", _boom)
    with WebServer(settings, app) as server, server.client() as client:
        assert login(client).status_code == 303
        yield server, client


def test_bad_filter_dates_are_a_400_with_a_message_in_the_ui_language(logged_in):
    _, client = logged_in
    got = client.get("/search", params={"q": "tariff", "since": "0001-01-01"})
    assert got.status_code == 400
    assert "「起日」不是可用的日期：0001-01-01" in got.text
    _assert_security_headers(got.headers)
    client.cookies.set("radar_lang", "en")
    got = client.get("/search", params={"q": "tariff", "until": "<b>2025-13-01</b>"})
    assert got.status_code == 400
    assert "“To” is not a usable date: &lt;b&gt;2025-13-01&lt;/b&gt;" in got.text


def test_a_parameter_of_the_wrong_type_is_a_400_page_not_framework_json(logged_in):
    _, client = logged_in
    got = client.get("/drafts/some-draft", params={"v": "<script>1</script>"})
    assert got.status_code == 400 and got.headers["content-type"].startswith("text/html")
    assert "參數有誤：v" in got.text and "<script>1" not in got.text
    _assert_security_headers(got.headers)
    client.cookies.set("radar_lang", "en")
    assert "Invalid parameter: v" in client.get("/drafts/x", params={"v": "x"}).text


def test_a_bad_date_on_the_quick_comment_form_is_a_400_before_any_work_starts(logged_in):
    _, client = logged_in
    token = csrf_of(client, "/comment")
    got = client.post("/comment", data={"csrf": token, "query": "de minimis",
                                        "since": "0001-01-01"})
    assert got.status_code == 400 and "「起日」不是可用的日期：0001-01-01" in got.text


def test_every_response_carries_the_security_headers_errors_included(logged_in, caplog):
    server, client = logged_in
    with caplog.at_level("ERROR"):
        crashed = client.get("/boom")
    assert crashed.status_code == 500 and "a bug in a route" not in crashed.text
    assert "系統發生未預期的錯誤" in crashed.text
    assert any(r.exc_info and "a bug in a route" in str(r.exc_info[1]) for r in caplog.records)
    answers = [crashed, client.get("/no-such-page"), client.get("/stories/no-such-story"),
               client.get("/search", params={"q": "x", "since": "0001-01-01"}),
               client.post("/watch", content=b"a" * 200_000,
                           headers={"Content-Type": "application/x-www-form-urlencoded"}),
               client.post("/watch", data={"name": "x"}),  # no CSRF token: 403
               client.get("/sources"), client.get("/login"), server.client().get("/digest")]
    assert [a.status_code for a in answers] == [500, 404, 404, 400, 413, 403, 200, 200, 303]
    for answer in answers:
        _assert_security_headers(answer.headers)


def test_the_outer_guard_answers_with_headers_whatever_escapes_inside():
    """The last line: an exception outside every route and handler (here the whole app)."""
    from web.guard import RequestGuard

    async def broken(scope, receive, send):
        if scope["type"] == "http":
            raise RuntimeError("a bug in a middleware")

    app = RequestGuard(broken, max_body_bytes=1000, default_lang="en")
    with WebServer(None, app) as server, server.client() as client:
        got = client.get("/anything")
    assert got.status_code == 500 and got.text.startswith("An unexpected error occurred")
    _assert_security_headers(got.headers)
