"""`radar` command line: a thin caller of the pipeline functions. Only here do errors become messages.

Each command opens with `radar.cli_base.opening()` and imports its stage inside it, after the
environment defaults: Prefect and the Hugging Face libraries read the environment when they are
imported, and `radar --help` stays quick (the NLP stack loads torch). Settings and the store are
imported at the top."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from radar.cli_base import app, console, opening
from store.db import opened


@app.command()
def demo(
    date: Annotated[str | None, typer.Option(help="Digest date (YYYY-MM-DD) in Asia/Taipei.")] = None,
    days: Annotated[int | None, typer.Option(help="Days before the date to crawl.")] = None,
) -> None:
    """Run the whole pipeline on the bundled snapshot via a loopback mirror.

    Example: radar demo --date 2025-04-03 --days 30
    """
    with opening() as run:
        from radar.demo import run_demo

        run_demo(run.settings, date=date, days=days, console=console)


@app.command()
def crawl(
    source: Annotated[list[str] | None, typer.Option("--source", help="Source id (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="ISO date/instant: only newer items.")] = None,
) -> None:
    """Crawl sources into the store (all enabled sources by default).

    Example: radar crawl --source fr-trade-technology --since 2025-04-01
    """
    with opening() as run:
        from crawlers.crawl import CrawlWindow
        from crawlers.crawl import crawl as run_crawl
        from crawlers.extract import parse_when
        from crawlers.registry import load_registry

        settings = run.settings
        registry = load_registry(settings.sources_file)
        since_at = parse_when(since)[0] if since else None
        with opened(settings.db_path) as con, console.status("crawling…") as status:
            counts = run_crawl(con, settings, registry, source, CrawlWindow(since=since_at),
                               progress=lambda sid: status.update(f"crawling {sid}…"))
    table = Table("source", "new", "updated", "unchanged", "not modified", "errors")
    for sid, c in counts.by_source.items():
        table.add_row(sid, *(str(c.get(k, 0)) for k in
                             ("new", "updated", "unchanged", "not_modified", "error")))
    Console().print(table)


@app.command()
def enrich(
    redo: Annotated[bool, typer.Option(
        "--redo", help="Also re-enrich documents an older pipeline version enriched.")] = False,
) -> None:
    """Enrich new or changed documents (language, entities, topics, embeddings) and cluster them.

    Example: radar enrich            (after an upgrade: radar enrich --redo)
    """
    with opening() as run:
        from runners.pipeline import run_enrich

        counts = run_enrich(run.settings, console=console, redo=redo)
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
    with opening() as run:
        from runners.pipeline import run_digest

        paths = run_digest(run.settings, date=date, profile=profile, lang=lang)
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
    with opening(env=False):
        from crawlers.extract import extract_html

        result = extract_html(file.read_bytes(), url).as_json(url)
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
    with opening() as run:
        from nlp.cluster_cli import cluster_jsonl

        n = cluster_jsonl(input, output, run.settings)
    console.print(f"wrote {n} assignments to {output}")


@app.command()
def summarize(
    input: Annotated[Path, typer.Option("--input", help="docs.jsonl of one story.", exists=True)],
) -> None:
    """Print the summary the digest would show for these documents (one sentence per line).

    Example: radar summarize --input story.jsonl
    """
    with opening() as run:
        from briefs.summarize import summarize_jsonl

        lines = summarize_jsonl(input, run.settings)
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
    with opening() as run:
        from commentary.run import run_commentary

        result = run_commentary(run.settings, query, story_id=story, since=since, until=until,
                                writer=writer, out_md=out, out_docx=docx)
    d = result.draft
    console.print(f"draft {d.draft_id} v{d.version}: {len(d.references)} sources, "
                  f"{len(d.timeline)} timeline events; claim check removed "
                  f"{len(d.check.removed)} of {d.check.checked} statements")
    typer.echo(str(result.markdown_path))
    typer.echo(str(result.docx_path))


# operator and UI commands register themselves on the same app
from radar import cli_ops, cli_search, doctor  # noqa: E402,F401


def main() -> None:  # pragma: no cover - console entry
    """Entry point for `python -m radar.cli`."""
    app(prog_name="radar")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
