"""`radar` command line: a thin caller of the pipeline functions. Only here do errors become messages."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from radar.errors import RadarError

app = typer.Typer(help="policy-radar: foreign innovation-policy and trade news for analysts.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
sources_app = typer.Typer(help="The source registry (crawlers/sources.yaml).", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
console = Console(stderr=True, width=None if sys.stderr.isatty() else 110)


def _env_defaults() -> None:
    """Keep Prefect and Hugging Face local and quiet before they are imported."""
    os.environ.setdefault("PREFECT_HOME", str(Path.cwd() / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _fail(exc: Exception) -> None:
    console.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(code=2)


@app.command()
def demo(
    date: Annotated[str | None, typer.Option(help="Digest date (YYYY-MM-DD) in Asia/Taipei.")] = None,
    days: Annotated[int | None, typer.Option(help="Days before the date to crawl.")] = None,
) -> None:
    """Run the whole pipeline on the bundled snapshot via a loopback mirror.

    Example: radar demo --date 2025-04-03 --days 30
    """
    _env_defaults()
    from radar.demo import run_demo
    from radar.settings import load_settings

    try:
        run_demo(load_settings(), date=date, days=days, console=console)
    except RadarError as exc:
        _fail(exc)


@app.command()
def crawl(
    source: Annotated[list[str] | None, typer.Option("--source", help="Source id (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="ISO date/instant: only newer items.")] = None,
) -> None:
    """Crawl sources into the store (all enabled sources by default).

    Example: radar crawl --source fr-trade-technology --since 2025-04-01
    """
    _env_defaults()
    from crawlers.crawl import CrawlWindow
    from crawlers.crawl import crawl as run_crawl
    from crawlers.extract import parse_when
    from crawlers.registry import load_registry
    from radar.settings import load_settings
    from store.db import opened

    settings = load_settings()
    try:
        registry = load_registry(settings.sources_file)
        since_at = parse_when(since)[0] if since else None
        with opened(settings.db_path) as con, console.status("crawling…") as status:
            counts = run_crawl(con, settings, registry, source, CrawlWindow(since=since_at),
                               progress=lambda sid: status.update(f"crawling {sid}…"))
    except RadarError as exc:
        _fail(exc)
    table = Table("source", "new", "updated", "unchanged", "not modified", "errors")
    for sid, c in counts.by_source.items():
        table.add_row(sid, *(str(c.get(k, 0)) for k in
                             ("new", "updated", "unchanged", "not_modified", "error")))
    Console().print(table)


@app.command()
def enrich() -> None:
    """Enrich new or changed documents (language, entities, topics, embeddings) and cluster them.

    Example: radar enrich
    """
    _env_defaults()
    from radar.pipeline import run_enrich
    from radar.settings import load_settings

    try:
        counts = run_enrich(load_settings(), console=console)
    except RadarError as exc:
        _fail(exc)
    typer.echo(json.dumps(counts, default=str))


@app.command()
def digest(
    date: Annotated[str | None, typer.Option(help="Digest date YYYY-MM-DD (Asia/Taipei); default today.")] = None,
    profile: Annotated[str | None, typer.Option(help="Analyst profile from config.")] = None,
    lang: Annotated[str | None, typer.Option(help="zh-TW or en.")] = None,
) -> None:
    """Build, store and write the morning digest (HTML, Markdown, JSON) to the out directory.

    Example: radar digest --date 2025-04-03 --lang en
    """
    _env_defaults()
    from radar.pipeline import run_digest
    from radar.settings import load_settings

    try:
        paths = run_digest(load_settings(), date=date, profile=profile, lang=lang)
    except RadarError as exc:
        _fail(exc)
    for p in paths:
        typer.echo(str(p))


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="An HTML file.", exists=True, dir_okay=False)],
    url: Annotated[str, typer.Option(help="The page's URL.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Extract title, text, date and language from a saved HTML page.

    Example: radar extract page.html --url https://www.whitehouse.gov/... --json
    """
    from crawlers.extract import extract_html

    try:
        result = extract_html(file.read_bytes(), url).as_json(url)
    except RadarError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(f"{result['title']}\n{result['published_at']} [{result['language']}]\n\n{result['text']}")


@app.command()
def cluster(
    input: Annotated[Path, typer.Option("--input", help="docs.jsonl: id, title, text, published_at, url.", exists=True)],
    output: Annotated[Path, typer.Option("--output", help="stories.jsonl to write: id, story_id.")],
) -> None:
    """Cluster documents into stories with the pipeline's own online algorithm (in time order).

    Example: radar cluster --input docs.jsonl --output stories.jsonl
    """
    _env_defaults()
    from nlp.cluster_cli import cluster_jsonl
    from radar.settings import load_settings

    try:
        n = cluster_jsonl(input, output, load_settings())
    except RadarError as exc:
        _fail(exc)
    console.print(f"wrote {n} assignments to {output}")


@app.command()
def summarize(
    input: Annotated[Path, typer.Option("--input", help="docs.jsonl of one story.", exists=True)],
) -> None:
    """Print the summary the digest would show for these documents (one sentence per line).

    Example: radar summarize --input story.jsonl
    """
    _env_defaults()
    from briefs.summarize import summarize_jsonl
    from radar.settings import load_settings

    try:
        lines = summarize_jsonl(input, load_settings())
    except RadarError as exc:
        _fail(exc)
    for line in lines:
        typer.echo(line)


@app.command()
def comment(
    query: Annotated[str, typer.Argument(help="What the commentary is about (English or zh-TW).")],
    story: Annotated[str | None, typer.Option("--story", help="Restrict to a story id.")] = None,
    since: Annotated[str | None, typer.Option(help="Earliest document date YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Latest document date YYYY-MM-DD (replay).")] = None,
    writer: Annotated[str | None, typer.Option(help="extractive | transformers | openai.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Markdown file to write.")] = None,
    docx: Annotated[Path | None, typer.Option("--docx", help="Word file to write.")] = None,
) -> None:
    """Write a cited 智庫短評 draft (Markdown and .docx) and store it as a new version.

    Example: radar comment "US ends de minimis for Chinese parcels" --out draft.md --docx draft.docx
    """
    _env_defaults()
    from commentary.run import run_commentary
    from radar.settings import load_settings

    try:
        result = run_commentary(load_settings(), query, story_id=story, since=since, until=until,
                                writer=writer, out_md=out, out_docx=docx)
    except RadarError as exc:
        _fail(exc)
    d = result.draft
    console.print(f"draft {d.draft_id} v{d.version}: {len(d.references)} sources, "
                  f"{len(d.timeline)} timeline events; claim check removed "
                  f"{len(d.check.removed)} of {d.check.checked} statements")
    typer.echo(str(result.markdown_path))
    typer.echo(str(result.docx_path))


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Search text (English or zh-TW).")],
    since: Annotated[str | None, typer.Option(help="Earliest date YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Latest date YYYY-MM-DD.")] = None,
    country: Annotated[list[str] | None, typer.Option("--country", help="Source country (repeatable).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Source id (repeatable).")] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Topic id (repeatable).")] = None,
    story: Annotated[str | None, typer.Option("--story", help="Within one story.")] = None,
    limit: Annotated[int, typer.Option(help="Documents to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Hybrid search (BM25 + embeddings) over documents and stories.

    Example: radar search "de minimis" --since 2025-01-01 --topic trade
    """
    _env_defaults()
    from commentary.run import run_search
    from radar.settings import load_settings

    try:
        result = run_search(load_settings(), query, since=since, until=until,
                            countries=tuple(country or ()), sources=tuple(source or ()),
                            topics=tuple(topic or ()), story_id=story, limit=limit)
    except RadarError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({
            "query": result.query, "methods": list(result.methods),
            "stories": [{"id": s.story_id, "title": s.title, "score": round(s.score, 5),
                         "documents": list(s.doc_ids)} for s in result.stories],
            "documents": [{"id": h.doc_id, "title": h.title, "url": h.url, "source": h.source_id,
                           "published_at": h.published_at.isoformat() if h.published_at else None,
                           "story_id": h.story_id, "score": round(h.score, 5)}
                          for h in result.docs]}, ensure_ascii=False))
        return
    if not result.docs:
        console.print(f"no documents match {query!r}")
        raise typer.Exit(code=1)
    stories = Table("story", "title", "matching docs", title="stories")
    for s in result.stories:
        stories.add_row(s.story_id, s.title[:90], str(len(s.doc_ids)))
    docs = Table("date", "source", "title", "story", title=f"documents ({'+'.join(result.methods)})")
    for h in result.docs:
        docs.add_row(h.published_at.date().isoformat() if h.published_at else "", h.source_id,
                     h.title[:90], h.story_id or "")
    out = Console(width=200)
    out.print(stories)
    out.print(docs)


@app.command()
def serve(
    detach: Annotated[bool, typer.Option("--detach", help="Run in the background.")] = False,
) -> None:
    """Run it for real: a Prefect server, work pool, worker and the web UI on 127.0.0.1.

    Registers the deployments of prefect.yaml; stops cleanly on Ctrl-C or `radar stop`.
    Example: radar serve
    """
    _env_defaults()
    from radar import serve as services
    from radar.settings import load_settings

    try:
        if detach:
            state = services.detach(load_settings())
            console.print(f"radar serve running (pid {state['pid']}), Prefect UI {state['ui_url']}")
        else:
            services.serve(load_settings(), announce=console.print)
    except RadarError as exc:
        _fail(exc)


@app.command()
def stop() -> None:
    """Stop what `radar serve` started (worker, web UI, Prefect server).

    Example: radar stop
    """
    _env_defaults()
    from radar.serve import request_stop
    from radar.settings import load_settings

    try:
        state = request_stop(load_settings())
    except RadarError as exc:
        _fail(exc)
    console.print(f"stopped radar serve (pid {state['pid']})" if state else "radar serve is not running")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Last flow runs, failures, queue lag, backlog and source health.

    Example: radar status
    """
    _env_defaults()
    from radar.settings import load_settings
    from radar.status import as_dict, collect, render

    settings = load_settings()
    try:
        report = collect(settings)
    except RadarError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps(as_dict(report), default=str, ensure_ascii=False))
    else:
        render(report, Console(width=160), settings.timezone)


@sources_app.command("list")
def sources_list() -> None:
    """List the registered sources.

    Example: radar sources list
    """
    from crawlers.registry import load_registry
    from radar.settings import load_settings

    try:
        registry = load_registry(load_settings().sources_file)
    except RadarError as exc:
        _fail(exc)
    table = Table("id", "kind", "country", "lang", "authority", "enabled", "verified", "url")
    for s in registry.sources:
        table.add_row(s.id, s.kind, s.country, s.language, f"{s.authority:.1f}",
                      "yes" if s.enabled else "no", s.verified.split(":")[0], s.url)
    Console(width=200).print(table)


@sources_app.command("health")
def sources_health(
    as_of: Annotated[str | None, typer.Option(help="Judge staleness as of this ISO instant.")] = None,
) -> None:
    """Per source: last success, last new item, consecutive failures, items/day, flags.

    Example: radar sources health
    """
    from crawlers.extract import parse_when
    from crawlers.health import registry_health
    from crawlers.registry import load_registry
    from radar.settings import load_settings
    from store.db import opened

    settings = load_settings()
    try:
        registry = load_registry(settings.sources_file)
        now = parse_when(as_of)[0] if as_of else None
        with opened(settings.db_path) as con:
            rows = registry_health(con, registry, settings.crawl, now)
    except RadarError as exc:
        _fail(exc)

    def when(t) -> str:
        return t.strftime("%Y-%m-%d %H:%M") if t else "-"

    table = Table("source", "kind", "last success", "last new item", "fails", "items/day",
                  "usual gap h", "flags")
    for h in rows:
        table.add_row(h.source_id, h.kind, when(h.last_success), when(h.last_new_item),
                      str(h.consecutive_failures), f"{h.items_per_day:.2f}",
                      f"{h.usual_interval_h:.1f}" if h.usual_interval_h is not None else "-",
                      ", ".join(h.flags) or "ok")
    Console(width=200).print(table)


@sources_app.command("import")
def sources_import(
    file: Annotated[Path, typer.Argument(help="An OPML file of feeds.", exists=True, dir_okay=False)],
    country: Annotated[str, typer.Option(help="ISO country for feeds that do not say.")] = "INT",
    language: Annotated[str, typer.Option(help="Language for feeds that do not say.")] = "en",
) -> None:
    """Add the OPML's feeds that are not registered yet to the registry file.

    Example: radar sources import feeds.opml --country GB
    """
    from crawlers.opml import import_opml
    from crawlers.registry import DEFAULT_SOURCES
    from radar.settings import load_settings

    target = Path(load_settings().sources_file or DEFAULT_SOURCES)
    try:
        added = import_opml(file, target, country=country, language=language)
    except RadarError as exc:
        _fail(exc)
    console.print(f"added {len(added)} feed source(s) to {target}: {', '.join(added) or '-'}")


@sources_app.command("export")
def sources_export(
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Print (or write) the feed sources as OPML.

    Example: radar sources export --output feeds.opml
    """
    from crawlers.opml import export_opml
    from crawlers.registry import load_registry
    from radar.settings import load_settings

    try:
        text = export_opml(load_registry(load_settings().sources_file))
    except RadarError as exc:
        _fail(exc)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="Address to bind (default web.host, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default web.port).")] = None,
) -> None:
    """Serve the analyst web UI (digests, stories, search, quick comments, sources, watchlists).

    Example: RADAR_WEB_SECRET=... radar web --port 8765
    """
    _env_defaults()
    from radar.settings import load_settings
    from web.app import serve

    settings = load_settings()
    changes = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings.model_copy(update={"web": settings.web.model_copy(update=changes)})
    try:
        serve(settings)
    except RadarError as exc:
        _fail(exc)


@app.command("hash-password")
def hash_password_cmd(
    user: Annotated[str, typer.Argument(help="The user name to print the config line for.")],
) -> None:
    """Print a `[web.users]` line with a scrypt hash of a password typed at the prompt.

    Example: radar hash-password alice >> radar.toml   (under [web.users])
    """
    from web.auth import hash_password

    password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    typer.echo(f'{json.dumps(user)} = "{hash_password(password)}"')


def main() -> None:  # pragma: no cover - console entry
    """Entry point for `python -m radar.cli`."""
    app(prog_name="radar")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
