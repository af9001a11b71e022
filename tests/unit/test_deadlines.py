"""Windows in the agency's own time: when N days end, which days count, how times read.

Pure: ``Deadline.due`` with a ``WorkCalendar``, the deadline guards' refusals, and
``localtime.format_moment``. Every expected date below was counted by hand on a calendar.
"""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from workflow.context import TransitionContext
from workflow.definition import Deadline
from workflow.guards import GUARDS
from workflow.localtime import format_moment
from workflow.validation import check_definition
from workflow.workcalendar import WorkCalendar
from workflow.workcalendar import has_passed
from workflow.workcalendar import national_holidays

ZONES = [("Asia/Jakarta", "WIB"), ("Asia/Makassar", "WITA"), ("Asia/Jayapura", "WIT")]
APPEAL = Deadline("appeal_window", 14, "days")


def local(zone: str, *parts: int) -> datetime:
    """Return a wall-clock time in ``zone`` as the UTC instant the database stores."""
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.parametrize(("zone", "abbr"), ZONES)
def test_fourteen_days_end_at_local_midnight_of_day_14(zone: str, abbr: str) -> None:
    """Rated Monday 2 March 2026 at 10:00 local: the window ends Monday 16 March 23:59:59 local.

    Today's code ended it at 10:00 on 16 March, so an appeal that afternoon was late.
    """
    due = APPEAL.due(local(zone, 2026, 3, 2, 10, 0), WorkCalendar(zone))
    assert due == local(zone, 2026, 3, 16, 23, 59, 59)
    assert not has_passed(due, local(zone, 2026, 3, 16, 23, 59))
    assert not has_passed(due, local(zone, 2026, 3, 16, 23, 59, 59) + timedelta(microseconds=9))
    assert has_passed(due, local(zone, 2026, 3, 17, 0, 1))
    assert format_moment(due, zone, "id", "long") == f"Senin, 16 Maret 2026 pukul 23.59 {abbr}"
    assert format_moment(due, zone, "en", "long") == f"Monday, 16 March 2026 at 23:59 {abbr}"


def test_day_zero_is_the_local_date_not_the_utc_date() -> None:
    """Rated 2 March 00:30 WIT (still 1 March in UTC): day 0 is 2 March, the end 16 March."""
    rated = local("Asia/Jayapura", 2026, 3, 2, 0, 30)
    assert rated.date() == date(2026, 3, 1)
    assert APPEAL.due(rated, WorkCalendar("Asia/Jayapura")) == local(
        "Asia/Jayapura", 2026, 3, 16, 23, 59, 59)


def test_domain_example_c() -> None:
    """Result delivered 2 January, filed 16 January: on time; filed 17 January: late (§12.6C)."""
    due = APPEAL.due(local("Asia/Jakarta", 2026, 1, 2, 15, 0), WorkCalendar())
    assert not has_passed(due, local("Asia/Jakarta", 2026, 1, 16, 16, 0))
    assert has_passed(due, local("Asia/Jakarta", 2026, 1, 17, 8, 0))


def test_working_days_skip_weekend_national_holiday_and_agency_day_off() -> None:
    """5 working days from Friday 13 March 2026 (WITA) end Tuesday 24 March 2026, 23:59:59.

    Mon 16 (1), Tue 17 (2), Wed 18 the agency's cuti bersama, Thu 19 Nyepi, Fri 20 (3),
    Sat 21/Sun 22 weekend (and Idul Fitri), Mon 23 (4), Tue 24 (5).
    """
    assert "Nyepi" in national_holidays(2026)[date(2026, 3, 19)]
    calendar = WorkCalendar("Asia/Makassar", frozenset({date(2026, 3, 18)}))
    window = Deadline("d", 5, "days", "working")
    due = window.due(local("Asia/Makassar", 2026, 3, 13, 10, 0), calendar)
    assert due == local("Asia/Makassar", 2026, 3, 24, 23, 59, 59)
    without_day_off = window.due(local("Asia/Makassar", 2026, 3, 13, 10, 0),
                                 WorkCalendar("Asia/Makassar"))
    assert without_day_off == local("Asia/Makassar", 2026, 3, 23, 23, 59, 59)


def test_working_days_across_independence_day() -> None:
    """3 working days from Friday 14 August 2026 (WIT) end Friday 21 August 2026, 23:59:59.

    Sat 15/Sun 16 weekend, Mon 17 Hari Kemerdekaan, Tue 18 (1), Wed 19 the agency's local
    holiday, Thu 20 (2), Fri 21 (3).
    """
    assert "Kemerdekaan" in national_holidays(2026)[date(2026, 8, 17)]
    calendar = WorkCalendar("Asia/Jayapura", frozenset({date(2026, 8, 19)}))
    due = Deadline("d", 3, "days", "working").due(local("Asia/Jayapura", 2026, 8, 14, 10, 0),
                                                  calendar)
    assert due == local("Asia/Jayapura", 2026, 8, 21, 23, 59, 59)


def test_a_week_of_working_days_is_five() -> None:
    """'1 weeks' counted in working days from Friday 6 March 2026 ends Friday 13 March."""
    due = Deadline("d", 1, "weeks", "working").due(local("Asia/Jakarta", 2026, 3, 6, 9, 0),
                                                   WorkCalendar())
    assert due == local("Asia/Jakarta", 2026, 3, 13, 23, 59, 59)


def test_hours_are_exact() -> None:
    """A window in hours ends exactly that many hours later, whatever the local date."""
    start = local("Asia/Makassar", 2026, 3, 2, 22, 0)
    assert Deadline("d", 48, "hours").due(start, WorkCalendar("Asia/Makassar")) == (
        start + timedelta(hours=48))


def context(zone: str, now: datetime, due: datetime) -> TransitionContext:
    """Return a context of the evaluated employee with the appeal window ending at ``due``."""
    return TransitionContext(
        actor_id=1, actor_roles=frozenset({"employee"}), owner_id=1,
        participants={"employee": 1, "appraiser": 2}, now=now,
        deadlines={"appeal_window": due}, calendar=WorkCalendar(zone))


@pytest.mark.parametrize(("zone", "abbr"), ZONES)
def test_refusals_print_the_local_end(zone: str, abbr: str) -> None:
    """A late appeal and an early finalize say when the window ends, in local time."""
    due = local(zone, 2026, 3, 16, 23, 59, 59)
    late = context(zone, local(zone, 2026, 3, 17, 0, 1), due)
    assert not GUARDS["within_deadline"].check(late, "appeal_window")
    _guard, message, message_en = late.failures[-1]
    assert f"Senin, 16 Maret 2026 pukul 23.59 {abbr}" in message
    assert f"Monday, 16 March 2026 at 23:59 {abbr}" in message_en
    assert "UTC" not in message + message_en
    early = context(zone, local(zone, 2026, 3, 16, 12, 0), due)
    assert not GUARDS["after_deadline"].check(early, "appeal_window")
    assert f"pukul 23.59 {abbr}" in early.failures[-1][1]


def test_formats_of_one_moment() -> None:
    """One moment written in each style, in WITA (the table of format_moment's docstring)."""
    moment = local("Asia/Makassar", 2026, 3, 16, 23, 59, 59)
    expected = {
        "date": ("16 Mar 2026", "16 Mar 2026"),
        "full_date": ("16 Maret 2026", "16 March 2026"),
        "datetime": ("16 Mar 2026, 23.59 WITA", "16 Mar 2026, 23:59 WITA"),
        "full_datetime": ("16 Maret 2026 23.59 WITA", "16 March 2026 23:59 WITA"),
        "long": ("Senin, 16 Maret 2026 pukul 23.59 WITA", "Monday, 16 March 2026 at 23:59 WITA"),
        "timestamp": ("16-03-2026 23:59:59 WITA", "16-03-2026 23:59:59 WITA"),
    }
    for style, (indonesian, english) in expected.items():
        assert format_moment(moment, "Asia/Makassar", "id", style) == indonesian
        assert format_moment(moment, "Asia/Makassar", "en", style) == english


MINIMAL = {"agency": "x", "version": 1, "roles": {"employee": "owner"}, "states": ["a", "b"],
           "initial": "a", "final": ["b"],
           "transitions": [{"name": "go", "from": "a", "to": "b", "by": "employee"}]}


def test_definition_timezone_key() -> None:
    """`timezone` defaults to Asia/Jakarta, takes Indonesia's zones and refuses any other."""
    definition, problems = check_definition(MINIMAL)
    assert definition is not None and definition.timezone == "Asia/Jakarta" and not problems
    definition, _ = check_definition({**MINIMAL, "timezone": "Asia/Makassar"})
    assert definition is not None and definition.timezone == "Asia/Makassar"
    for wrong in ("Asia/Makasar", "Asia/Singapore", "WITA", ["Asia/Jakarta"]):
        definition, problems = check_definition({**MINIMAL, "timezone": wrong})
        assert definition is None
        assert "Asia/Makassar (WITA)" in problems[0].message
