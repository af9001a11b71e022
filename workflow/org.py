"""Import the org chart (employees, superiors, groups) from CSV, all rows or none.

Columns (header row required; Indonesian names): ``nip, nama, jabatan, pangkat, golongan,
unit_kerja, jenis_asn, jenis_jabatan, nip_atasan, grup`` — ``jenis_jabatan`` is JPT, JA or JF
(it picks the official document variant; optional), ``grup`` is a ``;``-separated list of group
slugs (e.g. ``tim-penilai-kinerja;inspektorat``). Rows are matched on NIP: existing
employees are updated, new ones created. Every problem is reported with its row number and
nothing is written unless the whole file is valid.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import aliased

from .actors import Actor
from .definition import SLUG
from .errors import OrgImportError
from .history import append_event
from .models import Agency
from .models import Employee
from .models import Group
from .models import utcnow
from .texts import Text

COLUMNS = ("nip", "nama", "jabatan", "pangkat", "golongan", "unit_kerja", "jenis_asn",
           "jenis_jabatan", "nip_atasan", "grup")
JENIS_JABATAN = ("JPT", "JA", "JF")
REQUIRED = ("nip", "nama")
_GOLONGAN_PNS = re.compile(r"^(I|II|III|IV)/[a-e]$")
_GOLONGAN_PPPK = re.compile(r"^(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII|XIII|XIV|XV|XVI|XVII)$")
Superior = aliased(Employee)
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


def import_org_csv(
    session: Session, audit_key: bytes, agency: Agency, text: str, actor: Actor | None = None
) -> ImportResult:
    """Validate the whole CSV, then create/update employees, superiors and groups.

    :raises OrgImportError: listing every row-level problem; nothing is written then.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
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

    rows: dict[str, tuple[int, dict[str, str]]] = {}
    for number, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            problems.append(Text(f"baris {number}: jumlah kolom melebihi header",
                                 f"row {number}: more columns than the header"))
        for column in REQUIRED:
            if not row.get(column):
                problems.append(Text(f"baris {number}: kolom '{column}' wajib diisi",
                                     f"row {number}: column '{column}' is required"))
        nip = row.get("nip", "")
        if nip and (why := nip_problem(nip)):
            problems.append(Text(f"baris {number}: {why} ('{nip}')",
                                 f"row {number}: {why.en} ('{nip}')"))
        if nip in rows:
            problems.append(Text(f"baris {number}: NIP {nip} sudah ada di baris {rows[nip][0]}",
                                 f"row {number}: NIP {nip} already on row {rows[nip][0]}"))
        kind = (row.get("jenis_asn") or "PNS").upper()
        if kind not in ("PNS", "PPPK"):
            problems.append(Text(f"baris {number}: jenis_asn harus PNS atau PPPK, bukan '{kind}'",
                                 f"row {number}: jenis_asn must be PNS or PPPK, not '{kind}'"))
        golongan = row.get("golongan", "")
        pattern = _GOLONGAN_PPPK if kind == "PPPK" else _GOLONGAN_PNS
        if golongan and not pattern.match(golongan):
            example = "IX" if kind == "PPPK" else "III/b"
            problems.append(Text(f"baris {number}: golongan '{golongan}' tidak sah untuk {kind} "
                                 f"(contoh: {example})",
                                 f"row {number}: golongan '{golongan}' is not valid for {kind} "
                                 f"(e.g. {example})"))
        position = (row.get("jenis_jabatan") or "").upper()
        if position and position not in JENIS_JABATAN:
            problems.append(Text(f"baris {number}: jenis_jabatan harus JPT, JA atau JF, bukan "
                                 f"'{position}'",
                                 f"row {number}: jenis_jabatan must be JPT, JA or JF, not "
                                 f"'{position}'"))
        for slug in filter(None, (g.strip() for g in row.get("grup", "").split(";"))):
            if not SLUG.match(slug):
                problems.append(Text(f"baris {number}: nama grup '{slug}' tidak sah",
                                     f"row {number}: invalid group name '{slug}'"))
        if nip:
            rows[nip] = (number, row)

    existing = {e.nip: e for e in session.scalars(select(Employee).where(Employee.nip.in_(rows)))}
    for nip, found in existing.items():
        if found.agency_id != agency.id:
            problems.append(Text(f"baris {rows[nip][0]}: NIP {nip} terdaftar di instansi lain",
                                 f"row {rows[nip][0]}: NIP {nip} belongs to another agency"))
    in_agency = set(session.scalars(select(Employee.nip).where(Employee.agency_id == agency.id)))
    superior_of: dict[str, str] = {}
    for nip, (number, row) in rows.items():
        boss = row.get("nip_atasan", "")
        if not boss:
            continue
        if boss == nip:
            problems.append(Text(f"baris {number}: pegawai tidak boleh menjadi atasannya sendiri",
                                 f"row {number}: an employee cannot be their own superior"))
        elif boss not in rows and boss not in in_agency:
            problems.append(Text(f"baris {number}: NIP atasan {boss} tidak ditemukan di berkas "
                                 "maupun di instansi ini",
                                 f"row {number}: superior NIP {boss} is neither in the file "
                                 "nor in this agency"))
        superior_of[nip] = boss
    if not problems:
        # The reporting line after the import: the agency's current one, overlaid by the file.
        chart: dict[str, str | None] = dict(session.execute(
            select(Employee.nip, Superior.nip)
            .join(Superior, Employee.superior_id == Superior.id)
            .where(Employee.agency_id == agency.id)).all())
        chart.update({nip: superior_of.get(nip) for nip in rows})
        for nip in rows:
            seen = [nip]
            current = chart.get(nip)
            while current is not None:
                if current in seen:
                    loop = " → ".join([*seen, current])
                    problems.append(Text(f"baris {rows[nip][0]}: rantai atasan berputar: {loop}",
                                         f"row {rows[nip][0]}: the reporting line loops: "
                                         f"{loop}"))
                    break
                seen.append(current)
                current = chart.get(current)
    if problems:
        raise OrgImportError(problems)

    groups = {g.slug: g for g in session.scalars(select(Group).where(Group.agency_id == agency.id))}
    created = updated = 0
    employees: dict[str, Employee] = {}
    for nip, (_number, row) in rows.items():
        employee = existing.get(nip)
        if employee is None:
            employee = Employee(agency_id=agency.id, nip=nip)
            session.add(employee)
            created += 1
        else:
            updated += 1
        employee.name = row["nama"]
        employee.jabatan = row.get("jabatan", "")
        employee.pangkat = row.get("pangkat", "")
        employee.golongan = row.get("golongan", "")
        employee.unit_kerja = row.get("unit_kerja", "")
        employee.asn_type = (row.get("jenis_asn") or "PNS").upper()
        if "jenis_jabatan" in header:
            employee.jenis_jabatan = (row.get("jenis_jabatan") or "").upper()
        wanted = []
        for slug in filter(None, (g.strip() for g in row.get("grup", "").split(";"))):
            if slug not in groups:
                groups[slug] = Group(agency_id=agency.id, slug=slug,
                                     name=GROUP_NAMES.get(slug, slug))
                session.add(groups[slug])
            wanted.append(groups[slug])
        employee.groups = wanted
        employees[nip] = employee
    session.flush()
    outside = {e.nip: e for e in session.scalars(
        select(Employee).where(Employee.agency_id == agency.id,
                                Employee.nip.in_(set(superior_of.values()) - set(rows))))}
    for nip, employee in employees.items():
        superior_nip = superior_of.get(nip)
        employee.superior = ((employees.get(superior_nip) or outside.get(superior_nip))
                             if superior_nip else None)
    result = ImportResult(created, updated, len(groups))
    append_event(
        session, audit_key, agency, kind="admin", at=utcnow(),
        actor_id=actor.employee_id if actor else None, actor_nip=actor.nip if actor else "",
        actor_role="admin" if actor else "system", trigger="org_import",
        payload={"created": created, "updated": updated, "rows": len(rows)},
    )
    session.flush()
    return result


def units_of(session: Session, agency_id: int) -> list[str]:
    """Return the agency's unit kerja names, sorted (for filters and pickers)."""
    return list(session.scalars(select(Employee.unit_kerja).where(
        Employee.agency_id == agency_id, Employee.unit_kerja != "").distinct()
        .order_by(Employee.unit_kerja)))
