"""Delivery: files + Atom feed, SMTP to a local aiosmtpd server, and a broken server."""

from __future__ import annotations

import email
import socket
import xml.etree.ElementTree as ET
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from test_briefs_digest import DAY, store  # noqa: F401 - the seeded store fixture
from test_briefs_support import TAXONOMY, HashingEncoder

from briefs.deliver import deliver
from briefs.digest import build_digest
from briefs.render import render_json
from config.errors import NotFoundError
from config.settings import load_settings
from store.digests import load_digest


class Inbox(Message):
    """aiosmtpd handler that keeps every received message."""

    def __init__(self):
        super().__init__(message_class=email.message.EmailMessage)
        self.messages: list[email.message.EmailMessage] = []

    def handle_message(self, message):
        self.messages.append(message)


class Refuses(Inbox):
    """A server that accepts connections but fails every DATA with 451."""

    async def handle_DATA(self, server, session, envelope):
        return "451 4.3.0 local problem, try later"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp_server():
    servers = []

    def start(handler):
        ctl = Controller(handler, hostname="127.0.0.1", port=_free_port())
        ctl.start()
        servers.append(ctl)
        return ctl

    yield start
    for ctl in servers:
        ctl.stop()


def _settings(tmp_path, port, retries=3):
    return load_settings(
        db_path=tmp_path / "x.duckdb",
        out_dir=tmp_path / "out",
        digest={
            "smtp": {
                "host": "127.0.0.1", "port": port, "recipients": ["analyst@example.org"],
                "retries": retries, "backoff_s": 0.01, "timeout_s": 5,
            }
        },
    )  # fmt: skip


def test_email_and_files(store, tmp_path, smtp_server):  # noqa: F811
    inbox = Inbox()
    ctl = smtp_server(inbox)
    settings = _settings(tmp_path, ctl.port)
    digest = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "zh-TW")
    report = deliver(store, digest.id, settings)
    assert report.email_sent is True and report.attempts == 1 and report.error is None
    assert len(inbox.messages) == 1
    msg = email.message_from_bytes(inbox.messages[0].as_bytes(), policy=policy.default)
    assert "政策雷達晨報 2025-04-03" in msg["Subject"]
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    # the hostile title is escaped in the email too, and no javascript: link survives
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html.lower()
    assert "<script>" not in text and "&lt;script&gt;" in text
    names = sorted(p.name for p in report.files)
    assert names == [
        "digest-2025-04-03-default-zh-TW.html", "digest-2025-04-03-default-zh-TW.json",
        "digest-2025-04-03-default-zh-TW.md", "digests-default-zh-TW.atom",
    ]  # fmt: skip
    feed = ET.parse(tmp_path / "out" / "digests-default-zh-TW.atom").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    content = feed.find("a:entry/a:content", ns).text
    assert content == load_digest(store, digest.id).html
    assert store.execute("SELECT count(*) FROM item_errors").fetchone()[0] == 0


@pytest.mark.parametrize("broken", ["refused-connection", "451-on-data"])
def test_broken_smtp_keeps_digest_and_files(store, tmp_path, smtp_server, broken):  # noqa: F811
    if broken == "refused-connection":
        port = _free_port()  # nothing listens there
    else:
        port = smtp_server(Refuses()).port
    settings = _settings(tmp_path, port, retries=3)
    waits: list[float] = []
    digest = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "en")
    report = deliver(store, digest.id, settings, sleep=waits.append)
    assert report.email_sent is False and report.attempts == 3
    assert waits == [0.01, 0.02]  # retried with backoff
    assert all(p.exists() and p.stat().st_size > 0 for p in report.files)
    assert load_digest(store, digest.id).items  # still stored
    stage, item, kind, reason = store.execute(
        "SELECT stage, item, kind, reason FROM item_errors"
    ).fetchone()
    assert (stage, item, kind) == ("deliver:email", digest.id, "transient")
    assert "after 3 attempt(s)" in reason


def test_no_recipients_is_recorded_not_raised(store, tmp_path):  # noqa: F811
    settings = load_settings(
        db_path=tmp_path / "x.duckdb", out_dir=tmp_path / "out",
        digest={"smtp": {"host": "127.0.0.1", "port": _free_port(), "recipients": []}},
    )  # fmt: skip
    digest = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "en")
    report = deliver(store, digest.id, settings, sleep=lambda s: None)
    assert report.email_sent is False and report.attempts == 0
    assert "recipients is empty" in report.error
    assert len(report.files) == 4


def test_json_file_matches_render_json(store, tmp_path):  # noqa: F811
    settings = load_settings(db_path=tmp_path / "x.duckdb", out_dir=tmp_path / "out")
    digest = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "en")
    report = deliver(store, digest.id, settings)
    assert report.email_sent is None and report.attempts == 0
    json_file = next(p for p in report.files if p.suffix == ".json")
    assert json_file.read_text(encoding="utf-8") == render_json(digest)
    with pytest.raises(NotFoundError):
        deliver(store, "2025-01-01:default:en", settings)
