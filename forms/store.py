"""Stored, versioned form specs: publish national defaults, pin versions, validate step data.

Implements ``workflow.service.FormPort``. A published ``FormVersion`` never changes; an
evaluation records, when it opens, which version of each form it uses (an agency's own
published copy if it has one, else the national default), and its data is always validated
and shown with that version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.errors import NotFound
from workflow.models import FormVersion
from workflow.models import utcnow
from workflow.snapshot import EvaluationLike

from .builder import validate_data
from .fields import MSG_REQUIRED
from .parsing import parse_form_spec
from .skp_report import with_skp_plan
from .spec import FormSpec

_SPECS: dict[int, FormSpec] = {}


def spec_hash(spec: Mapping[str, Any]) -> str:
    """Return the SHA-256 of a spec in canonical JSON."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def clear_caches() -> None:
    """Forget parsed specs (tests reuse ids across databases)."""
    _SPECS.clear()


def spec_of(session: Session, version_id: int) -> FormSpec:
    """Return the parsed spec of a stored version (immutable once published: cached)."""
    spec = _SPECS.get(version_id)
    if spec is None:
        row = session.get(FormVersion, version_id)
        if row is None:
            raise NotFound("Versi formulir tidak ditemukan.", "Form version not found.")
        spec = parse_form_spec(row.spec)
        if row.published_at is None:
            return spec  # drafts change: never cache them
        _SPECS[version_id] = spec
    return spec


def latest_published(session: Session, agency_id: int | None, key: str) -> FormVersion | None:
    """Return the newest published version of a form of an agency (None = national)."""
    owner = (FormVersion.agency_id.is_(None) if agency_id is None
             else FormVersion.agency_id == agency_id)
    return session.scalar(
        select(FormVersion)
        .where(owner, FormVersion.key == key, FormVersion.published_at.is_not(None))
        .order_by(FormVersion.number.desc())
        .limit(1)
    )


def publish_national_forms(session: Session, specs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Store each national spec as a new published version when its content changed."""
    changed = []
    for key, raw in sorted(specs.items()):
        digest = spec_hash(raw)
        latest = latest_published(session, None, key)
        if latest is not None and latest.content_hash == digest:
            continue
        session.add(FormVersion(agency_id=None, key=key, number=(latest.number + 1) if latest
                                else 1, spec=dict(raw), content_hash=digest,
                                published_at=utcnow()))
        changed.append(key)
    session.flush()
    return changed


def seed_agency_forms(session: Session, agency_id: int,
                      specs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Publish an agency's shipped copies of forms it has no version of yet.

    Shipped copies (``definitions/forms/<agency>/``) only seed: once an agency has a version
    of a form, its admins own it in the browser and a file never overrides their work.
    """
    seeded = []
    for key, raw in sorted(specs.items()):
        exists = session.scalar(select(FormVersion.id).where(
            FormVersion.agency_id == agency_id, FormVersion.key == key).limit(1))
        if exists is None:
            session.add(FormVersion(agency_id=agency_id, key=key, number=1, spec=dict(raw),
                                    content_hash=spec_hash(raw), published_at=utcnow()))
            seeded.append(key)
    session.flush()
    return seeded


class StoredForms:
    """The ``FormPort`` of the application: stored form versions validated with WTForms."""

    def pin_versions(self, session: Session, agency_id: int, keys: set[str]) -> dict[str, int]:
        """Return, per form key, the version new evaluations use (agency copy, else national)."""
        pins: dict[str, int] = {}
        for key in sorted(keys):
            row = latest_published(session, agency_id, key) or latest_published(session, None,
                                                                                  key)
            if row is not None:
                pins[key] = row.id
        return pins

    def version_for(self, session: Session, evaluation: EvaluationLike, form_key: str) -> int:
        """Return the form version pinned on the evaluation for ``form_key``."""
        version_id = (evaluation.form_versions or {}).get(form_key)
        if version_id is None:
            pins = self.pin_versions(session, evaluation.agency_id, {form_key})
            version_id = pins.get(form_key)
        if version_id is None:
            raise NotFound(f"Formulir '{form_key}' belum diterbitkan.",
                           f"Form '{form_key}' has not been published.")
        return version_id

    def validate(
        self, session: Session, evaluation: EvaluationLike, form_key: str,
        values: Mapping[str, Any], *, role: str, partial: bool = False,
    ) -> tuple[dict[str, Any], dict[str, list[str]], int | None]:
        """Validate with the pinned version; ``partial`` ignores missing required answers.

        The self-assessment's plan columns are written from the SKP in force first
        (``skp_report``): a post through any surface cannot retype a planned result."""
        version_id = self.version_for(session, evaluation, form_key)
        spec = spec_of(session, version_id)
        values = with_skp_plan(session, evaluation, form_key, values)
        clean, errors = validate_data(spec, values, role=role, state=evaluation.status)
        if partial:
            # A draft may be incomplete: keep type/format errors, drop "required" ones.
            errors = {k: kept for k, messages in errors.items()
                      if (kept := [m for m in messages if m != MSG_REQUIRED])}
        return clean, errors, version_id
