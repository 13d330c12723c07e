"""One-line messages for a radar.toml that does not load: the file, the line and the key.

A TOML parser's own message says "at line 3, column 9" and nothing else; a person who
appended prompts or a half-typed line to the file needs to see which line and what is on it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)$")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([^=#]+?)\s*=")
MAX_SHOWN = 60


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _shown(text: str) -> str:
    """A line's text as it goes into a one-line message (control characters made visible)."""
    text = text.strip()
    text = text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"
    return repr(text)


def toml_problem(path: Path, exc: Exception) -> str:
    """Describe a TOML syntax error in `path` on one line.

    Args:
        path: the user's settings file.
        exc: the parser's error, whose message ends in "(at line N, column M)".

    Returns:
        e.g. ``radar.toml, line 4, key 'password: "alice"': Expected '=' after a key in a
        key/value pair — each line must be `key = value` under a [table] header``.
    """
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    found = _AT_LINE.search(message)
    if not found:
        return f"{path}: not valid TOML: {message}"
    reason = message[:found.start()]
    number = int(found.group(1))
    lines = _lines(path)
    text = lines[number - 1] if 0 < number <= len(lines) else ""
    header = _HEADER.match(text)
    if header:
        what = f"table [{header.group(1)}]"
    else:
        key = _KEY.match(text)
        what = f"key {_shown(key.group(1) if key else text)}"
    return (f"{path}, line {number}, {what}: not valid TOML: {reason} — each line must be "
            "`key = value` under a [table] header (see config/defaults.toml)")


def _line_of(lines: list[str], loc: tuple[Any, ...]) -> int | None:
    """The line (1-based) where the setting at `loc` (e.g. ("web", "port")) is written."""
    keys = [str(part) for part in loc]
    table: list[str] = []
    for number, text in enumerate(lines, 1):
        header = _HEADER.match(text)
        if header:
            table = [p.strip().strip('"\'') for p in header.group(1).split(".")]
            continue
        key = _KEY.match(text)
        if not key:
            continue
        path = table + [p.strip().strip('"\'') for p in key.group(1).split(".")]
        if path == keys[:len(path)] and len(path) >= min(len(keys), len(table) + 1):
            return number
    return None


def setting_problems(path: Path, exc: ValidationError) -> str:
    """Describe the first settings that do not validate, naming the key and, when the key is
    written in `path`, its line. Values are never shown: one may be a secret."""
    lines = _lines(path)
    problems = []
    for error in exc.errors()[:5]:
        key = ".".join(map(str, error["loc"]))
        number = _line_of(lines, error["loc"]) if lines else None
        where = f"{path}, line {number}, " if number else ""
        problems.append(f"{where}key {key}: {error['msg']}")
    source = f"{path}, RADAR_* environment variables or arguments"
    return f"invalid settings (from {source}): " + "; ".join(problems)
