"""Sending one alert: a JSON webhook POST or a plain-text email through the digest's SMTP."""

from __future__ import annotations

import re
import unicodedata
from email.message import EmailMessage

import httpx

from config.settings import AlertSettings, SmtpSettings
from store.alerts import Alert, Candidate

# Line and paragraph separators (U+2028, U+2029) and every control character (C0, DEL, C1
# such as U+0085) end a line for the email package, which then refuses the header; they
# become a space. Format characters (bidi overrides, zero-width ones) and lone surrogates
# are dropped: they are invisible, can disguise a subject, and surrogates cannot be encoded.
_BREAKS = ("Cc", "Zl", "Zp")
_DROPPED = ("Cf", "Cs")
_SPACES = re.compile(r"\s+")


def _clean_char(char: str) -> str:
    category = unicodedata.category(char)
    if category in _BREAKS:
        return " "
    return "" if category in _DROPPED else char


def one_line(text: str, limit: int = 200) -> str:
    """Crawled text made safe for a header or a chat line: one line, capped.

    Every Unicode line separator and control character becomes a space, invisible format
    characters are removed, and runs of whitespace collapse to one space.

    Example:
        >>> one_line("Tariffs\u2028Bcc: x@example.org")
        'Tariffs Bcc: x@example.org'
    """
    cleaned = "".join(_clean_char(c) for c in (text or "")[:limit * 4])
    return _SPACES.sub(" ", cleaned).strip()[:limit]


def payload(alert: Alert, doc: Candidate | None, query: str) -> dict:
    """The webhook body (also the facts of the email): watch, story link and the document."""
    body = {"watch": alert.watch_id, "query": query, "story_id": alert.story_id,
            "story_url": alert.link, "title": one_line(alert.title),
            "text": f"[policy-radar] {alert.watch_id}: {one_line(alert.title)} {alert.link}"}
    if doc is not None:
        body["document"] = {
            "id": doc.doc_id, "title": one_line(doc.title), "url": doc.url,
            "source": doc.source_id, "country": doc.country,
            "published_at": doc.published_at.isoformat() if doc.published_at else None,
            "first_seen_at": doc.first_seen_at.isoformat()}
    return body


def send_webhook(url: str, body: dict, settings: AlertSettings) -> str | None:
    """POST the JSON body; returns None when accepted (2xx), else the reason."""
    try:
        resp = httpx.post(url, json=body, timeout=settings.timeout_s, follow_redirects=False)
    except httpx.HTTPError as exc:
        return f"webhook {url}: {type(exc).__name__}: {exc}"
    if 200 <= resp.status_code < 300:
        return None
    return f"webhook {url}: HTTP {resp.status_code}"


def build_email(body: dict, recipients: list[str], smtp: SmtpSettings) -> EmailMessage:
    """A plain-text alert email (crawled text never reaches a header unescaped)."""
    msg = EmailMessage()
    msg["Subject"] = one_line(f"[policy-radar] {body['watch']}: {body['title']}", 180)
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(recipients)
    doc = body.get("document") or {}
    lines = [f"Watchlist: {body['watch']} ({body['query']})", "",
             body["title"], f"Story: {body['story_url']}"]
    if doc:
        lines += [f"Source: {doc['source']} ({doc.get('country') or '-'})",
                  f"Published: {doc.get('published_at') or '-'}", f"Document: {doc['url']}"]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def send(alert: Alert, doc: Candidate | None, query: str, settings: AlertSettings,
         smtp: SmtpSettings) -> str | None:
    """Deliver one alert on its channel; returns None when sent, else the reason."""
    body = payload(alert, doc, query)
    if alert.channel == "webhook":
        if not alert.target.startswith(("http://", "https://")):
            return f"webhook target is not an http(s) URL: {alert.target!r}"
        return send_webhook(alert.target, body, settings)
    recipients = [a.strip() for a in alert.target.split(",") if a.strip()]
    if not smtp.host or not recipients:
        return "email not sent: digest.smtp.host or the watch's target addresses are empty"
    from briefs.deliver import send_email

    _, error = send_email(build_email(body, recipients, smtp),
                          smtp.model_copy(update={"retries": 1}))
    return error
