"""Every appeal can be decided, independently and consistently, after hearing both parties.

Issue 11 items 3-5: a period opens no evaluation that could get stuck (an appeal nobody can
decide) and its dry run says how to fix it; the appeal goes to the PPK when the appraiser has
no superior; appeals past their decision deadline are overdue; the team is independent and
its recommendation must agree with its button; the page, API and PDF read one "original";
the decider hears the appraiser and the employee and the decision prints their answers.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC
from datetime import datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from reports.issuing import issue_document
from tests.conftest import SELF
from tests.conftest import World
from workflow.appeals import appeal_record
from workflow.errors import GuardFailed
from workflow.errors import InvalidData
from workflow.inbox import inbox
from workflow.models import Evaluation
from workflow.models import Group
from workflow.models import GroupMember
from workflow.models import HistoryEvent
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import definition_of
from workflow.stats import overdue

RATING_LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
              "umpan_balik": "Target layanan tidak tercapai.",
              "justifikasi": "Tiga laporan terlambat dan bukti dukung tidak lengkap."}
RATING_OK = {"rating_hasil_kerja": "sesuai", "rating_perilaku_kerja": "sesuai",
             "umpan_balik": "Target tercapai."}
APPEAL = {"butir_keberatan": ["rating_hasil_kerja"],
          "alasan": "Keterlambatan disebabkan gangguan sistem yang sudah dilaporkan."}
HEARING = {"pertanyaan_penilai": "Apakah gangguan sistem sudah dipertimbangkan?",
           "pertanyaan_pegawai": "Sebutkan nomor tiket gangguan."}
DECISION = {"keputusan": "diubah", "rating_hasil_kerja_baru": "sesuai",
            "rating_perilaku_kerja_baru": "sesuai", "pertimbangan": "Bukti tiket sah."}


def at(wf: Workflow, day: int, month: int = 2) -> Workflow:
    return replace(wf, clock=lambda: datetime(2026, month, day, 3, tzinfo=UTC))


def people_of(ev: Evaluation) -> dict[str, int]:
    return {p.role: p.employee_id for p in ev.participants}


def leave_group(session: Session, world: World, who: str, slug: str) -> None:
    group = session.scalar(select(Group).where(Group.agency_id == world.agency.id,
                                               Group.slug == slug))
    assert group is not None
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id,
                                              GroupMember.employee_id == world.people[who].id))
    session.commit()


# --- item 3: every appeal can be decided --------------------------------------------------------


def test_the_ppk_decides_when_the_appraiser_has_no_superior(mataram: World) -> None:
    """The kepala (top of the chart) rates the atasan: her appeals go to group ppk's member."""
    ev = mataram.evaluations["atasan"]
    assert people_of(ev)["appraiser"] == mataram.people["kepala"].id
    assert people_of(ev)["appeal_reviewer"] == mataram.people["ppk"].id
    # Where the reporting line reaches, it decides, not the fallback.
    assert people_of(mataram.evaluations["pegawai"])["appeal_reviewer"] == (
        mataram.people["atasan"].id)


def test_a_period_does_not_open_an_undecidable_appeal(session: Session, wf: Workflow,
                                                      mataram: World) -> None:
    """Without a PPK, the dry run names each blocked employee with the fix; nothing opens."""
    leave_group(session, mataram, "ppk", "ppk")
    period = ensure_period(session, mataram.agency, "monthly", 2026, 4)
    dry = open_period(session, wf, mataram.actor("kepala"), period.id, dry_run=True)
    blocked = {e.nip: why for e, why in dry.blocked}
    assert set(blocked) == {mataram.people[w].nip for w in ("atasan", "tim", "auditor")}
    why = blocked[mataram.people["atasan"].nip]
    assert "macet di status 'Keberatan diajukan'" in why and "Putuskan keberatan" in why
    assert "Kepala Dinas" in why and "tidak punya atasan" in why
    assert "isi nip_atasan Kepala Dinas" in why and "grup 'ppk'" in why
    assert "sekarang 0" in why
    assert "stuck in 'Appealed'" in why.en and "Fix: fill in the nip_atasan" in why.en
    created = {e.nip for e in dry.created}
    assert mataram.people["pegawai"].nip in created and not created & set(blocked)

    report = open_period(session, wf, mataram.actor("kepala"), period.id)
    opened = {e.employee_id for e in report.evaluations}
    assert {mataram.people[w].id for w in ("atasan", "tim", "auditor")}.isdisjoint(opened)
    assert len(report.evaluations) == len(dry.created)
    # Every evaluation that opened has a decider who is neither the employee nor the appraiser.
    for ev in report.evaluations:
        roles = people_of(ev)
        assert roles["appeal_reviewer"] not in (roles["employee"], roles["appraiser"])


def test_two_ppk_members_is_no_decider(session: Session, wf: Workflow, mataram: World) -> None:
    """The fallback names one official: with two eligible members nobody is frozen."""
    group = session.scalar(select(Group).where(Group.agency_id == mataram.agency.id,
                                               Group.slug == "ppk"))
    assert group is not None
    session.add(GroupMember(group_id=group.id, employee_id=mataram.people["pegawai2"].id))
    session.commit()
    period = ensure_period(session, mataram.agency, "monthly", 2026, 4)
    dry = open_period(session, wf, mataram.actor("kepala"), period.id, dry_run=True)
    why = {e.nip: w for e, w in dry.blocked}[mataram.people["atasan"].nip]
    assert "tepat satu anggota" in why and "sekarang 2" in why


def test_an_empty_team_blocks_like_an_undecidable_appeal(session: Session, wf: Workflow,
                                                         world: World) -> None:
    """Kupang: a team whose only members are the employee or her appraiser could never review."""
    leave_group(session, world, "ppk", "tim-penilai-kinerja")
    period = ensure_period(session, world.agency, "quarterly", 2026, 2)
    dry = open_period(session, wf, world.actor("kepala"), period.id, dry_run=True)
    why = {e.nip: w for e, w in dry.blocked}[world.people["tim"].nip]
    assert "Telaah Tim Penilai Kinerja" in why and "grup 'tim-penilai-kinerja'" in why


def test_a_late_decision_is_overdue(session: Session, wf: Workflow, mataram: World) -> None:
    """The appeal starts the decider's deadline; past it the appeal is on the overdue list."""
    ev = mataram.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), mataram.actor("penilai"), ev.id, "review",
                     data=RATING_LOW)
    apply_transition(session, at(wf, 4), mataram.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    session.commit()
    due = datetime.fromisoformat(ev.deadlines["appeal_decision"])
    # Wednesday 4 Feb 2026 + 10 working days (WITA; Tuesday 17 Feb is Imlek) = Thursday 19 Feb,
    # 23:59:59 WITA.
    assert due == datetime(2026, 2, 19, 15, 59, 59, tzinfo=UTC)
    # The decider's inbox shows the decision deadline, not the (still open) appeal window.
    row = inbox(session, mataram.actor("atasan"), now=datetime(2026, 2, 5, tzinfo=UTC)
                ).sections["appeals"].rows[0]
    assert (row.evaluation_id, row.deadline_name) == (ev.id, "appeal_decision")
    admin = mataram.actor("kepala")

    def listed(now: datetime) -> bool:
        return ev.id in {i.evaluation_id for i in overdue(session, admin, now).items}

    assert not listed(datetime(2026, 2, 19, 15, 0, tzinfo=UTC))
    assert listed(datetime(2026, 2, 19, 16, 1, tzinfo=UTC))
    item = next(i for i in overdue(session, admin, datetime(2026, 2, 20, 1, tzinfo=UTC)).items
                if i.evaluation_id == ev.id)
    assert item.deadline == "appeal_decision" and item.reason == "tenggat"
    # Late is not refused: the decider can still decide.
    apply_transition(session, at(wf, 20), mataram.actor("atasan"), ev.id, "decide_appeal",
                     data=DECISION)
    assert ev.status == "finalized"


# --- item 4: independence and consistent decisions ------------------------------------------


def kupang_at_team(session: Session, wf: Workflow, world: World, who: str,
                   appraiser: str) -> Evaluation:
    ev = world.evaluations[who]
    apply_transition(session, at(wf, 2), world.actor(who), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), world.actor(appraiser), ev.id, "send_to_team",
                     data=RATING_LOW)
    session.commit()
    return ev


def test_the_appraiser_may_not_act_as_the_team(session: Session, wf: Workflow,
                                               world: World) -> None:
    """A team member who rated the evaluation can neither approve nor return it, nor see it."""
    kepala_joins = session.scalar(select(Group).where(Group.agency_id == world.agency.id,
                                                      Group.slug == "tim-penilai-kinerja"))
    assert kepala_joins is not None
    session.add(GroupMember(group_id=kepala_joins.id, employee_id=world.people["kepala"].id))
    session.commit()
    ev = kupang_at_team(session, wf, world, "atasan", "kepala")
    kepala = replace(world.actor("kepala"), groups=world.actor("kepala").groups
                     | {"tim-penilai-kinerja"})
    for trigger, data, comment in (
            ("team_review", {"pendapat_tim": "Setuju.", "rekomendasi": "setuju"}, None),
            ("team_return", {"pendapat_tim": "Ulang.", "rekomendasi": "tinjau_ulang"},
             "Mohon ditinjau.")):
        with pytest.raises(GuardFailed) as caught:
            apply_transition(session, at(wf, 4), kepala, ev.id, trigger, data=data,
                             comment=comment)
        assert caught.value.guard == "independent"
    session.rollback()
    team = inbox(session, kepala, now=datetime(2026, 2, 4, tzinfo=UTC)).sections["team"]
    assert ev.id not in {r.evaluation_id for r in team.rows}
    # Another member may.
    assert ev.id in {r.evaluation_id for r in inbox(
        session, world.actor("tim"), now=datetime(2026, 2, 4, tzinfo=UTC)).sections["team"].rows}


def test_the_team_recommendation_must_agree_with_its_button(session: Session, wf: Workflow,
                                                           world: World) -> None:
    """Approving with *Tinjau ulang* and returning with *Setuju* are field errors."""
    ev = kupang_at_team(session, wf, world, "pegawai", "penilai")
    seq = ev.history_seq
    with pytest.raises(InvalidData) as caught:
        apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_review",
                         data={"pendapat_tim": "Perlu ditinjau.", "rekomendasi": "tinjau_ulang"})
    assert set(caught.value.errors) == {"rekomendasi"}
    assert "Setujui penilaian (Tim)" in caught.value.errors["rekomendasi"][0]
    assert "Approve the rating (team)" in caught.value.errors_en["rekomendasi"][0]
    with pytest.raises(InvalidData) as caught:
        apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_return",
                         data={"pendapat_tim": "Sudah sesuai.", "rekomendasi": "setuju"},
                         comment="Kembali.")
    assert set(caught.value.errors) == {"rekomendasi"}
    session.rollback()
    session.refresh(ev)
    assert (ev.status, ev.history_seq, "appeal_window" in ev.deadlines) == (
        "team_review", seq, False)
    apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_return",
                     data={"pendapat_tim": "Bukti belum lengkap.", "rekomendasi": "tinjau_ulang"},
                     comment="Lengkapi bukti dukung.")
    assert ev.status == "submitted"


def test_a_re_rating_after_a_team_return_is_not_an_appeal_revision(
        session: Session, wf: Workflow, world: World) -> None:
    """The original of an appeal is the rating in force when it was filed."""
    ev = kupang_at_team(session, wf, world, "pegawai", "penilai")  # rated di_bawah
    apply_transition(session, at(wf, 4), world.actor("tim"), ev.id, "team_return",
                     data={"pendapat_tim": "Tinjau.", "rekomendasi": "tinjau_ulang"},
                     comment="Tinjau ulang.")
    apply_transition(session, at(wf, 5), world.actor("penilai"), ev.id, "send_to_team",
                     data={**RATING_OK, "rating_hasil_kerja": "di_atas"})  # re-rated: Baik
    apply_transition(session, at(wf, 6), world.actor("tim"), ev.id, "team_review",
                     data={"pendapat_tim": "Sesuai.", "rekomendasi": "setuju"})
    session.commit()
    definition = definition_of(session, ev.definition_version_id)

    def events() -> list[HistoryEvent]:
        return list(session.scalars(select(HistoryEvent).where(
            HistoryEvent.evaluation_id == ev.id).order_by(HistoryEvent.seq)))

    assert appeal_record(events(), definition) is None  # no appeal: nothing was revised
    apply_transition(session, at(wf, 7), world.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    apply_transition(session, at(wf, 8), world.actor("atasan"), ev.id, "decide_appeal",
                     data=DECISION)
    session.commit()
    record = appeal_record(events(), definition)
    assert record is not None and record.revised
    assert record.original.as_dict() == {"rating_hasil_kerja": "di_atas",
                                         "rating_perilaku_kerja": "sesuai",
                                         "predikat": "BAIK"}
    assert record.result is not None and record.result.predikat == "BAIK"
    assert record.result.rating_hasil_kerja == "sesuai"


# --- item 5: hearing both parties -------------------------------------------------------------


def pdf_text(pdf: bytes) -> str:
    return " ".join(re.sub(r"\s+", " ", p.extract_text() or "")
                    for p in PdfReader(io.BytesIO(pdf)).pages)


def test_both_parties_are_heard_and_printed_on_the_decision(session: Session, wf: Workflow,
                                                            mataram: World) -> None:
    """Ask, both explain (recorded in the history), decide: the decision PDF prints both."""
    ev = mataram.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), mataram.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, 3), mataram.actor("penilai"), ev.id, "review",
                     data=RATING_LOW)
    apply_transition(session, at(wf, 4), mataram.actor("pegawai"), ev.id, "appeal", data=APPEAL)
    session.commit()
    # Only the decider asks; nobody explains before being asked.
    with pytest.raises(Exception, match="tidak dapat dilakukan"):
        apply_transition(session, at(wf, 5), mataram.actor("penilai"), ev.id,
                         "explain_appraiser", data={"penjelasan": "Terlalu dini."})
    session.rollback()
    apply_transition(session, at(wf, 5), mataram.actor("atasan"), ev.id, "ask_explanations",
                     data=HEARING)
    assert ev.status == "appeal_hearing"
    apply_transition(session, at(wf, 6), mataram.actor("penilai"), ev.id, "explain_appraiser",
                     data={"penjelasan": "Tiket gangguan belum saya terima saat menilai."})
    apply_transition(session, at(wf, 7), mataram.actor("pegawai"), ev.id, "explain_employee",
                     data={"penjelasan": "Tiket DISKOMINFO-0412 terlampir sejak Januari."})
    session.commit()
    # Each party explains only its own part.
    with pytest.raises(Exception, match="tidak berwenang"):
        apply_transition(session, at(wf, 7), mataram.actor("pegawai"), ev.id,
                         "explain_appraiser", data={"penjelasan": "Bukan bagian saya."})
    session.rollback()
    apply_transition(session, at(wf, 8), mataram.actor("atasan"), ev.id, "decide_appeal",
                     data=DECISION)
    session.commit()
    assert ev.status == "finalized"
    triggers = [e.trigger for e in session.scalars(select(HistoryEvent).where(
        HistoryEvent.evaluation_id == ev.id).order_by(HistoryEvent.seq))]
    assert triggers[-5:] == ["appeal", "ask_explanations", "explain_appraiser",
                             "explain_employee", "decide_appeal"]
    pdf, _ = issue_document(session, wf.audit_key, mataram.actor("pegawai"), ev.id,
                            "appeal-decision", "https://kinerja.example.go.id/verify",
                            datetime(2026, 2, 9, tzinfo=UTC))
    session.commit()
    text = pdf_text(pdf)
    assert "PENJELASAN PEJABAT PENILAI KINERJA ATAS KEBERATAN" in text
    assert "Tiket gangguan belum saya terima saat menilai." in text
    assert "PENJELASAN PEGAWAI YANG DINILAI" in text
    assert "Tiket DISKOMINFO-0412 terlampir sejak Januari." in text
    # SEBELUM KEBERATAN is the rating in force when the appeal was filed.
    assert "RATING HASIL KERJA Di bawah ekspektasi Sesuai ekspektasi" in text
