"""Quick comment (智庫短評): request a draft, read it with citations and certainty labels,
edit and save a new version, download .md / .docx, version history."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from commentary.draft import write_commentary
from commentary.render import CERTAINTY_ZH, HEADINGS, KIND_ZH, WATCH_ZH
from config.errors import BadInputError, NotFoundError
from config.settings import Settings
from store import drafts as store_drafts
from store import webqueries as wq
from web.app import check_csrf
from web.db import reading, writing
from web.drafts import docx_bytes
from web.render import page
from web.routes_search import encoder, filter_bound

router = APIRouter(dependencies=[Depends(check_csrf)])
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/comment")
@router.get("/comment/new")
def comment_form(request: Request, story: str = "") -> Response:
    """The request form (a story preselected from its page) and the newest drafts."""
    with reading(request) as con:
        recent = store_drafts.list_drafts(con, limit=20)
        story_title = ""
        if story:
            story_title = wq.story_detail(con, story, max_docs=1).title
    return page(request, "comment.html.j2", story=story, story_title=story_title, recent=recent)


@router.post("/comment")
def request_draft(request: Request, query: str = Form(""), story: str = Form(""),
                  since: str = Form(""), until: str = Form("")) -> Response:
    """Start writing a draft in the background and go to its waiting page."""
    settings: Settings = request.app.state.settings
    query, story = query.strip(), story.strip()
    if not query and not story:
        raise BadInputError("type a topic or pick a story")
    # Checked here, not in the background job: a bad date is a 400 in the UI language.
    filter_bound(since, "search.since", request)
    filter_bound(until, "search.until", request, end=True)
    backend = encoder(request)

    def work():
        with writing(request, wait_s=60) as con:
            return write_commentary(con, backend, settings, query, story_id=story or None,
                                    since=since or None, until=until or None)

    job = request.app.state.jobs.start(query or story, work)
    return RedirectResponse(f"/comment/jobs/{job.id}", status_code=303)


@router.get("/comment/jobs/{job_id}")
def job_page(request: Request, job_id: str) -> Response:
    """Waiting page of a draft request; goes on to the draft when it is written."""
    job = request.app.state.jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"no draft request {job_id!r} (the server may have restarted)")
    if job.done and job.draft_id:
        return RedirectResponse(f"/drafts/{job.draft_id}?v={job.version}", status_code=303)
    status = 200 if not job.done else 422
    return page(request, "comment_job.html.j2", status_code=status, job=job)


def _load(request: Request, draft_id: str, version: int | None):
    with reading(request) as con:
        row = store_drafts.load_draft(con, draft_id, version)
        versions = wq.draft_versions(con, draft_id)
    return row, versions


@router.get("/drafts/{draft_id}")
def draft_page(request: Request, draft_id: str, v: int | None = None, saved: int = 0) -> Response:
    """A draft version: sections with numbered citations and certainty labels, the edit box,
    downloads and the version history."""
    row, versions = _load(request, draft_id, v)
    content = row.content
    refs = {r["doc_id"]: r["n"] for r in content.get("references", ())}
    return page(request, "draft.html.j2", row=row, c=content, refs=refs, versions=versions,
                headings=dict(HEADINGS), certainty=CERTAINTY_ZH, kinds=KIND_ZH, watch=WATCH_ZH,
                saved=saved)


@router.post("/drafts/{draft_id}")
def save_revision(request: Request, draft_id: str, markdown: str = Form(...),
                  note: str = Form("")) -> Response:
    """Store the edited text as a new version."""
    if not markdown.strip():
        raise BadInputError("the edited draft is empty")
    with writing(request) as con:
        version = store_drafts.add_revision(con, draft_id, markdown, note.strip()[:500])
    return RedirectResponse(f"/drafts/{draft_id}?v={version}&saved={version}", status_code=303)


def _filename(draft_id: str, version: int, ext: str) -> str:
    name = f"commentary-{draft_id}-v{version}.{ext}"
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"


@router.get("/drafts/{draft_id}/v{version}.md")
def download_markdown(request: Request, draft_id: str, version: int) -> Response:
    """The version as Markdown."""
    row, _ = _load(request, draft_id, version)
    return Response(row.markdown, media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": _filename(draft_id, version, "md")})


@router.get("/drafts/{draft_id}/v{version}.docx")
def download_docx(request: Request, draft_id: str, version: int) -> Response:
    """The version as a Word document."""
    row, _ = _load(request, draft_id, version)
    return Response(docx_bytes(row), media_type=DOCX,
                    headers={"Content-Disposition": _filename(draft_id, version, "docx")})
