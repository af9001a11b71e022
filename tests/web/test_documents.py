"""Documents from real evaluations: text read back, verification codes, access, escaping."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import ARTIFACTS
from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from tests.integration.test_service import RATING_LOW
from tests.integration.test_service import at
from workflow.accounts import set_password
from workflow.models import Document
from workflow.models import HistoryEvent
from workflow.periods import set_capaian
from workflow.service import Workflow
from workflow.service import apply_transition

PASSWORD = "rahasia-kinerja-123"
CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture(name="mataram")
def _mataram(mataram: World, session: Session) -> World:
    """Mataram with passwords set for every person."""
    w = mataram
    for person in w.people.values():
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    return w


def login(client: FlaskClient, world: World, who: str) -> None:
    client.post("/keluar")
    response = client.post("/masuk", data={"nip": world.people[who].nip, "password": PASSWORD})
    assert response.status_code == 302


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def to_png(pdf: bytes, name: str) -> Path:
    folder = ARTIFACTS / "pdf-web"
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(source),
                    str(folder / name)], check=True)
    png = next(folder.glob(f"{name}*.png"))
    assert png.stat().st_size > 5000
    return png


def rated(session: Session, wf: Workflow, w: World, kendala: str = "Jaringan terputus.",
          self_assessment: dict[str, object] | None = None) -> int:
    ev = w.evaluations["pegawai"]
    apply_transition(session, at(wf, 2), w.actor("pegawai"), ev.id, "submit",
                     data={**(self_assessment or SELF), "kendala": kendala})
    apply_transition(session, at(wf, 3), w.actor("penilai"), ev.id, "review", data=RATING_LOW)
    session.commit()
    return ev.id


def test_evaluation_document_reads_back(client: FlaskClient, session: Session, wf: Workflow,
                                        mataram: World) -> None:
    """The evaluation document names both people with NIP, the ratings, predikat and its code."""
    evaluation_id = rated(session, wf, mataram)
    login(client, mataram, "pegawai")
    response = client.get(f"/evaluasi/{evaluation_id}/dokumen/evaluation.pdf")
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"
    assert "attachment" in response.headers["Content-Disposition"]
    text = text_of(response.data)
    for expected in ("DOKUMEN EVALUASI KINERJA PEGAWAI", "Pegawai Satu",
                     mataram.people["pegawai"].nip, "Pejabat Penilai",
                     mataram.people["penilai"].nip, "Atasan Penilai", "Pegawai yang Dinilai,",
                     "Pejabat Penilai Kinerja,"):
        assert expected in text, expected
    for expected in ("BUTUH PERBAIKAN", "DI BAWAH EKSPEKTASI", "SESUAI EKSPEKTASI"):
        assert expected in text.upper(), expected
    # No appeal: the appraiser's superior has no signature block.
    assert "Atasan Pejabat Penilai Kinerja," not in text
    document = session.scalar(select(Document))
    assert document is not None and document.code in text
    assert session.scalar(select(HistoryEvent.payload).where(
        HistoryEvent.trigger == "document_issued"))["code"] == document.code
    to_png(response.data, "evaluation")


def test_not_available_before_rating(client: FlaskClient, mataram: World) -> None:
    """The evaluation document does not exist before the appraiser rated."""
    login(client, mataram, "pegawai")
    evaluation = mataram.evaluations["pegawai"]
    assert client.get(f"/evaluasi/{evaluation.id}/dokumen/evaluation.pdf").status_code == 409
    assert client.get(f"/evaluasi/{evaluation.id}/dokumen/skp.pdf").status_code == 200


def test_other_agency_and_strangers_get_not_found(client: FlaskClient, session: Session,
                                                  wf: Workflow, mataram: World) -> None:
    """Someone with no role on the evaluation, or from another agency, gets 404."""
    evaluation_id = rated(session, wf, mataram)
    other = build_world(session, wf, "kota-kupang", offset=50)
    set_password(other.people["pegawai"], PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    login(client, mataram, "pegawai2")
    assert client.get(f"/evaluasi/{evaluation_id}/dokumen/evaluation.pdf").status_code == 404
    login(client, other, "pegawai")
    assert client.get(f"/evaluasi/{evaluation_id}/dokumen/evaluation.pdf").status_code == 404
    login(client, mataram, "penilai")
    assert client.get(f"/evaluasi/{evaluation_id}/dokumen/audit-trail.pdf").status_code == 403
    assert session.scalar(select(Document)) is None


def test_change_gives_new_code_and_supersedes(client: FlaskClient, session: Session,
                                             wf: Workflow, mataram: World) -> None:
    """After the appeal is decided the document gets a new code; the old one is superseded."""
    evaluation_id = rated(session, wf, mataram)
    login(client, mataram, "pegawai")
    first = CODE.search(text_of(client.get(
        f"/evaluasi/{evaluation_id}/dokumen/evaluation.pdf").data))
    assert first is not None
    again = CODE.search(text_of(client.get(
        f"/evaluasi/{evaluation_id}/dokumen/evaluation.pdf").data))
    assert again is not None and again.group() == first.group()  # same content, same code
    page = client.get(f"/verify/{first.group()}").get_data(as_text=True)
    assert "masih berlaku" in page and "Pegawai Satu" in page and "Butuh Perbaikan" in page
    assert mataram.people["pegawai"].nip not in page  # the public page shows no NIP

    apply_transition(session, at(wf, 6), mataram.actor("pegawai"), evaluation_id, "appeal",
                     data={"butir_keberatan": ["rating_hasil_kerja"],
                           "alasan": "Gangguan sistem menyebabkan keterlambatan laporan."})
    apply_transition(session, at(wf, 8), mataram.actor("atasan"), evaluation_id,
                     "decide_appeal", data={"keputusan": "diubah",
                                            "rating_hasil_kerja_baru": "sesuai",
                                            "rating_perilaku_kerja_baru": "sesuai",
                                            "pertimbangan": "Bukti gangguan sah."})
    session.commit()
    after = text_of(client.get(f"/evaluasi/{evaluation_id}/dokumen/evaluation.pdf").data)
    # With an appeal the appraiser's superior signs too; the revised predikat is printed.
    assert "Atasan Pejabat Penilai Kinerja," in after and "PREDIKAT KINERJA PEGAWAI BAIK" in after
    second = session.scalars(select(Document.code).order_by(Document.id.desc())).first()
    assert second != first.group()
    old = client.get(f"/verify/{first.group().lower().replace('-', ' ')}")
    assert old.status_code == 200 and "sudah tidak berlaku" in old.get_data(as_text=True)
    assert "masih berlaku" in client.get(f"/verify/{second}").get_data(as_text=True)
    decision = client.get(f"/evaluasi/{evaluation_id}/dokumen/appeal-decision.pdf")
    text = text_of(decision.data)
    assert "KEPUTUSAN ATASAN PEJABAT PENILAI KINERJA" in text.upper()
    assert "BUTUH PERBAIKAN" in text.upper() and "Atasan Penilai" in text
    assert "final" in text
    to_png(decision.data, "appeal-decision")


def test_unknown_code_is_not_found(client: FlaskClient) -> None:
    """An unknown code is reported as never issued."""
    response = client.get("/verify/AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 404 and "tidak dikenal" in response.get_data(as_text=True)


def test_user_html_is_escaped_in_pdf(client: FlaskClient, session: Session, wf: Workflow,
                                     mataram: World) -> None:
    """Markup typed by an employee prints literally and fetches nothing."""
    data = {**SELF, "hasil_kerja": [{**SELF["hasil_kerja"][0],
                                     "indikator": "<b>tebal</b><img src=http://x.invalid/a>"}]}
    evaluation_id = rated(session, wf, mataram, self_assessment=data)
    login(client, mataram, "pegawai")
    text = text_of(client.get(f"/evaluasi/{evaluation_id}/dokumen/evaluation.pdf").data)
    assert "<b>tebal</b>" in text


def test_api_document_endpoint(client: FlaskClient, session: Session, wf: Workflow,
                               mataram: World) -> None:
    """The API serves the same PDF with a token; 409 before rating, 401 without a token."""
    from tests.conftest import api_token

    token = api_token(session, mataram.people["pegawai"])
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    evaluation = mataram.evaluations["pegawai"]
    url = f"/api/v1/evaluations/{evaluation.id}/documents/evaluation.pdf"
    assert client.get(url).status_code == 401
    early = client.get(url, headers=headers)
    assert early.status_code == 409 and early.get_json()["error"] == "TransitionNotAllowed"
    rated(session, wf, mataram)
    response = client.get(url, headers=headers)
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"
    assert mataram.people["pegawai"].nip in text_of(response.data)
    bad = client.get(f"/api/v1/evaluations/{evaluation.id}/documents/rahasia.pdf",
                     headers=headers)
    assert bad.status_code == 404


def test_page_offers_the_documents_the_viewer_may_print(client: FlaskClient, session: Session,
                                                        wf: Workflow, mataram: World) -> None:
    """Download links follow the stage and the viewer: no evaluation document before rating."""
    login(client, mataram, "pegawai")
    evaluation = mataram.evaluations["pegawai"]
    page = client.get(f"/evaluasi/{evaluation.id}").get_data(as_text=True)
    assert 'data-kind="skp"' in page and 'data-kind="evaluation"' not in page
    rated(session, wf, mataram)
    page = client.get(f"/evaluasi/{evaluation.id}").get_data(as_text=True)
    assert 'data-kind="evaluation"' in page and 'data-kind="audit-trail"' in page
    login(client, mataram, "penilai")
    page = client.get(f"/evaluasi/{evaluation.id}").get_data(as_text=True)
    assert 'data-kind="evaluation"' in page and 'data-kind="audit-trail"' not in page


def test_recorded_capaian_is_printed(client: FlaskClient, session: Session, wf: Workflow,
                                     mataram: World) -> None:
    """The organisation's achievement recorded for the period fills CAPAIAN KINERJA ORGANISASI;
    recording a change later supersedes the code issued before it."""
    evaluation_id = rated(session, wf, mataram)
    login(client, mataram, "pegawai")
    url = f"/evaluasi/{evaluation_id}/dokumen/evaluation.pdf"
    before = text_of(client.get(url).data)
    assert capaian_line(before).endswith("-")  # not recorded yet
    period = mataram.evaluations["pegawai"].period
    set_capaian(session, wf, mataram.actor("kepala"), period.id, "BUTUH_PERBAIKAN",
                "Keputusan No. 7/2026")
    session.commit()
    after = text_of(client.get(url).data)
    assert capaian_line(after).endswith("BUTUH PERBAIKAN")
    # The rating detail page prints the SE 3/2023 pattern of that capaian (PermenPANRB format).
    flat = " ".join(after.split()).upper()  # the value cells print in capitals
    assert "POLA DISTRIBUSI" in flat and "PREDIKAT BUTUH PERBAIKAN PALING SEDIKIT 60%" in flat
    assert "POLA DISTRIBUSI" not in before
    old, new = CODE.search(before), CODE.search(after)
    assert old is not None and new is not None and old.group() != new.group()
    page = client.get(f"/verify/{old.group()}").get_data(as_text=True)
    assert "sudah tidak berlaku" in page and "dokumen yang lebih baru" in page


def capaian_line(text: str) -> str:
    return next(line for line in text.upper().splitlines()
                if "CAPAIAN KINERJA ORGANISASI" in line).strip()
