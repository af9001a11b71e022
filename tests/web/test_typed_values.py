"""Nothing typed is lost: refused posts re-show every value; closing steps ask for
confirmation; a returned evaluation says why at the top and in the inbox."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.web.test_evaluations import APPEAL_FORM
from tests.web.test_evaluations import _login  # noqa: F401 - the login fixture
from tests.web.test_evaluations import history_len
from tests.web.test_evaluations import html
from tests.web.test_evaluations import reviewed
from workflow.service import Workflow
from workflow.service import apply_transition


def rows_form(**extra: str) -> dict[str, str]:
    """A self-assessment with rows 0, 1, 2 and 5 typed (a JS-added row after removals)."""
    form: dict[str, str] = {}
    for index in (0, 1, 2, 5):
        form.update({f"hasil_kerja-{index}-rencana_hasil_kerja": f"Rencana {index}",
                     f"hasil_kerja-{index}-indikator": f"Indikator {index}",
                     f"hasil_kerja-{index}-target": f"{90 + index}%",
                     f"hasil_kerja-{index}-realisasi": f"{80 + index}%",
                     f"hasil_kerja-{index}-bukti_dukung": f"https://bukti.id/{index}"})
    form.update({"kendala": "Kendala yang diketik.", "rencana_perbaikan": "Rencana perbaikan.",
                 "comment": "Catatan untuk riwayat."})
    form.update(extra)
    return form


def assert_all_kept(body: str, form: dict[str, str]) -> None:
    for name, value in form.items():
        if name in ("version", "comment"):
            continue
        if name.endswith(("kendala", "rencana_perbaikan")):
            assert re.search(rf'name="{name}"[^>]*>\s*{re.escape(value)}</textarea>', body), name
        else:
            assert re.search(rf'name="{re.escape(name)}"[^>]*value="{re.escape(value)}"',
                             body) or re.search(
                rf'value="{re.escape(value)}"[^>]*name="{re.escape(name)}"', body), (name, value)
    assert ">Catatan untuk riwayat.</textarea>" in body


def compacted(form: dict[str, str]) -> dict[str, str]:
    """The names the page re-shows rows under: posted rows 0, 1, 2, 5 become 0, 1, 2, 3."""
    return {name.replace("hasil_kerja-5-", "hasil_kerja-3-"): value
            for name, value in form.items()}


def test_a_refused_submit_keeps_every_row(client: FlaskClient, session: Session, world: World,
                                          login) -> None:
    """The last of four rows misses its target: the 400 page re-shows all rows in order, the
    texts and the note, and marks the row the person sees (not a row number she never saw)."""
    ev = world.evaluations["pegawai"]
    login("pegawai")
    form = rows_form(**{"hasil_kerja-5-target": ""})
    response = client.post(f"/evaluasi/{ev.id}/langkah/submit", data=form)
    assert response.status_code == 400
    body = html(response)
    assert_all_kept(body, compacted({k: v for k, v in form.items() if v}))
    match = re.search(r'<input[^>]*name="hasil_kerja-3-target"[^>]*>', body)
    assert match and "is-invalid" in match.group(0), match


def test_a_stale_page_shows_the_typed_values_beside_the_current_record(
        client: FlaskClient, session: Session, world: World, login) -> None:
    """Someone saved first: the 409 page says so, keeps the form as typed, lists the typed
    values, and shows what is stored now."""
    ev = world.evaluations["pegawai"]
    login("pegawai")
    stale = str(ev.lock_version)
    assert client.post(f"/evaluasi/{ev.id}/draf/self-assessment", data={
        "kendala": "Versi tersimpan di tab lain.", "version": stale}).status_code == 302
    form = rows_form(version=stale)
    response = client.post(f"/evaluasi/{ev.id}/langkah/submit", data=form)
    assert response.status_code == 409
    body = html(response)
    assert "sudah berubah" in body
    assert_all_kept(body, compacted(form))
    unsaved = body.split('id="isian-belum-tersimpan"')[1].split("</section>")[0]
    assert "Kendala yang diketik." in unsaved and "Rencana 5" in unsaved
    assert "Catatan untuk riwayat." in unsaved
    current = body.split('data-shown-form="self-assessment"')[1].split("</section>")[0]
    assert "Versi tersimpan di tab lain." in current
    session.refresh(ev)
    assert ev.status == "draft"


def test_a_late_step_keeps_what_was_typed(client: FlaskClient, session: Session, wf: Workflow,
                                          world: World, login) -> None:
    """A refused guard (409) re-shows the typed appeal beside the reason, not a bare error."""
    from datetime import UTC
    from datetime import datetime

    ev = reviewed(session, wf, world, datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    login("pegawai")
    response = client.post(f"/evaluasi/{ev.id}/langkah/appeal", data=APPEAL_FORM)
    assert response.status_code == 409
    body = html(response)
    assert "Batas waktu telah lewat" in body
    assert APPEAL_FORM["alasan"] in body.split('id="isian-belum-tersimpan"')[1]


def test_accepting_asks_for_confirmation(client: FlaskClient, session: Session, wf: Workflow,
                                         world: World, login) -> None:
    """Accepting closes the evaluation for good: without the ticked box it is refused (400)
    and nothing changes; with it, it goes through. No JavaScript needed."""
    ev = reviewed(session, wf, world)
    before = history_len(session, ev)
    login("pegawai")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    assert re.search(r'<input[^>]*type="checkbox"[^>]*name="konfirmasi"[^>]*value="accept"',
                     body)
    response = client.post(f"/evaluasi/{ev.id}/langkah/accept", data={})
    assert response.status_code == 400
    assert "Centang pernyataan" in html(response)
    session.refresh(ev)
    assert ev.status == "reviewed" and history_len(session, ev) == before
    response = client.post(f"/evaluasi/{ev.id}/langkah/accept", data={"konfirmasi": "accept"})
    assert response.status_code == 302
    session.refresh(ev)
    assert ev.status == "finalized"


def test_deciding_an_appeal_asks_for_confirmation_and_keeps_the_decision(
        client: FlaskClient, session: Session, wf: Workflow, world: World, login) -> None:
    """Without the confirmation the decision typed is shown again, not lost."""
    ev = reviewed(session, wf, world)
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "appeal",
                     data={"butir_keberatan": ["rating_hasil_kerja"],
                           "alasan": APPEAL_FORM["alasan"]})
    session.commit()
    login("atasan")
    decision = {"keputusan": "dikuatkan", "pertimbangan": "Pertimbangan yang panjang."}
    response = client.post(f"/evaluasi/{ev.id}/langkah/decide_appeal", data=decision)
    assert response.status_code == 400
    body = html(response)
    assert "Centang pernyataan" in body and "Pertimbangan yang panjang." in body
    session.refresh(ev)
    assert ev.status == "appealed"
    response = client.post(f"/evaluasi/{ev.id}/langkah/decide_appeal",
                           data={**decision, "konfirmasi": "decide_appeal"})
    assert response.status_code == 302
    session.refresh(ev)
    assert ev.status == "finalized"


def test_a_returned_evaluation_says_why(client: FlaskClient, session: Session, wf: Workflow,
                                        world: World, login) -> None:
    """After "return for revision" the page opens with the reason, and the inbox row says it."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, wf, world.actor("penilai"), ev.id, "return_for_revision",
                     comment="Bukti dukung baris 2 belum diunggah.")
    session.commit()
    login("pegawai")
    body = html(client.get(f"/evaluasi/{ev.id}"))
    top = body.split('class="row g-3"')[0]
    assert 'data-returned' in top and "Bukti dukung baris 2 belum diunggah." in top
    inbox = html(client.get("/evaluasi/"))
    row = inbox.split(f'data-evaluation="{ev.id}"')[1].split("</a>")[0]
    assert "Bukti dukung baris 2 belum diunggah." in row
    # Once she submits again, the reason is history, not a banner.
    apply_transition(session, wf, world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    assert "data-returned" not in html(client.get(f"/evaluasi/{ev.id}"))
