"""Audit keys per agency, with key ids, so an agency's key can be rotated.

The installation key (``AUDIT_KEY``) signs every event written before keys per agency existed
(``key_id`` empty), the checkpoints, the verification records and the document codes. An
agency's own keys live in a key file outside the database (``AUDIT_KEYRING``, JSON, mode
0600): each key has an id, its agency and its secret; the newest key of an agency signs its
new events, and each event records the id of the key that signed it (``HistoryEvent.key_id``,
itself inside the HMAC). Rotating adds a key: old events keep verifying with the old key, new
ones use the new key. The database never holds a secret, so whoever can write to it still
cannot forge a chain.

``AuditKeys`` *is* the installation key (a ``bytes`` subclass) carrying the agency keys, so
every function that takes ``key: bytes`` keeps working unchanged; ``signing_key`` and
``current_key_id`` read the agency keys where an event is hashed.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import WorkflowError


class AuditKeys(bytes):
    """The installation key, with the agency keys by id and each agency's current key."""

    entries: tuple[dict[str, Any], ...]
    keys: dict[str, bytes]
    current: dict[int, str]

    def __new__(cls, installation: bytes, entries: list[dict[str, Any]] | None = None
                ) -> AuditKeys:
        self = super().__new__(cls, installation)
        self.entries = tuple(entries or ())
        self.keys = {}
        self.current = {}
        for entry in self.entries:  # in the file's order: the newest key of an agency wins
            self.keys[str(entry["id"])] = bytes.fromhex(str(entry["secret"]))
            self.current[int(entry["agency_id"])] = str(entry["id"])
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled for ``audit verify --jobs``: the worker processes need the agency keys too.
        return (AuditKeys, (bytes(self), list(self.entries)))


def signing_key(key: bytes, key_id: str | None) -> bytes | None:
    """Return the secret that signs events of ``key_id`` (empty: the installation key), or
    ``None`` when this installation does not hold that key (the event cannot be verified)."""
    if not key_id:
        return bytes(key)
    if isinstance(key, AuditKeys):
        return key.keys.get(key_id)
    return None


def current_key_id(key: bytes, agency_id: int) -> str | None:
    """Return the id of the key new events of the agency are signed with (``None``: the
    installation key)."""
    if isinstance(key, AuditKeys):
        return key.current.get(agency_id)
    return None


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
        entries = list(data["keys"])
        for entry in entries:
            bytes.fromhex(str(entry["secret"]))
            int(entry["agency_id"])
            str(entry["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise WorkflowError(f"berkas kunci audit {path} rusak: {exc}",
                            f"the audit key file {path} is damaged: {exc}") from exc
    return entries


def load_keys(installation: bytes, path: Path | None) -> AuditKeys:
    """Return the installation key with the agency keys of the key file (if any)."""
    return AuditKeys(installation, _read(path) if path is not None else [])


def rotate_key(path: Path, agency_id: int, now: datetime) -> str:
    """Add a new random key for the agency to the key file and return its id; the agency's
    new events are signed with it from the next start of each process that reads the file.

    The file is replaced atomically (written beside it, then renamed), created 0600.
    """
    entries = _read(path)
    number = 1 + sum(1 for entry in entries if int(entry["agency_id"]) == agency_id)
    key_id = f"a{agency_id}-k{number}-{now.strftime('%Y%m%d')}"
    entries.append({"id": key_id, "agency_id": agency_id, "secret": secrets.token_hex(32),
                    "created": now.isoformat()})
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"keys": entries}, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return key_id
