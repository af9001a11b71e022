"""Auditor pages: history search, one evaluation's timeline, chain verification, CSV export."""

from __future__ import annotations

from flask import Blueprint

from .auth import auditor_required

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@auditor_required
def search() -> str:
    """Search the agency's history (placeholder)."""
    return "Audit"
