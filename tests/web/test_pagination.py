"""Lists page by keyset: following the next-page cursor reaches every row once, in order, and
counts stop at a cap instead of counting the whole agency."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import World
from tests.conftest import api_token
from workflow.accounts import set_password
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.service import save_draft
from workflow.trail import capped_count

PASSWORD = "rahasia-kinerja-123"


def test_api_list_follows_next_to_the_end(client: FlaskClient, session: Session,
                                          mataram: World) -> None:
    """Two at a time, the `next` links list every evaluation once, newest change first."""
    token = api_token(session, mataram.people["kepala"])
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    url: str | None = "/api/v1/evaluations?per_page=2"
    seen: list[int] = []
    stamps: list[tuple[str, int]] = []
    while url:
        body = client.get(url, headers=headers).get_json()
        assert body["total"] == len(mataram.evaluations) and body["total_capped"] is False
        seen += [item["id"] for item in body["items"]]
        stamps += [(item["updated_at"], item["id"]) for item in body["items"]]
        url = body["next"]
        assert (url is None) == (body["after"] is None)
    assert sorted(seen) == sorted(e.id for e in mataram.evaluations.values())
    assert len(seen) == len(set(seen))
    assert stamps == sorted(stamps, reverse=True)


def test_api_refuses_a_malformed_cursor(client: FlaskClient, session: Session,
                                        mataram: World) -> None:
    """A cursor that is not one is a 400 naming `after`."""
    token = api_token(session, mataram.people["kepala"])
    session.commit()
    response = client.get("/api/v1/evaluations?after=kemarin",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and "after" in response.get_json()["errors"]


def test_counts_stop_at_the_cap(session: Session, mataram: World) -> None:
    """A capped count reads at most cap + 1 rows and says it stopped."""
    query = select(Evaluation.id).where(Evaluation.agency_id == mataram.agency.id)
    assert capped_count(session, query, cap=3) == (3, True)
    assert capped_count(session, query, cap=100) == (len(mataram.evaluations), False)


def test_audit_search_pages_by_cursor(client: FlaskClient, session: Session, wf: Workflow,
                                      mataram: World) -> None:
    """The audit search's "next" links reach every event of the agency once, newest first;
    a forged cursor is a 400."""
    auditor = mataram.people["auditor"]
    set_password(auditor, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    ev = mataram.evaluations["pegawai"]
    for n in range(20):  # each saved draft is an event: more than a page of history
        save_draft(session, wf, mataram.actor("pegawai"), ev.id, "self-assessment",
                   {"kendala": f"Catatan {n}"})
    session.commit()
    assert client.post("/masuk", data={"nip": auditor.nip,
                                       "password": PASSWORD}).status_code == 302
    stored = set(session.scalars(select(HistoryEvent.hash).where(
        HistoryEvent.agency_id == mataram.agency.id)))
    url: str | None = "/audit/"
    hashes: list[str] = []
    while url:
        page = client.get(url).get_data(as_text=True)
        hashes += re.findall(r'<code class="small" title="([0-9a-f]{64})">', page)
        found = re.search(r'href="([^"]*setelah=[^"]*)">Berikutnya', page)
        url = html.unescape(found.group(1)) if found else None
    assert len(hashes) == len(set(hashes)) and set(hashes) >= stored and len(stored) > 25
    assert client.get("/audit/?setelah=bukan-kursor").status_code == 400
