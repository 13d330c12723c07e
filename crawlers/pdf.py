"""PDF text extraction (pypdf): public-inspection filings, OJ acts, reports served as PDF."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, datetime, timedelta, timezone

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from config.errors import BadInputError

_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+\-])?(\d{2})?'?(\d{2})?")
MAX_PAGES = 300
# A creation date outside these years, or with an offset beyond +-18:00, is no real instant
# (the same bounds the feed and page dates use): the document is then undated.
_EARLIEST, _LATEST = 1900, 2199
_MAX_OFFSET = timedelta(hours=18)

logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-object chatter; errors still raise


def is_pdf(body: bytes, content_type: str | None = None) -> bool:
    """True when the bytes (or the declared type) are a PDF."""
    return body[:1024].lstrip().startswith(b"%PDF-") or "application/pdf" in (content_type or "")


def pdf_date(value: str | None) -> tuple[datetime, str | None] | None:
    """Parse a PDF date string (``D:YYYYMMDDHHmmSS+HH'mm'``); returns (UTC instant, offset).

    None when the string is no date, or no real instant (year 0001 or 9999, offset +99'00').
    """
    m = _PDF_DATE.match((value or "").strip())
    if not m:
        return None
    year, month, day, hh, mm, ss, sign, oh, om = m.groups()
    try:
        naive = datetime(int(year), int(month or 1), int(day or 1), int(hh or 0), int(mm or 0),
                         int(ss or 0))
    except ValueError:
        return None
    if not _EARLIEST <= naive.year <= _LATEST:
        return None  # D:0001..., D:9999...: placeholders, and UTC conversion would overflow
    if sign in ("+", "-"):
        delta = timedelta(hours=int(oh or 0), minutes=int(om or 0))
        if delta > _MAX_OFFSET or int(om or 0) > 59:
            return None  # +99'00', +05'99': no zone is that far from UTC (timezone() refuses)
        delta = -delta if sign == "-" else delta
        offset = f"{sign}{int(oh or 0):02d}:{int(om or 0):02d}"
    else:
        delta, offset = timedelta(0), ("+00:00" if sign in ("Z", "z") else None)
    return naive.replace(tzinfo=timezone(delta)).astimezone(UTC), offset


def extract_pdf(body: bytes) -> tuple[str, str, tuple[datetime, str | None] | None]:
    """Text, title and creation date of a PDF.

    Returns:
        (title, text, (created UTC, offset) or None). The title is the document's /Title,
        else its first non-empty line.

    Raises:
        BadInputError: not a readable PDF, encrypted, or no extractable text (a scan).
    """
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            raise BadInputError("encrypted PDF")
        pages = []
        for page in reader.pages[:MAX_PAGES]:
            pages.append(page.extract_text() or "")
        meta = reader.metadata or {}
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise BadInputError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    text = "\n".join(p.strip() for p in pages if p.strip())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise BadInputError("PDF has no extractable text (scanned image?)")
    title = str(meta.get("/Title") or "").strip() or lines[0]
    return title, text, pdf_date(str(meta.get("/CreationDate") or ""))
