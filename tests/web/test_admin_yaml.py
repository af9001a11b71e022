"""The browser's YAML editors (flow and forms): hostile or wrong input is a 400 with a reason."""

from __future__ import annotations

import json
import time
from typing import Any

import yaml
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.unit.test_definition_robustness import alias_bomb
from tests.web.conftest import login
from workflow.models import DefinitionVersion
from workflow.models import FormVersion
from workflow.publishing import current_version


def _versions(session: Session, agency_id: int) -> int:
    return session.scalar(select(func.count()).select_from(DefinitionVersion).where(
        DefinitionVersion.agency_id == agency_id)) or 0


def _flow_text(session: Session, agency_id: int,
               change: dict[str, dict[str, Any]]) -> tuple[str, dict[str, int]]:
    """The agency's current flow as YAML, each transition on its own line (JSON is YAML) with
    ``change[name]`` merged into it; returns the text and each transition's line number."""
    row = current_version(session, agency_id)
    assert row is not None
    source = dict(row.source)
    transitions = source.pop("transitions")
    lines = yaml.safe_dump(source, allow_unicode=True, sort_keys=False).splitlines()
    lines.append("transitions:")
    where = {}
    for t in transitions:
        lines.append("- " + json.dumps({**t, **change.get(t["name"], {})}))
        where[t["name"]] = len(lines)
    return "\n".join(lines) + "\n", where


def test_flow_editor_refuses_an_alias_bomb_fast(client: FlaskClient, session: Session,
                                                two: tuple[World, World]) -> None:
    """A 2.9 KB billion-laughs post is a 400 naming the alias, in well under a second."""
    a, _ = two
    login(client, a.people["kepala"])
    bomb = alias_bomb()
    started = time.perf_counter()
    response = client.post("/admin/definition/ubah/", data={"source": bomb})
    assert time.perf_counter() - started < 1.0
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and len(page) < 100_000
    assert "kota-mataram.yaml:2: alias YAML (*a0) tidak diizinkan" in page
    assert _versions(session, a.agency.id) == 1


def test_flow_editor_refuses_deep_nesting(client: FlaskClient, session: Session,
                                          two: tuple[World, World]) -> None:
    """Nesting 10,000 lists deep is a 400 with a message, not a 500 from a RecursionError;
    an empty or non-mapping text is a 400 naming what a definition must be."""
    a, _ = two
    login(client, a.people["kepala"])
    response = client.post("/admin/definition/ubah/",
                           data={"source": "agency: " + "[" * 10_000 + "]" * 10_000})
    assert response.status_code == 400
    assert "bersarang terlalu dalam" in response.get_data(as_text=True)
    for empty in ("", "# belum ada\n", "- a\n- b\n"):
        response = client.post("/admin/definition/ubah/", data={"source": empty})
        assert response.status_code == 400
        assert "harus berupa mapping YAML" in response.get_data(as_text=True)
    assert _versions(session, a.agency.id) == 1


def test_flow_editor_names_a_wrong_typed_guard_argument(client: FlaskClient, session: Session,
                                                        two: tuple[World, World]) -> None:
    """A guard argument that is a list or a map is a file:line problem (was a TypeError: 500)."""
    a, _ = two
    login(client, a.people["kepala"])
    for argument in (["appeal_window"], {"a": 1}):
        text, line = _flow_text(session, a.agency.id,
                                {"accept": {"guards": [{"within_deadline": argument}]}})
        response = client.post("/admin/definition/ubah/", data={"source": text})
        page = response.get_data(as_text=True)
        assert response.status_code == 400, page
        assert f"kota-mataram.yaml:{line['accept']}: guard &#39;within_deadline&#39;" in page
    assert _versions(session, a.agency.id) == 1


def test_form_editor_refuses_an_alias_bomb_and_deep_nesting(client: FlaskClient,
                                                            session: Session,
                                                            two: tuple[World, World]) -> None:
    """The form draft's YAML box answers 400 with the reason; the draft is unchanged."""
    a, _ = two
    login(client, a.people["kepala"])
    client.post("/admin/formulir/appeal/draf")
    draft = session.scalar(select(FormVersion.id).where(FormVersion.key == "appeal",
                                                        FormVersion.published_at.is_(None)))
    before = session.get(FormVersion, draft).spec
    started = time.perf_counter()
    response = client.post(f"/admin/formulir/draf/{draft}/yaml", data={"spec": alias_bomb()})
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 400
    assert "alias YAML (*a0) tidak diizinkan" in response.get_data(as_text=True)
    response = client.post(f"/admin/formulir/draf/{draft}/yaml",
                           data={"spec": "key: appeal\nfields: " + "[" * 5000 + "]" * 5000})
    assert response.status_code == 400
    assert "bersarang terlalu dalam" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(FormVersion, draft).spec == before


def test_flow_editor_refuses_a_self_rating_flow(client: FlaskClient, session: Session,
                                                two: tuple[World, World]) -> None:
    """The admin's flow in which the employee rates herself is refused at the step's line
    (an admin had published one and the employee rated herself Sangat Baik)."""
    a, _ = two
    login(client, a.people["kepala"])
    text, line = _flow_text(session, a.agency.id, {"review": {"by": ["appraiser", "employee"]}})
    response = client.post("/admin/definition/ubah/", data={"source": text})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (f"kota-mataram.yaml:{line['review']}: pegawai yang dinilai (peran "
            "&#39;employee&#39;) tidak boleh menjalankan langkah penilaian &#39;review&#39;"
            ) in page, page
    assert _versions(session, a.agency.id) == 1
