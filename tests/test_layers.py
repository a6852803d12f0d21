"""The architecture, as the import graph: one floor per stage, imports only downward.

Read from the source with `ast` (nothing is imported), counting every import,
also the ones inside functions. A module may import modules of its own
subpackage and of floors below its own; never a floor above, never a sibling
on the same floor, never in a circle.
"""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "configurator"

# bottom to top; the names on one floor never import each other
FLOORS: list[set[str]] = [
    {"errors", "resources", "files", "limits", "native"},
    {"conditions"},
    {"product"},
    {"cases", "compiler"},
    {"engine", "document", "registry"},
    {"compliance", "whynot", "environment"},
    {"runs"},
    {"server"},
    {"cli"},
    {"__init__", "__main__"},
]
FLOOR_OF = {name: number for number, names in enumerate(FLOORS) for name in names}
MAX_DEPTH = 10  # rooms in the longest import chain (subpackages, top-level modules, cli.py)
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# third-party libraries that belong to one stage only
ONE_HOME = {
    "durable_rules_engine": {"configurator.engine.durable"},
    "weasyprint": {"configurator.document.render", "configurator.document.weasy",
                   "configurator.document.paged", "configurator.document.drawing",
                   "configurator.compliance.report"},
    "click": {"configurator.cli"},
    "rich": {"configurator.cli"},
    "pytest": {"configurator.runs.pytest_plugin"},
    "cryptography": {"configurator.runs.filing_sign"},
}


@functools.cache
def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path) -> Iterator[str]:
    """Every module `name` imports (absolute names), at any depth in the file.

    ``from package import module`` counts as importing that module; ``from
    module import name`` as importing the module.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known = modules()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base


def graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    known = modules()
    return {name: {target for target in imports(name, path) if target in known and
                   target != name} for name, path in known.items()}


def room(module: str) -> str:
    """The floor plan's unit: a subpackage, or a top-level module of the package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_subpackage_and_top_level_module_has_a_floor():
    rooms = {room(name) for name in modules()}
    assert rooms - set(FLOOR_OF) == set(), "give each new subpackage a floor in FLOORS"


def test_imports_run_only_downward():
    wrong = []
    for source, targets in graph().items():
        for target in targets:
            here, there = room(source), room(target)
            if here != there and FLOOR_OF[there] >= FLOOR_OF[here]:
                wrong.append(f"{source} -> {target} ({here} is floor {FLOOR_OF[here]}, "
                             f"{there} floor {FLOOR_OF[there]})")
    assert wrong == []


def test_the_import_graph_has_no_cycles():
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_the_longest_chain_of_imports_between_rooms_is_short():
    rooms: dict[str, set[str]] = {}
    for source, targets in graph().items():
        rooms.setdefault(room(source), set()).update(
            room(t) for t in targets if room(t) != room(source))
    rooms["cli.py (launcher)"] = {"cli"}

    def depth(name: str) -> int:
        return 1 + max((depth(t) for t in rooms.get(name, ())), default=0)

    assert max(depth(name) for name in rooms) <= MAX_DEPTH


@pytest.mark.parametrize("library, homes", sorted(ONE_HOME.items()))
def test_a_library_is_used_by_its_stage_only(library, homes):
    users = {name for name, path in modules().items()
             if any(i == library or i.startswith(library + ".") for i in imports(name, path))}
    assert {u for u in users if not any(u == h or u.startswith(h + ".") for h in homes)} == set()


def test_modules_and_functions_stay_small():
    big = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            big.append(f"{name}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    big.append(f"{name}.{node.name}: {length} lines")
    assert big == []


def test_the_launcher_is_only_a_launcher():
    launcher = (ROOT / "cli.py").read_text(encoding="utf-8")
    code = [line for line in launcher.splitlines() if line.strip() and not line.startswith("#")
            and not line.startswith(('"""', "'''"))]
    assert len(code) <= 4 and "configurator.cli" in launcher


def test_commands_other_than_serve_do_not_import_the_web_framework():
    """FastAPI and the routes take ~0.35 s to import: a command that does not serve (and a
    batch worker, which imports the CLI again as its main module) must not pay for them."""
    probe = ("import sys, configurator.cli, configurator.server.users; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('fastapi', 'starlette', 'uvicorn') or m == 'configurator.server.app'))")
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           cwd=ROOT, check=True)
    assert found.stdout.strip() == "[]"
    served = subprocess.run([sys.executable, "-c", "from configurator.server import create_app; "
                             "print(create_app.__module__)"], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert served.stdout.strip() == "configurator.server.app"
