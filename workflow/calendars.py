"""Read an agency's calendar: its time zone and its extra days off, in one query.

The zone is the ``timezone`` of the agency's **current** published definition (not the
version an evaluation is pinned to): where an agency's offices are is a fact about the
agency, not a rule of its flow, so a corrected zone applies at once to every window opened
afterwards, and every surface — an evaluation's page, the audit search, the admin, the CSV —
shows the agency's times in the same zone. Windows already opened keep the UTC instant they
were given. An agency without a published definition uses ``localtime.DEFAULT_ZONE``.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy.orm import Session

from .localtime import DEFAULT_ZONE
from .localtime import ZONES
from .models import Agency
from .models import AgencyDayOff
from .models import DefinitionVersion
from .texts import Text
from .workcalendar import WorkCalendar
from .workcalendar import national_holidays

MIN_YEAR, MAX_YEAR = 2000, 2100


class CalendarPort(Protocol):
    """How the use cases get the calendar of an agency (the database, or a test's own)."""

    def calendar(self, session: Session, agency_id: int, now: datetime) -> WorkCalendar:
        """Return the agency's calendar for windows opening at ``now``."""
        ...


_VERSION = DefinitionVersion.__table__
_DAY_OFF = AgencyDayOff.__table__
_AGENCY = Agency.__table__
# The zone of the agency's newest version (validated when published, so a known name).
_ZONE = (select(_VERSION.c.source["timezone"].as_string())
         .where(_VERSION.c.agency_id == bindparam("agency_id"))
         .order_by(_VERSION.c.version.desc()).limit(1).scalar_subquery())
# Built once, so their compiled forms are cached once (this runs on every transition).
_ZONE_ONLY = select(_ZONE)
_CALENDAR = (select(_ZONE, _DAY_OFF.c.day).select_from(_AGENCY)
             .outerjoin(_DAY_OFF, (_DAY_OFF.c.agency_id == _AGENCY.c.id)
                        & (_DAY_OFF.c.day >= bindparam("since")))
             .where(_AGENCY.c.id == bindparam("agency_id")))


def _zone(value: str | None) -> str:
    return value if value is not None and value in ZONES else DEFAULT_ZONE


def agency_zone(session: Session, agency_id: int) -> str:
    """Return the IANA zone of the agency's current definition (default ``Asia/Jakarta``)."""
    return _zone(session.connection().execute(_ZONE_ONLY, {"agency_id": agency_id}).scalar())


def load_calendar(session: Session, agency_id: int, since: date) -> WorkCalendar:
    """Return the agency's zone and its extra days off from ``since`` on, in one query.

    A window only looks forward from the day it opens, so days before ``since`` are left out.
    """
    rows = session.connection().execute(
        _CALENDAR, {"agency_id": agency_id, "since": since}).all()
    zone = _zone(rows[0][0] if rows else None)
    return WorkCalendar(zone, frozenset(day for _, day in rows if day is not None))


class StoredCalendars:
    """The calendars kept in the database (the app's and the CLI's)."""

    def calendar(self, session: Session, agency_id: int, now: datetime) -> WorkCalendar:
        """Return the agency's calendar with its days off from the first of ``now``'s month."""
        return load_calendar(session, agency_id, now.date().replace(day=1))



def day_off_problem(session: Session, agency_id: int, day: date | None, name: str,
                    own_id: int | None = None) -> Text | None:
    """Return why an extra day off cannot be recorded for the agency, or None if it can.

    It needs a date and a description, must be a working day otherwise (a weekend or a
    national holiday is off already), and each date is listed once per agency.
    """
    if day is None:
        return Text("Tanggal wajib diisi.", "The date is required.")
    if not (name or "").strip():
        return Text("Keterangan wajib diisi, mis. 'Cuti bersama Idul Fitri'.",
                    "A description is required, e.g. 'Cuti bersama Idul Fitri'.")
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return Text(f"Tahun harus antara {MIN_YEAR} dan {MAX_YEAR}.",
                    f"The year must be between {MIN_YEAR} and {MAX_YEAR}.")
    if day.weekday() >= 5:
        return Text(f"{day.isoformat()} jatuh pada akhir pekan: sudah bukan hari kerja.",
                    f"{day.isoformat()} is a weekend day: it is no working day already.")
    national = national_holidays(day.year).get(day)
    if national is not None:
        return Text(f"{day.isoformat()} sudah libur nasional ({national}).",
                    f"{day.isoformat()} is a national holiday already ({national}).")
    clash = session.scalar(select(AgencyDayOff.id).where(
        AgencyDayOff.agency_id == agency_id, AgencyDayOff.day == day))
    if clash is not None and clash != own_id:
        return Text(f"{day.isoformat()} sudah tercatat.", f"{day.isoformat()} is listed already.")
    return None
