"""Signed checkpoints of every chain head, kept outside the database.

The hash chains catch any edit *inside* a chain, but someone who holds the database can
rewind a chain as a whole: truncate the history and reset the heads, or delete an
evaluation's newest events and roll its head (and row) back to an older, genuine event.
Nothing inside the database can tell that from a chain that never went further. So, after
bulk jobs and whenever ``flask audit checkpoint`` runs (from cron, e.g. hourly), the head of
every chain (agency and evaluation: sequence number and hash) is appended to a JSON-lines log
outside the database, each line HMAC-signed with the audit key and linked to the previous
line's digest; the database records each line's digest (``audit_checkpoint``).

A line holds only the heads that moved since the previous line (``heads``), plus the number
of chains and the digest of the complete head map after it (``root``), so a quiet hour costs
a few bytes. ``verify_checkpoints`` replays the log — signatures, numbering, links, no head
ever going backwards, the root after each line — compares it with the digests recorded in the
database, and checks the database against the newest state: every chain must still reach
the sequence number the log recorded, with the same hash at that number. A truncation, a
deleted tail and a rolled-back head are reported by chain.

The log is only as good as where it is kept: the operator ships it (or its directory) to a
place the database administrator cannot rewrite (another host, WORM storage, syslog): see
docs/audit.md.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy import tuple_
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .definition import canonical_json
from .errors import WorkflowError
from .models import Agency
from .models import AuditCheckpoint
from .models import Evaluation
from .models import HistoryEvent
from .models import Skp

LOG_NAME = "checkpoints.jsonl"
log = logging.getLogger("penilaian.audit")

# chain → (sequence number, hash of that event, agency id)
Heads = dict[str, tuple[int, str, int]]


class CheckpointError(WorkflowError):
    """The checkpoint log cannot be trusted or written; no checkpoint was added."""

    status = 500


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One line of the log, as written."""

    number: int
    at: datetime
    chains: int
    moved: int
    digest: str


def log_path(directory: Path | str) -> Path:
    """Return the log file inside the checkpoint directory."""
    return Path(directory) / LOG_NAME


def chain_heads(session: Session, agency_id: int | None = None) -> Heads:
    """Return the head of every chain with at least one event (of one agency, or all)."""
    agencies = select(Agency.id, Agency.history_seq, Agency.history_head)
    evaluations = select(Evaluation.id, Evaluation.history_seq, Evaluation.history_head,
                         Evaluation.agency_id)
    skps = select(Skp.id, Skp.history_seq, Skp.history_head, Skp.agency_id)
    if agency_id is not None:
        agencies = agencies.where(Agency.id == agency_id)
        evaluations = evaluations.where(Evaluation.agency_id == agency_id)
        skps = skps.where(Skp.agency_id == agency_id)
    heads: Heads = {}
    for aid, seq, head in session.execute(agencies):
        if seq:
            heads[f"agency:{aid}"] = (seq, head or "", aid)
    for eid, seq, head, aid in session.execute(evaluations):
        if seq:
            heads[f"evaluation:{eid}"] = (seq, head or "", aid)
    for sid, seq, head, aid in session.execute(skps):
        if seq:
            heads[f"skp:{sid}"] = (seq, head or "", aid)
    return heads


def _root(state: Heads) -> str:
    plain = {chain: [seq, head] for chain, (seq, head, _) in state.items()}
    return hashlib.sha256(canonical_json(plain).encode()).hexdigest()


def _sign(key: bytes, record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "sig"}
    return hmac.new(key, canonical_json(body).encode(), hashlib.sha256).hexdigest()


def line_digest(line: str) -> str:
    """Return the digest of one log line (without its newline), as the database records it."""
    return hashlib.sha256(line.encode()).hexdigest()


@dataclass(slots=True)
class Replay:
    """The log read back: the newest head of every chain, and what was wrong with it."""

    state: Heads
    numbers: dict[int, str]  # checkpoint number → digest of its line
    problems: list[str]
    last_digest: str = ""
    last_number: int = 0
    last_at: str = ""


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle if line.strip()]


def replay(key: bytes, lines: Iterable[str]) -> Replay:
    """Check every line (signature, numbering, link, no head going backwards, root)."""
    result = Replay({}, {}, [])
    for position, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            number = int(record["number"])
            heads = {str(c): (int(v[0]), str(v[1]), int(v[2]))
                     for c, v in dict(record["heads"]).items()}
        except (ValueError, KeyError, TypeError, IndexError):
            result.problems.append(f"checkpoint baris {position}: tidak terbaca / unreadable")
            return result
        where = f"checkpoint #{number}"
        if not hmac.compare_digest(_sign(key, record), str(record.get("sig", ""))):
            result.problems.append(f"{where}: tanda tangan tidak sah / bad signature")
        if number != result.last_number + 1:
            result.problems.append(f"{where}: urutan terputus, diharapkan #{result.last_number + 1}"
                                   f" / numbering broken, expected #{result.last_number + 1}")
        if record.get("prev", "") != result.last_digest:
            result.problems.append(f"{where}: tautan ke checkpoint sebelumnya tidak cocok "
                                   "/ link to the previous checkpoint differs")
        for chain, (seq, head, aid) in heads.items():
            old = result.state.get(chain)
            if old is not None and (seq < old[0] or (seq == old[0] and head != old[1])):
                result.problems.append(
                    f"{where}: rantai {chain} mundur dari #{old[0]} ke #{seq} "
                    f"/ chain {chain} went back from #{old[0]} to #{seq}")
            result.state[chain] = (seq, head, aid)
        if record.get("root") != _root(result.state):
            result.problems.append(f"{where}: ringkasan kepala rantai tidak cocok "
                                   "/ root of the chain heads differs")
        result.numbers[number] = line_digest(line)
        result.last_digest = line_digest(line)
        result.last_number = number
        result.last_at = str(record.get("at", ""))
    return result


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the log (one writer at a time across processes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_checkpoint(session: Session, key: bytes, directory: Path | str, now: datetime,
                     reason: str = "manual") -> Checkpoint:
    """Append a checkpoint of every chain head to the log and record its digest; the caller
    commits (right away: the line is already written).

    Refused if the log does not verify, or if a chain in the database is behind what the log
    already recorded (a checkpoint must never bless a rewound history).

    :raises CheckpointError: with the problems found.
    """
    path = log_path(directory)
    with _locked(path):
        replayed = replay(key, _lines(path))
        heads = chain_heads(session)
        problems = replayed.problems + _behind(session, replayed.state, heads)
        if problems:
            raise CheckpointError(
                "Checkpoint tidak ditulis: " + "; ".join(problems),
                "Checkpoint not written: " + "; ".join(problems))
        moved = {chain: [seq, head, aid] for chain, (seq, head, aid) in heads.items()
                 if replayed.state.get(chain) != (seq, head, aid)}
        state = {**replayed.state, **heads}
        record: dict[str, Any] = {
            "number": replayed.last_number + 1,
            "at": now.astimezone(UTC).isoformat(),
            "prev": replayed.last_digest,
            "reason": reason,
            "chains": len(state),
            "root": _root(state),
            "heads": moved,
        }
        record["sig"] = _sign(key, record)
        line = canonical_json(record)
        digest = line_digest(line)
        session.add(AuditCheckpoint(number=record["number"], at=now, digest=digest,
                                    chains=len(state), reason=reason[:32]))
        session.flush()
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    return Checkpoint(record["number"], now, len(state), len(moved), digest)


def checkpoint_after(session: Session, key: bytes, directory: Path | str | None,
                     now: datetime, reason: str) -> Checkpoint | None:
    """Write a checkpoint after a bulk job that has already committed, in its own transaction.

    A failure is logged for the operator and never undoes the job (``audit verify`` and the
    next ``audit checkpoint`` report what is wrong).
    """
    if directory is None:
        return None
    try:
        checkpoint = write_checkpoint(session, key, directory, now, reason)
        session.commit()
    except (CheckpointError, OSError, SQLAlchemyError) as exc:
        session.rollback()
        log.error("checkpoint after %s not written: %s", reason, exc)
        return None
    return checkpoint


def _behind(session: Session, state: Heads, heads: Heads) -> list[str]:
    """Compare the database with the log's newest state: name every chain that went back.

    A chain whose head is still the logged one (sequence and hash) is fine here (the chain
    check ties that head to its events); only the chains that moved on are looked up, one
    event each, so an unchanged history costs no query per chain.
    """
    problems = []
    recorded: dict[tuple[str, int], str] = {}
    wanted = sorted((chain, seq) for chain, (seq, head, _) in state.items()
                    if heads.get(chain, (0, "", 0))[:2] != (seq, head))
    for start in range(0, len(wanted), 500):  # the one event per chain, by its unique key
        chunk = wanted[start:start + 500]
        for chain, seq, head in session.execute(
                select(HistoryEvent.chain, HistoryEvent.seq, HistoryEvent.hash)
                .where(tuple_(HistoryEvent.chain, HistoryEvent.seq).in_(chunk))):
            recorded[(chain, seq)] = head
    for chain, (seq, head, _) in sorted(state.items()):
        now_seq = heads[chain][0] if chain in heads else 0
        if now_seq < seq:
            problems.append(
                f"rantai {chain}: checkpoint mencatat {seq} peristiwa, basis data kini {now_seq} "
                f"(riwayat dipotong, ekor dihapus atau kepala digulung balik) / chain {chain}: "
                f"the checkpoint recorded {seq} events, the database now has {now_seq} "
                "(truncated, tail deleted or head rolled back)")
        elif heads[chain][:2] != (seq, head) and recorded.get((chain, seq)) != head:
            problems.append(
                f"rantai {chain}: peristiwa #{seq} berbeda dari checkpoint (riwayat ditulis "
                f"ulang) / chain {chain}: event #{seq} differs from the checkpoint (rewritten)")
    return problems


@dataclass(frozen=True, slots=True)
class CheckpointReport:
    """What ``audit verify`` says about the checkpoints."""

    checkpoints: int
    last_at: datetime | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        """Return whether the log, the database's record of it and the chains agree."""
        return not self.problems


def verify_checkpoints(session: Session, key: bytes, directory: Path | str,
                       agency_id: int | None = None) -> CheckpointReport:
    """Check the log, the database's record of it, and the chains against the newest state.

    With ``agency_id`` only that agency's chains are compared with the log (the log and its
    record are checked whole).
    """
    replayed = replay(key, _lines(log_path(directory)))
    problems = list(replayed.problems)
    stored = dict(session.execute(select(AuditCheckpoint.number, AuditCheckpoint.digest)).all())
    for number, digest in sorted(stored.items()):
        if number not in replayed.numbers:
            problems.append(f"checkpoint #{number} tercatat di basis data tetapi tidak ada di "
                            f"berkas (berkas dipotong?) / checkpoint #{number} is recorded in "
                            "the database but missing from the log (log truncated?)")
        elif replayed.numbers[number] != digest:
            problems.append(f"checkpoint #{number}: isi berkas berbeda dari yang tercatat "
                            f"/ checkpoint #{number}: the log line differs from its record")
    for number in sorted(set(replayed.numbers) - set(stored)):
        problems.append(f"checkpoint #{number} tidak tercatat di basis data / checkpoint "
                        f"#{number} is not recorded in the database")
    state = replayed.state
    if agency_id is not None:
        state = {c: v for c, v in state.items() if v[2] == agency_id}
    problems += _behind(session, state, chain_heads(session, agency_id))
    try:
        last_at = datetime.fromisoformat(replayed.last_at) if replayed.last_at else None
    except ValueError:  # a forged line: its signature is already reported
        last_at = None
    return CheckpointReport(len(replayed.numbers), last_at, problems)
