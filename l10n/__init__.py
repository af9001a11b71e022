"""The reader's language, and core texts and times shown in it (Flask-Babel).

Shared by the two Flask layers, the pages (``web``) and the agency admin (``admin``), so
neither imports the other for it. Imports Flask, Flask-Babel and the pure parts of
``workflow`` only. The app factory registers ``localized`` and ``local_time`` as Jinja
filters, ``when`` as a Jinja global, and the function that finds the reader's agency zone
(``READER_ZONE`` in ``app.extensions``; it needs the database, which ``web`` owns).

Times are written by ``workflow.localtime.format_moment`` in the reader's agency zone with
its abbreviation (WIB, WITA, WIT), never in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from datetime import datetime

from flask import current_app
from flask import has_app_context
from flask_babel import get_locale

from workflow.errors import InvalidData
from workflow.errors import WorkflowError
from workflow.localtime import DEFAULT_ZONE
from workflow.localtime import Style
from workflow.localtime import format_date
from workflow.localtime import format_moment
from workflow.texts import in_language

READER_ZONE = "reader_zone"  # app.extensions key: () -> the reader's agency IANA zone


def current_language() -> str:
    """Return ``"en"`` or ``"id"`` (Indonesian unless the user chose English)."""
    return "en" if str(get_locale()) == "en" else "id"


def localized(message: str) -> str:
    """Return a core message (``workflow.texts.Text``) in the user's language."""
    return in_language(message, current_language())


def reader_zone() -> str:
    """Return the zone of the reader's agency (``Asia/Jakarta`` outside a request)."""
    if not has_app_context():
        return DEFAULT_ZONE
    find: Callable[[], str] | None = current_app.extensions.get(READER_ZONE)
    return find() if find is not None else DEFAULT_ZONE


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
    """Write a moment on the pages: ``16 Mar 2026, 23.59 WITA`` (or only the date)."""
    return local_time(moment, "date" if date_only else "datetime")


def refusal_messages(exc: WorkflowError) -> list[str]:
    """Return what a refusal says, in the reader's language: each field's message of an
    ``InvalidData``, else its one message (the pages flash them; the API sends them as JSON)."""
    language = current_language()
    if isinstance(exc, InvalidData):
        return [message for messages in exc.errors_in(language).values()
                for message in messages]
    return [exc.in_language(language)]
