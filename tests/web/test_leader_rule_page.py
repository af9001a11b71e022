"""The rating form of a unit head starts at the rating her unit's achievement maps to."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.conftest import CHEAP_HASH
from tests.conftest import SELF
from tests.integration.test_positions import DASAR
from tests.integration.test_positions import agency_with_positions
from tests.integration.test_positions import at
from tests.integration.test_positions import open_month
from tests.integration.test_positions import positions_without_plt
from tests.web.conftest import PASSWORD
from tests.web.conftest import login
from workflow.accounts import set_password
from workflow.actors import Actor
from workflow.periods import ensure_period
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.unit_achievement import set_unit_capaian


def test_a_unit_heads_rating_form_starts_at_her_units_achievement(
        client: FlaskClient, session: Session, wf: Workflow) -> None:
    agency, people = agency_with_positions(session, wf, positions_without_plt())
    opened = open_month(session, wf, agency, people, 3, datetime(2026, 3, 5, 2, tzinfo=UTC))
    period = ensure_period(session, agency, "monthly", 2026, 3)
    set_unit_capaian(session, wf, Actor.of(people["kepala"]), period.id, "Bidang A",
                     "ISTIMEWA", DASAR)
    head, staff = opened[people["atasan"].nip], opened[people["penilai"].nip]
    moment = at(wf, datetime(2026, 3, 28, 2, tzinfo=UTC))
    apply_transition(session, moment, Actor.of(people["atasan"]), head.id, "submit", data=SELF)
    apply_transition(session, moment, Actor.of(people["penilai"]), staff.id, "submit",
                     data=SELF)
    for person in people.values():
        set_password(person, PASSWORD, hash_method=CHEAP_HASH)
    session.commit()
    login(client, people["kepala"])
    page = client.get(f"/evaluasi/{head.id}").get_data(as_text=True)
    assert "Pegawai ini kepala unit" in page and "Istimewa → Di atas ekspektasi" in page
    checked = re.findall(r'<input[^>]*name="rating_hasil_kerja"[^>]*>', page)
    assert [tag for tag in checked if "checked" in tag] == [
        next(tag for tag in checked if 'value="di_atas"' in tag)]
    client.post("/keluar")
    login(client, people["atasan"])
    page = client.get(f"/evaluasi/{staff.id}").get_data(as_text=True)
    assert f"/evaluasi/{staff.id}/" in page  # her page, with its rating form
    assert "Pegawai ini kepala unit" not in page
