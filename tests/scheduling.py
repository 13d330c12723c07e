"""How `make test` spreads the suite over two pytest-xdist workers (`-n 2 --dist loadgroup`).

Each test file is one unit of work, so a module fixture (a store built once per module, a
model loaded once per file) is built once, on one worker. Files that share a session fixture
form one unit across files (`GROUPS`), so that fixture is built once too. Units run longest
first (`FIRST`, then the files with `slow` tests, then the rest in collection order) and a
worker only gets its next unit when it is idle: with xdist's own look-ahead a long unit could
wait behind another long one while the other worker runs out of work (and a worker busy with
a long unit's last test is given a short unit to hold).
"""

from __future__ import annotations

import pytest

# units that share a session fixture, by path prefix -> group name
GROUPS = {"tests/browser/": "browser", "tests/test_demo.py::": "demo",
          "tests/test_briefs_relevance.py::test_demo_morning": "demo"}
# the longest units, longest first (docs/performance.md, "Test suite time")
FIRST = (
    "tests/test_getting_started.py",
    "demo",
    "tests/test_zhtw_translate.py",
    "tests/test_commentary_asof.py",
    "browser",
    "tests/test_evaluation_summaries.py",
    "tests/test_nlp_entities.py",
    "tests/test_kill_stages.py",
)


def unit_of(nodeid: str) -> str:
    """The work unit of a test id: its shared-fixture group, else its file."""
    path = nodeid.split("::", 1)[0]
    return next((g for prefix, g in GROUPS.items() if nodeid.startswith(prefix)), path)


def order_for_workers(items: list[pytest.Item]) -> None:
    """Put the units longest first, each unit's tests together (in place)."""
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(unit_of(item.nodeid), []).append(item)

    def rank(unit: str) -> tuple[int, int]:
        if unit in FIRST:
            return (0, FIRST.index(unit))
        return (1, 0) if any(i.get_closest_marker("slow") for i in units[unit]) else (2, 0)

    items[:] = [i for unit in sorted(units, key=rank) for i in units[unit]]  # sort is stable


def idle_first_scheduler(config):
    """xdist's loadgroup scheduling, giving a worker its next unit only once it is idle (it
    holds one test back until it knows the next, so 'idle' is one test pending)."""
    from xdist.scheduler import LoadGroupScheduling

    class IdleFirst(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            # by test id, not xdist_group marks: xdist 3.8 writes the mark into a node
            # attribute pytest 9 no longer reads
            return unit_of(nodeid)

        def _reschedule(self, node) -> None:
            if node.shutting_down:
                return
            if not self.workqueue:
                node.shutdown()
                return
            if self._pending_of(self.assigned_work[node]) > 1:
                return
            # The worker runs its last pending test only once it has the next one, so the next
            # unit waits behind that test: behind a long unit's test it gets the queue's last
            # (shortest) unit, not the next long one.
            running = [u for u, tests in self.assigned_work[node].items()
                       if not all(tests.values())]
            if running and running[0] in FIRST and len(self.workqueue) > 1:
                self.workqueue.move_to_end(next(reversed(self.workqueue)), last=False)
            self._assign_work_unit(node)

    config.option.loadscopereorder = False  # keep the longest-first order made above
    return IdleFirst(config)
