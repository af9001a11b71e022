"""Domain errors of the workflow core, written for the person who triggered them.

Each error carries an Indonesian message (``str(err)``) and an English one (``err.message_en``);
``err.in_language(lang)`` picks one. The web layer maps the classes to HTTP status codes in one
place (``web/errors.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .texts import Text
from .texts import in_language


class WorkflowError(Exception):
    """Base of every error the workflow core raises on purpose."""

    status = 400

    def __init__(self, message: str, message_en: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message

    def in_language(self, language: str) -> str:
        """Return the message in ``language`` (``"en"``, else Indonesian)."""
        return self.message_en if language == "en" else self.message


class NotFound(WorkflowError):
    """The record does not exist, or belongs to another agency (never say which)."""

    status = 404


class NotPermitted(WorkflowError):
    """The actor does not play the role this action needs."""

    status = 403


class TransitionNotAllowed(WorkflowError):
    """The transition does not exist or cannot fire from the current state."""

    status = 409


class GuardFailed(WorkflowError):
    """A guard of the transition said no; nothing was changed."""

    status = 409

    def __init__(self, guard: str, message: str, message_en: str | None = None) -> None:
        super().__init__(message, message_en)
        self.guard = guard


class InvalidData(WorkflowError):
    """Submitted data failed validation; ``errors`` maps field names to messages.

    ``errors_en`` holds the same messages in English where the raiser has them (else the
    Indonesian ones are used for both languages).
    """

    status = 400

    def __init__(
        self,
        errors: dict[str, list[str]],
        message: str = "Data tidak valid; periksa isian yang ditandai.",
        message_en: str = "Invalid data; check the marked fields.",
        errors_en: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message, message_en)
        self.errors = errors
        self.errors_en = errors_en if errors_en is not None else errors

    def errors_in(self, language: str) -> dict[str, list[str]]:
        """Return the field errors in ``language`` (``"en"``, else Indonesian)."""
        return self.errors_en if language == "en" else self.errors

    @classmethod
    def of(cls, problems: dict[str, tuple[str, str]]) -> InvalidData:
        """Build from ``{field: (Indonesian, English)}``, one message per field."""
        return cls({k: [ind] for k, (ind, _) in problems.items()},
                   errors_en={k: [en] for k, (_, en) in problems.items()})


class ConcurrentUpdate(WorkflowError):
    """Someone else changed the evaluation first; reload and try again."""

    status = 409


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a definition file, with where it is."""

    file: str
    line: int | None
    message: str  # a ``Text`` where the raiser has the English too

    def __str__(self) -> str:
        return self.in_language("id")

    def in_language(self, language: str) -> str:
        """Return ``file:line: message`` with the message in ``language``."""
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {in_language(self.message, language)}"


class DefinitionError(WorkflowError):
    """One or more definition files are invalid; nothing was loaded."""

    status = 500

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        lines_en = "\n".join(f"  - {p.in_language('en')}" for p in problems)
        super().__init__(
            f"Definisi alur tidak valid ({len(problems)} masalah):\n{lines}",
            f"Invalid flow definition ({len(problems)} problems):\n{lines_en}",
        )


class OrgImportError(WorkflowError):
    """The org-chart file has row-level errors; nothing was imported."""

    def __init__(self, problems: list[Text]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        lines_en = "\n".join(f"  - {in_language(p, 'en')}" for p in problems)
        super().__init__(
            f"Impor struktur organisasi dibatalkan ({len(problems)} kesalahan):\n{lines}",
            f"Org-chart import aborted ({len(problems)} errors):\n{lines_en}",
        )


class RecordMismatch(WorkflowError):
    """The evaluation's row differs from what its history says (changed behind the app's back).

    Nothing is done with such a row (no document, no verification, no transition). The refusal
    itself is recorded in the agency's chain for the auditors, so ``keeps_record`` tells the
    entrypoint to commit that record instead of rolling back.
    """

    status = 409
    keeps_record = True

    def __init__(self, evaluation_id: int, fields: tuple[str, ...]) -> None:
        self.evaluation_id = evaluation_id
        self.fields = fields
        names = ", ".join(fields)
        super().__init__(
            f"Data evaluasi ini tidak sesuai dengan riwayatnya (kolom: {names}), sehingga tidak "
            "dapat dipakai. Kejadian ini telah dicatat untuk auditor; hubungi inspektorat.",
            f"This evaluation's record differs from its history (column: {names}), so it cannot "
            "be used. This has been recorded for the auditors; contact the inspectorate.",
        )
