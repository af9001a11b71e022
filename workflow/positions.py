"""Positions (*jabatan*) and their holders: who is whose appraiser on a given day.

The org chart may record positions (unit kerja, name, kind, level, parent position) and who
holds each: *definitif*, or acting (*Plt.*, *Plh.*), from–to. The appraiser (*Pejabat Penilai
Kinerja*) of someone holding a position is the holder of the nearest parent position of at
least *pengawas* kind (JPT, administrator, pengawas: PermenPANRB 6/2022 Pasal 1, "paling
rendah pejabat pengawas"), on that day, acting officials included (a definitif holder first,
then a Plt., then a Plh.). Someone who holds no position, or an agency that records none,
keeps the ``Employee.superior_id`` reporting line, as before positions existed.

``ReportingLine`` is that answer for one agency on one day, read in two queries; opening a
period (``casting.Casting``) and creating an SKP (``skp.appraiser_of``) ask it. A person found
through an acting holding carries it in her identity (``acting``: "Plt."/"Plh.", ``jabatan``:
the position she acts in), which the participant rows, the history and the PDF signature
block keep.

The positions CSV layout (``POSITION_COLUMNS``) is read by ``read_position_rows`` and written
by ``write_positions`` (``org.import_org_csv`` dispatches to them on the header).
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from .models import Employee
from .models import Position
from .models import PositionHolder
from .texts import Text

KINDS = ("JPT", "administrator", "pengawas", "pelaksana", "fungsional")
# The kinds whose holder may appraise (at least pejabat pengawas).
APPRAISER_KINDS = frozenset({"JPT", "administrator", "pengawas"})
HOLDER_KINDS = ("definitif", "plt", "plh")
ACTING_PREFIX = {"definitif": "", "plt": "Plt.", "plh": "Plh."}
_PREFERENCE = {kind: rank for rank, kind in enumerate(HOLDER_KINDS)}


@dataclass(frozen=True, slots=True)
class Holding:
    """One holder of a position on the day asked about."""

    employee: Employee
    kind: str  # definitif | plt | plh


class ReportingLine:
    """Who is whose superior in one agency on one day (positions first, else superior_id)."""

    def __init__(self, session: Session, agency_id: int, on: date) -> None:
        self.on = on
        self.positions: dict[int, Position] = {
            p.id: p for p in session.scalars(select(Position).where(
                Position.agency_id == agency_id))}
        self.holder: dict[int, Holding] = {}  # position id → its holder on the day
        self.held: dict[int, int] = {}  # employee id → the position she holds definitif
        # person id → (prefix, position name) when she was found through an acting holding
        self._acting: dict[int, tuple[str, str]] = {}
        if not self.positions:
            return
        rows = session.execute(
            select(PositionHolder.position_id, PositionHolder.kind, Employee)
            .join(Employee, Employee.id == PositionHolder.employee_id)
            .join(Position, Position.id == PositionHolder.position_id)
            .where(Position.agency_id == agency_id, PositionHolder.starts_on <= on,
                   or_(PositionHolder.ends_on.is_(None), PositionHolder.ends_on >= on))
            .order_by(PositionHolder.starts_on.desc(), PositionHolder.id.desc()))
        for position_id, kind, employee in rows:
            if kind == "definitif":
                self.held.setdefault(employee.id, position_id)
            if not employee.active:
                continue
            current = self.holder.get(position_id)
            if current is None or _PREFERENCE[kind] < _PREFERENCE[current.kind]:
                self.holder[position_id] = Holding(employee, kind)

    def superior(self, employee: Employee) -> Employee | None:
        """Return ``employee``'s appraiser on the day: the holder of her position's nearest
        parent of at least pengawas kind; her ``superior`` when she holds no position (or
        the positions above hers have nobody)."""
        position_id = self.held.get(employee.id)
        if position_id is None:
            return employee.superior
        parent = self.positions[position_id].parent_id
        while parent is not None:
            position = self.positions[parent]
            holding = self.holder.get(parent)
            if (position.kind in APPRAISER_KINDS and holding is not None
                    and holding.employee.id != employee.id):
                if holding.kind != "definitif":
                    self._acting[holding.employee.id] = (ACTING_PREFIX[holding.kind],
                                                         position.name)
                return holding.employee
            parent = position.parent_id
        return employee.superior

    def identity(self, person: Employee) -> dict[str, str]:
        """Return ``person``'s identity block, with ``acting`` ("Plt."/"Plh.") and the position
        she acts in as ``jabatan`` when this line found her through an acting holding."""
        identity = person.identity()
        acting = self._acting.get(person.id)
        if acting is not None:
            identity["acting"], identity["jabatan"] = acting
        return identity

    def appraiser_identity(self, employee: Employee, appraiser: Employee) -> dict[str, str]:
        """Return the identity of ``employee``'s appraiser (Plt./Plh. when she acts)."""
        if self.superior(employee) is not appraiser:
            return appraiser.identity()
        return self.identity(appraiser)

    def unit_head(self, unit_kerja: str) -> Employee | None:
        """Return the head of a unit kerja on the day: the holder of its top position (one
        whose parent is outside the unit, or none), acting holders included."""
        for position_id, position in sorted(self.positions.items(),
                                            key=lambda item: (item[1].level, item[0])):
            if position.unit_kerja != unit_kerja:
                continue
            parent = self.positions.get(position.parent_id or 0)
            if parent is None or parent.unit_kerja != unit_kerja:
                holding = self.holder.get(position_id)
                return holding.employee if holding is not None else None
        return None


def unit_head_on(session: Session, agency_id: int, unit_kerja: str, on: date) -> int | None:
    """Return the id of the head of a unit kerja on a day — the holder of its top position
    (its parent outside the unit, or none; the lowest level first), definitif before Plt.
    before Plh. — in two small queries on the unit's positions (a rating step asks this;
    ``ReportingLine`` would read the agency's whole chart)."""
    parent = aliased(Position)
    top = session.scalar(
        select(Position.id).outerjoin(parent, parent.id == Position.parent_id)
        .where(Position.agency_id == agency_id, Position.unit_kerja == unit_kerja,
               or_(parent.id.is_(None), parent.unit_kerja != unit_kerja))
        .order_by(Position.level, Position.id).limit(1))
    if top is None:
        return None
    holders = session.execute(
        select(PositionHolder.employee_id, PositionHolder.kind)
        .join(Employee, Employee.id == PositionHolder.employee_id)
        .where(PositionHolder.position_id == top, PositionHolder.starts_on <= on,
               or_(PositionHolder.ends_on.is_(None), PositionHolder.ends_on >= on),
               Employee.active)
        .order_by(PositionHolder.starts_on.desc(), PositionHolder.id.desc())).all()
    if not holders:
        return None
    head: int = min(holders, key=lambda h: _PREFERENCE[h.kind]).employee_id
    return head


def acting_label(identity: Mapping[str, Any]) -> str:
    """Return how a signature block names the position: "Plt. Kepala Bidang …" or the
    jabatan as it is."""
    jabatan = str(identity.get("jabatan") or "")
    acting = str(identity.get("acting") or "")
    return f"{acting} {jabatan}".strip() if acting else jabatan


# --- the positions CSV layout ----------------------------------------------------------------

POSITION_COLUMNS = ("kode_jabatan", "nama_jabatan", "unit_kerja", "jenis", "level",
                    "kode_atasan", "nip_pemegang", "status", "mulai", "selesai")
POSITION_REQUIRED = ("kode_jabatan", "nama_jabatan", "jenis")


def is_positions_layout(header: Sequence[str]) -> bool:
    """Tell whether a CSV header is the positions layout (it has ``kode_jabatan`` and no
    employee ``nama``)."""
    return "kode_jabatan" in header and "nama" not in header


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One row of a positions file, checked."""

    number: int
    code: str
    name: str
    unit_kerja: str
    kind: str
    level: int
    parent_code: str
    holder_nip: str
    holder_kind: str
    starts_on: date | None
    ends_on: date | None


def _date(value: str) -> date:
    return date.fromisoformat(value)


def read_position_rows(
    rows: Iterator[tuple[int, dict[str, str]]], known_codes: set[str], known_nips: set[str],
) -> tuple[list[PositionRow], list[Text]]:
    """Check the rows of a positions file: every problem with its row number.

    ``known_codes``: the codes already recorded (a parent may be one of them);
    ``known_nips``: the agency's employees (a holder must be one)."""
    out: list[PositionRow] = []
    problems: list[Text] = []
    kinds = {k.lower(): k for k in KINDS}
    for number, row in rows:
        def bad(ind: str, eng: str, number: int = number) -> None:
            problems.append(Text(f"baris {number}: {ind}", f"row {number}: {eng}"))
        missing = [c for c in POSITION_REQUIRED if not row.get(c)]
        if missing:
            bad(f"kolom wajib kosong: {', '.join(missing)}",
                f"required columns empty: {', '.join(missing)}")
            continue
        kind = kinds.get(row["jenis"].lower())
        if kind is None:
            bad(f"jenis '{row['jenis']}' tidak dikenal (pilih: {', '.join(KINDS)})",
                f"unknown kind '{row['jenis']}' (choose: {', '.join(KINDS)})")
        level = row.get("level") or "0"
        if not level.isdigit():
            bad("level harus angka", "level must be a number")
        holder_kind = (row.get("status") or "definitif").lower()
        if holder_kind not in HOLDER_KINDS:
            bad(f"status '{holder_kind}' tidak dikenal (pilih: definitif, plt, plh)",
                f"unknown status '{holder_kind}' (choose: definitif, plt, plh)")
        nip = row.get("nip_pemegang", "")
        if nip and nip not in known_nips:
            bad(f"NIP pemegang {nip} tidak ada di struktur organisasi",
                f"holder NIP {nip} is not in the org chart")
        starts_on = ends_on = None
        try:
            starts_on = _date(row["mulai"]) if row.get("mulai") else None
            ends_on = _date(row["selesai"]) if row.get("selesai") else None
        except ValueError:
            bad("tanggal mulai/selesai harus TTTT-BB-HH", "start/end dates must be YYYY-MM-DD")
        if nip and starts_on is None:
            bad("pemegang jabatan perlu tanggal mulai", "a holder needs a start date")
        if starts_on and ends_on and ends_on < starts_on:
            bad("tanggal selesai sebelum tanggal mulai", "the end date is before the start")
        if kind is None or not level.isdigit() or holder_kind not in HOLDER_KINDS:
            continue
        out.append(PositionRow(number, row["kode_jabatan"], row["nama_jabatan"],
                               row.get("unit_kerja", ""), kind, int(level),
                               row.get("kode_atasan", ""), nip, holder_kind, starts_on,
                               ends_on))
    codes = known_codes | {r.code for r in out}
    for r in out:
        if r.parent_code and r.parent_code not in codes:
            problems.append(Text(f"baris {r.number}: kode_atasan {r.parent_code} tidak ada",
                                 f"row {r.number}: kode_atasan {r.parent_code} is unknown"))
        if r.parent_code == r.code:
            problems.append(Text(f"baris {r.number}: jabatan tidak boleh menjadi atasannya "
                                 "sendiri", f"row {r.number}: a position cannot be its own "
                                 "parent"))
    return out, problems


def write_positions(session: Session, agency_id: int, rows: list[PositionRow],
                    chunk: int = 2000) -> tuple[int, int]:
    """Create or update the positions of a checked file (matched on code), then their parents
    and holders (matched on position, holder, status and start), a slice of ``chunk`` rows
    per statement. Returns (positions written, holders written)."""
    existing = {p.code: p for p in session.scalars(select(Position).where(
        Position.agency_id == agency_id))}
    for start in range(0, len(rows), chunk):
        for r in rows[start:start + chunk]:
            position = existing.get(r.code)
            if position is None:
                position = Position(agency_id=agency_id, code=r.code)
                session.add(position)
                existing[r.code] = position
            position.name, position.unit_kerja = r.name, r.unit_kerja
            position.kind, position.level = r.kind, r.level
        session.flush()
    for r in rows:
        existing[r.code].parent_id = existing[r.parent_code].id if r.parent_code else None
    session.flush()
    nips = sorted({r.holder_nip for r in rows if r.holder_nip})
    ids: dict[str, int] = {}
    for start in range(0, len(nips), chunk):
        ids.update(session.execute(select(Employee.nip, Employee.id).where(
            Employee.agency_id == agency_id, Employee.nip.in_(nips[start:start + chunk]))).all())
    held = {(h.position_id, h.employee_id, h.kind, h.starts_on): h
            for h in session.scalars(select(PositionHolder).join(Position).where(
                Position.agency_id == agency_id))}
    holders = 0
    for r in rows:
        if not r.holder_nip or r.starts_on is None:
            continue
        key = (existing[r.code].id, ids[r.holder_nip], r.holder_kind, r.starts_on)
        holder = held.get(key)
        if holder is None:
            holder = PositionHolder(position_id=key[0], employee_id=key[1], kind=key[2],
                                    starts_on=key[3])
            session.add(holder)
            held[key] = holder
        holder.ends_on = r.ends_on
        holders += 1
    session.flush()
    return len(rows), holders


# --- a SIASN-style export --------------------------------------------------------------------

# Column names of a SIASN "data pegawai" export → the org chart's columns.
SIASN_COLUMNS = {
    "nip baru": "nip", "nip": "nip", "nama": "nama", "jabatan nama": "jabatan",
    "jabatan": "jabatan", "unor nama": "unit_kerja", "unor induk nama": None,
    "gol akhir nama": "golongan", "golongan": "golongan", "pangkat akhir nama": "pangkat",
    "pangkat": "pangkat", "jenis pegawai nama": "jenis_asn", "jenis jabatan nama": "jenis_jabatan",
    "nip atasan": "nip_atasan", "atasan nip": "nip_atasan",
}
_SIASN_JENIS_JABATAN = {"struktural": "JPT", "jabatan pimpinan tinggi": "JPT",
                        "fungsional": "JF", "fungsional tertentu": "JF",
                        "pelaksana": "JA", "fungsional umum": "JA", "administrasi": "JA"}


def is_siasn_layout(header: Sequence[str]) -> bool:
    """Tell whether a header is a SIASN-style export (upper-case, space-separated names
    such as ``NIP BARU`` and ``UNOR NAMA``)."""
    return any(h.strip().lower() in ("nip baru", "unor nama") for h in header)


def siasn_row(row: dict[str, str]) -> dict[str, str]:
    """Map one row of a SIASN-style export onto the org chart's columns (unknown columns are
    dropped; ``JENIS JABATAN`` names become JPT/JA/JF; ``JENIS PEGAWAI`` PNS/PPPK)."""
    out: dict[str, str] = {}
    for name, value in row.items():
        column = SIASN_COLUMNS.get(name.strip().lower())
        if column and not out.get(column):
            out[column] = value
    if "jenis_jabatan" in out:
        jenis = out["jenis_jabatan"].strip().lower()
        out["jenis_jabatan"] = _SIASN_JENIS_JABATAN.get(jenis, out["jenis_jabatan"].upper())
    if "jenis_asn" in out:
        out["jenis_asn"] = "PPPK" if "pppk" in out["jenis_asn"].lower() else "PNS"
    return out
