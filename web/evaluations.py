"""Pages for employees, appraisers and appeal deciders: inbox and evaluation page."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("evaluations", __name__, url_prefix="/evaluasi")


@bp.get("/")
@login_required
def inbox() -> str:
    """Show what waits for the logged-in user (placeholder until the web issue lands)."""
    return "Kotak masuk"
