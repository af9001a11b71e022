"""Positions and holders: the appraiser is the holder of the position above, acting
officials (Plt./Plh.) included and recorded; the leader rule on a unit head's rating."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.store import publish_national_forms
from forms.visibility import Visibility
from reports.gather import build_snapshot
from reports.render import render_html
from tests.conftest import PEOPLE
from tests.conftest import SELF
from tests.conftest import nip
from tests.conftest import org_rows
from tests.conftest import shipped_definitions
from tests.conftest import shipped_forms
from workflow.actors import Actor
from workflow.errors import GuardFailed
from workflow.errors import NotPermitted
from workflow.errors import OrgImportError
from workflow.history import verify_chain
from workflow.models import Agency
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import Position
from workflow.models import PositionHolder
from workflow.org import import_org_csv
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.positions import ReportingLine
from workflow.positions import acting_label
from workflow.publishing import publish_definitions
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.skp import create_skp
from workflow.unit_achievement import capaian_of
from workflow.unit_achievement import set_unit_capaian

ROOT = Path(__file__).resolve().parents[2]
POSITIONS_HEADER = ("kode_jabatan;nama_jabatan;unit_kerja;jenis;level;kode_atasan;"
                    "nip_pemegang;status;mulai;selesai\n")
DASAR = "Keputusan Wali Kota Mataram Nomor 800/77/2026"
RATING = {"rating_perilaku_kerja": "sesuai", "umpan_balik": "Baik.",
          "justifikasi": "Sesuai capaian unit dan bukti dukung."}


def positions_file(offset: int = 0) -> str:
    """Kepala Dinas (JPT) > Kepala Bidang A (administrator; Atasan Penilai until the end of
    February 2026, then Anggota Tim as Plt.) > Kepala Seksi (pengawas) > Analis; the
    Pengelola (pelaksana) sits directly under the Kepala Bidang."""
    o = offset
    rows = [
        ("JPT-1", "Kepala Dinas", "Sekretariat", "JPT", "2", "", nip(o + 1), "definitif",
         "2025-01-01", ""),
        ("ADM-1", "Kepala Bidang A", "Bidang A", "administrator", "3", "JPT-1", nip(o + 2),
         "definitif", "2025-01-01", "2026-02-28"),
        ("ADM-1", "Kepala Bidang A", "Bidang A", "administrator", "3", "JPT-1", nip(o + 6),
         "plt", "2026-03-01", ""),
        ("PGW-1", "Kepala Seksi", "Bidang A", "pengawas", "4", "ADM-1", nip(o + 3),
         "definitif", "2025-01-01", ""),
        ("PLK-1", "Analis", "Bidang A", "pelaksana", "5", "PGW-1", nip(o + 4), "definitif",
         "2025-01-01", ""),
        ("PLK-2", "Pengelola", "Bidang A", "pelaksana", "5", "ADM-1", nip(o + 5), "definitif",
         "2025-01-01", ""),
    ]
    return POSITIONS_HEADER + "\n".join(";".join(r) for r in rows) + "\n"


def agency_with_positions(session: Session, wf: Workflow,
                          positions: str | None = None) -> tuple[Agency, dict[str, Employee]]:
    publish_national_forms(session, shipped_forms(ROOT / "definitions" / "forms"))
    agency = Agency(slug="kota-mataram", name="Pemerintah Kota Mataram", city="Mataram")
    session.add(agency)
    session.flush()
    import_org_csv(session, wf.audit_key, agency, org_rows())
    if positions is not None:
        import_org_csv(session, wf.audit_key, agency, positions)
    publish_definitions(session, {"kota-mataram": shipped_definitions()["kota-mataram"]})
    session.commit()
    people = {name: session.scalars(select(Employee).where(Employee.nip == nip(i + 1))).one()
              for i, name in enumerate(PEOPLE)}
    return agency, people


def at(wf: Workflow, moment: datetime) -> Workflow:
    return replace(wf, clock=lambda: moment)


def open_month(session: Session, wf: Workflow, agency: Agency, people: dict[str, Employee],
               month: int, on: datetime) -> dict[str, Evaluation]:
    period = ensure_period(session, agency, "monthly", 2026, month)
    report = open_period(session, at(wf, on), Actor.of(people["kepala"]), period.id)
    session.commit()
    return {e.employee.nip: e for e in report.evaluations}


def appraiser(evaluation: Evaluation) -> tuple[int, dict[str, str]]:
    found = next(p for p in evaluation.participants if p.role == "appraiser")
    return found.employee_id, found.identity


def test_the_import_records_positions_and_holders(session: Session, wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf, positions_file())
    codes = {p.code: p for p in session.scalars(select(Position))}
    assert set(codes) == {"JPT-1", "ADM-1", "PGW-1", "PLK-1", "PLK-2"}
    assert codes["PGW-1"].parent_id == codes["ADM-1"].id and codes["JPT-1"].parent_id is None
    assert (codes["ADM-1"].kind, codes["ADM-1"].level) == ("administrator", 3)
    holders = session.scalars(select(PositionHolder).where(
        PositionHolder.position_id == codes["ADM-1"].id).order_by(PositionHolder.starts_on))
    assert [(h.employee_id, h.kind, h.ends_on) for h in holders] == [
        (people["atasan"].id, "definitif", date(2026, 2, 28)), (people["tim"].id, "plt", None)]
    # Importing the same file again changes nothing; the import is in the agency's chain.
    import_org_csv(session, wf.audit_key, agency, positions_file())
    session.commit()
    assert session.query(PositionHolder).count() == 6
    events = session.scalars(select(HistoryEvent).where(
        HistoryEvent.trigger == "positions_import")).all()
    assert [e.payload for e in events] == [{"positions": 6, "holders": 6}] * 2
    assert verify_chain(session, wf.audit_key, agency).ok


def test_a_bad_positions_file_writes_nothing(session: Session, wf: Workflow) -> None:
    agency, _people = agency_with_positions(session, wf)
    bad = (POSITIONS_HEADER
           + "JPT-1;Kepala Dinas;Sekretariat;JPT;2;;;definitif;;\n"
           + "X-1;Kepala X;Bidang X;direktur;3;JPT-1;;definitif;;\n"
           + f"X-2;Kepala Y;Bidang Y;pengawas;3;NOPE;{nip(99)};plt;2026-13-01;\n")
    with pytest.raises(OrgImportError) as caught:
        import_org_csv(session, wf.audit_key, agency, bad)
    text = " ".join(str(p) for p in caught.value.problems)
    for expected in ("baris 3: jenis 'direktur'", f"baris 4: NIP pemegang {nip(99)}",
                     "baris 4: tanggal", "baris 4: kode_atasan NOPE"):
        assert expected in text
    assert session.query(Position).count() == 0


def test_plt_is_the_appraiser_and_signs_as_plt(session: Session, wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf, positions_file())
    opened = open_month(session, wf, agency, people, 3, datetime(2026, 3, 5, 2, tzinfo=UTC))
    ev = opened[people["pegawai2"].nip]
    who, identity = appraiser(ev)
    assert who == people["tim"].id
    assert identity["acting"] == "Plt." and identity["jabatan"] == "Kepala Bidang A"
    assert acting_label(identity) == "Plt. Kepala Bidang A"
    # The Kepala Seksi (pengawas) appraises her Analis; the Kepala Dinas the Plt.'s Kepala Seksi
    # is rated by the position above: the Plt. as well, and the Kepala Dinas signs as herself.
    assert appraiser(opened[people["pegawai"].nip]) == (
        people["penilai"].id, people["penilai"].identity())
    assert appraiser(opened[people["penilai"].nip])[0] == people["tim"].id
    opening = session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == ev.id)).one()
    assert opening.payload["acting"] == {"appraiser": "Plt."}
    # The Plt. rates; the step is hers, recorded with her acting identity on the evaluation.
    march = datetime(2026, 3, 28, 2, tzinfo=UTC)
    apply_transition(session, at(wf, march), Actor.of(people["pegawai2"]), ev.id, "submit",
                     data=SELF)
    apply_transition(session, at(wf, march), Actor.of(people["tim"]), ev.id, "review",
                     data={**RATING, "rating_hasil_kerja": "sesuai"})
    session.commit()
    review = session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == ev.id, HistoryEvent.trigger == "review")).one()
    assert (review.actor_nip, review.actor_role) == (people["tim"].nip, "appraiser")
    assert ev.predikat == "BAIK"
    # The document's signature block names her as Plt. of the position she acts in.
    snapshot = build_snapshot(session, ev, march, Visibility.for_actor(
        session, Actor.of(people["tim"]), ev))
    assert snapshot.appraiser.jabatan == "Plt. Kepala Bidang A"
    html = render_html("evaluation", snapshot, verification_code="X", verify_url="https://x")
    assert '<div class="plt">Plt. Kepala Bidang A</div>' in html


def test_a_term_ending_moves_the_appraiser_for_later_openings(session: Session,
                                                              wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf, positions_file())
    january = open_month(session, wf, agency, people, 1, datetime(2026, 1, 5, 2, tzinfo=UTC))
    march = open_month(session, wf, agency, people, 3, datetime(2026, 3, 5, 2, tzinfo=UTC))
    before, after = january[people["pegawai2"].nip], march[people["pegawai2"].nip]
    assert appraiser(before) == (people["atasan"].id, people["atasan"].identity())
    assert appraiser(after)[0] == people["tim"].id
    # The January evaluation keeps the appraiser frozen when it opened.
    session.expire_all()
    assert appraiser(session.get(Evaluation, before.id))[0] == people["atasan"].id
    # Without a definitif or acting holder the line goes up to the next position.
    session.query(PositionHolder).filter(PositionHolder.kind == "plt").delete()
    line = ReportingLine(session, agency.id, date(2026, 3, 5))
    assert line.superior(people["pegawai2"]) == people["kepala"]


def test_without_positions_the_superior_line_keeps_working(session: Session,
                                                           wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf)
    opened = open_month(session, wf, agency, people, 3, datetime(2026, 3, 5, 2, tzinfo=UTC))
    assert appraiser(opened[people["pegawai2"].nip]) == (people["penilai"].id,
                                                         people["penilai"].identity())
    assert "acting" not in str(session.scalars(select(HistoryEvent.payload).where(
        HistoryEvent.evaluation_id == opened[people["pegawai2"].nip].id)).one())


def test_a_siasn_export_imports_as_the_org_chart(session: Session, wf: Workflow) -> None:
    agency, _people = agency_with_positions(session, wf)
    siasn = ("NIP BARU;NAMA;JABATAN NAMA;UNOR NAMA;GOL AKHIR NAMA;JENIS PEGAWAI NAMA;"
             "JENIS JABATAN NAMA;UNOR INDUK NAMA\n"
             f"{nip(40)};Siti Aminah;Pranata Komputer;Bidang A;III/b;PNS;Fungsional Tertentu;"
             "Dinas Kominfo\n"
             f"{nip(41)};Budi;Pengadministrasi;Bidang A;V;PPPK;Pelaksana;Dinas Kominfo\n")
    result = import_org_csv(session, wf.audit_key, agency, siasn)
    session.commit()
    assert result.created == 2
    siti = session.scalars(select(Employee).where(Employee.nip == nip(40))).one()
    budi = session.scalars(select(Employee).where(Employee.nip == nip(41))).one()
    assert (siti.jabatan, siti.unit_kerja, siti.golongan, siti.jenis_jabatan) == (
        "Pranata Komputer", "Bidang A", "III/b", "JF")
    assert (budi.asn_type, budi.jenis_jabatan) == ("PPPK", "JA")


# --- unit achievement and the leader rule ----------------------------------------------------

def positions_without_plt() -> str:
    return "".join(line + "\n" for line in positions_file().splitlines()
                   if ";plt;" not in line and "2026-02-28" not in line) + (
        f"ADM-1;Kepala Bidang A;Bidang A;administrator;3;JPT-1;{nip(2)};definitif;"
        "2025-01-01;\n")


def test_unit_achievement_is_set_by_the_official_above_or_the_admin(session: Session,
                                                                   wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf, positions_without_plt())
    period = ensure_period(session, agency, "monthly", 2026, 3)
    with pytest.raises(NotPermitted):  # the head herself may not
        set_unit_capaian(session, wf, Actor.of(people["atasan"]), period.id, "Bidang A",
                         "ISTIMEWA", DASAR)
    # The Kepala Dinas holds the position above the Kepala Bidang's; she is also the admin,
    # so take the Pejabat Pembina (admin of nothing) to check the admin path is needed.
    with pytest.raises(NotPermitted):
        set_unit_capaian(session, wf, Actor.of(people["ppk"]), period.id, "Bidang A",
                         "ISTIMEWA", DASAR)
    row = set_unit_capaian(session, wf, Actor.of(people["kepala"]), period.id, " Bidang A ",
                           "ISTIMEWA", DASAR)
    session.commit()
    assert (row.unit_kerja, row.capaian, row.set_by_nip) == ("Bidang A", "ISTIMEWA",
                                                             people["kepala"].nip)
    assert capaian_of(session, period, "Bidang A") == "ISTIMEWA"
    assert capaian_of(session, period, "Sekretariat") is None  # no agency-wide value either
    event = session.scalars(select(HistoryEvent).where(
        HistoryEvent.trigger == "unit_capaian")).one()
    assert (event.actor_role, event.payload["changes"]["capaian"]) == ("org_leader",
                                                                      [None, "ISTIMEWA"])


def test_a_unit_heads_deviating_rating_needs_a_reason(session: Session, wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf, positions_without_plt())
    opened = open_month(session, wf, agency, people, 3, datetime(2026, 3, 5, 2, tzinfo=UTC))
    period = ensure_period(session, agency, "monthly", 2026, 3)
    set_unit_capaian(session, wf, Actor.of(people["kepala"]), period.id, "Bidang A",
                     "ISTIMEWA", DASAR)
    session.commit()
    head, staff = opened[people["atasan"].nip], opened[people["penilai"].nip]
    assert appraiser(head)[0] == people["kepala"].id
    moment = at(wf, datetime(2026, 3, 28, 2, tzinfo=UTC))
    for ev, who in ((head, "atasan"), (staff, "penilai")):
        apply_transition(session, moment, Actor.of(people[who]), ev.id, "submit", data=SELF)
    session.commit()
    with pytest.raises(GuardFailed) as caught:
        apply_transition(session, moment, Actor.of(people["kepala"]), head.id, "review",
                         data={**RATING, "rating_hasil_kerja": "sesuai"})
    assert caught.value.guard == "leader_rule" and "Istimewa" in str(caught.value)
    session.rollback()
    session.expire_all()
    assert session.get(Evaluation, head.id).status == "submitted"  # nothing written
    # The rating the unit's achievement maps to needs no reason; a staff member is not bound.
    apply_transition(session, moment, Actor.of(people["atasan"]), staff.id, "review",
                     data={**RATING, "rating_hasil_kerja": "sesuai"})
    apply_transition(session, moment, Actor.of(people["kepala"]), head.id, "review",
                     data={**RATING, "rating_hasil_kerja": "sesuai"},
                     comment="Dua sasaran strategis unit dicapai oleh Seksi lain.")
    session.commit()
    assert (head.rating_hasil_kerja, staff.rating_hasil_kerja) == ("sesuai", "sesuai")
    review = session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == head.id, HistoryEvent.trigger == "review")).one()
    assert review.comment == "Dua sasaran strategis unit dicapai oleh Seksi lain."


def test_the_mapped_rating_needs_no_reason(session: Session, wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf, positions_without_plt())
    opened = open_month(session, wf, agency, people, 3, datetime(2026, 3, 5, 2, tzinfo=UTC))
    period = ensure_period(session, agency, "monthly", 2026, 3)
    set_unit_capaian(session, wf, Actor.of(people["kepala"]), period.id, "Bidang A",
                     "ISTIMEWA", DASAR)
    head = opened[people["atasan"].nip]
    moment = at(wf, datetime(2026, 3, 28, 2, tzinfo=UTC))
    apply_transition(session, moment, Actor.of(people["atasan"]), head.id, "submit", data=SELF)
    apply_transition(session, moment, Actor.of(people["kepala"]), head.id, "review",
                     data={**RATING, "rating_hasil_kerja": "di_atas"})
    session.commit()
    assert head.rating_hasil_kerja == "di_atas"


def test_an_skp_made_during_a_plt_term_names_the_plt(session: Session, wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf, positions_file())
    march = at(wf, datetime(2026, 3, 5, 2, tzinfo=UTC))
    skp = create_skp(session, march, Actor.of(people["pegawai2"]), year=2026,
                     pendekatan="kuantitatif", jenis_jabatan="JA")
    session.commit()
    assert skp.appraiser_id == people["tim"].id
    assert skp.appraiser_identity["acting"] == "Plt."
    event = session.scalars(select(HistoryEvent).where(HistoryEvent.chain == f"skp:{skp.id}")).one()
    assert event.payload["appraiser_acting"] == "Plt."
    # Made in January, the same SKP would have named the definitif Kepala Bidang.
    january = ReportingLine(session, agency.id, date(2026, 1, 5))
    assert january.superior(people["pegawai2"]) == people["atasan"]
