"""Named points inside the writing stages where a kill -9 test can stop a stage and kill it.

The kill tests (``tests/test_kill_stages.py``) must kill a stage *inside* a given step (after a
spool batch committed, while a read copy is half-published, …); polling the store from outside
cannot see those moments, because DuckDB lets no other process open a file while it is being
written. So each such step calls ``pause_point("<name>")``. Production never sets
``RADAR_TEST_PAUSE_AT``: the call is one environment lookup and returns.

With ``RADAR_TEST_PAUSE_AT=<name>`` (or ``<name>:<n>``, the n-th time the point is reached), the
process writes its pid and the point's name to the file ``RADAR_TEST_PAUSE_MARKER`` names and
sleeps until it is killed.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

PAUSE_AT_ENV = "RADAR_TEST_PAUSE_AT"
MARKER_ENV = "RADAR_TEST_PAUSE_MARKER"

_reached: Counter[str] = Counter()


def pause_point(point: str) -> None:
    """Sleep here until killed when a kill test asked for this point; otherwise return at once.

    Args:
        point: the step's name, e.g. ``"spool-batch-committed"``.
    """
    wanted = os.environ.get(PAUSE_AT_ENV)
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != point:
        return
    _reached[point] += 1
    if _reached[point] != int(nth or 1):
        return
    marker = os.environ.get(MARKER_ENV)
    if marker:
        tmp = Path(f"{marker}.tmp")  # the test polls for the marker: it must appear whole
        tmp.write_text(f"{os.getpid()} {point}\n", encoding="utf-8")
        os.replace(tmp, marker)
    while True:
        time.sleep(60)
