"""The appraiser with many staff: her queue by step and deadline, one step on several with one
comment (all or nothing), the next one waiting (workflow.bulk_actions, web/bulk.py)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.web.conftest import login
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.service import apply_transition


def _submitted(session: Session, wf: Workflow, w: World) -> list[int]:
    ids = []
    for who in ("pegawai", "pegawai2"):
        ev = w.evaluations[who]
        apply_transition(session, wf, w.actor(who), ev.id, "submit", data=SELF)
        ids.append(ev.id)
    session.commit()
    return ids


def test_queue_counts_filters_and_bulk_return(client: FlaskClient, session: Session,
                                              wf: Workflow, two: tuple[World, World]) -> None:
    a, b = two
    ids = _submitted(session, wf, a)
    login(client, a.people["penilai"])
    page = client.get("/evaluasi-massal/").get_data(as_text=True)
    assert 'data-state="submitted"' in page and "Pegawai Satu" in page
    assert 'name="trigger"' not in page  # no step offered before a state is chosen
    page = client.get("/evaluasi-massal/?status=submitted").get_data(as_text=True)
    assert 'value="return_for_revision"' in page and 'value="review"' not in page
    # A deadline filter: nothing submitted has a deadline yet.
    page = client.get("/evaluasi-massal/?tenggat=2026-12-31").get_data(as_text=True)
    assert "Pegawai Satu" not in page
    # One of B's evaluations among the chosen: nothing changes.
    response = client.post("/evaluasi-massal/", data={
        "status": "submitted", "evaluation": [*ids, b.evaluations["pegawai"].id],
        "trigger": "return_for_revision", "comment": "Lampirkan bukti dukung."},
        follow_redirects=True)
    assert "Tidak ada yang diubah" in response.get_data(as_text=True)
    session.expire_all()
    assert {session.get(Evaluation, i).status for i in ids} == {"submitted"}
    # Next waiting after the first opens the second.
    response = client.get(f"/evaluasi-massal/berikutnya/{ids[0]}")
    assert response.headers["Location"].endswith(f"/evaluasi/{ids[1]}")
    response = client.post("/evaluasi-massal/", data={
        "status": "submitted", "evaluation": ids, "trigger": "return_for_revision",
        "comment": "Lampirkan bukti dukung."}, follow_redirects=True)
    assert "2 evaluasi diproses" in response.get_data(as_text=True)
    session.expire_all()
    assert {session.get(Evaluation, i).status for i in ids} == {"draft"}
    comments = session.scalars(select(HistoryEvent.comment).where(
        HistoryEvent.evaluation_id.in_(ids), HistoryEvent.trigger == "return_for_revision"))
    assert list(comments) == ["Lampirkan bukti dukung."] * 2


def test_a_step_with_a_form_is_refused_in_bulk(client: FlaskClient, session: Session,
                                               wf: Workflow, two: tuple[World, World]) -> None:
    a, _b = two
    ids = _submitted(session, wf, a)
    login(client, a.people["penilai"])
    page = client.post("/evaluasi-massal/", data={
        "status": "submitted", "evaluation": ids, "trigger": "review", "comment": ""},
        follow_redirects=True).get_data(as_text=True)
    assert "satu per satu" in page
    session.expire_all()
    assert {session.get(Evaluation, i).status for i in ids} == {"submitted"}
