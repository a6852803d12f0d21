"""The compiled hot modules (configurator/native.py): used only when built from this source,
and deciding exactly as the source does."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

from configurator import native

from .paths import CASE, PRODUCT, ROOT
from .test_cli import run


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A small stand-in package with a build manifest matching it."""
    root = tmp_path / "pkg"
    (root / "engine").mkdir(parents=True)
    (root / "__init__.py").write_text('"""p"""\n')
    (root / "engine" / "walk.py").write_text("x = 1\n")
    monkeypatch.setattr(native, "PACKAGE", root)
    monkeypatch.setattr(native, "OUT", root / "_native")
    monkeypatch.delenv(native.SWITCH, raising=False)
    (root / "_native").mkdir()
    manifest = {"abi": native._abi(), "mypy": "1.13.0", "modules": ["engine/walk.py"],
                "files": {"pkg.engine.walk": "pkg/engine/walk.so"}, "sources": native.sources()}
    (root / "_native" / native.MANIFEST).write_text(json.dumps(manifest))
    return root


def test_a_build_of_this_very_source_is_used(package):
    assert native.check() == ("native", "1 modules compiled by mypyc 1.13.0")


def test_an_edited_added_or_removed_source_file_means_the_source_runs(package):
    (package / "engine" / "walk.py").write_text("x = 2\n")
    stale = "changed since the build (rebuild to use it)"
    assert native.check() == ("source", f"engine/walk.py {stale}")
    (package / "engine" / "walk.py").write_text("x = 1\n")
    (package / "engine" / "new.py").write_text("")
    assert native.check() == ("source", f"engine/new.py {stale}")
    (package / "engine" / "new.py").unlink()
    (package / "__init__.py").unlink()
    assert native.check()[0] == "source"


def test_another_python_no_build_a_broken_manifest_or_the_switch_mean_the_source(package,
                                                                                monkeypatch):
    manifest = package / "_native" / native.MANIFEST
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "abi": "cpython-310 .so"}))
    assert native.check() == ("source", f"built for cpython-310 .so, this is {native._abi()}")
    manifest.write_text("{")
    assert native.check()[1].startswith("unreadable build manifest")
    manifest.unlink()
    assert native.check() == ("source", "not built (configurator native build)")
    manifest.write_text(json.dumps(data))
    monkeypatch.setenv(native.SWITCH, "0")
    assert native.check() == ("source", "CONFIGURATOR_NATIVE=0")


def test_require_refuses_to_start_without_a_usable_build(package, monkeypatch):
    (package / "engine" / "walk.py").write_text("x = 3\n")
    monkeypatch.setenv(native.SWITCH, "require")
    monkeypatch.setattr(native, "_state", {})
    with pytest.raises(SystemExit, match="CONFIGURATOR_NATIVE=require, but the compiled modules "
                                         "are not usable: engine/walk.py changed"):
        native.enable()


def test_in_native_mode_every_compiled_module_is_loaded_from_the_build():
    in_use, why = native.mode()
    if in_use != "native":
        pytest.skip(f"the compiled modules are not in use here: {why}")
    import importlib

    for module in native.MODULES:
        name = "configurator." + module[:-3].replace("/", ".")
        loaded = importlib.import_module(name)
        assert loaded.__file__.startswith(str(native.OUT)) and loaded.__file__.endswith(".so")


def test_the_source_and_the_compiled_modules_decide_alike_on_every_differential_case():
    """tests/test_differential.py holds the mode in use to the Outcomes captured before issue
    14; this runs the same 5,000+ cases in the other mode, in a fresh process."""
    in_use, why = native.mode()
    if in_use != "native":
        pytest.skip(f"only the source runs here ({why}): tests/test_differential.py covers it")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "differential.py")],
                          capture_output=True, text=True, timeout=900, cwd=ROOT,
                          env={**os.environ, native.SWITCH: "0"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert ", 0 changed: []" in done.stdout


def test_the_command_tells_what_is_in_use_and_why():
    shown = run("native")
    in_use, why = native.check()
    assert shown.returncode == 0
    assert shown.stdout == f"in use: {in_use} ({why})\n"
    forced = subprocess.run([sys.executable, "-m", "configurator", "native"], capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, native.SWITCH: "0"})
    assert forced.stdout == "in use: source (CONFIGURATOR_NATIVE=0)\n"


def _lone_floats(annotation: ast.expr) -> list[str]:
    """`float`s in an annotation that are not in a union with `int`."""
    unions = [node for node in ast.walk(annotation)
              if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr)]

    def members(node: ast.expr) -> list[ast.expr]:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return members(node.left) + members(node.right)
        return [node]

    paired = set()
    for union in unions:
        names = [m.id for m in members(union) if isinstance(m, ast.Name)]
        if "int" in names:
            paired |= {id(m) for m in members(union)}
    return [ast.unparse(annotation) for node in ast.walk(annotation)
            if isinstance(node, ast.Name) and node.id == "float" and id(node) not in paired]


def test_no_compiled_module_turns_an_int_into_a_float():
    """mypyc converts an int to a float where `float` is written (PEP 484 lets an int pass as
    a float; Python leaves it an int): 30 would come out as 30.0, and a huge int raise. So a
    compiled module writes `float | int` wherever an int may come."""
    found = []
    for module in native.MODULES:
        tree = ast.parse((native.PACKAGE / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            annotations = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = node.args
                annotations += [a.annotation for a in (*arguments.posonlyargs, *arguments.args,
                                                        *arguments.kwonlyargs)]
                annotations.append(node.returns)
            elif isinstance(node, ast.AnnAssign):
                annotations.append(node.annotation)
            for annotation in filter(None, annotations):
                found += [f"{module}:{node.lineno}: {text}" for text in _lone_floats(annotation)]
    assert found == []


def test_every_constant_of_a_compiled_module_is_final():
    """Compiled, a module's plain global is a dictionary lookup at each use and a `Final`
    one a constant: the loops over a row's values and the memo's keys read them per value
    (`plain.within_limits` took 8.6 µs a row with plain globals, 6.5 with Final ones). So an
    upper-case name assigned at a compiled module's top level is `Final`, unless a function
    rebinds it (`global`)."""
    import re

    found = []
    for module in native.MODULES:
        tree = ast.parse((native.PACKAGE / module).read_text(encoding="utf-8"))
        rebound = {name for node in ast.walk(tree) if isinstance(node, ast.Global)
                   for name in node.names}
        for node in tree.body:
            if isinstance(node, ast.Assign):
                targets = [t for target in node.targets
                           for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                    and node.value is not None:
                if "Final" in ast.unparse(node.annotation):
                    continue
                names = [node.target.id]
            else:
                continue
            found += [f"{module}:{node.lineno}: {name}" for name in names
                      if re.fullmatch(r"_?[A-Z][A-Z0-9_]*", name) and name not in rebound]
    assert found == []


def test_a_written_out_init_takes_the_fields_in_order():
    """The records a case makes by the dozen (the Outcome's, its events) write their
    `__init__` (a dataclass's is interpreted even compiled): each argument, by position and
    by name, lands in its field, defaults too."""
    import dataclasses
    import datetime as dt
    from decimal import Decimal

    from configurator.cases.case import Event
    from configurator.cases.outcome import AdherenceOut, CheckupOut, ClaimOut, Reason, TraceStep
    from configurator.errors import Span

    day, later = dt.date(2026, 1, 5), dt.date(2026, 3, 1)
    reason = Reason("waiting", "In the waiting period.")
    for kind, values in ((Reason, ["rule", "text", "clause", "source", day, {"alt": 31},
                                   [{"condition": "alt < 40"}]]),
                         (TraceStep, [7, day, "rule", {"applicant": 3}]),
                         (CheckupOut, ["scan", day, "done", "yearly", (day, later), later,
                                       later]),
                         (ClaimOut, ["claim-1", "benefit", day, "paid", Decimal("12.50"),
                                     [reason], Decimal("20.00")]),
                         (AdherenceOut, ["programme", "sum_insured", 10.0, 50, 2,
                                         {1: True}, {"pdc": 0.9}, "freeze"]),
                         (Event, ["v-1", "visit", day, {"alt": 31}, Span("c.jsonl", 3, 1),
                                  ("routine",)])):
        fields = dataclasses.fields(kind)
        assert not kind.__dataclass_params__.init  # its own, not one made for it
        assert len(values) == len(fields)
        by_position = kind(*values)
        by_name = kind(**{f.name: v for f, v in zip(fields, values, strict=True)})
        for item, value in zip(fields, values, strict=True):
            assert getattr(by_position, item.name) == value, (kind, item.name)
            assert getattr(by_name, item.name) == value, (kind, item.name)
        required = [f for f in fields if f.default is dataclasses.MISSING
                    and f.default_factory is dataclasses.MISSING]
        bare = kind(*values[:len(required)])
        for item in fields[len(required):]:
            default = (item.default if item.default_factory is dataclasses.MISSING
                       else item.default_factory())
            assert getattr(bare, item.name) == default, (kind, item.name)
            if item.default_factory is not dataclasses.MISSING:  # a new one each time
                assert getattr(bare, item.name) is not getattr(
                    kind(*values[:len(required)]), item.name), (kind, item.name)


def test_records_cross_to_a_worker_whole(product, case, compiled):
    """Cases, events and Outcomes go to batch and server workers by pickle: every field
    comes back, the event's span (left out of ==) too."""
    import dataclasses
    import pickle

    from configurator import Environment, evaluate
    from configurator.cases.calendar import policy_year
    from configurator.cases.case import Event

    outcome = evaluate(compiled, case)
    illustration = Environment().illustration(product)
    records = [case, *case.events, policy_year(case.start, 2), *outcome.exclusions,
               illustration]
    assert case.events and outcome.exclusions and case.events[0].span is not None
    for record in records:
        assert dataclasses.is_dataclass(record)
        # an Event is not frozen (its constructor is a batch row's hottest), the rest are
        assert type(record).__dataclass_params__.frozen != (type(record) is Event)
        copy = pickle.loads(pickle.dumps(record))
        assert type(copy) is type(record)
        for item in dataclasses.fields(record):
            assert getattr(copy, item.name) == getattr(record, item.name), item.name
    assert pickle.loads(pickle.dumps(outcome)).dumps() == outcome.dumps()


def test_an_outcome_pickled_by_the_source_reads_back_compiled(product, case, compiled):
    """A worker may run the other way than its parent (a build made or edited sources while
    a server runs): an Outcome, each of its records pickled by its fields, reads back whole
    either way."""
    import pickle

    from configurator import evaluate

    in_use, why = native.mode()
    if in_use != "native":
        pytest.skip(f"only the source runs here ({why})")
    script = ("import pickle, sys\n"
              "from configurator import compile_product, evaluate, load, load_case\n"
              "product = load(sys.argv[1])\n"
              "outcome = evaluate(compile_product(product), load_case(sys.argv[2], product))\n"
              "sys.stdout.buffer.write(pickle.dumps(outcome))\n")
    done = subprocess.run([sys.executable, "-c", script, str(PRODUCT), str(CASE)],
                          capture_output=True, timeout=300, cwd=ROOT,
                          env={**os.environ, native.SWITCH: "0"})
    assert done.returncode == 0, done.stderr.decode()
    assert pickle.loads(done.stdout).dumps() == evaluate(compiled, case).dumps()
