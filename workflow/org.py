"""Import the org chart (employees, superiors, groups) from CSV, all rows or none.

Columns (header row required; Indonesian names): ``nip, nama, jabatan, pangkat, golongan,
unit_kerja, jenis_asn, jenis_jabatan, nip_atasan, grup, email`` — ``jenis_jabatan`` is JPT, JA
or JF (it picks the official document variant; optional), ``grup`` is a ``;``-separated list of
group slugs (e.g. ``tim-penilai-kinerja;inspektorat``), ``email`` where her notifications go
(optional; a file without the column leaves the addresses as they are). Rows are matched on
NIP: existing employees are updated, new ones created. Every problem is reported with its row
number and nothing is written unless the whole file is valid.

Two more layouts, told apart by the header (``workflow.positions``): a SIASN-style export
(its columns mapped onto these by ``positions.siasn_row``) and a positions file
(``positions.POSITION_COLUMNS``: positions and their holders, read by
``positions.read_position_rows``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from typing import TypeVar

from sqlalchemy import bindparam
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from . import positions
from . import tallies  # its listener moves the counts of an employee who moves (ORM writers)
from .actors import Actor
from .database import distinct_values
from .definition import SLUG
from .errors import OrgImportError
from .history import append_event
from .models import Agency
from .models import Employee
from .models import Group
from .models import GroupMember
from .models import Position
from .models import utcnow
from .texts import Text

COLUMNS = ("nip", "nama", "jabatan", "pangkat", "golongan", "unit_kerja", "jenis_asn",
           "jenis_jabatan", "nip_atasan", "grup", "email")
#: Columns a file may leave out; then the employees keep what they have.
OPTIONAL = ("jenis_jabatan", "email")
# An e-mail address as notifications need it: one @, a dot in the domain, no spaces.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
JENIS_JABATAN = ("JPT", "JA", "JF")
REQUIRED = ("nip", "nama")
_GOLONGAN_PNS = re.compile(r"^(I|II|III|IV)/[a-e]$")
_GOLONGAN_PPPK = re.compile(r"^(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV|XVI|XVII)$")
T = TypeVar("T")
GROUP_NAMES = {
    "admin": "Admin Instansi",
    "inspektorat": "Inspektorat (Auditor)",
    "tim-penilai-kinerja": "Tim Penilai Kinerja",
}


def nip_problem(nip: str) -> Text | None:
    """Return why a NIP/NIPPPK is malformed (18 digits, starting with a real birth date)."""
    if not re.fullmatch(r"\d{18}", nip):
        return Text("NIP harus 18 digit angka", "A NIP has 18 digits")
    try:
        date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        return Text("8 digit pertama NIP harus tanggal lahir yang sah (TTTTBBHH)",
                    "The first 8 digits of a NIP must be a valid birth date (YYYYMMDD)")
    return None


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Counts of what an import did."""

    created: int
    updated: int
    groups: int
    # A positions file (``positions.POSITION_COLUMNS``): positions and holders written.
    positions: int = 0
    holders: int = 0


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    """An employee as someone wants to save it (a CSV row, the admin's form), before checks.

    ``employee_id`` is the row being edited in the admin (None: a new employee, or a CSV row,
    which is matched on its NIP instead).
    """

    nip: str
    name: str
    asn_type: str = "PNS"
    golongan: str = ""
    jenis_jabatan: str = ""
    superior_nip: str = ""
    groups: tuple[str, ...] = ()
    jabatan: str = ""
    pangkat: str = ""
    unit_kerja: str = ""
    employee_id: int | None = None
    email: str = ""


#: The longest text each column holds (``workflow.models.Employee``).
LENGTHS = {"name": ("nama", 200), "jabatan": ("jabatan", 200), "pangkat": ("pangkat", 100),
           "unit_kerja": ("unit_kerja", 200)}


def _field_problems(record: EmployeeRecord) -> list[Text]:
    """The rules one employee satisfies on its own: NIP, name, kind of ASN, golongan, position."""
    problems: list[Text] = []
    if not record.nip:
        problems.append(Text("kolom 'nip' wajib diisi", "column 'nip' is required"))
    elif why := nip_problem(record.nip):
        problems.append(Text(f"{why} ('{record.nip}')", f"{why.en} ('{record.nip}')"))
    if not record.name:
        problems.append(Text("kolom 'nama' wajib diisi", "column 'nama' is required"))
    for attr, (column, limit) in LENGTHS.items():
        if len(getattr(record, attr)) > limit:
            problems.append(Text(f"kolom '{column}' paling banyak {limit} karakter",
                                 f"column '{column}' holds at most {limit} characters"))
    kind = record.asn_type
    if kind not in ("PNS", "PPPK"):
        problems.append(Text(f"jenis_asn harus PNS atau PPPK, bukan '{kind}'",
                             f"jenis_asn must be PNS or PPPK, not '{kind}'"))
    pattern = _GOLONGAN_PPPK if kind == "PPPK" else _GOLONGAN_PNS
    if record.golongan and not pattern.match(record.golongan):
        example = "IX" if kind == "PPPK" else "III/b"
        problems.append(Text(f"golongan '{record.golongan}' tidak sah untuk {kind} "
                             f"(contoh: {example})",
                             f"golongan '{record.golongan}' is not valid for {kind} "
                             f"(e.g. {example})"))
    if record.jenis_jabatan and record.jenis_jabatan not in JENIS_JABATAN:
        problems.append(Text(f"jenis_jabatan harus JPT, JA atau JF, bukan "
                             f"'{record.jenis_jabatan}'",
                             f"jenis_jabatan must be JPT, JA or JF, not "
                             f"'{record.jenis_jabatan}'"))
    if why := email_problem(record.email):
        problems.append(why)
    for slug in record.groups:
        if not SLUG.match(slug):
            problems.append(Text(f"nama grup '{slug}' tidak sah", f"invalid group name '{slug}'"))
    return problems


def email_problem(email: str) -> Text | None:
    """Return why an e-mail address cannot be recorded ("" is fine: none), or None."""
    if email and (len(email) > 254 or not _EMAIL.match(email)):
        return Text(f"alamat e-mail '{email[:60]}' tidak sah (contoh: nama@instansi.go.id)",
                    f"invalid e-mail address '{email[:60]}' (e.g. nama@instansi.go.id)")
    return None


def employee_problems(
    session: Session, agency_id: int, records: Sequence[EmployeeRecord],
    numbers: Sequence[int] | None = None,
) -> list[tuple[int, Text]]:
    """Check employees against every rule of the org chart; the one validator of employees.

    The CSV import passes all its rows, the admin's employee form the one being saved. Each
    record must be valid on its own (NIP, name, golongan for its kind of ASN, jenis jabatan,
    group names, lengths); a NIP appears once and is not another agency's (nor, in the admin,
    another employee's); a superior is someone else, in the records or in this agency; and the
    reporting line after saving (the agency's current one overlaid by the records) has no
    loop. Returns ``(index of the record, problem)`` pairs; empty when everything holds.
    ``numbers`` are the records' row numbers in a file (a repeated NIP names its first row).
    """
    numbers = numbers or range(1, len(records) + 1)
    problems: list[tuple[int, Text]] = []
    first: dict[str, int] = {}
    for index, record in enumerate(records):
        problems.extend((index, p) for p in _field_problems(record))
        if record.nip in first:
            row = numbers[first[record.nip]]
            problems.append((index, Text(f"NIP {record.nip} sudah ada di baris {row}",
                                         f"NIP {record.nip} already on row {row}")))
        elif record.nip:
            first[record.nip] = index
    # The agency's reporting line now (read once: its NIPs, and the loop check below), and the
    # NIPs of the records that belong to other agencies.
    current_line = session.execute(select(Employee.id, Employee.nip, Employee.superior_id)
                                   .where(Employee.agency_id == agency_id)).all()
    own = {own_nip: employee_id for employee_id, own_nip, _ in current_line}
    taken = [(found, agency_id, own[found]) for found in first if found in own]
    taken += _elsewhere(session, agency_id, [n for n in first if n not in own])
    for found_nip, found_agency, found_id in taken:
        index = first[found_nip]
        if found_agency != agency_id:
            problems.append((index, Text(f"NIP {found_nip} terdaftar di instansi lain",
                                         f"NIP {found_nip} belongs to another agency")))
        elif records[index].employee_id is not None and records[index].employee_id != found_id:
            problems.append((index, Text(f"NIP {found_nip} sudah dipakai pegawai lain",
                                         f"NIP {found_nip} is already another employee's")))
    in_agency = own.keys()
    renamed = {r.employee_id: r.nip for r in records if r.employee_id is not None}
    for index, record in enumerate(records):
        boss = record.superior_nip
        if not boss:
            continue
        if boss == record.nip:
            problems.append((index, Text("pegawai tidak boleh menjadi atasannya sendiri",
                                         "an employee cannot be their own superior")))
        elif boss not in first and boss not in in_agency:
            problems.append((index, Text(f"NIP atasan {boss} tidak ditemukan di berkas maupun "
                                         "di instansi ini",
                                         f"superior NIP {boss} is neither in the file nor in "
                                         "this agency")))
    if problems:
        return problems
    # The reporting line after saving: the agency's current one, overlaid by the records.
    nip_of = {employee_id: renamed.get(employee_id, own) for employee_id, own, _ in current_line}
    chart: dict[str, str | None] = {
        nip_of[employee_id]: nip_of.get(boss) if boss is not None else None
        for employee_id, _, boss in current_line}
    chart.update({r.nip: r.superior_nip or None for r in records})
    for index, record in enumerate(records):
        seen = [record.nip]
        current = chart.get(record.nip)
        while current is not None:
            if current in seen:
                loop = " → ".join([*seen, current])
                problems.append((index, Text(f"rantai atasan berputar: {loop}",
                                             f"the reporting line loops: {loop}")))
                break
            seen.append(current)
            current = chart.get(current)
    return problems


def _sniff_delimiter(text: str) -> str:
    """Excel writes ``;`` where the decimal comma is the custom (Indonesian settings)."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def decode_org_csv(raw: bytes) -> str:
    """Read an uploaded org chart as UTF-8 (with or without Excel's BOM).

    :raises OrgImportError: naming the row and the byte that is not UTF-8, and how to fix it.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw[:exc.start].count(b"\n") + 1
        byte = raw[exc.start:exc.start + 1].hex().upper()
        raise OrgImportError([Text(
            f"baris {row}: berkas bukan UTF-8 (byte 0x{byte}; mungkin Windows-1252/ANSI). "
            "Di Excel simpan sebagai 'CSV UTF-8 (Comma delimited)'",
            f"row {row}: the file is not UTF-8 (byte 0x{byte}; perhaps Windows-1252/ANSI). "
            "In Excel save it as 'CSV UTF-8 (Comma delimited)'")]) from exc


def import_org_csv(
    session: Session, audit_key: bytes, agency: Agency, text: str, actor: Actor | None = None
) -> ImportResult:
    """Validate the whole CSV (``employee_problems``), then create/update employees,
    superiors and groups. Columns are separated by ``,`` or, as Excel writes with
    Indonesian settings, by ``;`` (read from the header row).

    :raises OrgImportError: listing every row-level problem; nothing is written then.
    """
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if positions.is_positions_layout(header):
        return _import_positions(session, audit_key, agency, reader, header, actor)
    siasn = positions.is_siasn_layout(header)
    if siasn:  # a SIASN-style export: its columns mapped onto ours
        header = list(dict.fromkeys(
            column for h in header if (column := positions.SIASN_COLUMNS.get(h.lower()))))
    problems: list[Text] = []
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing:
        problems.append(Text(f"baris 1: kolom wajib tidak ada: {', '.join(missing)}",
                             f"row 1: required columns missing: {', '.join(missing)}"))
    if unknown:
        problems.append(Text(f"baris 1: kolom tidak dikenal: {', '.join(unknown)} "
                             f"(kolom yang dikenal: {', '.join(COLUMNS)})",
                             f"row 1: unknown columns: {', '.join(unknown)} "
                             f"(known columns: {', '.join(COLUMNS)})"))
    if problems:
        raise OrgImportError(problems)

    numbers: list[int] = []
    records: list[EmployeeRecord] = []
    rows: dict[str, tuple[int, dict[str, str]]] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in raw.items()
                   if isinstance(k, str) and isinstance(v, str | None)}
            if siasn:
                row = positions.siasn_row(row)
            if None in raw:
                problems.append(Text(f"baris {number}: jumlah kolom melebihi header",
                                     f"row {number}: more columns than the header"))
            numbers.append(number)
            records.append(EmployeeRecord(
                nip=row.get("nip", ""), name=row.get("nama", ""),
                asn_type=(row.get("jenis_asn") or "PNS").upper(),
                golongan=row.get("golongan", ""),
                jenis_jabatan=(row.get("jenis_jabatan") or "").upper(),
                superior_nip=row.get("nip_atasan", ""),
                groups=tuple(filter(None, (g.strip() for g in row.get("grup", "").split(";")))),
                jabatan=row.get("jabatan", ""), pangkat=row.get("pangkat", ""),
                unit_kerja=row.get("unit_kerja", ""), email=row.get("email", "")))
            if row.get("nip") and row["nip"] not in rows:
                rows[row["nip"]] = (number, row)
    except csv.Error as exc:
        raise OrgImportError([Text(f"baris {reader.line_num}: CSV tidak terbaca: {exc}",
                                   f"row {reader.line_num}: unreadable CSV: {exc}")]) from exc
    for index, problem in employee_problems(session, agency.id, records, numbers):
        problems.append(Text(f"baris {numbers[index]}: {problem}",
                             f"row {numbers[index]}: {problem.en}"))
    if problems:
        raise OrgImportError(problems)

    created, updated, group_count = _write(session, agency.id, rows,
                                           tuple(c for c in OPTIONAL if c in header))
    result = ImportResult(created, updated, group_count)
    append_event(
        session, audit_key, agency, kind="admin", at=utcnow(),
        actor_id=actor.employee_id if actor else None, actor_nip=actor.nip if actor else "",
        actor_role="admin" if actor else "system", trigger="org_import",
        payload={"created": created, "updated": updated, "rows": len(rows)},
    )
    session.flush()
    return result


def _import_positions(session: Session, audit_key: bytes, agency: Agency,
                      reader: csv.DictReader[str], header: list[str],
                      actor: Actor | None) -> ImportResult:
    """Import a positions file (``positions.POSITION_COLUMNS``), all rows or none: positions
    matched on their code, holders on position, NIP, status and start."""
    missing = [c for c in positions.POSITION_REQUIRED if c not in header]
    unknown = [c for c in header if c not in positions.POSITION_COLUMNS]
    problems: list[Text] = []
    if missing:
        problems.append(Text(f"baris 1: kolom wajib tidak ada: {', '.join(missing)}",
                             f"row 1: required columns missing: {', '.join(missing)}"))
    if unknown:
        problems.append(Text(
            f"baris 1: kolom tidak dikenal: {', '.join(unknown)} "
            f"(kolom yang dikenal: {', '.join(positions.POSITION_COLUMNS)})",
            f"row 1: unknown columns: {', '.join(unknown)} "
            f"(known columns: {', '.join(positions.POSITION_COLUMNS)})"))
    if problems:
        raise OrgImportError(problems)
    try:
        raw_rows = [(number, {k.strip(): (v or "").strip() for k, v in raw.items()
                              if isinstance(k, str) and isinstance(v, str | None)})
                    for number, raw in enumerate(reader, start=2)]
    except csv.Error as exc:
        raise OrgImportError([Text(f"baris {reader.line_num}: CSV tidak terbaca: {exc}",
                                   f"row {reader.line_num}: unreadable CSV: {exc}")]) from exc
    known_codes = set(session.scalars(select(Position.code).where(
        Position.agency_id == agency.id)))
    known_nips = set(session.scalars(select(Employee.nip).where(
        Employee.agency_id == agency.id)))
    rows, problems = positions.read_position_rows(iter(raw_rows), known_codes, known_nips)
    if problems:
        raise OrgImportError(problems)
    written, holders = positions.write_positions(session, agency.id, rows, BATCH)
    append_event(
        session, audit_key, agency, kind="admin", at=utcnow(),
        actor_id=actor.employee_id if actor else None, actor_nip=actor.nip if actor else "",
        actor_role="admin" if actor else "system", trigger="positions_import",
        payload={"positions": written, "holders": holders},
    )
    session.flush()
    return ImportResult(0, 0, 0, written, holders)


# Rows per statement: PostgreSQL takes at most 65,535 bind parameters per statement (and SQLite
# 32,766), so lists of NIPs and rows are sent in slices of this many.
BATCH = 2000
_EMPLOYEE = Employee.__table__
_MEMBER = GroupMember.__table__
# The employee columns a CSV row sets (``jenis_jabatan`` only when the file has the column).
_ROW_COLUMNS = ("name", "jabatan", "pangkat", "golongan", "unit_kerja", "asn_type")


def _chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _elsewhere(session: Session, agency_id: int, nips: list[str]) -> list[Any]:
    """(nip, agency id, id) of the employees of other agencies with one of ``nips``: on
    PostgreSQL one join with the array of NIPs (a hash join, one parameter), elsewhere ``IN``
    slices."""
    if not nips:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return list(session.execute(text(
            "SELECT e.nip, e.agency_id, e.id FROM employee e "
            "JOIN unnest(CAST(:nips AS text[])) AS f(nip) ON e.nip = f.nip "
            "WHERE e.agency_id <> :agency"), {"nips": nips, "agency": agency_id}))
    return [found for chunk in _chunks(nips)
            for found in session.execute(select(Employee.nip, Employee.agency_id, Employee.id)
                                         .where(Employee.nip.in_(chunk),
                                                Employee.agency_id != agency_id))]


def _values(row: dict[str, str], optional: Sequence[str]) -> dict[str, str]:
    values = {"name": row["nama"], "jabatan": row.get("jabatan", ""),
              "pangkat": row.get("pangkat", ""), "golongan": row.get("golongan", ""),
              "unit_kerja": row.get("unit_kerja", ""),
              "asn_type": (row.get("jenis_asn") or "PNS").upper()}
    if "jenis_jabatan" in optional:
        values["jenis_jabatan"] = (row.get("jenis_jabatan") or "").upper()
    if "email" in optional:
        values["email"] = row.get("email") or ""
    return values


# The columns a new employee row is inserted with, and their PostgreSQL array types.
_INSERTED = {"agency_id": "integer", "nip": "text", "name": "text", "jabatan": "text",
             "pangkat": "text", "golongan": "text", "unit_kerja": "text", "asn_type": "text",
             "jenis_jabatan": "text", "email": "text", "session_epoch": "integer",
             "active": "boolean"}


def _upsert(session: Session, rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    """``INSERT … ON CONFLICT (nip) DO UPDATE`` the rows, a slice at a time: on PostgreSQL
    ``INSERT … SELECT FROM unnest(<one array per column>)`` (a parameter per column, not per
    value), elsewhere multi-row VALUES."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        names = ", ".join(_INSERTED)
        arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in _INSERTED.items())
        updates = ", ".join(f"{name} = excluded.{name}" for name in columns)
        arrayed = text(f"INSERT INTO employee ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608 - fixed column names
                       f"ON CONFLICT (nip) DO UPDATE SET {updates}")
        for chunk in _chunks(rows):
            session.execute(arrayed, {name: [row[name] for row in chunk] for name in _INSERTED})
        return
    insert = sqlite.insert(_EMPLOYEE)
    # RETURNING makes SQLAlchemy send each slice as multi-row VALUES ("insertmanyvalues"),
    # a round-trip per thousand rows instead of one per row.
    statement = insert.on_conflict_do_update(
        index_elements=["nip"], set_={name: insert.excluded[name] for name in columns}
    ).returning(_EMPLOYEE.c.id)
    for chunk in _chunks(rows):
        session.execute(statement, list(chunk)).all()


def _update(session: Session, rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    """Write the changed ``columns`` of existing employees (``id`` in each row), a slice at a
    time: on PostgreSQL ``UPDATE … FROM unnest(<arrays>)`` by primary key, elsewhere one
    executemany."""
    if session.get_bind().dialect.name == "postgresql":
        arrays = ", ".join(["CAST(:id AS integer[])",
                            *(f"CAST(:{name} AS text[])" for name in columns)])
        names = ", ".join(["id", *columns])
        updates = ", ".join(f"{name} = u.{name}" for name in columns)
        arrayed = text(f"UPDATE employee SET {updates} FROM unnest({arrays}) "  # noqa: S608 - fixed column names
                       f"AS u({names}) WHERE employee.id = u.id")
        for chunk in _chunks(rows):
            session.execute(arrayed, {name: [row[name] for row in chunk]
                                      for name in ("id", *columns)})
        return
    statement = (_EMPLOYEE.update().where(_EMPLOYEE.c.id == bindparam("b_id"))
                 .values({name: bindparam(f"b_{name}") for name in columns}))
    for chunk in _chunks(rows):
        session.execute(statement, [{f"b_{name}": value for name, value in row.items()}
                                    for row in chunk])


def _set_superiors(session: Session, changes: list[tuple[int, int | None]]) -> None:
    """Set ``superior_id`` of each (employee id, superior id): on PostgreSQL one ``UPDATE …
    FROM unnest(ids, superiors)`` per slice, elsewhere one executemany."""
    if session.get_bind().dialect.name == "postgresql":
        for chunk in _chunks(changes):
            session.execute(text(
                "UPDATE employee SET superior_id = u.superior_id "
                "FROM unnest(CAST(:ids AS integer[]), CAST(:superiors AS integer[])) "
                "AS u(id, superior_id) WHERE employee.id = u.id"),
                {"ids": [i for i, _ in chunk], "superiors": [b for _, b in chunk]})
        return
    statement = (_EMPLOYEE.update().where(_EMPLOYEE.c.id == bindparam("b_id"))
                 .values(superior_id=bindparam("b_superior")))
    for chunk in _chunks(changes):
        session.execute(statement, [{"b_id": i, "b_superior": b} for i, b in chunk])


def _write(session: Session, agency_id: int, rows: dict[str, tuple[int, dict[str, str]]],
           optional: Sequence[str]) -> tuple[int, int, int]:
    """Write a validated file: employees in bulk (new rows inserted, changed rows updated by
    primary key, unchanged rows not written),
    then the superiors and group memberships that differ; the tallies follow employees who
    changed units. A constant number of statements per ``BATCH`` rows, whatever the size.
    Returns (created, updated, groups of the agency)."""
    session.flush()
    columns = (*_ROW_COLUMNS, *optional)
    before = {r.nip: r for r in session.execute(
        select(_EMPLOYEE.c.id, _EMPLOYEE.c.nip, _EMPLOYEE.c.superior_id,
               *(_EMPLOYEE.c[name] for name in columns))
        .where(_EMPLOYEE.c.agency_id == agency_id))}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    moves: list[tuple[int, str, str]] = []
    for nip, (_number, row) in rows.items():
        values = _values(row, optional)
        old = before.get(nip)
        if old is None:
            new.append({"agency_id": agency_id, "nip": nip, "jenis_jabatan": "", "email": "",
                        "session_epoch": 0, "active": True, **values})
        elif any(getattr(old, name) != value for name, value in values.items()):
            changed.append({"id": old.id, **values})
            if old.unit_kerja != values["unit_kerja"]:
                moves.append((old.id, old.unit_kerja or "", values["unit_kerja"]))
    _upsert(session, new, columns)
    _update(session, changed, columns)
    tallies.employees_moved(session, moves)
    created = sum(1 for nip in rows if nip not in before)

    ids = {nip: (old.id, old.superior_id) for nip, old in before.items()}
    if new:  # their ids
        ids = {nip: (employee_id, superior_id) for employee_id, nip, superior_id in
               session.execute(select(_EMPLOYEE.c.id, _EMPLOYEE.c.nip, _EMPLOYEE.c.superior_id)
                               .where(_EMPLOYEE.c.agency_id == agency_id))}
    superiors: list[tuple[int, int | None]] = []
    for nip, (_number, row) in rows.items():
        boss = row.get("nip_atasan", "")
        wanted = ids[boss][0] if boss else None
        employee_id, current = ids[nip]
        if wanted != current:
            superiors.append((employee_id, wanted))
    _set_superiors(session, superiors)

    groups = {g.slug: g for g in session.scalars(select(Group).where(Group.agency_id == agency_id))}
    for _number, row in rows.values():
        for slug in _group_slugs(row):
            if slug not in groups:
                groups[slug] = Group(agency_id=agency_id, slug=slug,
                                     name=GROUP_NAMES.get(slug, slug))
                session.add(groups[slug])
    session.flush()
    wanted_pairs = {(groups[slug].id, ids[nip][0]) for nip, (_number, row) in rows.items()
                    for slug in _group_slugs(row)}
    in_file = {ids[nip][0] for nip in rows}
    current_pairs = {(group_id, employee_id) for group_id, employee_id in session.execute(
        select(_MEMBER.c.group_id, _MEMBER.c.employee_id)
        .join(_EMPLOYEE, _EMPLOYEE.c.id == _MEMBER.c.employee_id)
        .where(_EMPLOYEE.c.agency_id == agency_id)) if employee_id in in_file}
    gone = [{"g": g, "e": e} for g, e in sorted(current_pairs - wanted_pairs)]
    new = [{"group_id": g, "employee_id": e} for g, e in sorted(wanted_pairs - current_pairs)]
    leave = _MEMBER.delete().where(_MEMBER.c.group_id == bindparam("g"),
                                   _MEMBER.c.employee_id == bindparam("e"))
    for chunk in _chunks(gone):
        session.execute(leave, list(chunk))
    for chunk in _chunks(new):
        session.execute(_MEMBER.insert(), list(chunk))
    # ORM objects of this session (the acting admin, say) read the new values on next use.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Employee | Group):
            session.expire(obj)
    return created, len(rows) - created, len(groups)


def _group_slugs(row: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(filter(None, (g.strip() for g in row.get("grup", "").split(";")))))


def units_of(session: Session, agency_id: int, limit: int | None = None) -> list[str]:
    """Return the agency's unit kerja names, sorted (the first ``limit``), for filters and
    pickers: read off the ``(agency_id, unit_kerja)`` index one name at a time
    (``database.distinct_values``), never by reading every employee."""
    return [unit for (unit,) in distinct_values(session, "employee", agency_id,
                                                ("unit_kerja",),
                                                None if limit is None else limit + 1)
            if unit][:limit]
