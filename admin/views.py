"""The admin's model views: declared with class attributes, validated in hooks."""

from __future__ import annotations

from typing import Any

from flask_admin import Admin


def add_views(admin: Admin, db: Any) -> None:
    """Register every admin view."""
