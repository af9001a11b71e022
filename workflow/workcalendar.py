"""Which days count, and when a window of N days ends, in the agency's own time.

A window that opens at a moment opens on that moment's local date (day 0) and ends at
23:59:59 local time on day N: N calendar days later, or on the N-th working day after day 0.
Working days skip Saturdays, Sundays, Indonesia's national holidays (the ``holidays``
library, country ``ID``) and the agency's extra days off (*cuti bersama*, local holidays),
which its admin keeps in the database (``AgencyDayOff``).

Pure: a ``WorkCalendar`` is plain data handed to the core (``TransitionContext.calendar``),
built by ``calendars.load_calendar`` from the agency's zone and its extra days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from functools import lru_cache

import holidays

from .localtime import DEFAULT_ZONE
from .localtime import local_date
from .localtime import zone_info

END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=64)
def national_holidays(year: int) -> Mapping[date, str]:
    """Return Indonesia's national holidays of ``year`` with their Indonesian names.

    Computed by the ``holidays`` library (public holidays; its *cuti bersama* category is
    left to the agency's own list). Immutable for a given library version, so cached.
    """
    found = holidays.country_holidays("ID", years=year, language="id")
    return {day: str(name) for day, name in sorted(found.items())}


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    """An agency's zone and its extra days off; answers which days are working days."""

    zone: str = DEFAULT_ZONE
    days_off: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        zone_info(self.zone)  # refuse a zone that is not Indonesian at once

    def day_off_reason(self, day: date) -> str | None:
        """Return why ``day`` is no working day (weekend, holiday, extra day), or None."""
        if day.weekday() >= 5:
            return "akhir pekan"
        national = national_holidays(day.year).get(day)
        if national is not None:
            return national
        if day in self.days_off:
            return "hari libur instansi"
        return None

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day of the agency."""
        return self.day_off_reason(day) is None

    def add_working_days(self, day0: date, count: int) -> date:
        """Return the ``count``-th working day after ``day0`` (``day0`` itself never counts)."""
        current = day0
        while count > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count -= 1
        return current

    def end_of_day(self, day: date) -> datetime:
        """Return 23:59:59 local time on ``day``, as a UTC instant (how deadlines are stored)."""
        return datetime.combine(day, END_OF_DAY, zone_info(self.zone)).astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        """Return the agency's calendar date of a moment."""
        return local_date(moment, self.zone)


def has_passed(due: datetime, now: datetime) -> bool:
    """Return whether a window that ends at ``due`` has closed at ``now``.

    The due second counts in full (23:59:59.9 is still on time): the window has closed once
    ``now``, cut to the second, is later than ``due``. The inbox's SQL filter uses the same
    rule (``cutoff``).
    """
    return cutoff(now) > due


def cutoff(now: datetime) -> datetime:
    """Return ``now`` cut to the second: the moment deadlines are compared with."""
    return now.replace(microsecond=0)
