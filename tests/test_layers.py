"""The layer contract, read from the source with `ast` (docs/architecture.md draws it).

Layers, bottom to top; a package may import packages of a lower layer, never of a higher one
(same-layer packages do not import each other):

    config                          settings, errors, pause points: imports nothing of ours
    store                           DuckDB, migrations, records, queries, run records
    nlp, crawlers                   the stages ...
    zhtw
    briefs
    commentary
    alerts
    runners                         stage runners (open the store, call a stage)
    flows, web                      the app: Prefect flows, web UI ...
    radar                           ... and the CLI, serve, status, demo

`replay` (the loopback mirror and the bundled snapshot) and `evaluation` (quality measures)
stand beside the layers for the tests, the benchmarks and the demo: no production module
imports them, except radar/demo.py, which serves the snapshot through the mirror.

Every absolute import counts for these two rules, also one inside a function (it runs when
the function does). Package cycles are checked over module-level imports, the ones that run
when a module is imported; imports under `if TYPE_CHECKING:` run nowhere and do not count.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYER = {
    "config": 0,
    "store": 1,
    "nlp": 2, "crawlers": 2,
    "zhtw": 3,
    "briefs": 4,
    "commentary": 5,
    "alerts": 6,
    "runners": 7,
    "flows": 8, "web": 8,
    "radar": 9,
}
SIDE = {"replay", "evaluation"}
SIDE_ALLOWED = {("radar.demo", "replay")}  # the demo replays the snapshot through the mirror
NOT_PACKAGES = {"tests", "benchmarks"}  # they may import anything


@dataclass(frozen=True)
class Import:
    """One import of another top-level package of the project."""

    package: str  # the importing module's package
    module: str  # the importing module
    target: str  # the imported module
    line: int
    module_level: bool

    @property
    def other(self) -> str:
        """The imported package."""
        return self.target.split(".")[0]

    def __str__(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports_of(path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) of every absolute import in a file."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, top) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.module and not child.level:
                    found.append((child.module, child.lineno, top))
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                visit(ast.Module(body=child.orelse, type_ignores=[]), top)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
            else:
                visit(child, top)

    visit(ast.parse(path.read_text(encoding="utf-8")), True)
    return found


def imports(root: Path) -> list[Import]:
    """Every import between the project's top-level packages under `root`."""
    packages = LAYER.keys() | SIDE
    out = []
    for package in sorted(packages):
        for path in sorted((root / package).rglob("*.py")):
            module = ".".join(path.relative_to(root).with_suffix("").parts)
            for target, line, top in _imports_of(path):
                imp = Import(package, module, target, line, top)
                if imp.other in packages and imp.other != package:
                    out.append(imp)
    return out


def upward(found: list[Import]) -> list[Import]:
    """Imports from a layer into a higher (or the same) layer."""
    return [i for i in found if i.package in LAYER and i.other in LAYER
            and LAYER[i.other] >= LAYER[i.package]]


def into_side_packages(found: list[Import]) -> list[Import]:
    """Production modules importing the replay world or the evaluation code."""
    return [i for i in found if i.package in LAYER and i.other in SIDE
            and (i.module, i.other) not in SIDE_ALLOWED]


def package_cycles(found: list[Import]) -> list[str]:
    """Cycles between packages over module-level imports, each as "a -> b -> a"."""
    graph: dict[str, set[str]] = {}
    for i in found:
        if i.module_level:
            graph.setdefault(i.package, set()).add(i.other)
    cycles = set()
    for start in graph:
        stack = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    i = path.index(min(path))  # one spelling per cycle
                    cycles.add(" -> ".join((*path[i:], *path[:i], min(path))))
                elif nxt not in path:
                    stack.append((nxt, (*path, nxt)))
    return sorted(cycles)


def _lines(found) -> str:
    return "\n".join(str(i) for i in found)


def test_every_top_level_package_has_a_place():
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages - NOT_PACKAGES <= LAYER.keys() | SIDE


def test_no_layer_imports_a_higher_one():
    bad = upward(imports(ROOT))
    assert not bad, "imports against the layers:\n" + _lines(bad)


def test_production_code_imports_neither_replay_nor_evaluation():
    bad = into_side_packages(imports(ROOT))
    assert not bad, "production code importing replay/ or evaluation/:\n" + _lines(bad)


def test_replay_does_not_import_evaluation():
    bad = [i for i in imports(ROOT) if i.package == "replay" and i.other == "evaluation"]
    assert not bad, _lines(bad)


def test_no_package_cycle_at_module_level():
    cycles = package_cycles(imports(ROOT))
    assert not cycles, "package cycles:\n" + "\n".join(cycles)


def test_config_imports_nothing_of_the_project():
    bad = [i for i in imports(ROOT) if i.package == "config"]
    assert not bad, _lines(bad)


def test_the_checks_catch_what_they_are_for(tmp_path):
    """A tree with one violation of each rule: every check names it."""
    files = {
        "store/__init__.py": "",
        "store/bad.py": "from briefs.digest import build_digest\n",
        "briefs/__init__.py": "",
        "briefs/digest.py": "import store.bad\n\n\ndef f():\n    from replay.mirror import Mirror\n",
        "replay/__init__.py": "",
        "replay/mirror.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                            "    from evaluation.x import y\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = imports(tmp_path)
    assert [str(i) for i in upward(found)] == ["store.bad:1 imports briefs.digest"]
    assert [str(i) for i in into_side_packages(found)] == ["briefs.digest:5 imports replay.mirror"]
    assert package_cycles(found) == ["briefs -> store -> briefs"]
    assert not [i for i in found if i.package == "replay"]  # typing-only imports do not count
