"""Store validated flow definitions as immutable versions, and find the current one.

A version number, once stored for an agency, always means the same content: loading a file
whose content changed without a new ``version`` is refused, so evaluations pinned to a
version can never change meaning under their feet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .actors import Actor
from .definition import WorkflowDefinition
from .errors import DefinitionError
from .errors import NotFound
from .errors import Problem
from .history import append_event
from .models import Agency
from .models import DefinitionOverlay
from .models import DefinitionVersion
from .registry import LineMap
from .registry import overlay
from .registry import parse_yaml
from .texts import Text
from .validation import parse_definition


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
                    Text(f"versi {definition.version} sudah diterbitkan dengan isi berbeda; "
                         "naikkan 'version' untuk menerbitkan perubahan",
                         f"version {definition.version} was already published with different "
                         "content; bump 'version' to publish a change"),
                ))
            else:
                results.append(PublishResult(slug, definition.version, "unchanged"))
            continue
        latest = current_version(session, agency.id, required=False)
        if latest is not None and latest.version > definition.version:
            problems.append(Problem(
                f"{slug}.yaml", None,
                Text(f"versi {definition.version} lebih rendah dari versi terbit "
                     f"{latest.version}",
                     f"version {definition.version} is lower than the published version "
                     f"{latest.version}"),
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


def starting_overlay(slug: str) -> str:
    """Return the text a new agency's flow starts from: the national flow, nothing changed."""
    return f"extends: default\nagency: {slug}\n"


def overlay_text(session: Session, version: DefinitionVersion | None, slug: str) -> str | None:
    """Return the overlay the browser published ``version`` from (None: it came from a file,
    or the agency has no version: the caller shows the full definition or the starting one)."""
    if version is None:
        return starting_overlay(slug)
    row = session.get(DefinitionOverlay, version.id)
    return row.text if row is not None else None


def publish_edited_definition(
    session: Session, audit_key: bytes, actor: Actor, yaml_text: str, now: datetime,
    parents: Mapping[str, Mapping[str, Any]] | None = None,
) -> DefinitionVersion:
    """Publish an agency admin's edit of the flow as the next immutable version: a complete
    definition, or an overlay ``extends: <parent>`` (usually ``default``, the national flow)
    merged exactly as a file in ``definitions/`` is (``registry._merge``). ``parents``: the
    installation's loaded definitions an overlay may extend (their resolved sources).

    The text is validated exactly like a file (same messages, with lines); ``agency`` must be
    the admin's own agency and ``version`` is set to the next number. The text itself is kept
    beside the version (``DefinitionOverlay``), so the editor shows the overlay again.
    Evaluations already open keep the version they started with.

    :raises DefinitionError: listing every problem; nothing is stored then.
    """
    agency = session.get(Agency, actor.agency_id)
    assert agency is not None
    file = f"{agency.slug}.yaml"
    mapping = parse_yaml(yaml_text, file)
    latest = current_version(session, agency.id, required=False)
    number = (latest.version if latest else 0) + 1
    parent_name: object = None
    if isinstance(mapping, LineMap):
        if mapping.get("agency") != agency.slug:
            raise DefinitionError([Problem(file, mapping.key_line("agency"),
                                           Text(f"agency harus '{agency.slug}'",
                                                f"agency must be '{agency.slug}'"))])
        mapping["version"] = number
        parent_name = mapping.get("extends")
        if parent_name is not None:
            known = dict(parents or {})
            if not isinstance(parent_name, str) or parent_name not in known or (
                    parent_name == agency.slug):
                names = ", ".join(sorted(n for n in known if n != agency.slug)) or "-"
                raise DefinitionError([Problem(file, mapping.key_line("extends"), Text(
                    f"extends menunjuk definisi yang tidak ada '{parent_name}' "
                    f"(yang ada: {names})",
                    f"extends names a definition that does not exist '{parent_name}' "
                    f"(known: {names})"))])
            mapping = overlay(known[parent_name], mapping)
    definition = parse_definition(mapping, file)
    if latest is not None and latest.content_hash == definition.content_hash:
        raise DefinitionError([Problem(file, None,
                                       Text("tidak ada perubahan", "nothing changed"))])
    row = DefinitionVersion(agency_id=agency.id, version=number,
                            content_hash=definition.content_hash,
                            source=dict(definition.source), created_at=now)
    session.add(row)
    session.flush()
    session.add(DefinitionOverlay(definition_version_id=row.id, text=yaml_text))
    append_event(session, audit_key, agency, kind="admin", at=now, actor_id=actor.employee_id,
                 actor_nip=actor.nip, actor_role="system" if actor.is_system else "admin",
                 trigger="definition_published",
                 definition_version_id=row.id,
                 payload={"version": number, "hash": definition.content_hash,
                          "extends": parent_name if isinstance(parent_name, str) else None,
                          "states": list(definition.states),
                          "transitions": [t.name for t in definition.transitions]})
    return row
