"""Deliver a stored digest: files (HTML, Markdown, JSON, Atom feed) and SMTP email with retries."""

from __future__ import annotations

import json
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
from briefs.render import render_atom
from config.errors import ConfigError
from config.settings import Settings, SmtpSettings
from store.digests import DigestRow, load_digest, recent_digests, record_delivery_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    """What delivery did: files written, and the email outcome (None when email is off)."""

    digest_id: str
    files: tuple[Path, ...]
    email_sent: bool | None
    attempts: int
    error: str | None


def _write_atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def file_stem(row: DigestRow) -> str:
    """Base file name of a digest's outputs."""
    return f"digest-{row.digest_date.isoformat()}-{row.profile}-{row.lang}"


def digest_json(row: DigestRow) -> str:
    """The stored digest content as pretty JSON (what `render_json` gives for the digest)."""
    return json.dumps(row.content, ensure_ascii=False, indent=2)


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


def write_files(row: DigestRow, out_dir: Path) -> list[Path]:
    """Write the stored HTML, Markdown and JSON of a digest (atomically, replacing older ones)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = file_stem(row)
    return [
        _write_atomic(out / f"{stem}.html", row.html or ""),
        _write_atomic(out / f"{stem}.md", row.markdown or ""),
        _write_atomic(out / f"{stem}.json", digest_json(row)),
    ]


def build_email(row: DigestRow, smtp: SmtpSettings) -> EmailMessage:
    """A multipart/alternative email: the Markdown as text/plain, the escaped HTML as text/html.

    Raises:
        ConfigError: no recipients are configured.
    """
    if not smtp.recipients:
        raise ConfigError("digest.smtp.recipients is empty")
    text = strings(row.lang)
    msg = EmailMessage()
    msg["Subject"] = f"{text['title']} {row.digest_date.isoformat()} · {row.profile}"
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.recipients)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring=row.id.replace(":", "."), domain="policy-radar")
    msg.set_content(row.markdown or "")
    msg.add_alternative(row.html or "", subtype="html")
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
    digest_id: str,
    settings: Settings,
    *,
    out_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Write a stored digest's files and feed, then email it when SMTP is configured.

    What is delivered is what `build_digest` stored (HTML, Markdown, JSON content).
    Files come first so a broken mail server loses nothing; a failed email (after
    its retries) is recorded in `item_errors` and reported, not raised.

    Args:
        con: store connection.
        digest_id: id of the stored digest (`Digest.id`).
        settings: loaded settings (`out_dir`, `digest.smtp`).
        out_dir: where files go (default `settings.out_dir`).
        sleep: waits between SMTP attempts (injectable for tests).

    Raises:
        NotFoundError: no digest is stored under `digest_id`.
    """
    row = load_digest(con, digest_id)
    target = Path(out_dir or settings.out_dir)
    files = write_files(row, target)
    files.append(write_feed(con, target, row.profile, row.lang))
    smtp = settings.digest.smtp
    if not smtp.host:
        return DeliveryReport(row.id, tuple(files), None, 0, None)
    try:
        msg = build_email(row, smtp)
    except ConfigError as exc:
        attempts, error = 0, str(exc)
    else:
        attempts, error = send_email(msg, smtp, sleep)
    if error is not None:
        record_delivery_error(con, row.id, "email", error, datetime.now(UTC))
    return DeliveryReport(row.id, tuple(files), error is None, attempts, error)
