"""Cases: checked against their product, positioned errors, canonical event order.

`tests/fixtures/broken_cases/` holds one broken case per failure mode, each the
valid `tests/fixtures/hepatitis_b_case.yaml` with one defect, checked against
`products/hepatitis_b.yaml`; `NAME.expect` works as in `tests/fixtures/broken/`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from configurator import Case, CaseError, case_from_data, load_case, loads_case
from configurator.cases.case import epoch_day
from configurator.product.model import InputSpec
from configurator.product.values import coerce_value

from .paths import CASE, ROOT

BROKEN = Path("tests/fixtures/broken_cases")
BASE = Path("tests/fixtures/hepatitis_b_case.yaml")
BASE_TEXT = (ROOT / BASE).read_text(encoding="utf-8")
BROKEN_FILES = sorted((ROOT / BROKEN).glob("*.yaml"))


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)


def case_error(path, product) -> CaseError:
    with pytest.raises(CaseError) as info:
        load_case(path, product)
    return info.value


# ------------------------------------------------------------ broken cases


def test_the_base_of_every_broken_case_is_valid(product):
    case = load_case(BASE, product)
    assert (case.start, case.as_of) == (dt.date(2026, 3, 1), dt.date(2026, 12, 31))
    assert case.applicant["alt"] == 30 and case.applicant["on_antivirals"] is False  # a default
    assert case.personal == {"holder": "Li Lei"}
    assert [(e.id, e.type) for e in case.events] == [
        ("antiviral_refill-1", "antiviral_refill"), ("monitoring_visit-1", "monitoring_visit")]
    assert case.events[0].fields == {"days_supply": 90, "drug": "entecavir"}


def test_every_broken_case_says_what_its_error_must_contain():
    assert len(BROKEN_FILES) >= 9
    assert {p.stem for p in BROKEN_FILES} == {p.stem for p in (ROOT / BROKEN).glob("*.expect")}


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda p: p.stem)
def test_broken_case_is_reported_with_position_and_words(path: Path, product):
    lines = (path.with_suffix(".expect")).read_text(encoding="utf-8").splitlines()
    fragments = [line for line in lines if line.strip()]
    error = case_error(BROKEN / path.name, product)
    text = str(error)
    assert text.startswith(fragments[0] + ":"), text
    at = 0
    for fragment in fragments:
        found = text.find(fragment, at)
        assert found >= 0, f"{fragment!r} not found (in order) in:\n{text}"
        at = found + len(fragment)
    assert len(error.problems) == 1, text  # one defect, one problem


def test_every_mistake_in_a_case_is_reported_at_once(product):
    text = BASE_TEXT.replace("  alt: 30\n", "  alt: -1\n").replace(
        "type: monitoring_visit,", "type: monitoring_vist,").replace(
        "as_of: 2026-12-31", "as_of: 2026-02-01")
    with pytest.raises(CaseError) as info:
        loads_case(text, product, "c.yaml")
    assert [(p.span.line, p.path) for p in info.value.problems] == [
        (4, "as_of"), (10, "applicant.alt"), (15, "events[1].type")]
    assert "-1 is below the minimum 0 U/L" in str(info.value)


HEAD = "policy: {start: 2026-03-01}\nas_of: 2026-04-01\n"
APPLICANT = ("applicant: {age: 40, sex: male, hbv_status: carrier, hbsag_positive_months: 24, "
             "alt: 30, hbv_dna: 100, afp: 3}\n")


@pytest.mark.parametrize("text, message", [
    ("- 1\n", "<case>:1:1: expected a mapping"),
    (HEAD, "<case>:1:1: missing 'applicant'; give the applicant's age, sex, hbv_status"),
    (HEAD + "aplicant: {age: 40}\n",
     "<case>:3:1: aplicant: unknown field 'aplicant'; did you mean 'applicant'?"),
    (HEAD.replace("start", "strat") + APPLICANT,
     "<case>:1:10: policy.strat: unknown field 'strat'; did you mean 'start'?"),
    (HEAD + APPLICANT + "events: {a: 1}\n", "<case>:4:9: events: expected a list of events"),
    (HEAD + APPLICANT + "events: [{type: dna_test, hbv_dna: 5}]\n",
     "<case>:4:10: events[0]: missing event date 'date'"),
    (HEAD + APPLICANT + "events: [{date: 2026-03-05}]\n",
     "<case>:4:10: events[0]: missing field 'type'"),
    (HEAD + APPLICANT + "events: [{date: 2026-03-05, type: dna_test}]\n",
     "<case>:4:10: events[0]: missing required field 'hbv_dna'; a number in IU/mL"),
])
def test_case_shape_errors(text, message, product):
    with pytest.raises(CaseError) as info:
        loads_case(text, product)
    assert str(info.value).startswith(message), str(info.value)
    assert len(info.value.problems) == 1, str(info.value)  # no cascade


# ------------------------------------------------------------ values


@pytest.mark.parametrize("spec, value, text, result, error", [
    ({"type": "integer", "min": 0}, 40.0, False, 40, None),
    ({"type": "integer"}, 40.5, False, None, "expected a whole number, got 40.5"),
    ({"type": "number"}, True, False, None, "expected a number, got True"),
    ({"type": "number"}, float("nan"), False, None, "expected a finite number"),
    ({"type": "number", "max": 10, "unit": "mm"}, 11, False, None,
     "11 is above the maximum 10 mm"),
    ({"type": "number"}, "4.5", True, 4.5, None),
    ({"type": "integer"}, " 7 ", True, 7, None),
    ({"type": "boolean"}, "yes", True, True, None),
    ({"type": "boolean"}, "N", True, False, None),
    ({"type": "boolean"}, "no", False, None, "expected true or false, got 'no'"),
    ({"type": "date"}, "2026-02-28", False, dt.date(2026, 2, 28), None),
    ({"type": "date"}, "2026-02-30", False, None, "'2026-02-30' is not a valid date"),
    ({"type": "enum", "values": ["male", "female"]}, "femail", False, None,
     "did you mean 'female'?"),
    ({"type": "string"}, 3, False, None, "expected text, got 3"),
])
def test_coerce_value(spec, value, text, result, error):
    got, problem = coerce_value(InputSpec(**spec), value, text)
    if error is None:
        assert (got, problem) == (result, None)
        assert type(got) is type(result)
    else:
        assert got is None and error in problem


def test_text_values_as_from_a_csv_row(product):
    data = {"policy": {"start": "2026-03-01"}, "as_of": "2026-06-01",
            "applicant": {"age": "40", "sex": "male", "hbv_status": "carrier",
                          "hbsag_positive_months": "24", "alt": "30", "hbv_dna": "100",
                          "afp": "3.5", "on_antivirals": "yes"},
            "events": [{"date": "2026-04-01", "type": "antiviral_refill", "days_supply": "90"}]}
    case = case_from_data(data, product, text_values=True)
    assert case.applicant["age"] == 40 and case.applicant["afp"] == 3.5
    assert case.applicant["on_antivirals"] is True
    assert case.events[0].fields["days_supply"] == 90
    with pytest.raises(CaseError):
        case_from_data(data, product)  # without text_values, "40" is not a number


def test_event_dates_enter_the_engine_as_epoch_days():
    assert epoch_day(dt.date(1970, 1, 2)) == 1
    assert epoch_day(dt.date(2026, 1, 1)) == 20454


# ------------------------------------------------------------ canonical order


EVENTS = [
    {"date": "2026-04-01", "type": "antiviral_refill", "days_supply": 90},
    {"date": "2026-04-01", "type": "antiviral_refill", "days_supply": 30},
    {"date": "2026-04-01", "type": "antiviral_refill", "days_supply": 30, "id": "named_b"},
    {"date": "2026-04-01", "type": "antiviral_refill", "days_supply": 30, "id": "named_a"},
    {"date": "2026-04-01", "type": "monitoring_visit", "alt": 28, "hbv_dna": 50, "afp": 3},
    {"date": "2026-03-15", "type": "dna_test", "hbv_dna": 20},
    {"date": "2026-09-01", "type": "monitoring_visit", "alt": 31, "hbv_dna": 40, "afp": 3},
    {"date": "2026-09-01", "type": "specialist_visit", "cost": 200},
]


def case_data(events: list[dict]) -> dict:
    return {"name": "order", "policy": {"number": "P-9", "start": "2026-03-01", "holder": "Li"},
            "as_of": "2026-12-31",
            "applicant": {"name": "Li Lei", "age": 40, "sex": "male", "hbv_status": "carrier",
                          "hbsag_positive_months": 24, "alt": 30, "hbv_dna": 100, "afp": 3},
            "events": events}


@settings(max_examples=60, deadline=None)
@given(st.permutations(EVENTS))
def test_permuting_events_gives_the_same_case(product, events):
    assert case_from_data(case_data(events), product) == case_from_data(
        case_data(EVENTS), product)


def test_canonical_order_is_date_type_content_id(product):
    case = case_from_data(case_data(EVENTS), product)
    assert [(e.date.isoformat(), e.id) for e in case.events] == [
        ("2026-03-15", "dna_test-1"),
        ("2026-04-01", "antiviral_refill-1"),  # days_supply 30, unnamed
        ("2026-04-01", "named_a"),
        ("2026-04-01", "named_b"),
        ("2026-04-01", "antiviral_refill-4"),  # days_supply 90
        ("2026-04-01", "monitoring_visit-1"),
        ("2026-09-01", "monitoring_visit-2"),
        ("2026-09-01", "specialist_visit-1"),
    ]


def test_the_order_of_a_case_file_does_not_matter_either(product):
    refill = "  - {date: 2026-04-01, type: antiviral_refill, days_supply: 90}\n"
    visit = ("  - {date: 2026-09-01, type: monitoring_visit, alt: 28, hbv_dna: 50, afp: 3.1, "
             "cost: 300}\n")
    text = BASE_TEXT.replace(refill + visit, visit + refill)
    assert text != BASE_TEXT
    swapped = loads_case(text, product, str(BASE))
    original = load_case(BASE, product)
    assert swapped == original
    assert swapped.events[0].span.line == 15 and original.events[0].span.line == 14


# ------------------------------------------------------------ to_data round trip


def round_trip(case: Case, product) -> Case:
    data = json.loads(json.dumps(case.to_data()))  # plain JSON all the way
    return case_from_data(data, product, file=case.file)


def test_to_data_round_trip(product):
    case = case_from_data(case_data(EVENTS), product)
    assert case.personal == {"name": "Li Lei", "holder": "Li"}
    assert "name" not in case.applicant  # personal data is kept apart
    assert round_trip(case, product) == case


@pytest.mark.parametrize("path", [BASE, CASE.relative_to(ROOT)],
                         ids=lambda p: p.stem)
def test_to_data_round_trip_of_case_files(path, product):
    case = load_case(path, product)
    again = round_trip(case, product)
    assert again == case
    assert again.to_data() == case.to_data()



def test_an_event_checked_before_is_reused_only_when_written_exactly_alike(product):
    """Events checked once are remembered per product (a portfolio repeats them); a value
    of another type (true for 1, 30.0 for 30) or another place is checked afresh."""
    def case(*events):
        return {"policy": {"start": "2026-02-01"}, "as_of": "2026-12-01",
                "applicant": {"age": 40, "sex": "male", "hbv_status": "carrier",
                              "hbsag_positive_months": 24, "alt": 30, "hbv_dna": 100,
                              "afp": 3},
                "events": list(events)}

    refill = {"date": "2026-03-01", "type": "antiviral_refill", "days_supply": 30}
    first = loads_case(json.dumps(case(refill)), product, "first.json")
    again = loads_case(json.dumps(case({"type": "specialist_visit", "date": "2026-02-02",
                                        "cost": 1}, refill)), product, "again.json")
    assert first.events[0].fields == again.events[1].fields
    assert first.events[0].fields["days_supply"] == 30
    assert (first.events[0].span.file, first.events[0].span.line) != \
        (again.events[1].span.file, again.events[1].span.line)
    with pytest.raises(CaseError, match="expected a number, got True"):
        case_from_data(case({**refill, "days_supply": True}), product)
    visit = {"type": "specialist_visit", "date": "2026-02-02", "cost": 300}
    whole = case_from_data(case(visit), product).events[0].fields["cost"]
    point = case_from_data(case({**visit, "cost": 300.0}), product).events[0].fields["cost"]
    assert (type(whole), type(point)) == (int, float)


def test_the_events_checked_before_are_reused_and_bounded(product):
    """A portfolio repeats the same refills: an event written as one checked before is taken
    from those (the same checked values), and however many distinct events pass, only
    `_MAX_CHECKED` are kept."""
    from configurator.cases import case as module

    def refills(first: int, count: int) -> list[dict]:
        return [{"date": (dt.date(2026, 3, 2) + dt.timedelta(days=n % 300)).isoformat(),
                 "type": "antiviral_refill", "days_supply": 1 + n // 300, "drug": "entecavir"}
                for n in range(first, first + count)]

    applicant = load_case(BASE, product).applicant

    def case(events: list[dict]) -> Case:
        return case_from_data({"policy": {"start": "2026-03-01"}, "as_of": "2027-02-28",
                               "applicant": applicant, "events": events}, product)

    known = module._known(product).events
    known.clear()
    first = case(refills(0, 2))
    again = case(refills(0, 2))
    assert len(known) == 2 and again.events == first.events
    assert [e.fields for e in again.events] == [{"days_supply": 1, "drug": "entecavir"}] * 2
    for start in range(0, module._MAX_CHECKED + 3_000, 15_000):
        case(refills(start, 15_000))
    assert len(known) == module._MAX_CHECKED
