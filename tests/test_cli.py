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


def _in_a_terminal(args: list[str], typed: list[str], stdout_path, cwd) -> str:
    """Run `radar ARGS > stdout_path` with the terminal (stdin, stderr, /dev/tty) on a pty, type
    each line of `typed` when asked, and return what the terminal showed."""
    import fcntl
    import os
    import pty
    import select
    import subprocess
    import sys
    import termios
    import time

    master, slave = pty.openpty()

    def take_terminal():  # runs in the child after setsid: the pty becomes its /dev/tty
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    with open(stdout_path, "ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "radar.cli", *args], stdin=slave,
                                stdout=out, stderr=slave, cwd=cwd, start_new_session=True,
                                preexec_fn=take_terminal)
    os.close(slave)
    # answer each prompt only once it is on the screen: getpass flushes type-ahead
    screen, pending, asked, deadline = b"", list(typed), 0, time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            screen += chunk
            if pending and screen[asked:].rstrip().endswith(b":"):
                time.sleep(0.2)  # let getpass switch echo off before the answer arrives
                os.write(master, pending.pop(0).encode() + b"\n")
                asked = len(screen)
        elif proc.poll() is not None:
            break
    proc.wait(timeout=10)
    os.close(master)
    assert proc.returncode == 0, screen
    return screen.decode(errors="replace")


def test_hash_password_in_a_real_terminal_appends_only_the_config_line(tmp_path):
    from web.auth import verify_password

    toml = tmp_path / "radar.toml"
    toml.write_text("[web.users]\n")
    screen = _in_a_terminal(["hash-password", "alice"], ["s3cret pass", "s3cret pass"], toml,
                            tmp_path)
    assert "password" in screen.lower() and "confirmation" in screen.lower()
    lines = toml.read_text().splitlines()
    assert len(lines) == 2 and lines[1].startswith('"alice" = "'), lines
    import tomllib

    stored = tomllib.loads(toml.read_text())["web"]["users"]["alice"]
    assert verify_password("s3cret pass", stored)


def test_hash_password_reads_stdin_without_prompting(tmp_path):
    import tomllib

    from web.auth import verify_password

    result = runner.invoke(app, ["hash-password", "alice", "--password-stdin"],
                           input="open sesame\n")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") == 1 and "password" not in result.stdout
    stored = tomllib.loads("[web.users]\n" + result.stdout)["web"]["users"]["alice"]
    assert verify_password("open sesame", stored)
    empty = runner.invoke(app, ["hash-password", "alice", "--password-stdin"], input="\n")
    assert empty.exit_code == 2 and "empty password" in empty.output


def _config(tmp_path, monkeypatch, text: str):
    path = tmp_path / "radar.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("RADAR_CONFIG", str(path))
    return path


@pytest.mark.parametrize("command", [["web"], ["status"], ["sources", "health"], ["crawl"],
                                     ["search", "x"], ["digest"], ["sources", "list"]])
def test_a_malformed_radar_toml_is_one_line_naming_file_line_and_key(tmp_path, monkeypatch,
                                                                     command):
    # what `radar hash-password alice >> radar.toml` used to leave in the file
    path = _config(tmp_path, monkeypatch, '[web.users]\npassword: Repeat for confirmation: '
                                          '"alice" = "scrypt$x"\n')
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "TOMLDecodeError" not in result.output
    message = result.output.strip()
    assert len(message.splitlines()) == 1, message
    assert str(path) in message and "line 2" in message and "password: Repeat" in message


def test_a_setting_that_does_not_validate_names_its_line_and_key(tmp_path, monkeypatch):
    path = _config(tmp_path, monkeypatch, "[digest]\nper_section = 3\n\n[web]\nport = 'x'\n")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert f"{path}, line 5, key web.port" in result.output


def test_cli_gives_prefect_time_to_start_on_a_first_run(monkeypatch):
    from radar.cli_base import env_defaults

    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", raising=False)
    env_defaults()
    import os

    assert int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]) >= 120
