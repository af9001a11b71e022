"""Store validated flow definitions as immutable versions, and find the current one.

A version number, once stored for an agency, always means the same content: loading a file
whose content changed without a new ``version`` is refused, so evaluations pinned to a
version can never change meaning under their feet.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .definition import WorkflowDefinition
from .errors import DefinitionError
from .errors import NotFound
from .errors import Problem
from .models import Agency
from .models import DefinitionVersion


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What happened to one definition when publishing."""

    agency: str
    version: int
    status: str  # "new" | "unchanged" | "no-agency"


def publish_definitions(
    session: Session, definitions: dict[str, WorkflowDefinition]
) -> list[PublishResult]:
    """Store every definition whose agency exists as a new version; refuse silent edits.

    :raises DefinitionError: a stored version number would get different content.
    """
    agencies = {a.slug: a for a in session.scalars(select(Agency))}
    results: list[PublishResult] = []
    problems: list[Problem] = []
    for slug, definition in sorted(definitions.items()):
        agency = agencies.get(slug)
        if agency is None:
            results.append(PublishResult(slug, definition.version, "no-agency"))
            continue
        stored = session.scalar(
            select(DefinitionVersion).where(
                DefinitionVersion.agency_id == agency.id,
                DefinitionVersion.version == definition.version,
            )
        )
        if stored is not None:
            if stored.content_hash != definition.content_hash:
                problems.append(Problem(
                    f"{slug}.yaml", None,
                    f"versi {definition.version} sudah diterbitkan dengan isi berbeda; naikkan "
                    "'version' untuk menerbitkan perubahan / version already published with "
                    "different content: bump 'version'",
                ))
            else:
                results.append(PublishResult(slug, definition.version, "unchanged"))
            continue
        latest = current_version(session, agency.id, required=False)
        if latest is not None and latest.version > definition.version:
            problems.append(Problem(
                f"{slug}.yaml", None,
                f"versi {definition.version} lebih rendah dari versi terbit {latest.version}",
            ))
            continue
        session.add(DefinitionVersion(agency_id=agency.id, version=definition.version,
                                      content_hash=definition.content_hash,
                                      source=dict(definition.source)))
        results.append(PublishResult(slug, definition.version, "new"))
    if problems:
        raise DefinitionError(problems)
    session.flush()
    return results


def current_version(
    session: Session, agency_id: int, *, required: bool = True
) -> DefinitionVersion | None:
    """Return the newest published definition version of an agency."""
    row = session.scalar(
        select(DefinitionVersion)
        .where(DefinitionVersion.agency_id == agency_id)
        .order_by(DefinitionVersion.version.desc())
        .limit(1)
    )
    if row is None and required:
        raise NotFound(
            "Instansi ini belum punya definisi alur yang diterbitkan "
            "(jalankan: flask --app wsgi definitions load).",
            "This agency has no published flow definition "
            "(run: flask --app wsgi definitions load).",
        )
    return row
