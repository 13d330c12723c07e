"""Deliver a stored digest: files (HTML, Markdown, JSON, Atom feed) and SMTP email with retries."""

from __future__ import annotations

import logging
import os
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import duckdb

from briefs.i18n import strings
from briefs.records import Digest
from briefs.render import render_atom, render_html, render_json, render_markdown
from radar.errors import ConfigError
from radar.settings import Settings, SmtpSettings
from store.digests import recent_digests, record_delivery_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    """What delivery did: files written, and the email outcome (None when email is off)."""

    digest_id: str
    files: tuple[Path, ...]
    email_sent: bool | None
    attempts: int
    error: str | None


@dataclass(frozen=True)
class Rendered:
    """A digest rendered once for every channel."""

    html: str
    markdown: str
    json: str


def render_all(digest: Digest) -> Rendered:
    """HTML, Markdown and JSON of a digest."""
    return Rendered(render_html(digest), render_markdown(digest), render_json(digest))


def _write_atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def file_stem(digest: Digest) -> str:
    """Base file name of a digest's outputs."""
    return f"digest-{digest.date.isoformat()}-{digest.profile}-{digest.lang}"


def write_feed(con: duckdb.DuckDBPyConnection, out_dir: Path, profile: str, lang: str) -> Path:
    """(Re)write the Atom feed of the latest stored digests of a profile and language."""
    text = strings(lang)
    rows = recent_digests(con, profile, lang)
    entries = [
        (r.id, r.generated_at, f"{text['title']} {r.digest_date.isoformat()}", r.html or "")
        for r in rows
    ]
    feed = render_atom(
        entries,
        feed_id=f"urn:policy-radar:digests:{profile}:{lang}",
        title=f"{text['title']} · {profile}",
    )
    return _write_atomic(Path(out_dir) / f"digests-{profile}-{lang}.atom", feed)


def write_files(digest: Digest, rendered: Rendered, out_dir: Path) -> list[Path]:
    """Write the HTML, Markdown and JSON files of a digest (atomically, replacing older ones)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = file_stem(digest)
    return [
        _write_atomic(out / f"{stem}.html", rendered.html),
        _write_atomic(out / f"{stem}.md", rendered.markdown),
        _write_atomic(out / f"{stem}.json", rendered.json),
    ]


def build_email(digest: Digest, rendered: Rendered, smtp: SmtpSettings) -> EmailMessage:
    """A multipart/alternative email: the Markdown as text/plain, the escaped HTML as text/html.

    Raises:
        ConfigError: no recipients are configured.
    """
    if not smtp.recipients:
        raise ConfigError("digest.smtp.recipients is empty")
    text = strings(digest.lang)
    msg = EmailMessage()
    msg["Subject"] = f"{text['title']} {digest.date.isoformat()} · {digest.profile}"
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.recipients)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring=digest.id.replace(":", "."), domain="policy-radar")
    msg.set_content(rendered.markdown)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def _send_once(msg: EmailMessage, smtp: SmtpSettings) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, os.environ.get(smtp.password_env, ""))
        refused = client.send_message(msg)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)


def _permanent(exc: Exception) -> bool:
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def send_email(
    msg: EmailMessage, smtp: SmtpSettings, sleep: Callable[[float], None] = time.sleep
) -> tuple[int, str | None]:
    """Send with up to `smtp.retries` attempts and exponential backoff.

    A permanent refusal (5xx) is not retried.

    Returns:
        (attempts used, None) when sent, else (attempts used, reason of the last failure).
    """
    attempts = max(1, smtp.retries)
    for attempt in range(1, attempts + 1):
        try:
            _send_once(msg, smtp)
            return attempt, None
        except (smtplib.SMTPException, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("smtp attempt %d/%d failed: %s", attempt, attempts, reason)
            if attempt == attempts or _permanent(exc):
                return attempt, f"email not sent after {attempt} attempt(s): {reason}"
            sleep(smtp.backoff_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def deliver(
    con: duckdb.DuckDBPyConnection,
    digest: Digest,
    settings: Settings,
    *,
    out_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Write a (stored) digest's files and feed, then email it when SMTP is configured.

    Files come first so a broken mail server loses nothing; a failed email (after
    its retries) is recorded in `item_errors` and reported, not raised.

    Args:
        con: store connection (the digest is already saved by `build_digest`).
        digest: the digest.
        settings: loaded settings (`out_dir`, `digest.smtp`).
        out_dir: where files go (default `settings.out_dir`).
        sleep: waits between SMTP attempts (injectable for tests).
    """
    rendered = render_all(digest)
    target = Path(out_dir or settings.out_dir)
    files = write_files(digest, rendered, target)
    files.append(write_feed(con, target, digest.profile, digest.lang))
    smtp = settings.digest.smtp
    if not smtp.host:
        return DeliveryReport(digest.id, tuple(files), None, 0, None)
    try:
        msg = build_email(digest, rendered, smtp)
    except ConfigError as exc:
        attempts, error = 0, str(exc)
    else:
        attempts, error = send_email(msg, smtp, sleep)
    if error is not None:
        record_delivery_error(con, digest.id, "email", error, datetime.now(UTC))
    return DeliveryReport(digest.id, tuple(files), error is None, attempts, error)
