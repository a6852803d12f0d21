"""The COPD product explained: every example case, with the values each reason read.

Its flare-up review is triggered on an event by rolling metrics; explaining
that trigger once crashed ("no value for 'flare_ups_365d'") because the
reason was explained without the metrics the trigger had read.
"""

from __future__ import annotations

import pytest

from configurator import compile_product, evaluate, load
from configurator.cases.case import load_case
from configurator.runs.demo import example_cases

from .paths import PRODUCTS_DIR

PRODUCT = PRODUCTS_DIR / "copd.yaml"
CONDITIONED = ("eligibility.", "trigger.", "result.", "adherence.")


@pytest.fixture(scope="module")
def compiled():  # this module's product, not the shared hepatitis B one
    return compile_product(load(PRODUCT))


@pytest.mark.parametrize("path", example_cases(PRODUCT), ids=lambda p: p.stem)
def test_every_conditioned_reason_is_explained(compiled, path):
    out = evaluate(compiled, load_case(path, compiled.product), explain=True).to_json()
    for reason in out["reasons"]:
        if reason["rule"].startswith(CONDITIONED):
            assert reason["values"], reason
            assert reason["checks"][0]["value"] is True, reason


def test_flare_up_trigger_shows_the_rolling_counts_it_read(compiled):
    case = load_case(PRODUCT.with_suffix("") / "frequent_flare_ups_case_management.yaml",
                     compiled.product)
    out = evaluate(compiled, case, explain=True).to_json()
    trigger = next(r for r in out["reasons"] if r["rule"] == "trigger.case_management_review")
    assert trigger["date"] == "2026-05-14"
    assert trigger["values"]["flare_ups_365d"] == 1
    assert trigger["values"]["admissions_365d"] == 1
