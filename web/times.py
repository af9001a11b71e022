"""Times on pages, in the agency's own zone: the web's side of ``workflow.localtime``.

Every page, the admin and the audit CSV write a moment through ``local_time`` (the Jinja
filter of the same name): ``workflow.localtime.format_moment`` in the zone of the reader's
agency (its current definition's ``timezone``; read once per request) and her language.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from flask import g
from flask import has_request_context
from flask_login import current_user

from workflow.actors import Actor
from workflow.calendars import agency_zone
from workflow.localtime import DEFAULT_ZONE
from workflow.localtime import Style
from workflow.localtime import format_date
from workflow.localtime import format_moment

from .extensions import db
from .language import current_language


def reader_zone() -> str:
    """Return the zone of the reader's agency (API token or log-in; WIB for anonymous ones)."""
    if not has_request_context():
        return DEFAULT_ZONE
    actor: Actor | None = g.get("api_actor")
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user.actor
    if actor is None:
        return DEFAULT_ZONE
    known: dict[int, str] = g.setdefault("agency_zones", {})  # read once per request
    if actor.agency_id not in known:
        known[actor.agency_id] = agency_zone(db.session, actor.agency_id)
    return known[actor.agency_id]


def local_time(moment: datetime | date | str | None, style: Style = "datetime",
               zone: str | None = None) -> str:
    """Write a moment (or a plain date) for the reader, in ``zone`` or her agency's zone.

    A string is read as the ISO 8601 instant the history records (a deadline's end).
    """
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if not isinstance(moment, datetime):
        return format_date(moment, current_language(), style)
    return format_moment(moment, zone or reader_zone(), current_language(), style)


def when(moment: datetime | None, date_only: bool = False) -> str:
    """Write a moment on the evaluation pages: ``16 Mar 2026, 23.59 WITA`` (or the date)."""
    return local_time(moment, "date" if date_only else "datetime")
