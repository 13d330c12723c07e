"""Shared pieces of the `radar` CLI: the Typer apps, the console, environment defaults and the
one place where errors become user messages."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from config.errors import RadarError
from config.settings import Settings, load_settings


class RadarGroup(TyperGroup):
    """The command group that turns any RadarError a command lets out (a bad radar.toml read
    before the command's own handling, say) into a one-line message and exit status 2."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except RadarError as exc:
            fail(exc)


app = typer.Typer(help="policy-radar: foreign innovation-policy and trade news for analysts.",
                  no_args_is_help=True, pretty_exceptions_enable=False, cls=RadarGroup)
sources_app = typer.Typer(help="The source registry (crawlers/sources.yaml).", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
console = Console(stderr=True, width=None if sys.stderr.isatty() else 110)


def env_defaults() -> None:
    """Keep Prefect and Hugging Face local and quiet before they are imported."""
    os.environ.setdefault("PREFECT_HOME", str(Path.cwd() / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The temporary server a flow starts took over Prefect's 20 s default on a busy 2-core
    # machine, and `radar demo` died before its first flow.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def fail(exc: Exception) -> None:
    """Print an error for the user on one line (never wrapped to the terminal) and exit with
    status 2."""
    console.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(code=2) from None


class Opening:
    """What a command works with: the settings, read from radar.toml on first use (so a
    command that needs none, like `radar extract`, never reads it)."""

    @cached_property
    def settings(self) -> Settings:
        """The settings, loaded once."""
        return load_settings()


@contextmanager
def opening(env: bool = True) -> Iterator[Opening]:
    """The opening every command shares: environment defaults set before the command imports
    its stage (Prefect and Hugging Face read them on import), settings loaded when first
    asked for, and a RadarError from the body printed on one line with exit status 2.

    Args:
        env: Set the Prefect/Hugging Face environment defaults (commands that import neither,
            like the sources registry ones, leave the environment alone).

    Yields:
        The command's `Opening`.
    """
    if env:
        env_defaults()
    try:
        yield Opening()
    except RadarError as exc:
        fail(exc)
