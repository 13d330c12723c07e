"""`radar` operator commands: serve, stop, status, web UI, sources registry and health."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.errors import BadInputError
from radar.cli_base import app, console, opening, sources_app
from store.db import opened


@app.command()
def serve(
    detach: Annotated[bool, typer.Option("--detach", help="Run in the background.")] = False,
) -> None:
    """Run it for real: a Prefect server, work pool, worker and the web UI on 127.0.0.1.

    Registers the deployments of prefect.yaml; stops cleanly on Ctrl-C or `radar stop`.
    Example: radar serve
    """
    with opening() as run:
        from radar import serve as services

        if detach:
            state = services.detach(run.settings)
            console.print(f"radar serve running (pid {state['pid']}), Prefect UI {state['ui_url']}")
        else:
            services.serve(run.settings, announce=console.print)


@app.command()
def stop() -> None:
    """Stop what `radar serve` started (worker, web UI, Prefect server).

    Example: radar stop
    """
    with opening() as run:
        from radar.serve import request_stop

        state = request_stop(run.settings)
    console.print(f"stopped radar serve (pid {state['pid']})" if state else "radar serve is not running")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Last flow runs, failures, queue lag, backlog and source health.

    Example: radar status
    """
    with opening() as run:
        from radar.status import as_dict, collect, render

        settings = run.settings
        report = collect(settings)
    if as_json:
        typer.echo(json.dumps(as_dict(report), default=str, ensure_ascii=False))
    else:
        render(report, Console(width=160), settings.timezone)


@sources_app.command("list")
def sources_list() -> None:
    """List the registered sources.

    Example: radar sources list
    """
    with opening(env=False) as run:
        from crawlers.registry import load_registry

        registry = load_registry(run.settings.sources_file)
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
    with opening(env=False) as run:
        from crawlers.extract import parse_when
        from crawlers.health import registry_health
        from crawlers.registry import load_registry

        settings = run.settings
        registry = load_registry(settings.sources_file)
        now = parse_when(as_of)[0] if as_of else None
        with opened(settings.db_path) as con:
            rows = registry_health(con, registry, settings.crawl, now)

    def when(t) -> str:
        return t.strftime("%Y-%m-%d %H:%M") if t else "-"

    table = Table("source", "kind", "last success", "last new item", "fails", "items/day",
                  "usual gap h", "flags", "why")
    for h in rows:
        # the note says why a flagged source is flagged (robots.txt, a WAF, a retired feed)
        table.add_row(h.source_id, h.kind, when(h.last_success), when(h.last_new_item),
                      str(h.consecutive_failures), f"{h.items_per_day:.2f}",
                      f"{h.usual_interval_h:.1f}" if h.usual_interval_h is not None else "-",
                      ", ".join(h.flags) or "ok", h.note[:70] if h.flags else "")
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
    with opening(env=False) as run:
        from crawlers.opml import import_opml
        from crawlers.registry import DEFAULT_SOURCES

        target = Path(run.settings.sources_file or DEFAULT_SOURCES)
        added = import_opml(file, target, country=country, language=language)
    console.print(f"added {len(added)} feed source(s) to {target}: {', '.join(added) or '-'}")


@sources_app.command("export")
def sources_export(
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Print (or write) the feed sources as OPML.

    Example: radar sources export --output feeds.opml
    """
    with opening(env=False) as run:
        from crawlers.opml import export_opml
        from crawlers.registry import load_registry

        text = export_opml(load_registry(run.settings.sources_file))
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
    with opening() as run:
        from web.app import serve

        settings = run.settings
        changes = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
        settings = settings.model_copy(update={"web": settings.web.model_copy(update=changes)})
        serve(settings)


@app.command("hash-password")
def hash_password_cmd(
    user: Annotated[str, typer.Argument(help="The user name to print the config line for.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input "
        "(no prompt), for scripts.")] = False,
) -> None:
    """Print a web.users line for radar.toml: the user and a scrypt hash of a typed password.

    Only that line goes to standard output; the prompts go to the terminal (standard error),
    so appending the output to radar.toml is safe.
    Example: radar hash-password alice >> radar.toml  (under a [web.users] header; scripted:
    echo "$PASSWORD" | radar hash-password alice --password-stdin >> radar.toml)
    """
    with opening(env=False):
        from web.auth import hash_password

        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            # err=True: the prompts (and a mismatch message) go to stderr and the tty, never
            # into the file the user redirected stdout to.
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True,
                                    err=True)
        if not password:
            raise BadInputError("empty password: give one on standard input or at the prompt")
    typer.echo(f'{json.dumps(user)} = "{hash_password(password)}"')
