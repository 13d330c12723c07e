"""The one reader of JSON-lines input files (`radar summarize --input`, `radar cluster --input`).

It lives in the bottom package because both `briefs` and `nlp` read such files and this is the
lowest layer both may import; each caller checks the fields it needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from config.errors import BadInputError


def read_jsonl(path: Path | str) -> list[tuple[int, Any]]:
    """The values of a JSON-lines file with their 1-based line numbers; blank lines skipped.

    Lines are split on line ends only (not with `str.splitlines`, which also splits on
    U+2028 and other separators a JSON string may hold unescaped).

    Args:
        path: The file.

    Returns:
        (line number, decoded value) pairs, in file order.

    Raises:
        BadInputError: the file cannot be read or decoded as UTF-8, or a line is not JSON.
    """
    values: list[tuple[int, Any]] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    values.append((no, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise BadInputError(f"{path}:{no}: not JSON ({exc.msg})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read ({exc})") from exc
    return values
