"""The org import at any size: bulk statements in slices under the databases' bind-parameter
limits, a re-import that writes only what changed, and everything else the ORM import did
(superiors, groups, the tallies of people who change units)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import ORG_HEADER
from tests.conftest import PG_URL
from tests.conftest import World
from tests.conftest import sql_statements
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import EvaluationTally
from workflow.models import Group
from workflow.org import BATCH
from workflow.org import import_org_csv
from workflow.service import Workflow
from workflow.tallies import rebuild_tallies


def big_nip(n: int) -> str:
    return f"198001012005{n:06d}"


def big_chart(employees: int, jabatan: str = "Analis") -> str:
    """One head, units of 100: a unit head reporting to her and 99 staff reporting to them."""
    rows = [f"{big_nip(0)},Kepala,Kepala,,,Sekretariat,PNS,,admin"]
    for n in range(1, employees):
        head = n - (n - 1) % 100
        superior = big_nip(0) if n == head else big_nip(head)
        rows.append(f"{big_nip(n)},Pegawai {n},{jabatan},,,Unit {head},PNS,{superior},")
    return ORG_HEADER + "\n".join(rows) + "\n"


@pytest.fixture(name="agency")
def _agency(session: Session) -> Agency:
    agency = Agency(slug="kota-besar", name="Kota Besar")
    session.add(agency)
    session.flush()
    return agency


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Employee)) or 0


def test_statements_grow_with_slices_not_people(
        app: Flask, session: Session, wf: Workflow, agency: Agency) -> None:
    """Importing 3 slices' worth of people takes a handful of statements per slice, and a
    re-import of the same file writes nothing per person."""
    size = 3 * BATCH
    with sql_statements(app) as first:
        result = import_org_csv(session, wf.audit_key, agency, big_chart(size))
    session.commit()
    assert (result.created, result.updated) == (size, 0) and _count(session) == size
    assert len(first) < 40, len(first)
    with sql_statements(app) as again:
        result = import_org_csv(session, wf.audit_key, agency, big_chart(size))
    session.commit()
    assert (result.created, result.updated) == (0, size)
    writes = [s for s in again if s.lstrip().upper().startswith(("INSERT INTO EMPLOYEE",
                                                                 "UPDATE EMPLOYEE"))]
    assert writes == [] and len(again) < 25, again
    with sql_statements(app) as changed:
        import_org_csv(session, wf.audit_key, agency, big_chart(size, jabatan="Analis Muda"))
    session.commit()
    assert len(changed) < 40, len(changed)
    assert session.scalar(select(func.count()).select_from(Employee).where(
        Employee.jabatan == "Analis Muda")) == size - 1


def test_reimport_moves_superiors_groups_units_and_tallies(
        session: Session, wf: Workflow, world: World) -> None:
    agency, people = world.agency, world.people
    before = {p.nip: p.id for p in people.values()}
    text = import_text(session, agency)
    moved = text.replace(f"{people['pegawai'].nip},Pegawai Satu,Analis,Penata Muda,III/a,"
                         f"Bidang A,PNS,{people['penilai'].nip},",
                         f"{people['pegawai'].nip},Pegawai Satu,Analis,Penata Muda,III/a,"
                         f"Bidang B,PNS,{people['atasan'].nip},inspektorat")
    assert moved != text
    moved = moved.replace(",ppk;tim-penilai-kinerja", ",ppk")  # leaves the team
    moved += f"{big_nip(7)},Orang Baru,Analis,,,Bidang B,PNS,{people['atasan'].nip},\n"
    result = import_org_csv(session, wf.audit_key, agency, moved)
    session.commit()
    assert (result.created, result.updated) == (1, len(before))
    pegawai = session.get(Employee, people["pegawai"].id)
    assert pegawai is not None and pegawai.unit_kerja == "Bidang B"
    assert pegawai.superior_id == people["atasan"].id
    assert [g.slug for g in pegawai.groups] == ["inspektorat"]
    ppk = session.get(Employee, people["ppk"].id)
    assert ppk is not None and [g.slug for g in ppk.groups] == ["ppk"]
    assert {p.nip: p.id for p in session.scalars(select(Employee).where(
        Employee.nip.in_(before)))} == before  # updated in place
    assert session.scalar(select(Employee.superior_id).where(
        Employee.nip == big_nip(7))) == people["atasan"].id
    # The tallies moved with her: the same as recounting from the evaluations.
    kept = sorted(tuple(t) for t in session.execute(select(
        EvaluationTally.unit_kerja, EvaluationTally.status, EvaluationTally.n).where(
        EvaluationTally.agency_id == agency.id, EvaluationTally.n != 0)))
    rebuild_tallies(session, agency.id)
    recounted = sorted(tuple(t) for t in session.execute(select(
        EvaluationTally.unit_kerja, EvaluationTally.status, EvaluationTally.n).where(
        EvaluationTally.agency_id == agency.id, EvaluationTally.n != 0)))
    assert kept == recounted and ("Bidang B", "draft", 1) in kept
    assert session.scalar(select(func.count()).select_from(Group).where(
        Group.agency_id == agency.id)) == result.groups


def import_text(session: Session, agency: Agency) -> str:
    """The agency's org chart as a CSV the import takes (what an admin would export)."""
    lines = [ORG_HEADER.rstrip("\n")]
    by_id = {e.id: e for e in session.scalars(select(Employee).where(
        Employee.agency_id == agency.id).order_by(Employee.id))}
    for e in by_id.values():
        boss = by_id[e.superior_id].nip if e.superior_id else ""
        groups = ";".join(sorted(g.slug for g in e.groups))
        lines.append(",".join([e.nip, e.name, e.jabatan, e.pangkat, e.golongan, e.unit_kerja,
                               e.asn_type, boss, groups]))
    return "\n".join(lines) + "\n"


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's limit of 65,535 bind parameters")
def test_an_org_chart_beyond_65535_rows_imports_on_postgresql(
        session: Session, wf: Workflow, agency: Agency) -> None:
    size = 70_000
    result = import_org_csv(session, wf.audit_key, agency, big_chart(size))
    session.commit()
    assert result.created == size and _count(session) == size
    result = import_org_csv(session, wf.audit_key, agency, big_chart(size, "Analis Muda"))
    session.commit()
    assert result.updated == size
    assert session.scalar(select(Employee.superior_id).where(
        Employee.nip == big_nip(size - 1))) is not None
