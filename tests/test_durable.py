"""The engine boundary: sessions never leak, failures clean up, memory stays sound."""

from __future__ import annotations

import gc
import json
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from configurator import case_from_data, evaluate
from configurator.engine import durable

from .paths import CASE, PRODUCT


def applicant(age: int) -> dict:
    return {"policy": {"start": "2026-02-01"}, "as_of": "2026-02-01",
            "applicant": {"age": age, "sex": "male", "hbv_status": "carrier",
                          "hbsag_positive_months": 24, "alt": 30, "hbv_dna": 100, "afp": 3}}


def test_five_thousand_evaluations_outlive_the_session_cap(product, compiled):
    """durable-rules raises MemoryError at 1025 live sessions; we delete every one."""
    cases = [case_from_data(applicant(age), product) for age in (17, 30, 61)]
    decisions = [evaluate(compiled, cases[i % 3]).decision for i in range(5000)]
    assert decisions[:3] == ["decline", "accept", "decline"]
    assert decisions.count("accept") == 1667
    assert durable.live_sessions() == 0


def test_failure_while_draining_leaves_no_session_and_next_case_is_right(
        case, compiled, monkeypatch):
    """The engine itself fails on the third action it hands over (through the one module
    global that holds it, so this holds for the compiled modules too: configurator/native.py)."""
    expected = evaluate(compiled, case).to_json()
    real = durable._engine
    opened: list[tuple[int, str]] = []
    calls = {"n": 0}

    class Failing:
        def __getattr__(self, name):
            return getattr(real, name)

        def assert_facts(self, handle, text):
            sid = json.loads(text)[0]["sid"]
            if (handle, sid) not in opened:
                opened.append((handle, sid))
            return real.assert_facts(handle, text)

        def complete_and_start_action(self, handle, offset):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("injected failure while draining the agenda")
            return real.complete_and_start_action(handle, offset)

    monkeypatch.setattr(durable, "_engine", Failing())
    was = durable.remember(False)  # every fact to the engine, none answered from the memo
    try:
        with pytest.raises(RuntimeError, match="injected"):
            evaluate(compiled, case)
    finally:
        durable.remember(was)
        monkeypatch.undo()

    assert opened, "the evaluation opened sessions before failing"
    assert durable.live_sessions() == 0
    for handle, sid in opened:
        assert not durable.session_exists(handle, sid)
    assert evaluate(compiled, case).to_json() == expected


def test_a_ruleset_name_is_created_once_per_process(compiled):
    ruleset = compiled.periods[0].rulesets[0]
    first = durable.ruleset(ruleset.name, ruleset.rules)
    assert durable.ruleset(ruleset.name, ruleset.rules) == first


def test_sessions_are_fresh_per_case(product, compiled):
    """A fact from one case must never be visible to the next (no shared sid)."""
    declined = case_from_data(applicant(70), product)
    accepted = case_from_data(applicant(40), product)
    assert evaluate(compiled, declined).decision == "decline"
    outcome = evaluate(compiled, accepted)
    assert outcome.decision == "accept"
    assert not [r for r in outcome.reasons if r.rule == "eligibility.age_outside_range"]


def test_an_evaluation_leaves_no_reference_cycle(case, compiled):
    """Everything an evaluation builds is freed by reference counting as soon as it is
    dropped: a cycle (the sessions calling back into the evaluation that holds them) would
    leave ~90 objects a case to the cyclic collector, ~8% of a batch row's CPU."""
    evaluate(compiled, case)  # rulesets, plan and memo built outside the count
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        for summary in (False, True):
            for explain in (False, True):
                outcome = evaluate(compiled, case, explain=explain, summary=summary)
                assert outcome.reasons
                del outcome
        assert gc.collect() == 0
    finally:
        if was:
            gc.enable()


VALGRIND_SCRIPT = textwrap.dedent("""
    import sys
    from configurator import case_from_data, compile_product, evaluate, load, load_case
    product = load(sys.argv[1])
    compiled = compile_product(product)
    timeline = load_case(sys.argv[2], product)
    for age in (17, 40, 70):
        data = {"policy": {"start": "2026-02-01"}, "as_of": "2026-02-01",
                "applicant": {"age": age, "sex": "female", "hbv_status": "carrier",
                              "hbsag_positive_months": 24, "alt": 30, "hbv_dna": 100,
                              "afp": 3}}
        evaluate(compiled, case_from_data(data, product))
    evaluate(compiled, timeline)
    print("evaluated")
""")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_no_memory_errors_inside_durable_rules(tmp_path):
    """valgrind finds no invalid or uninitialised access in durable_rules_engine.

    Catches regressions of the delete_state bug the `_seen.<kind>` rules avoid
    (a session whose fact matched no rule). CPython's own reports are ignored.
    """
    script = tmp_path / "run.py"
    script.write_text(VALGRIND_SCRIPT)
    log = tmp_path / "valgrind.log"
    result = subprocess.run(
        ["valgrind", "--error-limit=no", "--num-callers=30", f"--log-file={log}",
         sys.executable, str(script), str(PRODUCT), str(CASE)],
        capture_output=True, text=True, timeout=900, env={"PYTHONMALLOC": "malloc",
                                                          "PATH": "/usr/bin:/bin"})
    assert "evaluated" in result.stdout, result.stderr
    records = re.split(r"\n==\d+== \n", log.read_text())
    engine_errors = [r for r in records if "durable_rules_engine" in r
                     and ("Invalid" in r or "uninitialised" in r)]
    assert engine_errors == [], engine_errors[0]


def test_trace_names_the_facts_each_rule_matched(case, compiled):
    outcome = evaluate(compiled, case)
    steps = [step.to_json() for step in outcome.trace]
    done = [s for s in steps if s["rule"] == "done.monitoring"]
    assert done and all(set(s["facts"]) == {"d", "c"} for s in done)
    assert json.dumps(steps)  # plain data
    assert all(not s["rule"].startswith(durable_seen()) for s in steps)


def durable_seen() -> str:
    from configurator.compiler.safe_subset import SEEN

    return SEEN
