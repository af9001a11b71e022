"""The language the user reads, and core messages shown in it."""

from __future__ import annotations

from flask_babel import get_locale

from workflow.texts import in_language


def current_language() -> str:
    """Return ``"en"`` or ``"id"`` (Indonesian unless the user chose English)."""
    return "en" if str(get_locale()) == "en" else "id"


def localized(message: str) -> str:
    """Return a core message (``workflow.texts.Text``) in the user's language."""
    return in_language(message, current_language())
