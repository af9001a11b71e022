"""The JSON API against its own OpenAPI document (``make test-api``, run by ``.ci/run``).

Schemathesis reads ``GET /api/v1/openapi.json`` from the app and generates requests for every
operation; each is sent with the tokens of several roles of two agencies (employee, appraiser,
the team, the auditor, the agency admin, and a stranger from the other agency). Every check
schemathesis has must pass: no server error, status codes, content types, headers and bodies
as documented, 405 with ``Allow`` for undocumented methods. The seed is fixed and the examples
bounded, so a run is repeatable and takes about a minute.

Two things the document cannot say are checked here instead: a case generated without (or
with a spoilt) bearer token is sent as generated, never repaired with one of ours; and a
transition body the schema allows may still fail its form's rules, which is a 400
``InvalidData`` naming the fields (any other refusal of a well-formed transition must be one the
document lists).

Path ids are mapped onto the evaluations that exist (most of the time) so the examples reach
real records, not only 404s; transition names onto the flow's real steps likewise. The same
goes for the SKP endpoints (an SKP chain is planned in one agency); an SKP write the schema
allows may still break the SKP's rules (a parent RHK that is not the appraiser's, a target
range upside down): that too is a 400 ``InvalidData`` naming the fields.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from web import create_app
from workflow.service import Workflow
from workflow.skp import create_skp
from workflow.skp import fire_skp_transition
from workflow.skp import save_content

pytestmark = pytest.mark.contract

SEED = 20261201
MAX_EXAMPLES = 25
# (agency, person): the tokens each generated request is sent with.
CALLERS = (("mataram", "pegawai"), ("mataram", "penilai"), ("mataram", "tim"),
           ("mataram", "auditor"), ("mataram", "kepala"), ("kupang", "pegawai"))
STEPS = ("submit", "review", "appeal", "approve", "rate", "return", "decide", "ajukan",
         "kembalikan", "tetapkan")
SKP_YEAR = 2027


class Fixture:
    """Two agencies, their evaluation ids and one token per caller."""

    def __init__(self, session: Session, wf: Workflow) -> None:
        worlds: dict[str, World] = {"mataram": build_world(session, wf, "kota-mataram"),
                                    "kupang": build_world(session, wf, "kota-kupang", offset=50)}
        self.ids = sorted(e.id for w in worlds.values() for e in w.evaluations.values())
        self.skp_ids, self.rhk_ids = _plan(session, wf, worlds["mataram"])
        self.tokens = [api_token(session, worlds[agency].people[who], "contract",
                                 scope="read transition skp reassign")
                       for agency, who in CALLERS]
        session.commit()


def _plan(session: Session, wf: Workflow, world: World) -> tuple[list[int], list[int]]:
    """The Kepala Dinas' SKP set, the Kepala Bidang's drafted under it: their ids and RHK."""
    parent = None
    skps = []
    for who in ("kepala", "atasan"):
        actor = world.actor(who)
        skp = create_skp(session, wf, actor, year=SKP_YEAR, pendekatan="kuantitatif",
                         jenis_jabatan="JPT" if who == "kepala" else "JA")
        save_content(session, wf, actor, skp.id, {"rhk": [{
            "jenis": "utama", "text": "Hasil", "parent_id": parent,
            "indicators": [{"aspek": "kuantitas", "text": "Jumlah", "target_min": 1}]}]}, None)
        if who == "kepala":
            fire_skp_transition(session, wf, actor, skp.id, "ajukan")
            fire_skp_transition(session, wf, actor, skp.id, "tetapkan")
        parent = skp.rhk[0].id
        skps.append(skp)
    return [s.id for s in skps], [r.id for s in skps for r in s.rhk]


@pytest.fixture(name="fixture")
def _fixture(session: Session, wf: Workflow) -> Fixture:
    return Fixture(session, wf)


def _served_document() -> dict[str, Any]:
    """The document as the app serves it (read once, at collection: schemathesis's lazy
    fixture loader does not work with pytest 9.2's node ids)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "contract", "SERVER_NAME": "localhost",
                      "SQLALCHEMY_ENGINES": {"default": "sqlite://"}})
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


schema = schemathesis.openapi.from_dict(_served_document())


def _real(case: Any, fixture: Fixture) -> None:
    """Point most generated ids and step names at real ones (keeping some random)."""
    params = case.path_parameters or {}
    raw = params.get("evaluation_id")
    if isinstance(raw, int) and raw % 5:
        params["evaluation_id"] = fixture.ids[raw % len(fixture.ids)]
    for key, known in (("skp_id", fixture.skp_ids), ("rhk_id", fixture.rhk_ids)):
        value = params.get(key)
        if isinstance(value, int) and value % 5:
            params[key] = known[value % len(known)]
    name = params.get("name")
    if isinstance(name, str) and len(name) % 3:
        params["name"] = STEPS[len(name) % len(STEPS)]


@schema.parametrize()
@hypothesis.seed(SEED)
@hypothesis.settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                     suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi(case: Any, app: Flask, fixture: Fixture) -> None:
    """Every generated request, with every caller's token: no 5xx, answers as documented."""
    _real(case, fixture)
    case.operation.schema.app = app  # this test's app (and database) receives the calls
    if _headers_negated(case):
        # The case leaves out or spoils the Authorization header on purpose: a token of ours
        # would repair it. Sent as generated, it must be refused.
        case.call_and_validate(app=app)
        return
    # Only well-formed requests (positive, not a request-shape probe) are held to acceptance.
    excluded = [positive_data_acceptance] if _is_transition(case) and _well_formed(case) else []
    for token in fixture.tokens:
        response = case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"},
                                          excluded_checks=excluded)
        if excluded:
            _transition_refusal_is_the_forms(response)


def _headers_negated(case: Any) -> bool:
    """Tell whether the case was generated to break its headers (the bearer token)."""
    info = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return info is not None and info.mode.is_negative


def _well_formed(case: Any) -> bool:
    return bool(case.meta and case.meta.generation.mode.is_positive
                and not is_unexpected_http_status_case(case))


def _is_transition(case: Any) -> bool:
    """A flow step, or an SKP write: rules the schema cannot state may refuse it (400)."""
    path, method = str(case.operation.path), str(case.operation.method).upper()
    return path.endswith("/transitions/{name}") or (
        path.startswith("/skp") and method in ("POST", "PUT"))


def _transition_refusal_is_the_forms(response: Any) -> None:
    """A transition body the schema allows can still fail its form's rules (a required field,
    a value outside a choice list): those rules are per agency and per form version, so the
    schema cannot state them. Such a refusal is 400 ``InvalidData`` naming the fields; any
    other 4xx must be one the document lists for every well-formed request."""
    if response.status_code == 400:
        body = response.json()
        assert body.get("error") == "InvalidData" and body.get("errors"), body
    else:
        assert response.status_code < 400 or response.status_code in (
            401, 403, 404, 409, 429), response.status_code
