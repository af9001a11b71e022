"""JSON API under /api/v1 with token authentication (see docs/api.md)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
