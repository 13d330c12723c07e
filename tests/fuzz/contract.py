"""The contract every fuzzed entry point must keep, and the tally the fuzz run reports.

Per item, an entry point either returns or raises one of the project's named bad-input
errors (`config.errors.BadInputError` and its subclasses) with a reason. Anything else is a
crash. A crash whose innermost project frame lies in a file another engineer is repairing
right now (`UNDER_REPAIR`) is tallied as a known defect and tolerated, so that `make test`
stays green while their fixes land; each such crash also has an xfail regression test in
test_fuzz_regressions.py. `RADAR_FUZZ_STRICT=1` tolerates nothing.
"""

from __future__ import annotations

import os
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from config.errors import BadInputError

ROOT = Path(__file__).resolve().parents[2]
STRICT = os.environ.get("RADAR_FUZZ_STRICT") == "1"
# Files whose known bad-input defects (issue 13) other engineers are fixing concurrently.
# Remove an entry once its fixes are in: its crashes then fail the fuzz tests.
# Empty: every fix has landed, so any crash in project code fails `make test`.
UNDER_REPAIR: tuple[str, ...] = ()
_PROJECT = ("crawlers/", "radar/", "store/", "nlp/", "briefs/", "flows/", "commentary/",
            "alerts/", "web/")


@dataclass
class Tally:
    """What one entry point saw over a run."""

    examples: int = 0
    refused: int = 0  # named bad-input errors: the item is refused with a reason
    items: int = 0  # items inside the inputs (feed entries, API results), where counted
    lost: int = 0  # items neither stored nor recorded with a reason
    known: Counter = field(default_factory=Counter)  # crash signature -> count (UNDER_REPAIR)


TALLY: dict[str, Tally] = {}


class KnownDefect(Exception):
    """Raised by `attempt` instead of a tolerated crash, so callers can count lost items."""

    def __init__(self, signature: str):
        super().__init__(signature)
        self.signature = signature


def tally(entry_point: str) -> Tally:
    """The tally of one entry point (created on first use)."""
    return TALLY.setdefault(entry_point, Tally())


def origin(exc: BaseException) -> str:
    """'path/to/file.py:function' of the innermost project frame that raised `exc`."""
    where = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            rel = Path(frame.filename).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            continue
        if rel.startswith(_PROJECT):
            where = f"{rel}:{frame.name}"
    return where


def under_repair(exc: BaseException) -> str | None:
    """The crash signature when `exc` comes from a file being repaired, else None."""
    where = origin(exc)
    if STRICT or not where.startswith(UNDER_REPAIR):
        return None
    return f"{type(exc).__name__} in {where}"


def attempt(entry_point: str, fn: Callable, *args, **kwargs):
    """Call `fn` for one fuzz example and check the per-item contract.

    Returns:
        What `fn` returned, or the named `BadInputError` it raised (its reason is asserted).

    Raises:
        KnownDefect: `fn` crashed inside a file under repair (tallied, not a failure).
        Exception: any other crash, for Hypothesis to shrink and report.
    """
    t = tally(entry_point)
    t.examples += 1
    try:
        return fn(*args, **kwargs)
    except BadInputError as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a reason"
        t.refused += 1
        return exc
    except Exception as exc:
        signature = under_repair(exc)
        if signature is None:
            raise
        t.known[signature] += 1
        raise KnownDefect(signature) from exc


def report_lines() -> list[str]:
    """The tally as text lines for the terminal summary."""
    lines = [f"{'entry point':34} {'examples':>9} {'refused':>8} {'items':>7} {'lost':>5}  "
             "known crashes (files under repair)"]
    for name, t in sorted(TALLY.items()):
        known = "; ".join(f"{sig} x{n}" for sig, n in t.known.most_common()) or "-"
        lines.append(f"{name:34} {t.examples:9d} {t.refused:8d} {t.items:7d} {t.lost:5d}  {known}")
    return lines


def report_json() -> dict:
    """The tally as a JSON-ready dict (RADAR_FUZZ_REPORT=<path> writes it)."""
    return {name: {"examples": t.examples, "refused": t.refused, "items": t.items,
                   "lost": t.lost, "known": dict(t.known)} for name, t in sorted(TALLY.items())}
