"""The Outcome of evaluating a case: small dataclasses with a flat JSON form.

The JSON keys are a contract (DESIGN.md): product, as_of, decision, reasons,
loadings, exclusions, checkups, coverage, claims, trace. Money is a decimal
string, never a float. Extra keys (adherence, notes) extend the contract.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from datetime import date  # noqa: F401  (mypyc reads a dataclass field's type by its bare name)
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from .case import Case
from .frozen import by_fields

CENT: Final = Decimal("0.01")


def money(value: Decimal | int | float | str) -> Decimal:
    """Round to cents, half up (the insurer's convention). A Decimal is rounded as it is:
    its text reads back as the same digits and exponent."""
    if type(value) is not Decimal:
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value: Decimal) -> str:
    return str(money(value))


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(slots=True, init=False)
class Reason:
    """Why something happened: the rule, its clause and where it is written.

    Its `__init__` is written out (the fields' order) because a dataclass's generated one is
    interpreted even when compiled: 0.25 µs against 0.13, and a case makes ~10 Reasons and
    ~20 TraceSteps (tests/test_native.py holds each to its fields). Compiled, making one
    runs that `__init__` (a pickle's bare `__new__` would fail), so it pickles by its
    fields, as a frozen dataclass does."""

    def __reduce__(self) -> tuple:
        return by_fields(self)

    rule: str
    text: str
    clause: str = ""
    source: str = ""
    date: dt.date | None = None
    values: dict[str, Any] | None = None
    checks: list[dict[str, Any]] | None = None

    def __init__(self, rule: str, text: str, clause: str = "", source: str = "",
                 date: dt.date | None = None,  # noqa: F811 (the field's name)
                 values: dict[str, Any] | None = None,
                 checks: list[dict[str, Any]] | None = None):
        self.rule, self.text, self.clause, self.source = rule, text, clause, source
        self.date, self.values, self.checks = date, values, checks

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule, "text": self.text, "clause": self.clause,
                                "source": self.source}
        if self.date is not None:
            data["date"] = self.date.isoformat()
        if self.values is not None:
            data["values"] = {k: _number(v) for k, v in self.values.items()}
        if self.checks is not None:
            data["checks"] = self.checks
        return data


@dataclass(slots=True)
class Loading:
    def __reduce__(self) -> tuple:  # by its fields, as the other records: a pickle reads
        return by_fields(self)     # back whichever way each side runs (compiled or not)

    rule: str
    percent: float | int
    since: dt.date | None = None
    removed: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        data = {"rule": self.rule, "percent": _number(self.percent)}
        if self.removed is not None:
            data["removed"] = self.removed.isoformat()
        return data


@dataclass(slots=True, frozen=True)
class ExclusionOut:
    def __reduce__(self) -> tuple:  # pickles when compiled (frozen.py)
        return by_fields(self)

    id: str
    text: str
    source: str  # "product" for general exclusions, else the rule that added it
    since: dt.date | None = None
    until: dt.date | None = None  # the last day a lapsing exclusion applies (inclusive)

    def to_json(self) -> dict[str, Any]:
        data = {"id": self.id, "text": self.text, "source": self.source}
        if self.since is not None:
            data["since"] = self.since.isoformat()
        if self.until is not None:
            data["until"] = self.until.isoformat()
        return data


@dataclass(slots=True, init=False)
class CheckupOut:
    """A check-up's occurrence as of the case's date. `__init__` written out, as `Reason`'s."""

    def __reduce__(self) -> tuple:
        return by_fields(self)

    id: str
    due: dt.date
    status: str  # due | overdue | done | missed
    reason: str
    window: tuple[dt.date, dt.date] | None = None
    deadline: dt.date | None = None
    done_on: dt.date | None = None

    def __init__(self, id: str, due: dt.date, status: str, reason: str,
                 window: tuple[dt.date, dt.date] | None = None,
                 deadline: dt.date | None = None, done_on: dt.date | None = None):
        self.id, self.due, self.status, self.reason = id, due, status, reason
        self.window, self.deadline, self.done_on = window, deadline, done_on

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "due": self.due.isoformat(), "status": self.status,
                                "reason": self.reason}
        if self.window:
            data["window"] = [d.isoformat() for d in self.window]
        if self.deadline:
            data["deadline"] = self.deadline.isoformat()
        if self.done_on:
            data["done_on"] = self.done_on.isoformat()
        return data


@dataclass(slots=True)
class CoverOut:
    def __reduce__(self) -> tuple:  # as `Loading`'s
        return by_fields(self)

    sum_insured: Decimal
    limits: dict[str, Decimal]
    premium_adjustment_percent: float | int
    tier: str | None
    in_force: bool
    bonus_percent: float | int = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"sum_insured": money_text(self.sum_insured),
                "limits": {k: money_text(v) for k, v in self.limits.items()},
                "premium_adjustment_percent": _number(self.premium_adjustment_percent),
                "tier": self.tier, "in_force": self.in_force,
                "bonus_percent": _number(self.bonus_percent)}


@dataclass(slots=True, init=False)
class ClaimOut:
    """A claim's judgement. `__init__` written out, as `Reason`'s (no reasons: a new list)."""

    def __reduce__(self) -> tuple:
        return by_fields(self)

    id: str
    benefit: str | None
    date: dt.date
    status: str  # paid | partly_paid | declined | pending
    payable: Decimal
    reasons: list[Reason] = field(default_factory=list)
    claimed: Decimal | None = None

    def __init__(self, id: str, benefit: str | None,
                 date: dt.date,  # noqa: F811 (the field's name)
                 status: str, payable: Decimal, reasons: list[Reason] | None = None,
                 claimed: Decimal | None = None):
        self.id, self.benefit, self.date, self.status = id, benefit, date, status
        self.payable, self.claimed = payable, claimed
        self.reasons = [] if reasons is None else reasons

    def to_json(self) -> dict[str, Any]:
        data = {"id": self.id, "benefit": self.benefit, "date": self.date.isoformat(),
                "status": self.status, "payable": money_text(self.payable),
                "reasons": [r.to_json() for r in self.reasons]}
        if self.claimed is not None:
            data["claimed"] = money_text(self.claimed)
        return data


@dataclass(slots=True, init=False)
class AdherenceOut:
    """A programme's standing. `__init__` written out, as `Reason`'s."""

    def __reduce__(self) -> tuple:
        return by_fields(self)

    id: str
    target: str
    bonus_percent: float | int
    cap_percent: float | int
    consecutive_years: int
    years: dict[int, bool]
    current: dict[str, Any]
    on_miss: str

    def __init__(self, id: str, target: str,
                 bonus_percent: float | int, cap_percent: float | int,
                 consecutive_years: int, years: dict[int, bool], current: dict[str, Any],
                 on_miss: str):
        self.id, self.target, self.on_miss = id, target, on_miss
        self.bonus_percent, self.cap_percent = bonus_percent, cap_percent
        self.consecutive_years, self.years, self.current = consecutive_years, years, current

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "target": self.target, "bonus_percent": _number(self.bonus_percent),
                "cap_percent": _number(self.cap_percent),
                "consecutive_years": self.consecutive_years,
                "years": {str(k): v for k, v in sorted(self.years.items())},
                "current": {k: _number(v) for k, v in self.current.items()},
                "on_miss": self.on_miss}


@dataclass(slots=True, init=False)
class TraceStep:
    """One rule firing: when, and the `_ref` of each fact it matched (by alias), taken
    from the engine's action record when the rule fired, or from the memo's
    record of it (`engine.durable`). `__init__` written out, as `Reason`'s."""

    def __reduce__(self) -> tuple:
        return by_fields(self)

    seq: int
    date: dt.date
    rule: str
    facts: dict[str, Any]

    def __init__(self, seq: int, date: dt.date,  # noqa: F811 (the field's name)
                 rule: str, facts: dict[str, Any]):
        self.seq, self.date, self.rule, self.facts = seq, date, rule, facts

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "date": self.date.isoformat(), "rule": self.rule,
                "facts": dict(self.facts)}


@dataclass
class Outcome:
    """Everything the engine decided about one case, as of a date."""

    product: dict[str, str]
    as_of: dt.date
    decision: str
    reasons: list[Reason]
    loadings: list[Loading]
    exclusions: list[ExclusionOut]
    checkups: list[CheckupOut]
    coverage: CoverOut
    claims: list[ClaimOut]
    adherence: list[AdherenceOut]
    trace: list[TraceStep]
    notes: list[str] = field(default_factory=list)

    def to_json(self, trace: bool = True) -> dict[str, Any]:
        data = {
            "product": self.product,
            "as_of": self.as_of.isoformat(),
            "decision": self.decision,
            "reasons": [r.to_json() for r in self.reasons],
            "loadings": [x.to_json() for x in self.loadings],
            "exclusions": [x.to_json() for x in self.exclusions],
            "checkups": [x.to_json() for x in self.checkups],
            "coverage": self.coverage.to_json(),
            "claims": [x.to_json() for x in self.claims],
            "adherence": [x.to_json() for x in self.adherence],
            "notes": list(self.notes),
        }
        data["trace"] = [t.to_json() for t in self.trace] if trace else []
        return data

    def dumps(self, trace: bool = True) -> str:
        return json.dumps(self.to_json(trace), ensure_ascii=False, indent=2)

    @property
    def payable_total(self) -> Decimal:
        return sum((c.payable for c in self.claims), Decimal(0))


# ------------------------------------------------------------ a batch's row


def summary_row(number: int, outcome: Outcome, name: str | None) -> dict[str, Any]:
    """One case's row in a batch's output (`runs.batch`): its decision, reasons, cover,
    exclusions and payable totals."""
    cover = outcome.coverage
    percent = cover.premium_adjustment_percent
    checkups_open = claims_paid = 0
    for checkup in outcome.checkups:
        if checkup.status == "due" or checkup.status == "overdue":
            checkups_open += 1
    for claim in outcome.claims:
        if claim.payable > 0:
            claims_paid += 1
    return {
        "row": number, "name": name or "", "decision": outcome.decision,
        "reasons": [r.rule for r in outcome.reasons],
        "tier": cover.tier or "", "sum_insured": money_text(cover.sum_insured),
        "premium_adjustment_percent": int(percent) if float(percent).is_integer() else percent,
        "loadings": [f"{x.rule}:{x.percent:g}" for x in outcome.loadings],
        "exclusions": [x.id for x in outcome.exclusions],
        "checkups_open": checkups_open, "claims_paid": claims_paid,
        "payable_total": money_text(outcome.payable_total),
    }


def check_writable(row: dict[str, Any]) -> None:
    """Raise (the row's own error) if `row` cannot be written as UTF-8: only text that is
    not ASCII can hold a lone surrogate, so only a row with such text is encoded to find out."""
    for value in row.values():
        for item in (value if type(value) is list else (value,)):
            if type(item) is str and not item.isascii():
                json.dumps(row, ensure_ascii=False).encode("utf-8")
                return


@dataclass(frozen=True)
class Illustration:
    """The sample case's Outcomes: at the start, at each year's end and at each renewal."""

    def __reduce__(self) -> tuple:  # pickles when compiled (frozen.py)
        return by_fields(self)

    case: Case
    first: Outcome
    at_end: tuple[Outcome, ...]
    at_renewal: tuple[Outcome, ...]

    @property
    def years(self) -> int:
        return len(self.at_end)
