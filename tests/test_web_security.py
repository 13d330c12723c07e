"""Web UI security pieces: password hashes, signed sessions, CSRF tokens, sanitised Markdown,
local-only redirects, and the users check at start."""

from __future__ import annotations

import re

import pytest

from radar.errors import ConfigError
from radar.settings import WebSettings
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
