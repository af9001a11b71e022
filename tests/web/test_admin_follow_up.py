"""The admin's follow-up page (workflow.follow_up): record, change, lists, isolation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.web.conftest import login
from workflow.models import FollowUpAction
from workflow.service import Workflow
from workflow.service import apply_transition

LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
       "umpan_balik": "Target tidak tercapai.", "justifikasi": "Tiga laporan terlambat."}
TOP = {"rating_hasil_kerja": "di_atas", "rating_perilaku_kerja": "di_atas",
       "umpan_balik": "Luar biasa.", "justifikasi": "Melampaui semua target."}


def _rate(session: Session, wf: Workflow, w: World, who: str, data: dict[str, object]) -> int:
    clock = replace(wf, clock=lambda: datetime(2026, 2, 3, 9, tzinfo=UTC))
    ev = w.evaluations[who]
    apply_transition(session, clock, w.actor(who), ev.id, "submit", data=SELF)
    apply_transition(session, clock, w.actor("penilai"), ev.id, "review", data=data)
    session.commit()
    return ev.id


def test_follow_up_page_lists_records_and_changes(client: FlaskClient, session: Session,
                                                  wf: Workflow,
                                                  two: tuple[World, World]) -> None:
    a, b = two
    low = _rate(session, wf, a, "pegawai", LOW)
    _rate(session, wf, a, "pegawai2", TOP)
    period = a.evaluations["pegawai"].period_id
    login(client, a.people["kepala"])
    page = client.get(f"/admin/tindak-lanjut/?period_id={period}").get_data(as_text=True)
    missing = page.split('id="coaching-missing"')[1].split("</ul>")[0]
    talent = page.split('id="talent-pool"')[1].split("</ul>")[0]
    assert "Pegawai Satu" in missing and "Pegawai Dua" in talent
    # Bad input: every problem said, nothing stored.
    page = client.post("/admin/tindak-lanjut/tambah", data={
        "period_id": period, "evaluation_id": low, "kind": "coaching", "owner_id": "",
        "due_on": "31-06-2026", "description": ""}, follow_redirects=True).get_data(as_text=True)
    assert "penanggung jawab" in page and "Tenggat wajib diisi" in page
    assert session.scalar(select(FollowUpAction.id)) is None
    # Another agency's evaluation: not found, nothing stored.
    page = client.post("/admin/tindak-lanjut/tambah", data={
        "period_id": period, "evaluation_id": b.evaluations["pegawai"].id, "kind": "coaching",
        "owner_id": a.people["penilai"].id, "due_on": "2026-06-30",
        "description": "x"}, follow_redirects=True).get_data(as_text=True)
    assert "Evaluasi tidak ditemukan" in page
    page = client.post("/admin/tindak-lanjut/tambah", data={
        "period_id": period, "evaluation_id": low, "kind": "coaching",
        "owner_id": a.people["penilai"].id, "due_on": "2026-06-30",
        "description": "Pendampingan laporan bulanan"}, follow_redirects=True).get_data(
            as_text=True)
    assert "Tindak lanjut dicatat" in page
    missing = page.split('id="coaching-missing"')[1].split("</ul>")[0]
    assert "Pegawai Satu" not in missing
    assert "Pendampingan laporan bulanan" in page
    action = session.scalar(select(FollowUpAction))
    assert action is not None and action.status == "planned"
    client.post(f"/admin/tindak-lanjut/{action.id}/status",
                data={"period_id": period, "status": "in_progress"})
    session.expire_all()
    assert session.get(FollowUpAction, action.id).status == "in_progress"
    # B's admin cannot touch A's action.
    client.post("/keluar")
    login(client, b.people["kepala"])
    page = client.post(f"/admin/tindak-lanjut/{action.id}/status",
                       data={"status": "cancelled"}, follow_redirects=True).get_data(
                           as_text=True)
    assert "tidak ditemukan" in page
    session.expire_all()
    assert session.get(FollowUpAction, action.id).status == "in_progress"
