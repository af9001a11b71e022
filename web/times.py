"""Which zone the reader's times are shown in: her agency's (``l10n.local_time`` asks here).

The zone is the ``timezone`` of the agency's current definition (``workflow.calendars``),
read once per request for the actor of the API token or the log-in; WIB for anonymous
readers. Registered by the app factory as ``app.extensions[l10n.READER_ZONE]``.
"""

from __future__ import annotations

from flask import g
from flask import has_request_context
from flask_login import current_user

from workflow.actors import Actor
from workflow.calendars import agency_zone
from workflow.localtime import DEFAULT_ZONE

from .extensions import db


def reader_zone() -> str:
    """Return the zone of the reader's agency (API token or log-in; WIB for anonymous ones)."""
    if not has_request_context():
        return DEFAULT_ZONE
    actor: Actor | None = g.get("api_actor")
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user.actor
    if actor is None:
        return DEFAULT_ZONE
    known: dict[int, str] = g.setdefault("agency_zones", {})  # read once per request
    if actor.agency_id not in known:
        known[actor.agency_id] = agency_zone(db.session, actor.agency_id)
    return known[actor.agency_id]
