"""Record every admin write in the agency's history, in the same transaction as the write.

Flask-Admin calls ``on_model_change`` after ``populate_obj`` and before its own commit, so
an event appended there commits (or rolls back) together with the change.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm import object_session

from workflow.actors import Actor
from workflow.history import append_event
from workflow.models import Agency
from workflow.models import utcnow

from .security import SECRET_COLUMNS


def pending_changes(model: Any) -> dict[str, list[Any]]:
    """Return ``{attribute: [old, new]}`` for the model's pending changes (secrets masked)."""
    state = inspect(model)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if attr.key in SECRET_COLUMNS:
            old, new = ("***" if old else None), "***"
        changes[attr.key] = [_plain(old), _plain(new)]
    for rel in state.mapper.relationships:
        history = state.attrs[rel.key].history
        if history.has_changes() and rel.uselist:
            changes[rel.key] = [[str(x) for x in history.deleted + history.unchanged],
                                [str(x) for x in history.added + history.unchanged]]
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changes[rel.key] = [str(old) if old else None, str(new) if new else None]
    return changes


def removed_values(model: Any) -> dict[str, list[Any]]:
    """Return ``{column: [value, None]}`` for a row about to be deleted (secrets masked)."""
    state = inspect(model)
    return {attr.key: ["***" if attr.key in SECRET_COLUMNS else
                       _plain(getattr(model, attr.key)), None]
            for attr in state.mapper.column_attrs}


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def record_admin_change(actor: Actor, model: Any, action: str) -> None:
    """Append an ``admin`` event describing a create/update/delete of ``model``.

    A deletion records the values removed (``{column: [old, None]}``).
    """
    session: Session | None = object_session(model)
    assert session is not None
    changes = pending_changes(model) if action != "delete" else removed_values(model)
    session.flush()
    agency = session.get(Agency, actor.agency_id)
    assert agency is not None
    append_event(
        session, current_app.extensions["workflow"].audit_key, agency, kind="admin",
        at=utcnow(), actor_id=actor.employee_id, actor_nip=actor.nip, actor_role="admin",
        trigger=f"{type(model).__tablename__}_{action}",
        payload={"table": type(model).__tablename__, "id": inspect(model).identity[0]
                 if inspect(model).identity else None, "label": str(model),
                 "changes": changes},
    )
