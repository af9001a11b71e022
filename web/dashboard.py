"""Dashboard for agency admins and leaders: states, overdue, predikat distribution."""

from __future__ import annotations

from flask import Blueprint

from .auth import auditor_required

bp = Blueprint("dashboard", __name__, url_prefix="/dasbor")


@bp.get("/")
@auditor_required
def index() -> str:
    """Show the agency's figures (placeholder)."""
    return "Dasbor"
