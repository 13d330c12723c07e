"""Every CLI command has --help text with an example; evaluation entry points behave."""

import json

import pytest
from typer.testing import CliRunner

from radar.cli import app

runner = CliRunner()


def _commands(typer_app, prefix=()):
    import typer.main

    group = typer.main.get_command(typer_app)
    stack = [(prefix, group)]
    while stack:
        path, cmd = stack.pop()
        subs = getattr(cmd, "commands", None)
        if subs:
            stack.extend((path + (name,), sub) for name, sub in subs.items())
        else:
            yield path


def test_required_commands_exist():
    names = {" ".join(p) for p in _commands(app)}
    assert {"demo", "crawl", "enrich", "digest", "extract", "cluster", "summarize",
            "sources list"} <= names


@pytest.mark.parametrize("path", sorted(_commands(app)))
def test_every_command_has_help_with_example(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"{' '.join(path)} --help has no example"


def test_extract_prints_the_evaluation_json(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<html lang='en'><head><title>T</title><meta property='article:published_time' "
        "content='2025-04-02T16:30:00-04:00'></head><body><main><h1>Fact Sheet</h1><p>"
        + "The President today imposed tariffs on imports to protect national security. " * 5
        + "</p></main></body></html>")
    result = runner.invoke(app, ["extract", str(page), "--url", "https://www.whitehouse.gov/x/", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"url", "title", "text", "published_at", "language"}
    assert data["published_at"] == "2025-04-02T16:30:00-04:00" and "tariffs" in data["text"]


def test_bad_input_becomes_a_message_not_a_traceback(tmp_path):
    page = tmp_path / "empty.html"
    page.write_text("   ")
    result = runner.invoke(app, ["extract", str(page), "--url", "https://x.gov/", "--json"])
    assert result.exit_code == 2 and "error" in result.output and "Traceback" not in result.output
