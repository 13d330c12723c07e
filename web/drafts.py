"""Commentary drafts for the UI: the stored JSON back into a `Draft` (for .docx), an edited
Markdown version as .docx, and drafts written in a background thread while the page polls."""

from __future__ import annotations

import io
import logging
import re
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from docx import Document as new_document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from commentary.records import (
    CheckReport,
    Draft,
    DraftInputs,
    Fact,
    Figure,
    Implication,
    Reference,
    Removal,
    Statement,
    TimelineEvent,
    WatchItem,
    zh_from_json,
)
from commentary.word import EAST_ASIAN_FONT, clean, write_docx
from config.errors import RadarError
from store.drafts import DraftRow

log = logging.getLogger(__name__)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _st(d: dict) -> Statement:
    return Statement(d["text"], tuple(d.get("doc_ids") or ()), bool(d.get("quote")))


def draft_from_row(row: DraftRow) -> Draft:
    """The `Draft` a stored version was made from (its content JSON), for rendering and Word."""
    c = row.content
    i = c["inputs"]
    inputs = DraftInputs(
        query=i["query"], search_query=i["search_query"], filters=i.get("filters") or {},
        doc_ids=tuple(i.get("doc_ids") or ()),
        doc_versions=tuple(tuple(v) for v in i.get("doc_versions") or ()),
        story_ids=tuple(i.get("story_ids") or ()), writer=i["writer"], model=i["model"],
        embedder=i.get("embedder", ""),
    )
    check = c.get("check") or {"checked": 0, "removed": []}
    return Draft(
        title=c["title"], created_at=row.created_at, timezone=c.get("timezone", "Asia/Taipei"),
        inputs=inputs,
        summary=tuple(_st(s) for s in c.get("summary", ())),
        background=tuple(_st(s) for s in c.get("background", ())),
        timeline=tuple(TimelineEvent(_day(e["day"]), e["kind"], _st(e["statement"]),
                                     e["certainty"], _day(e.get("effective")))
                       for e in c.get("timeline", ())),
        facts=tuple(Fact(_st(f["statement"]), f["certainty"], _day(f.get("effective")))
                    for f in c.get("facts", ())),
        reactions=tuple(_st(s) for s in c.get("reactions", ())),
        implications=tuple(
            Implication(m["key"], tuple(m.get("industries") or ()), m.get("reasoning", ""),
                        m.get("trigger", ""), tuple(m.get("doc_ids") or ()),
                        tuple(Figure(**f) for f in m.get("figures") or ()),
                        tuple(_st(s) for s in m.get("evidence") or ()))
            for m in c.get("implications", ())),
        watch=tuple(WatchItem(_day(w.get("day")), w["kind"], _st(w["statement"]))
                    for w in c.get("watch", ())),
        references=tuple(Reference(r["n"], r["doc_id"], r["title"], r["publisher"],
                                   _day(r.get("day")), r["url"])
                         for r in c.get("references", ())),
        check=CheckReport(int(check.get("checked", 0)),
                          tuple(Removal(**r) for r in check.get("removed") or ())),
        notes=tuple(c.get("notes") or ()),
        draft_id=row.draft_id, version=row.version,
        exposure_sources=tuple(c.get("exposure_sources") or ()),
        zh=zh_from_json(c),
    )


_UNESCAPE = re.compile(r"\\([\\`*_{}\[\]<>()#+!|~.-])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_NUMBERED = re.compile(r"^\d+\.\s+")


def _plain(text: str) -> str:
    return clean(_UNESCAPE.sub(r"\1", _BOLD.sub(r"\1", text)))


def markdown_docx(markdown: str, title: str) -> bytes:
    """An edited (Markdown) draft as .docx: headings, bullets, numbered items, quotes, text."""
    doc = new_document()
    props = doc.styles["Normal"].element.get_or_add_rPr()
    fonts = props.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        props.append(fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    doc.core_properties.title = clean(title)
    for line in markdown.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        level = len(stripped) - len(stripped.lstrip("#"))
        if 0 < level <= 4 and stripped[level:level + 1] == " ":
            doc.add_heading(_plain(stripped[level + 1:]), level=max(0, level - 1))
        elif stripped.startswith(("- ", "* ")):
            doc.add_paragraph(_plain(stripped[2:]), style="List Bullet")
        elif _NUMBERED.match(stripped):
            doc.add_paragraph(_plain(_NUMBERED.sub("", stripped)), style="List Number")
        elif stripped.startswith(">"):
            doc.add_paragraph(_plain(stripped.lstrip("> ")), style="Intense Quote")
        else:
            doc.add_paragraph(_plain(stripped))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def docx_bytes(row: DraftRow) -> bytes:
    """The .docx of a stored version: the structured draft, or the edited Markdown."""
    if row.writer == "revision":
        return markdown_docx(row.markdown, row.content.get("title", row.query))
    with tempfile.TemporaryDirectory(prefix="radar-docx-") as tmp:
        path = write_docx(draft_from_row(row), Path(tmp) / "draft.docx")
        return path.read_bytes()


@dataclass
class Job:
    """A draft being written in the background."""

    id: str
    query: str
    started: float = field(default_factory=time.time)
    done: bool = False
    draft_id: str | None = None
    version: int | None = None
    error: str | None = None


class DraftJobs:
    """Draft requests run one at a time in a worker thread; pages poll `get(job_id)`."""

    def __init__(self, keep: int = 50) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._one_at_a_time = threading.Lock()
        self._keep = keep

    def start(self, query: str, work) -> Job:
        """Run `work()` (returning a Draft) in a thread; returns the job to poll."""
        job = Job(secrets.token_urlsafe(9), query)
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-self._keep]:
                self._jobs.pop(old, None)

        def run() -> None:
            try:
                with self._one_at_a_time:
                    draft = work()
                self._finish(job.id, draft_id=draft.draft_id, version=draft.version)
            except RadarError as exc:
                self._finish(job.id, error=str(exc))
            except Exception as exc:  # a page must show the failure, not poll forever
                log.exception("draft job %s failed", job.id)
                self._finish(job.id, error=f"{type(exc).__name__}: {exc}")

        threading.Thread(target=run, name=f"draft-{job.id}", daemon=True).start()
        return job

    def _finish(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs[job_id] = replace(job, done=True, **changes)

    def get(self, job_id: str) -> Job | None:
        """A job by id (None when unknown or forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

