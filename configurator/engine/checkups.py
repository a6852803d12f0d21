"""Check-ups falling due over a case's timeline: when each is due, its window, its status.

Pure date arithmetic: which occurrences of each check-up exist, when they
open, close and are finally missed, and which one a visit completes. The
evaluation (`evaluate.py`) asks the rules what a completed, missed or
triggered check-up does to cover.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from ..cases.calendar import add_months
from ..cases.outcome import CheckupOut
from ..product.model import Checkup
from .amounts import Numbers
from .notes import Notes
from .windows import parts_of_year

# a check-up's kind of trigger (`Schedule.kind`)
ON_ISSUE: Final = 0
EVERY: Final = 1
EACH: Final = 2
ON_CONDITION: Final = 3


class Schedule:
    """When a check-up falls due, read once per plan under one period's parameters
    (`plan.PeriodPlan.schedules`): its kind of trigger and its days and months as ints. An
    attribute of a product's model is a lookup by name at each read, these are not."""

    def __init__(self, checkup: Checkup, numbers: Numbers):
        trigger = checkup.trigger
        self.checkup = checkup
        self.id: str = checkup.id
        self.kind = ON_ISSUE if trigger.on_issue else EVERY if trigger.every_months is not None \
            else EACH if trigger.each is not None else ON_CONDITION
        self.every: int = int(numbers.value(trigger.every_months)) if self.kind == EVERY else 0
        self.part: str = trigger.each or ""
        # None for a check-up that falls due only by the calendar (`_due` in the model)
        self.due: int | None = None if checkup.due_days is None else \
            int(numbers.value(checkup.due_days))
        self.window: int = int(numbers.value(checkup.window_days))
        self.extension: int = int(numbers.value(checkup.extension_days))
        self._reasons: dict[str, str] = {}  # why it falls due by the calendar, per language

    def reason(self, say: Notes) -> str:
        """Why it falls due by the calendar ("every 6 months", "in each quarter of the policy
        year"), in `say`'s language."""
        found = self._reasons.get(say.locale)
        if found is None:
            found = self._reasons[say.locale] = say.of("every_months", n=self.every) \
                if self.kind == EVERY else say.of("each_" + self.part)
        return found


class Occurrence:
    """One due instance of a check-up."""

    __slots__ = ("checkup", "seq", "due", "opens", "closes", "final", "status", "done_on",
                 "reason", "index")

    def __init__(self, checkup: Checkup, seq: int, due: dt.date, opens: dt.date,
                 closes: dt.date, extension: int, reason: str):
        self.checkup = checkup
        self.seq = seq
        self.due = due
        self.opens = opens
        self.closes = closes
        self.final = closes + dt.timedelta(days=extension)
        self.status = "open"
        self.done_on: dt.date | None = None
        self.reason = reason
        self.index = 0  # its place among all occurrences of the case

    def out(self, as_of: dt.date) -> CheckupOut:
        """The occurrence as the Outcome reports it on `as_of`."""
        status = self.status
        if status == "open":
            status = "overdue" if as_of > self.due else "due"
        return CheckupOut(self.checkup.id, self.due, status, self.reason,
                          (self.opens, self.closes), self.final, self.done_on)


class CheckupBook:
    """Every occurrence of every check-up so far, in the order they fell due.

    Occurrences are indexed by check-up, and the open ones kept apart (closed
    ones drop out as they are met), so matching a visit or scheduling costs
    the same however long the timeline is.
    """

    def __init__(self, by_event: dict[str, list[str]], notes: Notes):
        self.say = notes
        self.occurrences: list[Occurrence] = []
        self._of: dict[str, list[Occurrence]] = {}
        self._open: dict[str, list[Occurrence]] = {}
        self._by_event = by_event  # check-up ids by the event type of their visits (shared)

    def at_issue(self, start: dt.date, as_of: dt.date, end: dt.date | None,
                 schedules: dict[str, Schedule]) -> list[Occurrence]:
        """Check-ups due from the start: those at issue, and periodic ones."""
        found: list[Occurrence] = []
        for schedule in schedules.values():
            kind = schedule.kind
            if kind == ON_ISSUE:
                found += self.schedule(schedule.id, start, None, schedules)
            elif kind == EVERY:
                found += self.periodic(schedule, start, as_of, end)
            elif kind == EACH:
                found += self.in_parts(schedule, start, as_of, end)
        return found

    def in_parts(self, schedule: Schedule, start: dt.date, as_of: dt.date, end: dt.date | None
                 ) -> list[Occurrence]:
        """One occurrence in each quarter or half of every policy year: open the whole part,
        due on its last day (then any extension)."""
        checkup, extension, reason = schedule.checkup, schedule.extension, schedule.reason(self.say)
        found: list[Occurrence] = []
        number = 1
        while True:
            for first, stop in parts_of_year(start, number, schedule.part):
                if end is not None and first >= end:
                    return found
                due = stop - dt.timedelta(days=1)
                found.append(self._add(Occurrence(checkup, len(found) + 1, due, first, due,
                                                  extension, reason)))
                if due > as_of:
                    return found  # the part now running is shown; later ones are not yet due
            number += 1

    def periodic(self, schedule: Schedule, start: dt.date, as_of: dt.date, end: dt.date | None
                 ) -> list[Occurrence]:
        checkup, every, extension = schedule.checkup, schedule.every, schedule.extension
        reason, width = schedule.reason(self.say), dt.timedelta(days=schedule.window)
        found = []
        k = 1
        while True:
            due = add_months(start, k * every)
            if end is not None and due >= end:
                break
            found.append(self._add(Occurrence(checkup, k, due, due - width, due + width,
                                              extension, reason)))
            if due > as_of:
                break  # the next one due is shown; later ones are not yet scheduled
            k += 1
        return found

    def schedule(self, checkup_id: str, day: dt.date, why: str | None,
                 schedules: dict[str, Schedule]) -> list[Occurrence]:
        """A check-up falls due from `day` (`why`: the rule that set it off; None at issue);
        none when one is already open."""
        if self.open(checkup_id):
            return []  # already due: one open occurrence at a time
        schedule = schedules[checkup_id]
        due = day + dt.timedelta(days=schedule.due)
        closes = due + dt.timedelta(days=schedule.window)
        reason = self.say.of("at_issue") if why is None else \
            self.say.of("triggered", rule=why, date=day.isoformat())
        seq = len(self._of.get(checkup_id, ())) + 1
        return [self._add(Occurrence(schedule.checkup, seq, due, day, closes,
                                     schedule.extension, reason))]

    def _add(self, occurrence: Occurrence) -> Occurrence:
        occurrence.index = len(self.occurrences)
        self.occurrences.append(occurrence)
        self._of.setdefault(occurrence.checkup.id, []).append(occurrence)
        self._open.setdefault(occurrence.checkup.id, []).append(occurrence)
        return occurrence

    def open(self, checkup_id: str) -> list[Occurrence]:
        """The check-up's occurrences still open, in the order they fell due."""
        found = self._open.get(checkup_id)
        if found is None:
            return []
        if any(o.status != "open" for o in found):  # closed since: drop them
            found[:] = [o for o in found if o.status == "open"]
        return found

    def matching(self, event_type: str, day: dt.date) -> list[Occurrence]:
        """The open occurrences a visit on `day` completes: the first of each check-up."""
        found = []
        for checkup_id in self._by_event.get(event_type, ()):
            first = next((o for o in self.open(checkup_id) if o.opens <= day <= o.final), None)
            if first is not None:
                found.append(first)
        return sorted(found, key=lambda o: o.index)

    def late(self, checkup: Checkup, day: dt.date) -> bool:
        """Whether a visit on `day` comes after the check-up was missed: the latest
        occurrence fallen due by then was missed, and its last day has passed."""
        before = [o for o in self._of.get(checkup.id, ()) if o.opens <= day]
        return bool(before) and before[-1].status == "missed" and day > before[-1].final

    def streak(self, occurrence: Occurrence) -> int:
        """How many of its check-up's occurrences were missed in a row, ending with this one
        (one done in between starts the count again)."""
        count, mine = 0, self._of[occurrence.checkup.id]
        for earlier in reversed(mine[:mine.index(occurrence) + 1]):
            if earlier.status != "missed":
                break
            count += 1
        return count

    def last_missed(self, checkup: Checkup) -> bool:
        mine = self._of.get(checkup.id)
        return bool(mine) and mine[-1].status == "missed"
