"""Alerts: one notification per story (also after merges), webhook and email
delivery to real loopback servers, retries of failed deliveries, records in DuckDB."""

from __future__ import annotations

import json
import socket
import threading
import unicodedata
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alerts.notify import one_line
from alerts.run import run_alerts
from config.errors import ConfigError
from config.settings import load_settings
from store.db import open_reader, opened
from store.watchlists import save_watchlist

NOW = datetime(2025, 4, 3, 7, 0, tzinfo=UTC)


class Hooks:
    """A loopback webhook receiver; `fail` makes it answer 500."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.fail = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail:
                    self.send_response(500)
                else:
                    outer.bodies.append(json.loads(body))
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hooks():
    h = Hooks()
    yield h
    h.stop()


def _settings(tmp_path, watches, **extra):
    return load_settings(db_path=tmp_path / "radar.duckdb", out_dir=tmp_path / "out",
                         alerts={"watch": watches, "story_url": "http://ui.local/stories/{story_id}",
                                 "max_attempts": 2, "timeout_s": 5}, **extra)


def _doc(con, doc_id, story, title, text="", country="US", source="src-us", seen=NOW,
         topics=()):
    con.execute("INSERT INTO sources (id, name, country, kind, url) VALUES (?, ?, ?, 'feed', "
                "'https://example.gov/feed') ON CONFLICT DO NOTHING", [source, source, country])
    con.execute(
        "INSERT INTO documents (id, url, canonical_url, source_id, title, text, first_seen_at, "
        "updated_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [doc_id, f"https://example.gov/{doc_id}", f"https://example.gov/{doc_id}", source, title,
         text, seen, seen, doc_id])
    con.execute("INSERT INTO stories (id, title, first_seen_at, last_seen_at, size, model, "
                "updated_at) VALUES (?, ?, ?, ?, 1, 'm', ?) ON CONFLICT DO NOTHING",
                [story, title, seen, seen, seen])
    con.execute("INSERT INTO story_members VALUES (?, ?, 1.0, ?, 'm')", [doc_id, story, seen])
    for t in topics:
        con.execute("INSERT INTO tags VALUES (?, 'topic', ?, 1.0, NULL, 'm')", [doc_id, t])


def _alerts(settings):
    with open_reader(settings) as con:
        return con.execute("SELECT watch_id, story_id, doc_id, status, attempts, link "
                           "FROM alerts ORDER BY created_at, story_id").fetchall()


def test_one_webhook_per_story_with_link_never_twice(tmp_path, hooks):
    settings = _settings(tmp_path, [{"id": "dm", "query": '"de minimis"', "target": hooks.url}])
    with opened(settings.db_path) as con:
        _doc(con, "d1", "s1", "US ends de minimis for Chinese parcels")
        _doc(con, "d2", "s1", "CBP guidance on de minimis entries")
        _doc(con, "d3", "s2", "Chips act grants")
    counts = run_alerts(settings, now=NOW)
    assert (counts.new, counts.sent, counts.failed) == (1, 1, 0)
    (body,) = hooks.bodies
    assert body["story_url"] == "http://ui.local/stories/s1" and body["watch"] == "dm"
    assert body["document"]["url"] == "https://example.gov/d1"
    assert _alerts(settings) == [("dm", "s1", "d1", "sent", 1, "http://ui.local/stories/s1")]

    assert run_alerts(settings, now=NOW).new == 0  # the same story again: nothing
    with opened(settings.db_path) as con:
        _doc(con, "d4", "s1", "More on de minimis", seen=NOW + timedelta(hours=1))
        _doc(con, "d5", "s3", "EU to end de minimis too", seen=NOW + timedelta(hours=1))
    assert run_alerts(settings, now=NOW + timedelta(hours=1)).new == 1
    assert [b["story_id"] for b in hooks.bodies] == ["s1", "s3"]


def test_a_story_merged_into_another_is_not_notified_again(tmp_path, hooks):
    settings = _settings(tmp_path, [{"id": "dm", "query": "de minimis", "target": hooks.url}])
    with opened(settings.db_path) as con:
        _doc(con, "d1", "s1", "de minimis ends")
    run_alerts(settings, now=NOW)
    with opened(settings.db_path) as con:  # s1 was merged into s9; a new document joins s9
        _doc(con, "d2", "s9", "de minimis: the rules", seen=NOW + timedelta(minutes=5))
        con.execute("UPDATE stories SET status = 'merged', merged_into = 's9' WHERE id = 's1'")
        con.execute("UPDATE story_members SET story_id = 's9' WHERE doc_id = 'd1'")
    assert run_alerts(settings, now=NOW + timedelta(minutes=5)).new == 0
    assert len(hooks.bodies) == 1


def test_ui_watchlists_with_a_channel_alert_like_config_entries(tmp_path, hooks):
    settings = _settings(tmp_path, [{"id": "dm", "query": '"de minimis"', "target": hooks.url}])
    with opened(settings.db_path) as con:
        _doc(con, "d1", "s1", "US ends de minimis for Chinese parcels", topics=["trade"])
        _doc(con, "d2", "s2", "Export controls on chips", topics=["tech"])
        quiet = save_watchlist(con, "page only", "chips", "amy")
        loud = save_watchlist(con, "晶片", "chips OR semiconductor", "amy", topics=("tech",),
                              channel="webhook", target=hooks.url)
        broken = save_watchlist(con, "old rules", "tariff", "amy", channel="webhook",
                                target=hooks.url)
        # a query saved under older rules that no longer parses: left out, counted, the rest run
        con.execute("UPDATE watchlists SET query = '\"unclosed' WHERE id = ?", [broken])
    counts = run_alerts(settings, now=NOW)
    assert (counts.new, counts.sent, counts.invalid) == (2, 2, 1)
    got = sorted((b["watch"], b["story_id"]) for b in hooks.bodies)
    assert got == [("dm", "s1"), (f"ui:{loud}", "s2")]
    assert all(b["watch"] != f"ui:{quiet}" for b in hooks.bodies)
    assert run_alerts(settings, now=NOW).new == 0  # once per story, as for config entries


def test_filters_and_lookback(tmp_path, hooks):
    watches = [{"id": "eu-trade", "query": "tariff", "countries": ["eu"], "topics": ["trade"],
                "target": hooks.url}]
    settings = _settings(tmp_path, watches)
    with opened(settings.db_path) as con:
        _doc(con, "us", "s1", "tariff news", country="US", source="us", topics=["trade"])
        _doc(con, "eu-ai", "s2", "tariff news", country="EU", source="eu", topics=["ai"])
        _doc(con, "old", "s3", "tariff news", country="EU", source="eu", topics=["trade"],
             seen=NOW - timedelta(days=5))
        _doc(con, "eu", "s4", "tariff news", country="EU", source="eu", topics=["trade", "ai"])
    assert run_alerts(settings, now=NOW).new == 1
    assert [b["story_id"] for b in hooks.bodies] == ["s4"]


def test_a_failed_delivery_is_retried_up_to_the_limit(tmp_path, hooks):
    settings = _settings(tmp_path, [{"id": "w", "query": "chips", "target": hooks.url}])
    with opened(settings.db_path) as con:
        _doc(con, "d1", "s1", "CHIPS grants")
    hooks.fail = True
    assert run_alerts(settings, now=NOW).failed == 1
    assert _alerts(settings)[0][3:5] == ("failed", 1)
    hooks.fail = False
    counts = run_alerts(settings, now=NOW)
    assert (counts.retried, counts.sent, counts.new) == (1, 1, 0)
    assert _alerts(settings)[0][3:5] == ("sent", 2) and len(hooks.bodies) == 1

    with opened(settings.db_path) as con:
        _doc(con, "d2", "s2", "chips export rules")
    hooks.fail = True
    run_alerts(settings, now=NOW)
    run_alerts(settings, now=NOW)
    assert run_alerts(settings, now=NOW).retried == 0  # max_attempts = 2 reached
    with open_reader(settings) as con:
        assert con.execute("SELECT status, attempts, error FROM alerts WHERE story_id = 's2'"
                           ).fetchone()[:2] == ("given_up", 2)


class Inbox:
    """A real SMTP server (aiosmtpd) on a loopback port that keeps the messages it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        outer = self
        self.messages: list[EmailMessage] = []

        class Handler(Message):
            def __init__(self):
                super().__init__(message_class=EmailMessage)

            def handle_message(self, message):
                outer.messages.append(message)

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def smtp(self) -> dict:
        return {"smtp": {"host": "127.0.0.1", "port": self.port, "timeout_s": 5}}


@pytest.fixture
def inbox():
    box = Inbox()
    yield box
    box.controller.stop()


def test_email_alert_through_a_real_smtp_server_with_safe_headers(tmp_path, inbox):
    settings = _settings(tmp_path, [{"id": "dm", "query": "de minimis", "channel": "email",
                                     "target": "a@example.org, b@example.org"}],
                         digest=inbox.smtp())
    with opened(settings.db_path) as con:
        _doc(con, "d1", "s1", "De minimis\r\nBcc: victim@example.org ends")
    assert run_alerts(settings, now=NOW).sent == 1
    (msg,) = inbox.messages
    assert "\n" not in msg["Subject"] and msg["Bcc"] is None
    assert msg["To"] == "a@example.org, b@example.org"
    assert "http://ui.local/stories/s1" in msg.get_payload(decode=True).decode()


# Every character Python's str.splitlines() breaks on, the C1 controls, bidi overrides and
# zero-width format characters, and a lone surrogate (which no mail encoder accepts).
HOSTILE = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\r\n",
           "\x9b", "\u202e", "\u200b", "\ufeff", "\ud800"]


@pytest.mark.parametrize("char", HOSTILE)
def test_one_line_strips_every_line_separator_and_control_character(char):
    text = one_line(f"Tariffs on chips{char}Bcc: victim@example.org")
    assert text.splitlines() == [text]
    assert not [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    assert text.startswith("Tariffs on chips") and text.endswith("Bcc: victim@example.org")
    msg = EmailMessage()
    msg["Subject"] = text  # raised ValueError for U+2028, U+2029, U+0085, ...
    assert msg.as_bytes()


def test_email_alerts_with_unicode_line_separators_in_the_title_are_sent(tmp_path, inbox):
    settings = _settings(tmp_path, [{"id": "dm", "query": "de minimis", "channel": "email",
                                     "target": "a@example.org"}], digest=inbox.smtp())
    with opened(settings.db_path) as con:
        for i, char in enumerate(("\u2028", "\u2029", "\x85")):
            _doc(con, f"d{i}", f"s{i}", f"De minimis{char}Bcc: victim@example.org ends")
    counts = run_alerts(settings, now=NOW)
    assert (counts.sent, counts.failed) == (3, 0)
    assert [a[3] for a in _alerts(settings)] == ["sent"] * 3
    assert len(inbox.messages) == 3
    for msg in inbox.messages:
        assert msg["Bcc"] is None and msg["Subject"].startswith("[policy-radar] dm: De minimis")


def test_a_delivery_that_raises_is_recorded_and_the_others_are_sent(tmp_path, hooks):
    """httpx raises InvalidURL (not an HTTPError) for a control character in a webhook URL
    from radar.toml: that alert fails with its reason, is retried on later passes up to
    alerts.max_attempts and then given up, and the other watch's alert goes out."""
    settings = _settings(tmp_path, [{"id": "broken", "query": "chips", "target": hooks.url + "\x00"},
                                    {"id": "ok", "query": "chips", "target": hooks.url}])
    with opened(settings.db_path) as con:
        _doc(con, "d1", "s1", "CHIPS grants")
    counts = run_alerts(settings, now=NOW)
    assert (counts.new, counts.sent, counts.failed) == (2, 1, 1)
    assert [b["watch"] for b in hooks.bodies] == ["ok"]

    def status(watch):
        with open_reader(settings) as con:
            return con.execute("SELECT status, attempts, error FROM alerts WHERE watch_id = ?",
                               [watch]).fetchone()

    state, attempts, error = status("broken")
    assert (state, attempts) == ("failed", 1) and "InvalidURL" in error
    assert status("ok")[:2] == ("sent", 1)
    counts = run_alerts(settings, now=NOW)  # the second attempt (max_attempts = 2) fails too
    assert (counts.retried, counts.failed, counts.given_up) == (1, 1, 1)
    state, attempts, error = status("broken")
    assert (state, attempts) == ("given_up", 2)
    assert error.startswith("gave up after 2 attempts: ") and "InvalidURL" in error
    assert run_alerts(settings, now=NOW).retried == 0
    assert [b["watch"] for b in hooks.bodies] == ["ok"]


def test_email_without_smtp_is_recorded_as_failed(tmp_path):
    settings = _settings(tmp_path, [{"id": "dm", "query": "de minimis", "channel": "email",
                                     "target": "a@example.org"}])
    with opened(settings.db_path) as con:
        _doc(con, "d1", "s1", "de minimis")
    assert run_alerts(settings, now=NOW).failed == 1
    with open_reader(settings) as con:
        assert "smtp" in con.execute("SELECT error FROM alerts").fetchone()[0]


def test_duplicate_watch_ids_are_a_config_error(tmp_path):
    settings = _settings(tmp_path, [{"id": "x", "query": "a", "target": "http://h/"},
                                    {"id": "x", "query": "b", "target": "http://h/"}])
    with pytest.raises(ConfigError):
        run_alerts(settings, now=NOW)


@pytest.mark.slow
def test_alerts_after_a_real_crawl_and_enrichment(tmp_path, mirror, hooks, prefect_harness):
    """The enrich flow sends alerts for new stories matching a watch; a rerun sends none."""
    from crawlers.crawl import CrawlWindow, crawl
    from crawlers.registry import load_registry
    from flows.enrich import enrich_flow

    overrides = {"db_path": str(tmp_path / "radar.duckdb"), "spool_dir": str(tmp_path / "spool"),
                 "crawl": {"host_map": mirror.host_map(), "per_host_delay_s": 0.0},
                 "alerts": {"watch": [{"id": "tariffs", "query": "tariff OR tariffs",
                                       "target": hooks.url}], "lookback_hours": 24 * 3650}}
    settings = load_settings(**overrides)
    window = CrawlWindow(since=datetime(2025, 3, 31, tzinfo=UTC),
                         until=datetime(2025, 4, 3, tzinfo=UTC), replay=True)
    with opened(settings.db_path) as con:
        crawl(con, settings, load_registry(None), ["fr-trade-technology"], window)
    counts = enrich_flow(overrides=overrides)
    assert counts["alerts"]["sent"] >= 1 and counts["alerts"]["failed"] == 0, counts
    with open_reader(settings) as con:
        stories = {r[0] for r in con.execute(
            "SELECT DISTINCT m.story_id FROM documents d JOIN story_members m ON m.doc_id = d.id "
            "WHERE regexp_matches(lower(d.title || ' ' || d.text), '\\btariffs?\\b')").fetchall()}
    assert {b["story_id"] for b in hooks.bodies} == stories
    assert len(hooks.bodies) == len(stories)
    again = enrich_flow(overrides=overrides)
    assert again["alerts"]["new"] == 0 and len(hooks.bodies) == len(stories)
