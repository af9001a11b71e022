"""Agency admins author forms: draft, edit fields, reorder, publish (then it is frozen).

Works on the raw spec mapping (the same shape as the YAML files) stored in ``FormVersion``.
Every change is validated with ``validate_spec`` before it is stored and recorded in the
agency's history chain. Published versions are never modified: editing starts a new draft
copied from the newest published version (the agency's own copy, or the national default).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import WorkflowError
from workflow.history import append_event
from workflow.models import Agency
from workflow.models import FormVersion
from workflow.texts import Text

from .parsing import parse_form_spec
from .parsing import validate_spec
from .slots import slot_problems
from .store import latest_published
from .store import spec_hash


@dataclass(frozen=True, slots=True)
class FormStatus:
    """One form key as an admin sees it: what is live and whether a draft is open."""

    key: str
    published: FormVersion | None
    draft: FormVersion | None

    @property
    def is_agency_copy(self) -> bool:
        """Return whether the live version is the agency's own (not the national default)."""
        return self.published is not None and self.published.agency_id is not None


def _draft(session: Session, agency_id: int, key: str) -> FormVersion | None:
    return session.scalar(select(FormVersion).where(
        FormVersion.agency_id == agency_id, FormVersion.key == key,
        FormVersion.published_at.is_(None)))


def overview(session: Session, actor: Actor, keys: set[str]) -> list[FormStatus]:
    """Return the status of each form key the agency uses or has authored."""
    own = set(session.scalars(select(FormVersion.key).where(
        FormVersion.agency_id == actor.agency_id)))
    national = set(session.scalars(select(FormVersion.key).where(
        FormVersion.agency_id.is_(None))))
    result = []
    for key in sorted(keys | own | national):
        published = latest_published(session, actor.agency_id, key) or latest_published(
            session, None, key)
        result.append(FormStatus(key, published, _draft(session, actor.agency_id, key)))
    return result


def get_draft(session: Session, actor: Actor, draft_id: int) -> FormVersion:
    """Return an open draft of the actor's agency.

    :raises NotFound: unknown, another agency's, or already published (immutable).
    """
    row = session.get(FormVersion, draft_id)
    if row is None or row.agency_id != actor.agency_id:
        raise NotFound("Draf formulir tidak ditemukan.", "Form draft not found.")
    if row.published_at is not None:
        raise WorkflowError("Versi yang sudah diterbitkan tidak dapat diubah; buat draf baru.",
                            "A published version cannot be changed; start a new draft.")
    return row


def _record(session: Session, audit_key: bytes, actor: Actor, trigger: str, now: datetime,
            payload: Mapping[str, Any]) -> None:
    agency = session.get(Agency, actor.agency_id)
    assert agency is not None
    append_event(session, audit_key, agency, kind="admin", at=now, actor_id=actor.employee_id,
                 actor_nip=actor.nip, actor_role="admin", trigger=trigger, payload=payload)


def start_draft(session: Session, audit_key: bytes, actor: Actor, key: str,
                now: datetime) -> FormVersion:
    """Open (or return the open) draft of a form, copied from its newest published version."""
    existing = _draft(session, actor.agency_id, key)
    if existing is not None:
        return existing
    source = latest_published(session, actor.agency_id, key) or latest_published(session, None,
                                                                                  key)
    if source is None:
        raise NotFound(f"Formulir '{key}' tidak dikenal.", f"Unknown form '{key}'.")
    number = (session.scalar(select(func.max(FormVersion.number)).where(
        FormVersion.agency_id == actor.agency_id, FormVersion.key == key)) or 0) + 1
    draft = FormVersion(agency_id=actor.agency_id, key=key, number=number,
                        spec=copy.deepcopy(source.spec), created_at=now)
    session.add(draft)
    session.flush()
    _record(session, audit_key, actor, "form_draft_started", now,
            {"form": key, "number": number, "from_version_id": source.id})
    return draft


def _field_names(spec: Mapping[str, Any]) -> list[str]:
    return [str(f.get("name")) for f in spec.get("fields", []) if isinstance(f, Mapping)]


def save_spec(session: Session, audit_key: bytes, actor: Actor, draft_id: int,
              spec: Mapping[str, Any], now: datetime, trigger: str = "form_draft_saved"
              ) -> FormVersion:
    """Replace a draft's spec after validating it; record what changed.

    :raises InvalidData: ``{"spec": [problems…]}``; nothing is stored then.
    """
    draft = get_draft(session, actor, draft_id)
    problems = validate_spec(spec)
    if not problems and spec.get("key") != draft.key:
        problems = [Text(f"key harus tetap '{draft.key}'", f"key must stay '{draft.key}'")]
    if problems:
        raise InvalidData({"spec": problems})
    before, after = _field_names(draft.spec), _field_names(spec)
    draft.spec = copy.deepcopy(dict(spec))  # reassign: JSON columns do not track mutation
    session.flush()
    _record(session, audit_key, actor, trigger, now, {
        "form": draft.key, "number": draft.number,
        "added": [n for n in after if n not in before],
        "removed": [n for n in before if n not in after],
        "order": after if before != after else None,
    })
    return draft


def put_field(session: Session, audit_key: bytes, actor: Actor, draft_id: int,
              field: Mapping[str, Any], now: datetime, replace: str | None = None
              ) -> FormVersion:
    """Add a field at the end, or replace the field called ``replace`` in place."""
    draft = get_draft(session, actor, draft_id)
    spec = copy.deepcopy(draft.spec)
    fields = spec.setdefault("fields", [])
    if replace is None:
        fields.append(dict(field))
        trigger = "form_field_added"
    else:
        index = _field_names(spec).index(replace) if replace in _field_names(spec) else -1
        if index < 0:
            raise NotFound(f"Field '{replace}' tidak ada.", f"No field '{replace}'.")
        fields[index] = dict(field)
        trigger = "form_field_changed"
    return save_spec(session, audit_key, actor, draft_id, spec, now, trigger)


def remove_field(session: Session, audit_key: bytes, actor: Actor, draft_id: int, name: str,
                 now: datetime) -> FormVersion:
    """Remove a field from a draft (rules pointing at it make the spec invalid: refused)."""
    draft = get_draft(session, actor, draft_id)
    spec = copy.deepcopy(draft.spec)
    spec["fields"] = [f for f in spec.get("fields", []) if f.get("name") != name]
    return save_spec(session, audit_key, actor, draft_id, spec, now, "form_field_removed")


def move_field(session: Session, audit_key: bytes, actor: Actor, draft_id: int, name: str,
               delta: int, now: datetime) -> FormVersion:
    """Move a field up (``delta=-1``) or down (``+1``)."""
    draft = get_draft(session, actor, draft_id)
    spec = copy.deepcopy(draft.spec)
    fields = spec.get("fields", [])
    names = _field_names(spec)
    if name not in names:
        raise NotFound(f"Field '{name}' tidak ada.", f"No field '{name}'.")
    i = names.index(name)
    j = max(0, min(len(fields) - 1, i + delta))
    fields.insert(j, fields.pop(i))
    return save_spec(session, audit_key, actor, draft_id, spec, now, "form_field_moved")


def publish(session: Session, audit_key: bytes, actor: Actor, draft_id: int,
            now: datetime) -> FormVersion:
    """Freeze a draft as the agency's newest published version of the form.

    Evaluations opened from now on use it; evaluations already open keep their version.

    :raises InvalidData: ``{"spec": [problems…]}`` when the spec is invalid, or when it no
        longer fills a printed slot of the official documents (a printed field dropped,
        renamed or retyped: ``forms.slots``); each problem names the slot.
    """
    draft = get_draft(session, actor, draft_id)
    problems: list[str] = validate_spec(draft.spec)
    if not problems:
        problems = [*slot_problems(parse_form_spec(draft.spec))]
    if problems:
        raise InvalidData({"spec": problems})
    draft.published_at = now
    draft.content_hash = spec_hash(draft.spec)
    session.flush()
    _record(session, audit_key, actor, "form_published", now,
            {"form": draft.key, "number": draft.number, "hash": draft.content_hash})
    return draft


def discard(session: Session, audit_key: bytes, actor: Actor, draft_id: int,
            now: datetime) -> None:
    """Throw an open draft away."""
    draft = get_draft(session, actor, draft_id)
    session.delete(draft)
    _record(session, audit_key, actor, "form_draft_discarded", now,
            {"form": draft.key, "number": draft.number})
