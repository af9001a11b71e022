"""PostgreSQL: the runtime role the app runs as, apart from the owner that migrates.

The owner of the tables (the migration role) can do anything to them, including
``ALTER TABLE history_event DISABLE TRIGGER`` and ``TRUNCATE``. The app does not need that:
it runs as a role that may read and write the ordinary tables but only ``SELECT`` and
``INSERT`` the history (``history_event``) and the checkpoint record (``audit_checkpoint``),
and only read ``alembic_version``. Not being the owner, it can neither disable the
append-only triggers nor truncate; not being a superuser, it cannot switch them off with
``session_replication_role`` either. ``grant_runtime_role`` is idempotent: run it (``flask
--app wsgi db-roles runtime NAME``) after every migration, as the owner.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection
from sqlalchemy import String
from sqlalchemy import literal
from sqlalchemy import text

from .errors import WorkflowError

APPEND_ONLY_TABLES = ("history_event", "audit_checkpoint")
READ_ONLY_TABLES = ("alembic_version",)
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def runtime_grants(connection: Connection, role: str) -> list[str]:
    """Return the statements that give ``role`` exactly what the app needs, in the current
    schema (every table and sequence there; the history and checkpoint tables append-only)."""
    who = _quote(connection, role)
    schema = _quote(connection, connection.scalar(text("SELECT current_schema()")) or "public")
    present = set(connection.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")))
    statements = [
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
    ]
    for table in APPEND_ONLY_TABLES:
        if table in present:
            statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {_quote(connection, table)} "
                              f"FROM {who}")
    for table in READ_ONLY_TABLES:
        if table in present:
            statements.append(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "
                              f"{_quote(connection, table)} FROM {who}")
    return statements


def grant_runtime_role(connection: Connection, role: str, password: str | None = None) -> bool:
    """Create the runtime role if missing (``LOGIN``, no superuser, owns nothing) and grant it
    what the app needs; return whether it was created. Run as the tables' owner.

    :raises WorkflowError: not PostgreSQL, a bad role name, or the role is a superuser or
        owns the history table (it would defeat the purpose).
    """
    if connection.dialect.name != "postgresql":
        raise WorkflowError("Peran basis data hanya untuk PostgreSQL.",
                            "Database roles are for PostgreSQL only.")
    if not _NAME.fullmatch(role):
        raise WorkflowError(f"Nama peran tidak sah: {role!r} (huruf kecil, angka, _).",
                            f"Invalid role name: {role!r} (lower-case letters, digits, _).")
    who = _quote(connection, role)
    found = connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"),
                               {"r": role}).first()
    created = found is None
    if created:
        secret = ""
        if password:
            quoted = literal(password, String()).compile(
                dialect=connection.dialect, compile_kwargs={"literal_binds": True})
            secret = f" PASSWORD {quoted}"
        connection.execute(text(f"CREATE ROLE {who} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                                f"NOBYPASSRLS NOREPLICATION{secret}"))
    elif found is not None and found[0]:
        raise WorkflowError(f"Peran {role} adalah superuser; pilih peran lain.",
                            f"Role {role} is a superuser; pick another role.")
    owner = connection.scalar(text(
        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('history_event')"))
    if owner == role:
        raise WorkflowError(f"Peran {role} memiliki tabel riwayat; peran aplikasi harus lain.",
                            f"Role {role} owns the history table; the app's role must differ.")
    me, superuser = connection.execute(text(
        "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")).one()
    if owner is None or (me != owner and not superuser):
        # PostgreSQL only warns when someone else grants nothing: say it plainly.
        raise WorkflowError(
            "Jalankan sebagai pemilik tabel (MIGRATION_DATABASE_URL), setelah init-db.",
            "Run as the tables' owner (MIGRATION_DATABASE_URL), after init-db.")
    for statement in runtime_grants(connection, role):
        connection.execute(text(statement))
    return created
