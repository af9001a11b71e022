"""The reader's language, and core texts and times shown in it (Flask-Babel).

Shared by the two Flask layers, the pages (``web``) and the agency admin (``admin``), so
neither imports the other for it. Imports Flask-Babel and ``workflow.texts`` only. The app
factory also registers ``localized`` as a Jinja filter and ``when`` as a Jinja global.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import get_locale

from workflow.texts import in_language


def current_language() -> str:
    """Return ``"en"`` or ``"id"`` (Indonesian unless the user chose English)."""
    return "en" if str(get_locale()) == "en" else "id"


def localized(message: str) -> str:
    """Return a core message (``workflow.texts.Text``) in the user's language."""
    return in_language(message, current_language())


def when(moment: datetime | None, date_only: bool = False) -> str:
    """Format a moment in the display time zone (WIB by default) for the user's language."""
    if moment is None:
        return "—"
    if date_only:
        return format_datetime(moment, "d MMM y")
    return format_datetime(moment, "d MMM y, HH:mm zzz" if current_language() == "en" else
                           "d MMM y, HH.mm zzz")
