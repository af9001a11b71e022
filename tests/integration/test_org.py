"""Org-chart CSV import: row-level errors, all or nothing, cycles, updates."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import ORG_HEADER
from tests.conftest import nip
from tests.conftest import org_rows
from workflow.errors import OrgImportError
from workflow.models import Agency
from workflow.models import Employee
from workflow.org import import_org_csv
from workflow.service import Workflow


@pytest.fixture(name="agency")
def _agency(session: Session) -> Agency:
    agency = Agency(slug="kota-uji", name="Kota Uji")
    session.add(agency)
    session.flush()
    return agency


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Employee)) or 0


def test_import_builds_the_reporting_line(session: Session, wf: Workflow, agency: Agency) -> None:
    """Imported employees get their superiors and groups."""
    result = import_org_csv(session, wf.audit_key, agency, org_rows())
    assert (result.created, result.updated) == (8, 0)
    pegawai = session.scalar(select(Employee).where(Employee.nip == nip(4)))
    assert pegawai is not None and pegawai.superior is not None
    assert pegawai.superior.nip == nip(3) and pegawai.superior.superior.nip == nip(2)
    team = session.scalar(select(Employee).where(Employee.nip == nip(6)))
    assert [g.slug for g in team.groups] == ["tim-penilai-kinerja"]


def test_reimport_updates_in_place(session: Session, wf: Workflow, agency: Agency) -> None:
    """Importing again updates existing employees instead of duplicating them."""
    import_org_csv(session, wf.audit_key, agency, org_rows())
    changed = org_rows().replace("Pegawai Satu,Analis", "Pegawai Satu,Analis Ahli Muda")
    result = import_org_csv(session, wf.audit_key, agency, changed)
    assert (result.created, result.updated) == (0, 8) and count(session) == 8
    assert session.scalar(select(Employee.jabatan).where(Employee.nip == nip(4))) == (
        "Analis Ahli Muda")


@pytest.mark.parametrize(("row", "expected"), [
    ("123,Nama,,,,,PNS,,", "NIP harus 18 digit"),
    ("198013452005011001,Nama,,,,,PNS,,", "tanggal lahir"),
    (f"{nip(90)},,,,,,PNS,,", "kolom 'nama' wajib"),
    (f"{nip(90)},Nama,,,III/x,,PNS,,", "golongan 'III/x' tidak sah"),
    (f"{nip(90)},Nama,,,,,Honorer,,", "jenis_asn harus PNS atau PPPK"),
    (f"{nip(90)},Nama,,,,,PNS,{nip(99)},", f"NIP atasan {nip(99)} tidak ditemukan"),
    (f"{nip(90)},Nama,,,,,PNS,{nip(90)},", "atasannya sendiri"),
    (f"{nip(4)},Duplikat,,,,,PNS,,", f"NIP {nip(4)} sudah ada di baris"),
    (f"{nip(90)},Nama,,,,,PNS,,Grup Besar", "nama grup 'Grup Besar' tidak sah"),
])
def test_bad_row_aborts_everything(session: Session, wf: Workflow, agency: Agency, row: str,
                                   expected: str) -> None:
    """One bad row is reported with its row number and nothing at all is imported."""
    text = org_rows() + row + "\n"
    with pytest.raises(OrgImportError) as caught:
        import_org_csv(session, wf.audit_key, agency, text)
    assert any(expected in p and p.startswith("baris 10") for p in caught.value.problems), (
        caught.value.problems)
    # Each problem also reads in English, with the same row number.
    assert all(p.en.startswith("row ") and p.en != p for p in caught.value.problems)
    assert any(p.en.startswith("row 10") for p in caught.value.problems)
    assert "row 10" in caught.value.message_en
    assert count(session) == 0


def test_jenis_jabatan_is_imported_checked_and_kept(session: Session, wf: Workflow,
                                                     agency: Agency) -> None:
    """The optional jenis_jabatan column (JPT/JA/JF) is stored upper-cased and reaches the
    identity frozen on evaluations; another value is refused with its row; a file without the
    column keeps what was recorded."""
    header = ORG_HEADER.replace("jenis_asn,", "jenis_asn,jenis_jabatan,")
    good = header + f"{nip(1)},Kepala,Kepala Dinas,,,,PNS,jpt,,\n"
    import_org_csv(session, wf.audit_key, agency, good)
    kepala = session.scalar(select(Employee).where(Employee.nip == nip(1)))
    assert kepala is not None and kepala.jenis_jabatan == "JPT"
    assert kepala.identity()["jenis_jabatan"] == "JPT"
    with pytest.raises(OrgImportError) as caught:
        import_org_csv(session, wf.audit_key, agency,
                       header + f"{nip(2)},Staf,,,,,PNS,Eselon,{nip(1)},\n")
    assert caught.value.problems == [
        "baris 2: jenis_jabatan harus JPT, JA atau JF, bukan 'ESELON'"]
    import_org_csv(session, wf.audit_key, agency, ORG_HEADER + f"{nip(1)},Kepala,,,,,PNS,,\n")
    session.refresh(kepala)
    assert kepala.jenis_jabatan == "JPT"


def test_missing_column_is_reported(session: Session, wf: Workflow, agency: Agency) -> None:
    """A file without the nip column is refused before reading rows."""
    with pytest.raises(OrgImportError, match="kolom wajib tidak ada: nip"):
        import_org_csv(session, wf.audit_key, agency, "nama\nBudi\n")


def test_superior_cycle_is_refused(session: Session, wf: Workflow, agency: Agency) -> None:
    """Two employees who are each other's superior are refused as a cycle."""
    text = ORG_HEADER + f"{nip(1)},A,,,,,PNS,{nip(2)},\n{nip(2)},B,,,,,PNS,{nip(1)},\n"
    with pytest.raises(OrgImportError, match="rantai atasan berputar"):
        import_org_csv(session, wf.audit_key, agency, text)
    assert count(session) == 0


def test_nip_of_another_agency_is_refused(session: Session, wf: Workflow, agency: Agency) -> None:
    """A NIP already registered in another agency cannot be taken over by an import."""
    other = Agency(slug="kota-lain", name="Kota Lain")
    session.add(other)
    session.flush()
    import_org_csv(session, wf.audit_key, other, org_rows())
    with pytest.raises(OrgImportError, match="terdaftar di instansi lain"):
        import_org_csv(session, wf.audit_key, agency, org_rows())
