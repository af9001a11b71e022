"""The planning pages: SKP saya, SKP bawahan, the SKP page and its steps, the Matriks Peran
Hasil, the cascade tree, the SKP PDF, and the self-assessment reading the set SKP (issue 13)."""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import authoring
from tests.conftest import World
from tests.conftest import api_token
from tests.web.conftest import login
from workflow.cascade import assign_result
from workflow.models import Evaluation
from workflow.models import Skp
from workflow.models import utcnow
from workflow.service import Workflow
from workflow.service import save_draft
from workflow.skp import create_skp
from workflow.skp import current_skp
from workflow.skp import fire_skp_transition
from workflow.skp import save_content
from workflow.skp_content import content_of

pytestmark = pytest.mark.usefixtures("own_contexts")

YEAR = 2026
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pdf"
TOP_RESULT = "Meningkatnya kualitas layanan publik dinas"
EXPECTATION = "Menanggapi pengaduan paling lambat satu hari kerja."


def indicator(text: str = "Persentase layanan sesuai standar", low: Any = 90,
              high: Any = 95, satuan: str = "persen") -> dict[str, Any]:
    return {"aspek": "kuantitas", "text": text, "target_min": low, "target_max": high,
            "satuan": satuan}


def set_chain(session: Session, wf: Workflow, world: World, *, down_to: str = "pegawai"
              ) -> dict[str, Skp]:
    """Plan the year through the use cases: the Kepala Dinas (top) sets her SKP and each
    leader assigns her first result to the next one down, who refines, submits and is set."""
    chain = ["kepala", "atasan", "penilai", "pegawai"]
    chain = chain[:chain.index(down_to) + 1]
    top = world.actor("kepala")
    skp = create_skp(session, wf, top, year=YEAR, pendekatan="kuantitatif", jenis_jabatan="JPT")
    save_content(session, wf, top, skp.id, {
        "rhk": [{"jenis": "utama", "text": TOP_RESULT, "indicators": [indicator()]},
                {"jenis": "utama", "text": "Terwujudnya tata kelola keuangan yang akuntabel",
                 "indicators": [indicator("Nilai SAKIP dinas", 70, 75, "nilai")]}],
        "lampiran": {"dukungan_sumber_daya": ["Anggaran DPA dinas"],
                     "skema_pertanggungjawaban": ["Laporan bulanan"],
                     "konsekuensi": ["Bahan pembinaan kinerja"]}}, None)
    fire_skp_transition(session, wf, top, skp.id, "ajukan")
    fire_skp_transition(session, wf, top, skp.id, "tetapkan")
    skps = {"kepala": skp}
    for leader, member in itertools.pairwise(chain):
        parent = sorted(skps[leader].rhk, key=lambda r: r.position)[0]
        assign_result(session, wf, world.actor(leader), parent.id, world.people[member].id)
        mine = current_skp(session, world.people[member].id, YEAR)
        assert mine is not None
        document = content_of(mine)
        document["rhk"][0]["text"] = f"Hasil {member}: layanan bidang sesuai standar"
        document["rhk"][0]["indicators"] = [indicator(f"Layanan {member} selesai", 10, 12,
                                                      "berkas")]
        save_content(session, wf, world.actor(member), mine.id, {"rhk": document["rhk"]},
                     None)
        save_content(session, wf, world.actor(leader), mine.id,
                     {"expectations": {"berorientasi_pelayanan": EXPECTATION}}, None)
        fire_skp_transition(session, wf, world.actor(member), mine.id, "ajukan")
        fire_skp_transition(session, wf, world.actor(leader), mine.id, "tetapkan")
        skps[member] = mine
    session.commit()
    return skps


def client_for(app: Flask, world: World, who: str) -> FlaskClient:
    client = app.test_client()
    login(client, world.people[who])
    return client


def page_text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_plan_submit_return_and_set_through_the_pages(app: Flask, session: Session, wf: Workflow,
                                                      two: tuple[World, World]) -> None:
    """The top sets her SKP, assigns a result on the matrix; the subordinate refines and
    submits; a return needs a comment and shows it; then it is set and the tree shows it."""
    world = two[0]
    kepala = client_for(app, world, "kepala")
    answer = kepala.post("/skp/", data={"year": YEAR, "pendekatan": "kuantitatif",
                                        "jenis_jabatan": "JPT"})
    assert answer.status_code == 302
    skp_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    skp = session.get(Skp, skp_id)
    assert skp is not None
    form = {"version": skp.lock_version, "rhk-0-jenis": "utama", "rhk-0-text": TOP_RESULT,
            "rhk-0-ind-0-aspek": "kuantitas", "rhk-0-ind-0-text": "Indeks kepuasan",
            "rhk-0-ind-0-target_min": "85", "rhk-0-ind-0-satuan": "poin",
            "rhk-1-text": "", "rhk-1-ind-0-text": "",  # the blank RHK to add with: dropped
            "lampiran-dukungan_sumber_daya": "Anggaran\nAplikasi daring"}
    assert kepala.post(f"/skp/{skp_id}/isi", data=form).status_code == 302
    session.refresh(skp)
    assert [r.text for r in skp.rhk] == [TOP_RESULT]
    assert skp.lampiran["dukungan_sumber_daya"] == ["Anggaran", "Aplikasi daring"]
    for step in ("ajukan", "tetapkan"):
        assert kepala.post(f"/skp/{skp_id}/langkah/{step}", data={}).status_code == 302
    session.refresh(skp)
    assert skp.status == "ditetapkan"

    # The Matriks Peran Hasil: one result to her subordinate (a draft SKP for him).
    matrix = kepala.get(f"/skp/{skp_id}/matriks").get_data(as_text=True)
    rhk_id = skp.rhk[0].id
    atasan_id = world.people["atasan"].id
    assert f'data-assign="{rhk_id}-{atasan_id}"' in matrix
    assert kepala.post(f"/skp/{skp_id}/matriks", data={
        "rhk_id": rhk_id, "subordinate_id": atasan_id}).status_code == 302
    child = current_skp(session, atasan_id, YEAR)
    assert child is not None and child.rhk[0].parent_id == rhk_id

    # He refines it (the assigned RHK keeps its id and parent) and submits.
    atasan = client_for(app, world, "atasan")
    page = atasan.get(f"/skp/{child.id}").get_data(as_text=True)
    assert "Mengintervensi RHK atasan:" in page and TOP_RESULT in page
    assert atasan.post(f"/skp/{child.id}/isi", data={
        "version": child.lock_version, "rhk-0-id": child.rhk[0].id, "rhk-0-jenis": "utama",
        "rhk-0-parent_id": rhk_id, "rhk-0-text": "Layanan bidang A sesuai standar",
        "rhk-0-ind-0-aspek": "kuantitas", "rhk-0-ind-0-text": "Berkas selesai",
        "rhk-0-ind-0-target_min": "100", "rhk-0-ind-0-target_max": "120",
        "rhk-0-ind-0-satuan": "berkas"}).status_code == 302
    session.refresh(child)
    assert atasan.post(f"/skp/{child.id}/langkah/ajukan",
                       data={"version": child.lock_version}).status_code == 302

    # SKP bawahan lists it as waiting; returning without a comment is refused, nothing moves.
    waiting = kepala.get("/skp/bawahan").get_data(as_text=True)
    assert f'data-skp="{child.id}"' in waiting and "Menunggu penetapan Anda" in waiting
    session.refresh(child)
    refused = kepala.post(f"/skp/{child.id}/langkah/kembalikan",
                          data={"version": child.lock_version, "comment": ""})
    assert refused.status_code == 400
    session.refresh(child)
    assert child.status == "diajukan"
    assert kepala.post(f"/skp/{child.id}/langkah/kembalikan", data={
        "version": child.lock_version, "comment": "Tambahkan indikator waktu."}
    ).status_code == 302
    shown = atasan.get(f"/skp/{child.id}").get_data(as_text=True)
    assert "data-returned" in shown and "Tambahkan indikator waktu." in shown
    session.refresh(child)
    assert atasan.post(f"/skp/{child.id}/langkah/ajukan",
                       data={"version": child.lock_version}).status_code == 302
    session.refresh(child)
    assert kepala.post(f"/skp/{child.id}/langkah/tetapkan",
                       data={"version": child.lock_version}).status_code == 302
    session.refresh(child)
    assert child.status == "ditetapkan"

    tree = kepala.get(f"/skp/rhk/{rhk_id}/pohon").get_data(as_text=True)
    assert "Layanan bidang A sesuai standar" in tree and "1 RHK mengintervensi" in tree


def test_refused_posts_keep_what_was_typed(app: Flask, session: Session, wf: Workflow,
                                          two: tuple[World, World]) -> None:
    """A bad target (400) and a JA utama RHK without parent (409) re-show the page with the
    typed values and the reason; nothing is stored."""
    world = two[0]
    set_chain(session, wf, world, down_to="kepala")
    atasan = client_for(app, world, "atasan")
    assert atasan.post("/skp/", data={"year": YEAR, "pendekatan": "kuantitatif",
                                      "jenis_jabatan": "JA"}).status_code == 302
    skp = current_skp(session, world.people["atasan"].id, YEAR)
    assert skp is not None
    bad = atasan.post(f"/skp/{skp.id}/isi", data={
        "version": skp.lock_version, "rhk-0-text": "Layanan tanpa induk",
        "rhk-0-ind-0-text": "Berkas", "rhk-0-ind-0-target_min": "banyak"})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Layanan tanpa induk" in html and 'value="banyak"' in html
    assert "is-invalid" in html
    session.refresh(skp)
    assert skp.rhk == []

    assert atasan.post(f"/skp/{skp.id}/isi", data={
        "version": skp.lock_version, "rhk-0-text": "Layanan tanpa induk",
        "rhk-0-ind-0-text": "Berkas", "rhk-0-ind-0-target_min": "10"}).status_code == 302
    session.refresh(skp)
    refused = atasan.post(f"/skp/{skp.id}/langkah/ajukan", data={"version": skp.lock_version})
    assert refused.status_code == 409
    assert "belum menyebut RHK Pejabat Penilai" in refused.get_data(as_text=True)
    session.refresh(skp)
    assert skp.status == "draft"


def test_another_agency_or_an_unrelated_colleague_gets_404(
        app: Flask, session: Session, wf: Workflow, two: tuple[World, World]) -> None:
    """Every planning URL of an SKP the reader may not see answers 404 and changes nothing."""
    mataram, kupang = two
    skps = set_chain(session, wf, mataram, down_to="atasan")
    skp = skps["atasan"]
    rhk_id = skp.rhk[0].id
    version = skp.lock_version
    for client in (client_for(app, kupang, "kepala"), client_for(app, mataram, "pegawai2")):
        for url in (f"/skp/{skp.id}", f"/skp/{skp.id}/pdf", f"/skp/{skp.id}/matriks",
                    f"/skp/rhk/{rhk_id}/pohon"):
            assert client.get(url).status_code == 404, url
        for url, data in ((f"/skp/{skp.id}/isi", {"rhk-0-text": "x"}),
                          (f"/skp/{skp.id}/langkah/kembalikan", {"comment": "x"}),
                          (f"/skp/{skp.id}/perubahan", {"comment": "x"})):
            assert client.post(url, data=data).status_code == 404, url
    session.refresh(skp)
    assert skp.lock_version == version and skp.status == "ditetapkan"


def test_skp_pdf_prints_the_set_skp_and_verifies(app: Flask, session: Session, wf: Workflow,
                                                 two: tuple[World, World]) -> None:
    """The SKP PDF read back: RHK, the parent RHK, indicators, targets, expectations,
    lampiran and both signatures; its code verifies until the SKP changes."""
    world = two[0]
    skps = set_chain(session, wf, world, down_to="atasan")
    atasan = client_for(app, world, "atasan")
    answer = atasan.get(f"/skp/{skps['atasan'].id}/pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    pdf = answer.get_data()
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in
                                        PdfReader(io.BytesIO(pdf)).pages))
    for expected in ("SASARAN KINERJA PEGAWAI", "PENDEKATAN HASIL KERJA KUANTITATIF",
                     "RENCANA HASIL KERJA ATASAN YANG DIINTERVENSI", TOP_RESULT,
                     "Hasil atasan: layanan bidang sesuai standar", "Layanan atasan selesai",
                     "10 – 12 berkas", EXPECTATION, "LAMPIRAN SASARAN KINERJA PEGAWAI",
                     "Pegawai yang Dinilai,", "Pejabat Penilai Kinerja,",
                     world.people["atasan"].name, world.people["atasan"].nip,
                     world.people["kepala"].name, world.people["kepala"].nip,
                     "Ditandatangani secara elektronik saat diajukan",
                     "Ditetapkan secara elektronik"):
        assert expected in text, expected
    assert "BELUM DITETAPKAN" not in text
    code = re.search(r"Kode verifikasi:? ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})", text)
    assert code is not None
    if shutil.which("pdftoppm"):  # the page as a reviewer sees it
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        source = ARTIFACTS / "skp-set.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(source),
                        str(ARTIFACTS / "skp-set")], check=True)
        assert any(ARTIFACTS.glob("skp-set*.png"))
    valid = app.test_client().get(f"/verify/{code.group(1)}")
    assert valid.status_code == 200 and "masih berlaku" in valid.get_data(as_text=True)

    # A perubahan SKP moves the SKP's history: the printed code is superseded.
    kepala = client_for(app, world, "kepala")
    session.refresh(skps["atasan"])
    assert atasan.post(f"/skp/{skps['atasan'].id}/perubahan", data={
        "version": skps["atasan"].lock_version, "comment": "Tugas tambahan dari Wali Kota."}
    ).status_code == 302
    stale = app.test_client().get(f"/verify/{code.group(1)}").get_data(as_text=True)
    assert "sudah tidak berlaku" in stale
    old = kepala.get(f"/skp/{skps['atasan'].id}").get_data(as_text=True)
    assert "Diganti" in old


def test_self_assessment_lists_the_set_skp(app: Flask, session: Session, wf: Workflow,
                                          two: tuple[World, World]) -> None:
    """The employee's report lists the RHK, indicator and target of her set SKP read-only;
    a post that retypes them is stored with the SKP's words, and the evaluation's SKP
    document prints them."""
    world = two[0]
    set_chain(session, wf, world)
    evaluation = world.evaluations["pegawai"]
    pegawai = client_for(app, world, "pegawai")
    html = pegawai.get(f"/evaluasi/{evaluation.id}").get_data(as_text=True)
    assert "data-from-skp" in html
    assert 'data-planned="rencana_hasil_kerja">Hasil pegawai: layanan bidang sesuai standar' \
        in html
    assert 'data-planned="target">10 – 12 berkas' in html
    assert 'name="hasil_kerja-1-realisasi"' not in html  # no spare rows to add results with
    answer = pegawai.post(f"/evaluasi/{evaluation.id}/langkah/submit", data={
        "version": evaluation.lock_version,
        "hasil_kerja-0-rencana_hasil_kerja": "Sesuatu yang lain",
        "hasil_kerja-0-indikator": "Indikator lain", "hasil_kerja-0-target": "1000",
        "hasil_kerja-0-realisasi": "11 berkas",
        "hasil_kerja-5-rencana_hasil_kerja": "Hasil yang tidak direncanakan",
        "hasil_kerja-5-indikator": "x", "hasil_kerja-5-target": "1",
        "hasil_kerja-5-realisasi": "1"})
    assert answer.status_code == 302, page_text(answer.get_data(as_text=True))[:800]
    stored = session.scalar(select(Evaluation).where(Evaluation.id == evaluation.id))
    assert stored is not None
    session.refresh(stored)
    rows = stored.values("self-assessment")["hasil_kerja"]
    assert len(rows) == 1
    assert {k: rows[0][k] for k in ("rencana_hasil_kerja", "indikator", "target", "realisasi")
            } == {"rencana_hasil_kerja": "Hasil pegawai: layanan bidang sesuai standar",
                  "indikator": "Layanan pegawai selesai", "target": "10 – 12 berkas",
                  "realisasi": "11 berkas"}
    # The evaluation's documents print the same plan: RHK, parent RHK and target.
    document = pegawai.get(f"/evaluasi/{evaluation.id}/dokumen/skp.pdf")
    assert document.status_code == 200
    printed = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in
                                           PdfReader(io.BytesIO(document.get_data())).pages))
    for expected in ("Hasil pegawai: layanan bidang sesuai standar",
                     "Hasil penilai: layanan bidang sesuai standar", "10 – 12 berkas",
                     EXPECTATION):
        assert expected in printed, expected


def test_api_post_cannot_retype_the_plan(app: Flask, session: Session, wf: Workflow,
                                         two: tuple[World, World]) -> None:
    """The JSON API goes through the same form port as the page: a self-assessment posted
    with retyped RHK, indicator and target (and an extra row) is stored with the SKP's words;
    a draft saved through the core with a retyped plan is too."""
    world = two[0]
    set_chain(session, wf, world)
    evaluation = world.evaluations["pegawai"]
    token = api_token(session, world.people["pegawai"])
    session.commit()
    retyped = {"hasil_kerja": [
        {"rencana_hasil_kerja": "Sesuatu yang lain", "indikator": "Indikator lain",
         "target": "1000", "realisasi": "11 berkas", "bukti_dukung": ""},
        {"rencana_hasil_kerja": "Hasil yang tidak direncanakan", "indikator": "x",
         "target": "1", "realisasi": "1", "bukti_dukung": ""}]}
    save_draft(session, wf, world.actor("pegawai"), evaluation.id, "self-assessment",
               retyped)
    session.commit()
    session.refresh(evaluation)
    draft_rows = evaluation.values("self-assessment")["hasil_kerja"]
    assert [r["rencana_hasil_kerja"] for r in draft_rows] == [
        "Hasil pegawai: layanan bidang sesuai standar"]
    answer = app.test_client().post(
        f"/api/v1/evaluations/{evaluation.id}/transitions/submit",
        json={"data": retyped, "version": evaluation.lock_version},
        headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:800]
    session.refresh(evaluation)
    rows = evaluation.values("self-assessment")["hasil_kerja"]
    assert [{k: r[k] for k in ("rencana_hasil_kerja", "indikator", "target", "realisasi")}
            for r in rows] == [{
                "rencana_hasil_kerja": "Hasil pegawai: layanan bidang sesuai standar",
                "indikator": "Layanan pegawai selesai", "target": "10 – 12 berkas",
                "realisasi": "11 berkas"}]


def test_mutasi_from_the_skp_page(app: Flask, session: Session, wf: Workflow,
                                  two: tuple[World, World]) -> None:
    """The agency admin records a mutasi on the employee's SKP page: the SKP in force is
    closed the day before, a draft opens with the new appraiser (RHK copied when asked);
    an incomplete form is 400, the appraiser (not an admin) gets 403, nothing changes."""
    world = two[0]
    skps = set_chain(session, wf, world)
    old = skps["pegawai"]
    kepala = client_for(app, world, "kepala")  # the agency admin
    html = kepala.get(f"/skp/{old.id}").get_data(as_text=True)
    assert 'id="form-mutasi"' in html and "csrf_token" in html
    assert 'id="form-mutasi"' not in client_for(app, world, "penilai").get(
        f"/skp/{old.id}").get_data(as_text=True)
    form = {"on_date": "2026-07-01", "new_appraiser_id": str(world.people["tim"].id),
            "reason": "Mutasi ke BKPSDM", "copy_rhk": "1", "unit_kerja": "BKPSDM"}
    incomplete = kepala.post(f"/skp/{old.id}/mutasi", data={**form, "on_date": ""})
    assert incomplete.status_code == 400
    assert "Mutasi ke BKPSDM" in incomplete.get_data(as_text=True)  # what was typed stays
    refused = client_for(app, world, "penilai").post(f"/skp/{old.id}/mutasi", data=form)
    assert refused.status_code == 403
    session.refresh(old)
    assert old.status == "ditetapkan" and old.ends_on.isoformat() == "2026-12-31"
    answer = kepala.post(f"/skp/{old.id}/mutasi", data=form)
    assert answer.status_code == 302, page_text(answer.get_data(as_text=True))[:800]
    session.expire_all()
    closed = session.get(Skp, old.id)
    assert closed is not None
    assert closed.status == "ditutup" and closed.ends_on.isoformat() == "2026-06-30"
    assert closed.closed_reason == "Mutasi ke BKPSDM"
    new = current_skp(session, world.people["pegawai"].id, YEAR)
    assert new is not None and new.id != old.id
    assert answer.headers["Location"].endswith(f"/skp/{new.id}")
    assert new.status == "draft" and new.appraiser_id == world.people["tim"].id
    assert new.starts_on.isoformat() == "2026-07-01"
    assert [r.text for r in new.rhk] == ["Hasil pegawai: layanan bidang sesuai standar"]
    assert all(r.parent_id is None for r in new.rhk)
    # The closed SKP offers no second mutasi.
    assert 'id="form-mutasi"' not in kepala.get(f"/skp/{old.id}").get_data(as_text=True)


def test_agency_fields_edited_on_the_page_and_printed(app: Flask, session: Session,
                                                      wf: Workflow,
                                                      two: tuple[World, World]) -> None:
    """Fields the agency added to the ``skp`` form are edited on the SKP page with their own
    rules (a wrong value: 400, nothing stored), shown to the appraiser, and the one marked
    ``prints: skp.keterangan_tambahan`` is printed on the SKP PDF (the other is not)."""
    world = two[0]
    set_chain(session, wf, world, down_to="penilai")
    admin = world.actor("kepala")
    now = utcnow()
    draft = authoring.start_draft(session, wf.audit_key, admin, "skp", now)
    authoring.put_field(session, wf.audit_key, admin, draft.id, {
        "name": "kesepakatan", "type": "textarea", "label": "Catatan Kesepakatan",
        "prints": "skp.keterangan_tambahan"}, now)
    authoring.put_field(session, wf.audit_key, admin, draft.id, {
        "name": "nomor_rapat", "type": "integer", "label": "Nomor Rapat Penyusunan"}, now)
    authoring.publish(session, wf.audit_key, admin, draft.id, now)
    mine = create_skp(session, wf, world.actor("pegawai"), year=YEAR,
                      pendekatan="kuantitatif", jenis_jabatan="JA")
    session.commit()
    pegawai = client_for(app, world, "pegawai")
    html = pegawai.get(f"/skp/{mine.id}").get_data(as_text=True)
    assert 'name="data-kesepakatan"' in html and 'name="data-nomor_rapat"' in html
    form = {"version": str(mine.lock_version), "data-shown": "1",
            "data-kesepakatan": "Disepakati rapat 14 Januari.", "data-nomor_rapat": "tiga"}
    wrong = pegawai.post(f"/skp/{mine.id}/isi", data=form)
    assert wrong.status_code == 400
    assert "Disepakati rapat 14 Januari." in wrong.get_data(as_text=True)
    session.refresh(mine)
    assert not mine.data
    saved = pegawai.post(f"/skp/{mine.id}/isi", data={**form, "data-nomor_rapat": "3"})
    assert saved.status_code == 302, page_text(saved.get_data(as_text=True))[:800]
    session.refresh(mine)
    assert mine.data == {"kesepakatan": "Disepakati rapat 14 Januari.", "nomor_rapat": 3}
    # The API checks the same rules (forms.skp_fields.check_data): nothing changes.
    token = api_token(session, world.people["pegawai"], scope="read skp")
    session.commit()
    refused = app.test_client().put(
        f"/api/v1/skp/{mine.id}", headers={"Authorization": f"Bearer {token}"},
        json={"content": {"data": {"kesepakatan": "x", "nomor_rapat": "tiga"}},
              "version": mine.lock_version})
    assert refused.status_code == 400
    assert "data.nomor_rapat" in refused.get_json()["errors"]
    session.refresh(mine)
    assert mine.data["kesepakatan"] == "Disepakati rapat 14 Januari."
    shown = page_text(client_for(app, world, "penilai").get(f"/skp/{mine.id}").get_data(
        as_text=True))
    assert "Nomor Rapat Penyusunan 3" in shown and "Disepakati rapat 14 Januari." in shown
    pdf = pegawai.get(f"/skp/{mine.id}/pdf")
    assert pdf.status_code == 200
    printed = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in
                                           PdfReader(io.BytesIO(pdf.get_data())).pages))
    assert "CATATAN KESEPAKATAN DISEPAKATI RAPAT 14 JANUARI." in printed.upper()
    assert "Nomor Rapat" not in printed


def test_pages_in_english(app: Flask, session: Session, wf: Workflow,
                          two: tuple[World, World]) -> None:
    """The planning pages speak English when the reader chose it (the flow's own labels too)."""
    world = two[0]
    skps = set_chain(session, wf, world, down_to="atasan")
    kepala = client_for(app, world, "kepala")
    kepala.set_cookie("lang", "en")
    mine = kepala.get("/skp/").get_data(as_text=True)
    assert "My SKP" in mine and "Copy from last year" in mine and "SKP saya" not in mine
    page = kepala.get(f"/skp/{skps['atasan'].id}").get_data(as_text=True)
    assert "Cascades from the leader's result:" in page
    assert re.search(r'data-skp-state="ditetapkan">\s*Set\s*<', page)
    matrix = kepala.get(f"/skp/{skps['kepala'].id}/matriks").get_data(as_text=True)
    assert "Role–result matrix" in matrix


def test_copy_from_last_year_and_withdraw_an_assignment(
        app: Flask, session: Session, wf: Workflow, two: tuple[World, World]) -> None:
    """SKP saya copies last year's SKP as a draft (no parent links); the leader withdraws a
    result she assigned while the subordinate's SKP is still a draft."""
    world = two[0]
    skps = set_chain(session, wf, world, down_to="atasan")
    atasan = client_for(app, world, "atasan")
    assert atasan.post("/skp/salin", data={"year": YEAR + 1}).status_code == 302
    copied = current_skp(session, world.people["atasan"].id, YEAR + 1)
    assert copied is not None and copied.status == "draft"
    assert [r.text for r in copied.rhk] == [r.text for r in skps["atasan"].rhk]
    assert all(r.parent_id is None for r in copied.rhk)
    again = atasan.post("/skp/salin", data={"year": YEAR + 1})
    assert again.status_code == 409 and "data-error" in again.get_data(as_text=True)

    kepala = client_for(app, world, "kepala")
    rhk_id = skps["kepala"].rhk[1].id
    penilai_id = world.people["penilai"].id
    # The Kepala Dinas is not the penilai's appraiser: the assignment is refused, shown.
    refused = kepala.post(f"/skp/{skps['kepala'].id}/matriks",
                          data={"rhk_id": rhk_id, "subordinate_id": penilai_id})
    assert refused.status_code == 400 and "bawahan langsung" in refused.get_data(as_text=True)
    # His SKP is set: a second result for him is refused; the team member has none yet.
    atasan_id = world.people["atasan"].id
    busy = kepala.post(f"/skp/{skps['kepala'].id}/matriks",
                       data={"rhk_id": rhk_id, "subordinate_id": atasan_id})
    assert busy.status_code == 409
    tim_id = world.people["tim"].id
    assert kepala.post(f"/skp/{skps['kepala'].id}/matriks",
                       data={"rhk_id": rhk_id, "subordinate_id": tim_id}).status_code == 302
    draft = current_skp(session, tim_id, YEAR)
    assert draft is not None
    child = next(r for r in draft.rhk if r.parent_id == rhk_id)
    matrix = kepala.get(f"/skp/{skps['kepala'].id}/matriks").get_data(as_text=True)
    assert f'data-unassign="{child.id}"' in matrix
    assert kepala.post(f"/skp/{skps['kepala'].id}/matriks/batal",
                       data={"rhk_id": child.id}).status_code == 302
    session.expire_all()
    draft = current_skp(session, tim_id, YEAR)
    assert draft is not None and draft.rhk == []
