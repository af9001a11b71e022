"""User-facing text of the core in Indonesian first, with its English translation.

The core has no Flask and no gettext, so messages it builds at run time (a CSV row's problem,
why an employee was skipped, a broken distribution quota) carry both languages themselves.
``Text`` *is* the Indonesian string — logs, the CLI and existing string handling keep working
— and keeps the English one in ``en``; the web layer shows whichever the user reads.
"""

from __future__ import annotations


class Text(str):
    """An Indonesian message with its English translation in ``en``."""

    en: str

    def __new__(cls, indonesian: str, english: str) -> Text:
        """Build the message from its two languages."""
        text = super().__new__(cls, indonesian)
        text.en = english
        return text

    def __reduce__(self) -> tuple[type[Text], tuple[str, str]]:
        return (Text, (str(self), self.en))

    def in_language(self, language: str) -> str:
        """Return the message in ``language`` (``"en"``, else Indonesian)."""
        return self.en if language == "en" else str(self)


def in_language(message: str, language: str) -> str:
    """Return ``message`` in ``language`` if it is a ``Text``; plain strings as they are."""
    return message.in_language(language) if isinstance(message, Text) else message
