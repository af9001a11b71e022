"""The people search of every list (the inbox, the API, the admin's evaluation list): a
substring of the employee's name, NIP or unit kerja, case-insensitive.

One rule for every surface. On PostgreSQL ``ILIKE`` is served by the trigram GIN indexes on
the three columns (``ix_employee_*_trgm``, extension ``pg_trgm``, migration 0011), so a rare
name reads its few matches, not the agency's employees; SQLite runs the same ``LIKE``.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import or_

from .models import Employee


def matches(query: str) -> ColumnElement[bool]:
    """Return "the employee's name, NIP or unit kerja contains ``query``" in SQL (``%``,
    ``_`` and ``\\`` in the query are literal)."""
    escaped = query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(Employee.name.ilike(pattern, escape="\\"),
               Employee.nip.ilike(pattern, escape="\\"),
               Employee.unit_kerja.ilike(pattern, escape="\\"))
