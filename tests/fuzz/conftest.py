"""Hypothesis profiles for the fuzz suite, and its tally in the terminal summary.

`RADAR_FUZZ_PROFILE` picks the profile:

* ``fast`` (default, inside `make test`): a couple of dozen examples per entry point,
  derandomised so the suite is the same on every machine, no example database;
* ``long`` (`make fuzz`): 10,000 examples per entry point, random, with the example
  database in .hypothesis/ so a failure found once is replayed first next time.

`RADAR_FUZZ_EXAMPLES=<n>` overrides the number of examples of either profile.

The deadline bounds the time per item; each test sets its own (a PDF or a 1 MB page is
allowed more than a date string).
"""

from __future__ import annotations

import json
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.contract import TALLY, report_json, report_lines

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
          HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture]
FAST_EXAMPLES = 20

settings.register_profile("fast", max_examples=FAST_EXAMPLES, derandomize=True, database=None,
                          suppress_health_check=_QUIET, print_blob=True)
settings.register_profile("long", max_examples=10_000, suppress_health_check=_QUIET,
                          print_blob=True)
settings.load_profile(os.environ.get("RADAR_FUZZ_PROFILE", "fast"))
if os.environ.get("RADAR_FUZZ_EXAMPLES"):  # e.g. a quick exploratory run between the two
    settings.register_profile("custom", settings(max_examples=int(os.environ["RADAR_FUZZ_EXAMPLES"])))
    settings.load_profile("custom")


def pytest_collection_modifyitems(config, items):  # noqa: D103
    for item in items:
        if "/fuzz/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.fuzz)


def pytest_terminal_summary(terminalreporter):  # noqa: D103
    if not TALLY:
        return
    terminalreporter.section(f"fuzz tally (profile {settings().max_examples} examples/test)")
    for line in report_lines():
        terminalreporter.write_line(line)
    web = sys.modules.get("test_fuzz_web") or sys.modules.get("tests.fuzz.test_fuzz_web")
    if web is not None and web.STATUSES:
        terminalreporter.write_line("web answers: " + ", ".join(
            f"{code} x{n}" for code, n in sorted(web.STATUSES.items())))
    target = os.environ.get("RADAR_FUZZ_REPORT")
    if target:
        with open(target, "w", encoding="utf-8") as fh:
            json.dump(report_json(), fh, indent=2, ensure_ascii=False)
