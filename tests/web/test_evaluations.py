"""Inbox and evaluation pages through the Flask test client (Kota Kupang's flow)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from workflow.accounts import set_password
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.periods import set_capaian
from workflow.service import Workflow
from workflow.service import apply_transition

PASSWORD = "rahasia-kinerja-123"
RATING_LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
              "umpan_balik": "Target layanan tidak tercapai.",
              "justifikasi": "Tiga laporan terlambat dan bukti dukung tidak lengkap.",
              "catatan_pribadi": "RAHASIA-PENILAI-42"}
TEAM_OK = {"pendapat_tim": "Sesuai bukti dukung.", "rekomendasi": "setuju"}
APPEAL_FORM = {"butir_keberatan": "rating_hasil_kerja",
               "alasan": "Keterlambatan disebabkan gangguan sistem yang sudah dilaporkan."}


@pytest.fixture(name="login")
def _login(client: FlaskClient, session: Session, world: World):
    for person in world.people.values():
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()

    def login(who: str, w: World = world) -> None:
        client.post("/keluar")
        response = client.post("/masuk", data={"nip": w.people[who].nip, "password": PASSWORD})
        assert response.status_code == 302

    return login


def html(response) -> str:
    """Return the body as text."""
    return str(response.get_data(as_text=True))


def history_len(session: Session, ev: Evaluation) -> int:
    """Return how many history events an evaluation has."""
    return int(session.scalar(select(func.count(HistoryEvent.id)).where(
        HistoryEvent.evaluation_id == ev.id)) or 0)


def reviewed(session: Session, wf: Workflow, world: World,
             moment: datetime | None = None) -> Evaluation:
    """Take pegawai's evaluation to ``reviewed`` (appeal window opens at ``moment``)."""
    ev = world.evaluations["pegawai"]
    w = replace(wf, clock=lambda: moment) if moment else wf
    apply_transition(session, w, world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, w, world.actor("penilai"), ev.id, "send_to_team", data=RATING_LOW)
    apply_transition(session, w, world.actor("tim"), ev.id, "team_review", data=TEAM_OK)
    session.commit()
    return ev


def submit_form(**extra: str) -> dict[str, str]:
    """Return a posted self-assessment with one complete row and one blank spare row."""
    form = {"hasil_kerja-0-rencana_hasil_kerja": "Layanan administrasi",
            "hasil_kerja-0-indikator": "Persentase layanan", "hasil_kerja-0-target": "95%",
            "hasil_kerja-0-realisasi": "97%", "hasil_kerja-0-bukti_dukung": "",
            "hasil_kerja-1-rencana_hasil_kerja": "", "hasil_kerja-1-indikator": "",
            "hasil_kerja-1-target": "", "hasil_kerja-1-realisasi": "",
            "kendala": "Jaringan terputus.", "rencana_perbaikan": ""}
    form.update(extra)
    return form


def test_inbox_lists_work_per_role(client: FlaskClient, session: Session, wf: Workflow,
                                   world: World, login) -> None:
    """The appraiser's inbox shows the submitted evaluation under "Perlu saya nilai"."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    login("penilai")
    body = html(client.get("/evaluasi/"))
    assert "Perlu saya nilai" in body
    assert f'data-evaluation="{ev.id}"' in body
    assert "Pegawai Satu" in body and "Diajukan" in body
    body = html(client.get("/evaluasi/?q=pegawai+dua"))
    assert "Pegawai Dua" in body and "Pegawai Satu" not in body
    assert client.get("/evaluasi/?hal_visible=abc").status_code == 400  # not a page number


@pytest.mark.parametrize("who", ["pegawai", "penilai", "atasan", "tim", "auditor", "kepala"])
def test_page_renders_for_each_role(client: FlaskClient, world: World, login,
                                    who: str) -> None:
    """Everyone with a role on the evaluation (and auditors/admins) can open it."""
    ev = world.evaluations["pegawai"]
    login(who)
    response = client.get(f"/evaluasi/{ev.id}")
    assert response.status_code == 200
    body = html(response)
    assert "Pegawai Satu" in body and "Pejabat Penilai" in body and "Riwayat" in body
    assert 'name="version"' in body or who != "pegawai"
    if who == "pegawai":
        assert 'data-trigger="submit"' in body and "Simpan draf" in body
        assert body.count('name="hasil_kerja-') >= 8  # spare rows work without JavaScript
    else:
        assert "data-trigger=" not in body
    if who in ("auditor", "kepala"):
        assert "hanya baca" in body


def test_other_agency_and_unrelated_employee_get_404(client: FlaskClient, session: Session,
                                                     wf: Workflow, world: World,
                                                     login) -> None:
    """Another agency's id and a colleague's evaluation are both simply "not found"."""
    other = build_world(session, wf, "kota-mataram", offset=20)
    login("auditor")
    assert client.get(f"/evaluasi/{other.evaluations['pegawai'].id}").status_code == 404
    login("pegawai2")
    ev = world.evaluations["pegawai"]
    assert client.get(f"/evaluasi/{ev.id}").status_code == 404
    response = client.post(f"/evaluasi/{ev.id}/langkah/submit", data=submit_form())
    assert response.status_code == 404
    assert client.post(f"/evaluasi/{ev.id}/draf/self-assessment",
                       data={"kendala": "x"}).status_code == 404
    session.refresh(ev)
    assert ev.status == "draft"


def test_submit_via_post_redirects_and_records(client: FlaskClient, session: Session,
                                               world: World, login) -> None:
    """A valid submit moves the evaluation, stores the rows and redirects with a message."""
    ev = world.evaluations["pegawai"]
    login("pegawai")
    response = client.post(f"/evaluasi/{ev.id}/langkah/submit",
                           data=submit_form(version=str(ev.lock_version)))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/evaluasi/{ev.id}")
    session.refresh(ev)
    assert ev.status == "submitted"
    rows = ev.values("self-assessment")["hasil_kerja"]
    assert len(rows) == 1 and rows[0]["realisasi"] == "97%"
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert "Berhasil: Ajukan ke Pejabat Penilai." in body
    assert "Layanan administrasi" in body  # now shown read-only


def test_invalid_data_is_400_with_field_errors_and_changes_nothing(
        client: FlaskClient, session: Session, world: World, login) -> None:
    """A row without its target is refused with the error next to that input; nothing moves."""
    ev = world.evaluations["pegawai"]
    before = history_len(session, ev)
    login("pegawai")
    response = client.post(f"/evaluasi/{ev.id}/langkah/submit",
                           data=submit_form(**{"hasil_kerja-0-target": ""}))
    assert response.status_code == 400
    body = html(response)
    match = re.search(r'<input[^>]*name="hasil_kerja-0-target"[^>]*>', body)
    assert match and "is-invalid" in match.group(0)
    assert "Wajib diisi." in body
    assert 'value="Layanan administrasi"' in body  # what was typed is kept
    session.refresh(ev)
    assert ev.status == "draft" and history_len(session, ev) == before


def test_required_comment_is_enforced(client: FlaskClient, session: Session, wf: Workflow,
                                      world: World, login) -> None:
    """Returning for revision without a comment is a 400; with one it works."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    login("penilai")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert 'data-trigger="return_for_revision"' in body and 'data-trigger="send_to_team"' in body
    response = client.post(f"/evaluasi/{ev.id}/langkah/return_for_revision", data={})
    assert response.status_code == 400
    assert "Catatan wajib diisi" in html(response)
    response = client.post(f"/evaluasi/{ev.id}/langkah/return_for_revision",
                           data={"comment": "Bukti dukung belum ada."})
    assert response.status_code == 302
    session.refresh(ev)
    assert ev.status == "draft"
    assert "Bukti dukung belum ada." in html(client.get(f"/evaluasi/{ev.id}"))


def test_stale_version_is_a_409(client: FlaskClient, session: Session, world: World,
                                login) -> None:
    """A post carrying an old lock_version is refused with the conflict message."""
    ev = world.evaluations["pegawai"]
    login("pegawai")
    stale = str(ev.lock_version)
    assert client.post(f"/evaluasi/{ev.id}/draf/self-assessment",
                       data={"kendala": "Draf pertama.", "version": stale}).status_code == 302
    response = client.post(f"/evaluasi/{ev.id}/langkah/submit",
                           data=submit_form(version=stale))
    assert response.status_code == 409
    assert "sudah berubah" in html(response)
    session.refresh(ev)
    assert ev.status == "draft"


def test_draft_is_saved_and_prefilled(client: FlaskClient, session: Session, world: World,
                                      login) -> None:
    """"Simpan draf" stores partial answers without moving the evaluation."""
    ev = world.evaluations["pegawai"]
    login("pegawai")
    response = client.post(f"/evaluasi/{ev.id}/draf/self-assessment", data=submit_form(**{
        "hasil_kerja-0-rencana_hasil_kerja": "Rencana setengah jadi", "kendala": "Belum ada."}))
    assert response.status_code == 302
    session.refresh(ev)
    assert ev.status == "draft"
    assert ev.data["self-assessment"]["draft"] is True
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert "Draf tersimpan" in body
    assert 'value="Rencana setengah jadi"' in body and "Belum ada." in body


def test_private_notes_hidden_from_employee(client: FlaskClient, session: Session,
                                            wf: Workflow, world: World, login) -> None:
    """The appraiser's private notes appear on the appraiser's page only."""
    ev = reviewed(session, wf, world)
    login("pegawai")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert "RAHASIA-PENILAI-42" not in body
    assert "Butuh Perbaikan" in body and "Tiga laporan terlambat" in body  # why, visibly
    login("atasan")
    assert "RAHASIA-PENILAI-42" not in html(client.get(f"/evaluasi/{ev.id}"))
    login("penilai")
    assert "RAHASIA-PENILAI-42" in html(client.get(f"/evaluasi/{ev.id}"))


def test_appeal_and_revised_decision(client: FlaskClient, session: Session, wf: Workflow,
                                     world: World, login) -> None:
    """Within the window the employee appeals; the decider revises; both ratings are shown."""
    ev = reviewed(session, wf, world)
    login("pegawai")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert 'data-trigger="appeal"' in body and 'data-window="open"' in body
    assert "sisa 14 hari" in body
    assert client.post(f"/evaluasi/{ev.id}/langkah/appeal",
                       data=APPEAL_FORM).status_code == 302
    login("atasan")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert "gangguan sistem" in body and "Tiga laporan terlambat" in body  # both sides
    assert 'data-trigger="decide_appeal"' in body
    response = client.post(f"/evaluasi/{ev.id}/langkah/decide_appeal", data={
        "keputusan": "diubah", "rating_hasil_kerja_baru": "sesuai",
        "rating_perilaku_kerja_baru": "sesuai", "pertimbangan": "Bukti gangguan sah.",
        "konfirmasi": "decide_appeal"})
    assert response.status_code == 302
    session.refresh(ev)
    assert (ev.status, ev.predikat) == ("finalized", "BAIK")
    login("pegawai")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert "data-revision" in body
    assert re.search(r'data-original="predikat">Butuh Perbaikan<', body)
    assert re.search(r"data-predikat>Baik<", body)


def test_late_appeal_is_refused(client: FlaskClient, session: Session, wf: Workflow,
                                world: World, login) -> None:
    """After the 14 days the appeal button is gone and a forged post gets 409 with the date."""
    ev = reviewed(session, wf, world, datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    before = history_len(session, ev)
    login("pegawai")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert 'data-trigger="appeal"' not in body
    assert 'data-window="closed"' in body and "telah berakhir" in body
    assert 'data-trigger="accept"' in body
    response = client.post(f"/evaluasi/{ev.id}/langkah/appeal", data=APPEAL_FORM)
    assert response.status_code == 409
    # Approved 2 Feb 17:00 WITA: the 14 days ended 16 Feb 23:59:59 WITA, said in Kupang's time.
    assert ("Batas waktu telah lewat (berakhir Senin, 16 Februari 2026 pukul 23.59 WITA)"
            in html(response))
    session.refresh(ev)
    assert ev.status == "reviewed" and history_len(session, ev) == before


def test_english_interface(client: FlaskClient, world: World, login) -> None:
    """With the English cookie, step, state and form labels come from their English texts."""
    ev = world.evaluations["pegawai"]
    login("pegawai")
    client.get("/bahasa/en")
    # The fixtures keep one app context open, so Flask-Babel's per-context cache must be reset.
    refresh()
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert "Submit to appraiser" in body and "Work results" in body
    assert ">Draft<" in body
    assert client.get("/evaluasi/").status_code == 200


def test_rating_step_shows_the_units_distribution_pattern(
        client: FlaskClient, session: Session, wf: Workflow, world: World,
        login) -> None:
    """Whoever is about to give a predikat sees the unit's pattern and where it stands."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    login("penilai")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert "Pola distribusi predikat unit kerja Bidang A" in body
    assert "belum dicatat oleh admin instansi" in body
    set_capaian(session, wf, world.actor("kepala"), ev.period_id, "BAIK", "Kep. 3/2026")
    other = world.evaluations["pegawai2"]
    apply_transition(session, wf, world.actor("pegawai2"), other.id, "submit", data=SELF)
    apply_transition(session, wf, world.actor("penilai"), other.id, "send_to_team",
                     data={**RATING_LOW, "rating_hasil_kerja": "sesuai"})  # → Baik
    session.commit()
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert "Capaian organisasi periode ini: Baik; 4 evaluasi di unit ini." in body
    assert "Baik: paling banyak 70% = 2 dari 4; sekarang 1" in body
    assert "Butuh Perbaikan dan/atau Kurang/Misconduct: harus ada; sekarang 0 ⚠" in body
    login("pegawai")  # the employee has no rating step: no pattern on her page
    assert "Pola distribusi predikat" not in html(client.get(f"/evaluasi/{ev.id}"))
