"""Federal Register routes of the loopback mirror, including the public-inspection desk.

The snapshot has no public-inspection data, so it is derived the way the real desk works:
a document published on a Federal Register day is filed for public inspection on the
previous business day at 08:45 America/New_York (regular filings). ``current.json`` shows
the newest filing day visible at the replay instant; the search endpoint takes
``conditions[available_on]`` and ``conditions[term]`` like the real API
(https://www.federalregister.gov/developers/documentation/api/v1). Each filing has a PDF on
``public-inspection.federalregister.gov``, generated here from the snapshot's title and
abstract (the real PDFs are the scanned agency submissions).
"""

from __future__ import annotations

import bisect
import json
import math
from datetime import date, datetime, time, timedelta
from html import escape
from urllib.parse import parse_qsl, unquote, urlencode
from zoneinfo import ZoneInfo

from replay.mirror_fedreg import (
    API_BASE,
    ApiError,
    FederalRegisterSite,
    FrDoc,
    matches,
    parse_term,
)

NEW_YORK = ZoneInfo("America/New_York")
PI_HOST = "public-inspection.federalregister.gov"
MAX_GAP_DAYS = 4  # a longer gap between issues is a hole in the snapshot, not a weekend
FILED_AT = time(8, 45)


def text_pdf(title: str, body: str, created: datetime) -> bytes:
    """A small, valid PDF (Helvetica, one or more pages) holding a title and a body text."""
    def wrap(text: str, width: int = 90) -> list[str]:
        out = []
        for para in text.splitlines() or [""]:
            line = ""
            for word in para.split():
                if len(line) + len(word) + 1 > width:
                    out.append(line)
                    line = word
                else:
                    line = f"{line} {word}".strip()
            out.append(line)
        return out

    def pdf_str(s: str) -> str:
        s = s.encode("latin-1", "replace").decode("latin-1")
        return "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"

    lines = wrap(title, 70) + [""] + wrap(body)
    pages = [lines[i:i + 50] for i in range(0, len(lines), 50)]
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "", "<< /Type /Font /Subtype /Type1 "
            "/BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for chunk in pages:
        ops = "BT /F1 10 Tf 14 TL 56 780 Td " + " ".join(f"{pdf_str(ln)} Tj T*" for ln in chunk) + " ET"
        data = ops.encode("latin-1")
        objs.append(f"<< /Length {len(data)} >>\nstream\n{ops}\nendstream")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {len(objs)} 0 R "
                    "/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    stamp = created.strftime("D:%Y%m%d%H%M%S") + created.strftime("%z")[:3] + "'" + created.strftime("%z")[3:] + "'"
    objs.append(f"<< /Title {pdf_str(title)} /CreationDate ({stamp}) /Producer (policy-radar mirror) >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{obj}\nendobj\n".encode("latin-1", "replace")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info {len(objs)} 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


class PublicInspection:
    """Public-inspection view over the Federal Register snapshot."""

    def __init__(self, site: FederalRegisterSite) -> None:
        """Index publication days of the snapshot."""
        self.site = site
        self.days = sorted({x.day for x in site._items})

    @staticmethod
    def filed_at(day: str) -> datetime:
        """When filings for inspection on `day` became public (08:45 New York)."""
        return datetime.combine(date.fromisoformat(day), FILED_AT, NEW_YORK)

    def _issue_after(self, day: str) -> str | None:
        i = bisect.bisect_right(self.days, day)
        if i >= len(self.days):
            return None
        nxt = self.days[i]
        gap = (date.fromisoformat(nxt) - date.fromisoformat(day)).days
        return nxt if 0 < gap <= MAX_GAP_DAYS else None

    def filings(self, day: str, as_of: datetime) -> list[FrDoc]:
        """Documents on public inspection on `day` (empty before 08:45 that day)."""
        issue = self._issue_after(day)
        if issue is None or self.filed_at(day) > as_of:
            return []
        lo, hi = bisect.bisect_left(self.site._days, issue), bisect.bisect_right(self.site._days, issue)
        return self.site._items[lo:hi]

    def current_day(self, as_of: datetime) -> str | None:
        """The newest filing day visible at `as_of`."""
        day = as_of.astimezone(NEW_YORK).date()
        for back in range(10):
            d = (day - timedelta(days=back)).isoformat()
            if d in self.days or self._issue_after(d):
                if self.filings(d, as_of):
                    return d
        return None

    def result(self, item: FrDoc, day: str) -> dict:
        """One filing as the public-inspection API renders it."""
        number = item.doc["document_number"]
        slug = item.doc["url"].rstrip("/").rsplit("/", 1)[-1]
        return {
            "document_number": number, "title": item.doc["title"], "type": None, "agencies": [],
            "filed_at": self.filed_at(day).isoformat(timespec="milliseconds"),
            "publication_date": item.day, "filing_type": "regular", "num_pages": 1,
            "toc_subject": None, "toc_doc": None, "editorial_note": None,
            "pdf_url": f"https://{PI_HOST}/{number}.pdf",
            "html_url": f"https://www.federalregister.gov/public-inspection/{number}/{slug}",
        }

    def search(self, params: list[tuple[str, str]], as_of: datetime) -> dict:
        """Answer ``public-inspection-documents.json`` (available_on required) or ``current``."""
        one = dict(params)
        day = one.get("conditions[available_on]") or self.current_day(as_of)
        if day is None:
            return {"count": 0, "total_pages": 0, "results": []}
        try:
            day = date.fromisoformat(day).isoformat()
        except ValueError:
            raise ApiError("conditions[available_on]", "is not a valid date (YYYY-MM-DD)") from None
        found = self.filings(day, as_of)
        term = one.get("conditions[term]", "").strip()
        tree = parse_term(term) if term else None
        if tree is not None:
            found = [x for x in found if matches(tree, x.norm)]
        per_page = min(1000, max(1, int(one.get("per_page") or 20)))
        page = max(1, int(one.get("page") or 1))
        total = math.ceil(len(found) / per_page)
        body = {"count": len(found), "total_pages": total,
                "results": [self.result(x, day) for x in found[(page - 1) * per_page: page * per_page]]}
        if page < total:
            kept = [(k, v) for k, v in params if k != "page"] + [("page", str(page + 1))]
            body["next_page_url"] = f"{API_BASE}/public-inspection-documents.json?{urlencode(kept)}"
        return body

    def pdf(self, number: str, as_of: datetime) -> bytes | None:
        """The filing's PDF, once it is on public inspection."""
        item = self.site._by_number.get(number)
        if item is None:
            return None
        i = bisect.bisect_left(self.days, item.day)
        day = self.days[i - 1] if i > 0 else None
        filed = self.filed_at(day) if day and self._issue_after(day) == item.day else None
        if filed is None or filed > as_of:
            return None
        return text_pdf(item.doc["title"], item.doc.get("text") or "", filed)


def fedreg_route(site: FederalRegisterSite, pi: PublicInspection, host: str, path: str,
                 query: str, as_of: datetime) -> tuple[int, bytes, str] | None:
    """Federal Register and public-inspection routes: (status, body, content type) or None."""
    day = as_of.astimezone(NEW_YORK).date().isoformat()
    jtype, html = "application/json; charset=utf-8", "text/html; charset=UTF-8"
    if path == "/robots.txt":
        return 200, b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8"
    if host == PI_HOST:
        data = pi.pdf(unquote(path).strip("/").removesuffix(".pdf"), as_of) if path.endswith(".pdf") else None
        return (200, data, "application/pdf") if data else None
    params = parse_qsl(query, keep_blank_values=True)
    try:
        if path in ("/api/v1/documents.json", "/api/v1/documents"):
            return 200, json.dumps(site.search(params, day), ensure_ascii=False).encode(), jtype
        if path in ("/api/v1/public-inspection-documents.json",
                    "/api/v1/public-inspection-documents/current.json"):
            if path.endswith("current.json"):
                params = [(k, v) for k, v in params if k != "conditions[available_on]"]
            return 200, json.dumps(pi.search(params, as_of), ensure_ascii=False).encode(), jtype
    except ApiError as exc:
        return 400, json.dumps({"errors": {exc.param: [exc.message]}}).encode(), jtype
    number = site.number_from_api_path(path)
    if number is not None:
        item = site.document(number, day)
        if item is None:
            return 404, b'{"status":404,"message":"Document not found"}', jtype
        return 200, json.dumps(site.result(item, site.DETAIL_FIELDS), ensure_ascii=False).encode(), jtype
    parts = [p for p in unquote(path).split("/") if p]
    if len(parts) >= 2 and parts[0] == "public-inspection":
        item = site._by_number.get(parts[1])
        if item is None or pi.pdf(parts[1], as_of) is None:
            return None
        t = escape(item.doc["title"])
        page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{t}</title></head>'
                f"<body><main><h1>{t}</h1><p>{escape(item.doc.get('text') or '')}</p>"
                f'<a href="https://{PI_HOST}/{escape(parts[1])}.pdf">PDF</a></main></body></html>')
        return 200, page.encode(), html
    page = site.page_html(unquote(path), day)
    return (200, page.encode(), html) if page is not None else None
