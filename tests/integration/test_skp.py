"""SKP planning: the flow on the engine, its rules, perubahan, mutasi, evaluations keyed on the
SKP in force, and its history chain under ``audit verify`` (issue 13)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from tests.conftest import PEOPLE
from tests.conftest import World
from tests.conftest import build_world
from tests.conftest import sql_statements
from tests.conftest import tampering
from workflow.cascade import assign_result
from workflow.cascade import cascade_tree
from workflow.cascade import role_matrix
from workflow.cascade import unassign_result
from workflow.errors import ConcurrentUpdate
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.errors import NotFound
from workflow.errors import NotPermitted
from workflow.errors import TransitionNotAllowed
from workflow.history import verify_all
from workflow.models import Agency
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import Period
from workflow.models import Skp
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.service import Workflow
from workflow.skp import change_skp
from workflow.skp import copy_from_last_year
from workflow.skp import create_skp
from workflow.skp import fire_skp_transition
from workflow.skp import my_skps
from workflow.skp import save_content
from workflow.skp import skp_in_force
from workflow.skp import skp_page
from workflow.skp import subordinate_skps
from workflow.skp import transfer

YEAR = 2027


def rhk(text: str = "Layanan perizinan tepat waktu", parent: int | None = None,
        jenis: str = "utama", target: Any = 95) -> dict[str, Any]:
    return {"jenis": jenis, "text": text, "parent_id": parent,
            "indicators": [{"aspek": "kuantitas", "text": "Persentase izin terbit tepat waktu",
                            "target_min": target, "satuan": "persen"}]}


def events(session: Session, skp: Skp) -> list[HistoryEvent]:
    return list(session.scalars(select(HistoryEvent).where(
        HistoryEvent.chain == f"skp:{skp.id}").order_by(HistoryEvent.seq)))


def make(session: Session, wf: Workflow, world: World, who: str, *items: dict[str, Any],
         jenis: str = "JA") -> Skp:
    skp = create_skp(session, wf, world.actor(who), year=YEAR, pendekatan="kuantitatif",
                     jenis_jabatan=jenis)
    save_content(session, wf, world.actor(who), skp.id, {"rhk": list(items or [rhk()])},
                 skp.lock_version)
    session.commit()
    return skp


def set_top(session: Session, wf: Workflow, world: World) -> Skp:
    """The Kepala Dinas (top of the agency) drafts, submits and sets her own SKP."""
    skp = make(session, wf, world, "kepala", rhk("Meningkatnya kualitas layanan publik"),
               rhk("Terwujudnya tata kelola keuangan"), jenis="JPT")
    fire_skp_transition(session, wf, world.actor("kepala"), skp.id, "ajukan")
    fire_skp_transition(session, wf, world.actor("kepala"), skp.id, "tetapkan")
    session.commit()
    return skp


def set_under(session: Session, wf: Workflow, world: World, who: str, appraiser: str,
              parent: int) -> Skp:
    skp = make(session, wf, world, who, rhk("Layanan bidang A", parent=parent))
    fire_skp_transition(session, wf, world.actor(who), skp.id, "ajukan")
    fire_skp_transition(session, wf, world.actor(appraiser), skp.id, "tetapkan")
    session.commit()
    return skp


def test_the_chain_from_the_top_down_is_set_and_verifies(session: Session, wf: Workflow,
                                                         world: World) -> None:
    top = set_top(session, wf, world)
    assert top.status == "ditetapkan" and top.appraiser_id is None
    assert top.set_by_id == world.people["kepala"].id
    mid = set_under(session, wf, world, "atasan", "kepala", top.rhk[0].id)
    assert mid.status == "ditetapkan" and mid.appraiser_id == world.people["kepala"].id
    assert mid.appraiser_identity["nip"] == world.people["kepala"].nip
    assert [e.trigger for e in events(session, mid)] == ["create", "save", "ajukan", "tetapkan"]
    assert [e.dest for e in events(session, mid)][-1] == "ditetapkan"
    assert all(r.ok for r in verify_all(session, wf.audit_key)), verify_all(session, wf.audit_key)
    assert {r.chain for r in verify_all(session, wf.audit_key)} >= {f"skp:{top.id}",
                                                                     f"skp:{mid.id}"}


def test_ja_utama_rhk_without_parent_is_refused(session: Session, wf: Workflow,
                                                world: World) -> None:
    top = set_top(session, wf, world)
    mid = make(session, wf, world, "atasan", rhk("Tanpa induk"))
    with pytest.raises(GuardFailed) as refused:
        fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "ajukan")
    assert refused.value.guard == "skp_parent_rhk"
    assert "RHK utama nomor 1" in str(refused.value)
    session.rollback()
    assert session.get(Skp, mid.id).status == "draft"
    # A tambahan RHK needs no parent; with the parent named the utama one passes.
    save_content(session, wf, world.actor("atasan"), mid.id,
                 {"rhk": [rhk("Dengan induk", parent=top.rhk[1].id),
                          rhk("Tugas tambahan", jenis="tambahan")]}, None)
    fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "ajukan")
    assert mid.status == "diajukan"


def test_a_parent_that_is_not_the_appraisers_set_rhk_is_refused(session: Session, wf: Workflow,
                                                                world: World) -> None:
    top = set_top(session, wf, world)
    mid = set_under(session, wf, world, "atasan", "kepala", top.rhk[0].id)
    low = make(session, wf, world, "penilai", rhk())
    version = low.lock_version
    with pytest.raises(InvalidData) as refused:
        # The Kepala Dinas' RHK is not of the Kepala Seksi's appraiser (the Kepala Bidang).
        save_content(session, wf, world.actor("penilai"), low.id,
                     {"rhk": [rhk(parent=top.rhk[0].id)]}, version)
    assert "rhk[0].parent_id" in refused.value.errors
    session.rollback()
    save_content(session, wf, world.actor("penilai"), low.id,
                 {"rhk": [rhk(parent=mid.rhk[0].id)]}, version)
    assert low.rhk[0].parent_id == mid.rhk[0].id


def test_submitting_before_the_appraisers_skp_is_set_is_refused(session: Session, wf: Workflow,
                                                                world: World) -> None:
    top = make(session, wf, world, "kepala", jenis="JPT")
    mid = make(session, wf, world, "atasan")
    with pytest.raises(GuardFailed) as refused:
        fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "ajukan")
    assert refused.value.guard == "skp_appraiser_set"
    session.rollback()
    assert session.get(Skp, mid.id).status == "draft"
    assert len(events(session, mid)) == 2
    # The parent can only be named once the leader's SKP is set.
    fire_skp_transition(session, wf, world.actor("kepala"), top.id, "ajukan")
    fire_skp_transition(session, wf, world.actor("kepala"), top.id, "tetapkan")
    save_content(session, wf, world.actor("atasan"), mid.id,
                 {"rhk": [rhk(parent=top.rhk[0].id)]}, None)
    fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "ajukan")
    assert mid.status == "diajukan"


def test_return_with_comment_then_set(session: Session, wf: Workflow, world: World) -> None:
    top = set_top(session, wf, world)
    mid = make(session, wf, world, "atasan", rhk(parent=top.rhk[0].id))
    fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "ajukan")
    session.commit()
    # Still submitted: the employee cannot edit it.
    with pytest.raises(NotPermitted):
        save_content(session, wf, world.actor("atasan"), mid.id, {"rhk": []}, None)
    session.rollback()
    with pytest.raises(InvalidData) as no_comment:
        fire_skp_transition(session, wf, world.actor("kepala"), mid.id, "kembalikan")
    assert "comment" in no_comment.value.errors
    session.rollback()
    # The employee may neither return nor set her own SKP.
    with pytest.raises(GuardFailed):
        fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "tetapkan")
    session.rollback()
    fire_skp_transition(session, wf, world.actor("kepala"), mid.id, "kembalikan",
                        "Target terlalu rendah; naikkan menjadi 98 persen.")
    session.commit()
    assert mid.status == "dikembalikan" and "98 persen" in mid.return_comment
    page = skp_page(session, world.actor("atasan"), mid.id)
    assert page.may_edit and [s.name for s in page.steps] == ["ajukan"]
    save_content(session, wf, world.actor("atasan"), mid.id,
                 {"rhk": [rhk(parent=top.rhk[0].id, target=98)]}, mid.lock_version)
    fire_skp_transition(session, wf, world.actor("atasan"), mid.id, "ajukan")
    assert mid.return_comment == ""
    fire_skp_transition(session, wf, world.actor("kepala"), mid.id, "tetapkan")
    session.commit()
    assert mid.status == "ditetapkan"
    assert [e.trigger for e in events(session, mid)] == [
        "create", "save", "ajukan", "kembalikan", "save", "ajukan", "tetapkan"]
    assert events(session, mid)[3].comment.startswith("Target terlalu rendah")


def test_the_top_of_the_agency_is_set_by_the_leader_or_an_admin(
        session: Session, wf: Workflow, world: World) -> None:
    # The Wali Kota (no superior, not an admin) drafts and submits; the admin sets it.
    wali = make(session, wf, world, "ppk", jenis="JPT")
    fire_skp_transition(session, wf, world.actor("ppk"), wali.id, "ajukan")
    session.commit()
    with pytest.raises(NotFound):  # an employee with no part in it: it does not exist
        fire_skp_transition(session, wf, world.actor("pegawai"), wali.id, "tetapkan")
    session.rollback()
    admin = world.actor("kepala")
    assert admin.is_admin
    fire_skp_transition(session, wf, admin, wali.id, "tetapkan")
    session.commit()
    assert wali.status == "ditetapkan" and wali.set_by_id == world.people["kepala"].id
    assert events(session, wali)[-1].actor_role == "admin"


def test_an_admin_does_not_set_an_skp_that_has_an_appraiser(session: Session, wf: Workflow,
                                                            world: World) -> None:
    top = set_top(session, wf, world)
    mid = set_under(session, wf, world, "atasan", "kepala", top.rhk[0].id)
    low = make(session, wf, world, "penilai", rhk(parent=mid.rhk[0].id))
    fire_skp_transition(session, wf, world.actor("penilai"), low.id, "ajukan")
    # The Kepala Dinas is an admin, but the Kepala Seksi's appraiser is the Kepala Bidang.
    with pytest.raises(GuardFailed) as refused:
        fire_skp_transition(session, wf, world.actor("kepala"), low.id, "tetapkan")
    assert refused.value.guard == "skp_setter"


def test_another_agencys_skp_is_not_found(session: Session, wf: Workflow, world: World) -> None:
    other = build_world(session, wf, "kota-mataram", offset=100)
    top = set_top(session, wf, world)
    stranger = other.actor("kepala")  # an admin, but of another agency
    for attempt in (
        lambda: skp_page(session, stranger, top.id),
        lambda: fire_skp_transition(session, wf, stranger, top.id, "tetapkan"),
        lambda: save_content(session, wf, stranger, top.id, {"lampiran": {}}, None),
        lambda: change_skp(session, wf, stranger, top.id, "alasan"),
        lambda: role_matrix(session, stranger, top.id),
        lambda: cascade_tree(session, stranger, top.rhk[0].id),
        lambda: assign_result(session, wf, stranger, top.rhk[0].id,
                              other.people["atasan"].id),
    ):
        with pytest.raises(NotFound):
            attempt()
        session.rollback()
    # Inside the agency, an employee with no part in it gets the same answer.
    with pytest.raises(NotFound):
        skp_page(session, world.actor("pegawai2"), top.id)


def test_wrong_typed_content_is_refused_with_nothing_changed(session: Session, wf: Workflow,
                                                             world: World) -> None:
    skp = make(session, wf, world, "kepala", jenis="JPT")
    before = (skp.lock_version, skp.history_seq, [r.text for r in skp.rhk])
    bad_documents = [
        {"rhk": "bukan daftar"},
        {"rhk": [{"jenis": "pokok", "text": "x"}]},
        {"rhk": [{**rhk(), "indicators": [{"aspek": "kuantitas", "text": "x",
                                           "target_min": "sepuluh"}]}]},
        {"rhk": [{**rhk(), "indicators": [{"aspek": "kuantitas", "text": "x",
                                           "target_min": 10, "target_max": 5}]}]},
        {"rhk": [{**rhk(), "indicators": [{"aspek": "kuantitas", "text": "x",
                                           "target_min": True}]}]},
        {"rhk": [{**rhk(), "id": 999999}]},
        {"lampiran": {"konsekuensi": "bukan daftar"}},
        {"expectations": {"tidak_ada": "x"}},
        {"data": {"x": {"nested": 1}}},
        {"sesuatu": 1},
        [],
    ]
    for document in bad_documents:
        with pytest.raises(InvalidData):
            save_content(session, wf, world.actor("kepala"), skp.id, document, skp.lock_version)
        session.rollback()
        again = session.get(Skp, skp.id)
        assert (again.lock_version, again.history_seq, [r.text for r in again.rhk]) == before


def test_a_stale_expected_version_is_a_conflict(session: Session, wf: Workflow,
                                                world: World) -> None:
    skp = make(session, wf, world, "kepala", jenis="JPT")
    seen = skp.lock_version
    save_content(session, wf, world.actor("kepala"), skp.id, {"rhk": [rhk("Baru")]}, seen)
    session.commit()
    with pytest.raises(ConcurrentUpdate):
        save_content(session, wf, world.actor("kepala"), skp.id, {"rhk": [rhk("Lama")]}, seen)
    session.rollback()
    with pytest.raises(ConcurrentUpdate):
        fire_skp_transition(session, wf, world.actor("kepala"), skp.id, "ajukan",
                            expected_version=seen)
    session.rollback()
    assert session.get(Skp, skp.id).rhk[0].text == "Baru"


def test_expectations_are_the_appraisers(session: Session, wf: Workflow, world: World) -> None:
    top = set_top(session, wf, world)
    mid = make(session, wf, world, "atasan", rhk(parent=top.rhk[0].id))
    with pytest.raises(NotPermitted):
        save_content(session, wf, world.actor("atasan"), mid.id,
                     {"expectations": {"akuntabel": "Saya sendiri"}}, None)
    session.rollback()
    with pytest.raises(NotPermitted):
        save_content(session, wf, world.actor("kepala"), mid.id, {"rhk": []}, None)
    session.rollback()
    save_content(session, wf, world.actor("kepala"), mid.id,
                 {"expectations": {"akuntabel": "Laporan keuangan tepat waktu"}}, None)
    session.commit()
    assert {e.value: e.text for e in mid.expectations} == {
        "akuntabel": "Laporan keuangan tepat waktu"}


def test_perubahan_keeps_the_old_version_and_the_evaluations_reading_it(
        session: Session, wf: Workflow, world: World) -> None:
    top = set_top(session, wf, world)
    mid = set_under(session, wf, world, "atasan", "kepala", top.rhk[0].id)
    period = ensure_period(session, world.agency, "annual", YEAR)
    open_period(session, wf, world.actor("kepala"), period.id)
    session.commit()
    evaluation = session.scalar(select(Evaluation).where(
        Evaluation.employee_id == world.people["atasan"].id, Evaluation.period_id == period.id))
    assert evaluation.skp_id == mid.id
    with pytest.raises(InvalidData):
        change_skp(session, wf, world.actor("atasan"), mid.id, "  ")
    session.rollback()
    new = change_skp(session, wf, world.actor("atasan"), mid.id,
                     "Refocusing anggaran triwulan II")
    session.commit()
    old = session.get(Skp, mid.id)
    assert old.status == "diganti" and new.status == "draft"
    assert (new.version, new.previous_id, new.change_reason) == (
        2, old.id, "Refocusing anggaran triwulan II")
    assert [r.parent_id for r in new.rhk] == [r.parent_id for r in old.rhk]
    assert [r.copied_from_id for r in new.rhk] == [r.id for r in old.rhk]
    assert [e.trigger for e in events(session, old)][-1] == "ubah"
    session.refresh(evaluation)
    assert evaluation.skp_id == old.id  # the evaluation keeps reading the version it opened on
    page = skp_page(session, world.actor("atasan"), old.id)
    assert [v[:2] for v in page.versions] == [(old.id, 1), (new.id, 2)]
    assert page.content["rhk"][0]["text"] == "Layanan bidang A"
    assert skp_in_force(session, world.people["atasan"].id, date(YEAR, 6, 1)).id == new.id
    # Only a set SKP can be changed; the steps perubahan and mutasi take are not buttons.
    with pytest.raises(TransitionNotAllowed):
        change_skp(session, wf, world.actor("atasan"), new.id, "lagi")
    session.rollback()
    with pytest.raises(TransitionNotAllowed):
        fire_skp_transition(session, wf, world.actor("atasan"), new.id, "ubah", "x")
    session.rollback()
    assert all(r.ok for r in verify_all(session, wf.audit_key))


def test_mutasi_closes_and_opens_skps_on_the_right_dates(session: Session, wf: Workflow,
                                                         world: World) -> None:
    top = set_top(session, wf, world)
    mid = set_under(session, wf, world, "atasan", "kepala", top.rhk[0].id)
    low = set_under(session, wf, world, "penilai", "atasan", mid.rhk[0].id)
    staff = set_under(session, wf, world, "pegawai", "penilai", low.rhk[0].id)
    assert (staff.starts_on, staff.ends_on) == (date(YEAR, 1, 1), date(YEAR, 12, 31))
    with pytest.raises(NotPermitted):
        transfer(session, wf, world.actor("penilai"), world.people["pegawai"].id,
                 date(YEAR, 7, 1), new_appraiser_id=world.people["atasan"].id, reason="x")
    session.rollback()
    new = transfer(session, wf, world.actor("kepala"), world.people["pegawai"].id,
                   date(YEAR, 7, 1), new_appraiser_id=world.people["atasan"].id,
                   reason="Mutasi ke Bidang B (SK 821/123)", unit_kerja="Bidang B",
                   copy_rhk=True)
    session.commit()
    old = session.get(Skp, staff.id)
    assert (old.status, old.starts_on, old.ends_on) == (
        "ditutup", date(YEAR, 1, 1), date(YEAR, 6, 30))
    assert old.closed_reason.startswith("Mutasi ke Bidang B")
    assert (new.status, new.starts_on, new.ends_on) == ("draft", date(YEAR, 7, 1),
                                                        date(YEAR, 12, 31))
    assert new.appraiser_id == world.people["atasan"].id
    assert [r.text for r in new.rhk] == [r.text for r in old.rhk]
    assert all(r.parent_id is None for r in new.rhk)  # the new appraiser's results differ
    assert world.people["pegawai"].superior_id == world.people["atasan"].id
    assert world.people["pegawai"].unit_kerja == "Bidang B"
    assert skp_in_force(session, world.people["pegawai"].id, date(YEAR, 6, 30)).id == old.id
    assert skp_in_force(session, world.people["pegawai"].id, date(YEAR, 7, 1)).id == new.id
    # The year's period: one evaluation per SKP in force during it, each with its appraiser.
    period = ensure_period(session, world.agency, "annual", YEAR)
    open_period(session, wf, world.actor("kepala"), period.id)
    session.commit()
    opened = list(session.scalars(select(Evaluation).where(
        Evaluation.employee_id == world.people["pegawai"].id,
        Evaluation.period_id == period.id).order_by(Evaluation.id)))
    assert [e.skp_id for e in opened] == [old.id, new.id]
    assert [e.participant_ids()["appraiser"] for e in opened] == [
        world.people["penilai"].id, world.people["atasan"].id]
    # Opening again adds nothing; a quarter after the transfer reads only the new SKP.
    again = open_period(session, wf, world.actor("kepala"), period.id)
    assert not again.evaluations
    q4 = ensure_period(session, world.agency, "quarterly", YEAR, 4)
    report = open_period(session, wf, world.actor("kepala"), q4.id)
    assert [e.skp_id for e in report.evaluations
            if e.employee_id == world.people["pegawai"].id] == [new.id]
    session.commit()
    assert all(r.ok for r in verify_all(session, wf.audit_key))


def test_a_transfer_date_outside_the_skp_is_refused(session: Session, wf: Workflow,
                                                    world: World) -> None:
    make(session, wf, world, "pegawai")
    for day in (date(YEAR, 1, 1), date(YEAR + 1, 2, 1)):
        with pytest.raises((InvalidData, GuardFailed)):
            transfer(session, wf, world.actor("kepala"), world.people["pegawai"].id, day,
                     new_appraiser_id=world.people["atasan"].id, reason="x")
        session.rollback()
    with pytest.raises(InvalidData):  # a loop: her own subordinate as appraiser
        transfer(session, wf, world.actor("kepala"), world.people["penilai"].id,
                 date(YEAR, 3, 1), new_appraiser_id=world.people["pegawai"].id, reason="x")


def test_matrix_assignment_and_the_cascade_tree(session: Session, wf: Workflow,
                                                world: World) -> None:
    top = set_top(session, wf, world)
    mid = set_under(session, wf, world, "atasan", "kepala", top.rhk[0].id)
    low = set_under(session, wf, world, "penilai", "atasan", mid.rhk[0].id)
    leader = world.actor("penilai")
    # Two results to two subordinates who have no SKP yet: their drafts are created.
    first = assign_result(session, wf, leader, low.rhk[0].id, world.people["pegawai"].id)
    second = assign_result(session, wf, leader, low.rhk[0].id, world.people["pegawai2"].id)
    session.commit()
    assert first.parent_id == low.rhk[0].id and first.assigned_by_id == leader.employee_id
    assert first.skp.status == "draft" and first.skp.appraiser_id == leader.employee_id
    with pytest.raises(GuardFailed):
        assign_result(session, wf, leader, low.rhk[0].id, world.people["pegawai"].id)
    session.rollback()
    with pytest.raises(InvalidData):  # not her direct subordinate
        assign_result(session, wf, leader, low.rhk[0].id, world.people["tim"].id)
    session.rollback()
    with pytest.raises(NotPermitted):  # not her result
        assign_result(session, wf, world.actor("atasan"), low.rhk[0].id,
                      world.people["pegawai"].id)
    session.rollback()
    matrix = role_matrix(session, leader, low.id)
    assert matrix.may_assign
    assert {c.employee.id for c in matrix.columns} == {world.people["pegawai"].id,
                                                       world.people["pegawai2"].id}
    assert [r.id for r in matrix.cells[(low.rhk[0].id, world.people["pegawai"].id)]] == [
        first.id]
    # The subordinate refines the assigned result (indicators, targets) but keeps its parent.
    staff = world.actor("pegawai")
    document = {"rhk": [{"id": first.id, "jenis": "utama", "text": "Layanan izin usaha",
                         "parent_id": first.parent_id,
                         "indicators": [{"aspek": "waktu", "text": "Hari kerja",
                                         "target_min": 3, "target_max": 5,
                                         "satuan": "hari"}]}]}
    with pytest.raises(InvalidData):
        save_content(session, wf, staff, first.skp_id, {"rhk": []}, None)
    session.rollback()
    save_content(session, wf, staff, first.skp_id, document, None)
    fire_skp_transition(session, wf, staff, first.skp_id, "ajukan")
    fire_skp_transition(session, wf, leader, first.skp_id, "tetapkan")
    session.commit()
    tree = cascade_tree(session, world.actor("kepala"), top.rhk[0].id)
    chain = [tree.rhk.id]
    node = tree
    while node.children:
        node = node.children[0]
        chain.append(node.rhk.id)
    assert chain == [top.rhk[0].id, mid.rhk[0].id, low.rhk[0].id, first.id]
    assert sorted(c.rhk.id for c in tree.children[0].children[0].children) == sorted(
        [first.id, second.id])
    # Unassigning: only while the subordinate's SKP is editable, only by who assigned it.
    with pytest.raises(GuardFailed):
        unassign_result(session, wf, leader, first.id)
    session.rollback()
    with pytest.raises(NotPermitted):
        unassign_result(session, wf, world.actor("pegawai2"), second.id)
    session.rollback()
    unassign_result(session, wf, leader, second.id)
    session.commit()
    assert session.get(Skp, second.skp_id).rhk == []
    assert subordinate_skps(session, leader, YEAR)
    assert all(r.ok for r in verify_all(session, wf.audit_key))


def test_the_tree_follows_a_perubahan_of_the_leader(session: Session, wf: Workflow,
                                                    world: World) -> None:
    top = set_top(session, wf, world)
    mid = set_under(session, wf, world, "atasan", "kepala", top.rhk[0].id)
    new = change_skp(session, wf, world.actor("kepala"), top.id, "Rencana strategis baru")
    session.commit()
    tree = cascade_tree(session, world.actor("kepala"), new.rhk[0].id)
    assert [c.rhk.id for c in tree.children] == [mid.rhk[0].id]


def test_copy_from_last_year(session: Session, wf: Workflow, world: World) -> None:
    top = set_top(session, wf, world)
    with pytest.raises(NotFound):
        copy_from_last_year(session, wf, world.actor("kepala"), YEAR + 5)
    session.rollback()
    again = copy_from_last_year(session, wf, world.actor("kepala"), YEAR + 1)
    session.commit()
    assert (again.year, again.status, again.jenis_jabatan) == (YEAR + 1, "draft", "JPT")
    assert [r.text for r in again.rhk] == [r.text for r in top.rhk]
    assert [s.year for s in my_skps(session, world.actor("kepala"))] == [YEAR + 1, YEAR]
    with pytest.raises(GuardFailed):  # one current SKP per year
        create_skp(session, wf, world.actor("kepala"), year=YEAR, pendekatan="kuantitatif",
                   jenis_jabatan="JPT")


def test_audit_verify_finds_an_edited_skp(session: Session, wf: Workflow, world: World) -> None:
    top = set_top(session, wf, world)
    with tampering(session):
        session.execute(update(Skp).where(Skp.id == top.id).values(status="draft"))
    broken = [r for r in verify_all(session, wf.audit_key) if not r.ok]
    assert [(r.chain, r.fields) for r in broken] == [(f"skp:{top.id}", ("status",))]
    with tampering(session):
        session.execute(update(Skp).where(Skp.id == top.id).values(status="ditetapkan"))
        session.execute(update(HistoryEvent).where(
            HistoryEvent.chain == f"skp:{top.id}", HistoryEvent.seq == 2).values(comment="x"))
    broken = [r for r in verify_all(session, wf.audit_key) if not r.ok]
    assert [(r.chain, r.broken_seq) for r in broken] == [(f"skp:{top.id}", 2)]
    assert session.scalar(select(func.count()).select_from(Skp)) == 1


def test_a_second_session_on_the_same_version_conflicts(session: Session, wf: Workflow,
                                                        world: World) -> None:
    """Two sessions read the SKP at one version; the first saves; the second's write is
    refused by the database (the optimistic lock), not by a pre-check."""
    from web.extensions import db

    skp = make(session, wf, world, "kepala", jenis="JPT")
    seq = skp.history_seq
    other = Session(db.engine)
    try:
        theirs = other.get(Skp, skp.id)
        assert theirs is not None and theirs.lock_version == skp.lock_version
        save_content(session, wf, world.actor("kepala"), skp.id, {"rhk": [rhk("Pertama")]},
                     None)
        session.commit()
        with pytest.raises(ConcurrentUpdate):
            save_content(other, wf, world.actor("kepala"), skp.id, {"lampiran": {
                "konsekuensi": ["Teguran"]}}, None)
        other.rollback()
    finally:
        other.close()
    session.expire_all()
    fresh = session.get(Skp, skp.id)
    assert fresh.history_seq == seq + 1 and fresh.rhk[0].text == "Pertama"
    assert fresh.lampiran == {}
    assert all(r.ok for r in verify_all(session, wf.audit_key))


def test_opening_a_period_reads_the_skps_in_one_statement_whatever_their_number(
        app: Flask, session: Session, wf: Workflow, world: World) -> None:
    """Keying evaluations on SKPs costs one statement per 500 employees, not one per SKP (nor
    the SKPs' RHK and indicators)."""
    for who in PEOPLE:
        skp = create_skp(session, wf, world.actor(who), year=YEAR, pendekatan="kuantitatif",
                         jenis_jabatan="JA")
        save_content(session, wf, world.actor(who), skp.id, {"rhk": [rhk(), rhk("Kedua")]},
                     None)
    session.commit()
    counts = {}
    admin, agency, expected = world.actor("kepala"), world.agency.id, len(world.evaluations)
    for year in (YEAR, YEAR + 1):  # every employee has an SKP in YEAR, nobody in YEAR + 1
        period_id = ensure_period(session, session.get(Agency, agency), "annual", year).id
        session.commit()
        session.expunge_all()
        with sql_statements(app) as sent:
            report = open_period(session, wf, admin, period_id)
        session.commit()
        counts[year] = len(sent)
        assert len(report.evaluations) == expected  # everybody with an appraiser
    opened = session.scalars(select(Evaluation).join(Period).where(Period.year == YEAR))
    assert {e.skp_id is not None for e in opened} == {True}
    assert counts[YEAR] == counts[YEAR + 1], counts
