"""One rule for who sees what: every surface shows the same fields to the same reader.

Each shipped flow (Kupang with its independent team, Mataram = the national flow) is walked
through every state it can reach; every text answer of every step holds a unique marker. In
each state, for each reader (the evaluated employee, the appraiser, the appeal decider, a team
member, an auditor, an agency admin, a colleague with no role), the markers found on the
evaluation page, in the API's detail and history, on the auditor's timeline, in the audit CSV
and in the document snapshots name the fields that surface exposes: they must be the same set
on every surface, and that set is what ``forms.visibility`` says. The rating (the evaluation's
ratings and predikat) is checked the same way. An evaluation the reader may not read is 404 on
the page and on the API.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from forms.slots import SLOTS
from forms.spec import FormSpec
from forms.store import StoredForms
from forms.store import spec_of
from forms.visibility import Viewer
from forms.visibility import Visibility
from reports.gather import build_snapshot
from reports.snapshot import DOCUMENT_FIELDS
from reports.snapshot import canonical_json
from tests.conftest import CHEAP_HASH
from tests.conftest import World
from tests.conftest import api_token
from tests.conftest import build_world
from tests.integration.test_service import at
from tests.web.conftest import PASSWORD
from workflow.accounts import set_password
from workflow.models import Evaluation
from workflow.service import Workflow
from workflow.service import apply_transition
from workflow.service import definition_of
from workflow.service import save_draft

pytestmark = pytest.mark.usefixtures("own_contexts")

READERS = ("pegawai", "penilai", "atasan", "tim", "auditor", "kepala", "pegawai2")
STAFF = ("auditor", "kepala")
NOW = datetime(2026, 3, 20, tzinfo=UTC)
Owner = tuple[str, str]  # (form key, field name)


@dataclass
class Markers:
    """Unique markers put in every text answer, and which field each one fills."""

    owner: dict[str, Owner] = field(default_factory=dict)

    def new(self, form: str, name: str) -> str:
        marker = f"ZQ{len(self.owner):03d}Q"
        self.owner[marker] = (form, name)
        return marker

    def fill(self, spec: FormSpec, **fixed: Any) -> dict[str, Any]:
        """Return answers to the spec: a marker in every text field (and row cell), the
        choices from ``fixed``."""
        values: dict[str, Any] = dict(fixed)
        for f in spec.fields:
            if f.name in fixed:
                continue
            if f.type in ("text", "textarea"):
                text = self.new(spec.key, f.name)
                values[f.name] = text + " x" * (f.min_length or 0)
            elif f.type == "rows":
                values[f.name] = [{c.name: self.new(spec.key, f.name) for c in f.columns
                                   if c.type in ("text", "textarea")}]
        return values

    def seen(self, text: str) -> set[Owner]:
        """Return the fields whose markers appear in ``text``."""
        return {owner for marker, owner in self.owner.items() if marker in text}


@dataclass
class Flow:
    """One agency's evaluation of ``pegawai``, its readers' clients and API tokens."""

    session: Session
    wf: Workflow
    world: World
    evaluation: Evaluation
    clients: dict[str, FlaskClient]
    tokens: dict[str, str]
    api: FlaskClient
    markers: Markers = field(default_factory=Markers)

    def spec(self, form: str) -> FormSpec:
        return spec_of(self.session, StoredForms().version_for(self.session, self.evaluation,
                                                               form))

    def act(self, day: int, who: str, trigger: str, form: str | None = None,
            comment: str | None = None, **fixed: Any) -> None:
        data = self.markers.fill(self.spec(form), **fixed) if form else None
        apply_transition(self.session, at(self.wf, day), self.world.actor(who),
                         self.evaluation.id, trigger, data=data, comment=comment)
        self.session.commit()

    def draft(self, day: int, who: str, form: str, **fixed: Any) -> None:
        save_draft(self.session, at(self.wf, day), self.world.actor(who), self.evaluation.id,
                   form, self.markers.fill(self.spec(form), **fixed))
        self.session.commit()

    def get(self, who: str, path: str) -> Any:
        return self.api.get(f"/api/v1{path}",
                            headers={"Authorization": f"Bearer {self.tokens[who]}"})


@pytest.fixture(name="make_flow")
def _make_flow(app: Flask, session: Session, wf: Workflow) -> Any:
    def make(slug: str) -> Flow:
        world = build_world(session, wf, slug)
        tokens = {}
        for who in READERS:
            set_password(world.people[who], PASSWORD, hash_method=CHEAP_HASH)
            tokens[who] = api_token(session, world.people[who])
        session.commit()
        clients = {}
        for who in READERS:
            clients[who] = app.test_client()
            assert clients[who].post("/masuk", data={"nip": world.people[who].nip,
                                                     "password": PASSWORD}).status_code == 302
        return Flow(session, wf, world, world.evaluations["pegawai"], clients, tokens,
                    app.test_client())

    return make


# --- what each surface exposes -----------------------------------------------------------------


def _view(flow: Flow, who: str) -> Visibility:
    flow.session.expire_all()
    evaluation = flow.session.get(Evaluation, flow.evaluation.id)
    assert evaluation is not None
    return Visibility.for_actor(flow.session, flow.world.actor(who), evaluation)


def _expected(flow: Flow, view: Visibility) -> set[Owner]:
    """The rule's answer: the stored (marked) fields the reader may see."""
    return {owner for owner in flow.markers.owner.values()
            if owner[1] in view.names(owner[0])}


def _snapshot_text(flow: Flow, view: Visibility) -> tuple[str, str]:
    """Return every document kind's printed content for the reader, and its predikat."""
    snapshot = build_snapshot(flow.session, view.evaluation, NOW, view)
    text = "".join(canonical_json(snapshot, kind).decode() for kind in DOCUMENT_FIELDS)
    return text, snapshot.predikat


def _history_rating(changes: list[dict[str, Any]]) -> bool | None:
    """Whether a predikat change shows its value (None: no predikat change recorded)."""
    found = [c for c in changes if c["field"] == "predikat"]
    return None if not found else not any(c.get("hidden") for c in found)


def _timeline_rating(html: str) -> bool | None:
    rows = re.findall(r'<tr data-change="predikat"( data-hidden)?>', html)
    return None if not rows else not any(rows)


def _csv_rating(text: str) -> tuple[str, bool | None]:
    """Return the CSV's change cells (joined) and whether the predikat changes show values."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    changes = [json.loads(r["perubahan_json"]) for r in rows]
    predikat = [c["predikat"] for c in changes if "predikat" in c]
    shown = None if not predikat else all(isinstance(p, list) for p in predikat)
    return " ".join(r["perubahan_json"] for r in rows), shown


def check_state(flow: Flow, state: str) -> None:
    """Compare every surface for every reader in the evaluation's current state."""
    ev_id = flow.evaluation.id
    # A reader with every role of the flow sees every field: what the documents can print.
    evaluation = _view(flow, "kepala").evaluation
    definition = definition_of(flow.session, evaluation.definition_version_id)
    everything = Visibility(flow.session, evaluation, definition,
                            Viewer(frozenset(definition.roles) | {"admin"}, state))
    printable = flow.markers.seen(_snapshot_text(flow, everything)[0])
    for who in READERS:
        view = _view(flow, who)
        assert view.evaluation.status == state
        where = f"{state}/{who}"
        page = flow.clients[who].get(f"/evaluasi/{ev_id}")
        detail = flow.get(who, f"/evaluations/{ev_id}")
        history = flow.get(who, f"/evaluations/{ev_id}/history")
        if not view.viewer.roles:  # may not read it: it does not exist for her
            assert (page.status_code, detail.status_code, history.status_code) == (
                404, 404, 404), where
            continue
        assert (page.status_code, detail.status_code, history.status_code) == (
            200, 200, 200), where
        expected = _expected(flow, view)
        html = page.get_data(as_text=True)
        events = history.get_json()["events"]
        exposed = {
            "page": flow.markers.seen(html),
            "api": flow.markers.seen(json.dumps(detail.get_json()["data"])),
            "history": flow.markers.seen(json.dumps(events)),
        }
        pdf_text, pdf_predikat = _snapshot_text(flow, view)
        rating = view.rating_visible and view.evaluation.predikat is not None
        listed = {i["id"]: i for i in flow.get(who, "/evaluations?per_page=100")
                  .get_json()["items"]}
        ratings = {
            "page": "data-predikat" in html,
            "api": detail.get_json()["predikat"] is not None,
            "api-ratings": detail.get_json()["ratings"]["hasil_kerja"] is not None,
            "pdf": pdf_predikat != "-",
        }
        if ev_id in listed:
            ratings["api-list"] = listed[ev_id]["predikat"] is not None
        in_history = {"history": _history_rating([c for e in events for c in e["changes"]])}
        if who in STAFF:
            timeline = flow.clients[who].get(f"/audit/evaluasi/{ev_id}")
            export = flow.clients[who].get(f"/audit/ekspor.csv?evaluasi={ev_id}")
            assert (timeline.status_code, export.status_code) == (200, 200), where
            timeline_html = timeline.get_data(as_text=True)
            csv_changes, csv_rating = _csv_rating(export.get_data(as_text=True))
            exposed["timeline"] = flow.markers.seen(timeline_html)
            exposed["csv"] = flow.markers.seen(csv_changes)
            in_history["timeline"] = _timeline_rating(timeline_html)
            in_history["csv"] = csv_rating
            # A hidden change shows the same name and digest on all three history surfaces.
            digests = {(c["field"], c["digest"]) for e in events for c in e["changes"]
                       if c.get("hidden")}
            assert set(re.findall(r'<tr data-change="([^"]+)" data-hidden>.*?<code class='
                                  r'"text-break">([0-9a-f]{64})</code>', timeline_html,
                                  re.DOTALL)) == digests, where
            assert {d for _f, d in digests} == set(re.findall(
                r'"digest"":""([0-9a-f]{64})""', export.get_data(as_text=True))), where
        for surface, fields in exposed.items():
            assert fields == expected, (where, surface, fields ^ expected)
        assert flow.markers.seen(pdf_text) == printable & expected, (where, "pdf")
        assert ratings == dict.fromkeys(ratings, rating), (where, ratings)
        recorded = {k: v for k, v in in_history.items() if v is not None}
        assert recorded == dict.fromkeys(recorded, view.rating_visible), (where, in_history)


PRIVATE = ("appraiser-rating", "catatan_pribadi")


def test_kupang_every_role_and_state(make_flow: Any) -> None:
    """Kupang: the team's review, a return to the appraiser, approval, appeal, decision."""
    flow: Flow = make_flow("kota-kupang")
    check_state(flow, "draft")
    flow.act(2, "pegawai", "submit", "self-assessment")
    check_state(flow, "submitted")
    flow.act(3, "penilai", "send_to_team", "appraiser-rating", rating_hasil_kerja="di_bawah",
             rating_perilaku_kerja="sesuai")
    flow.draft(4, "tim", "team-opinion", rekomendasi="setuju")
    check_state(flow, "team_review")
    # While the team reviews, the employee sees neither the rating nor the appraiser's words.
    employee = _view(flow, "pegawai")
    assert not employee.rating_visible and not employee.names("appraiser-rating")
    # The team's draft opinion is the team's own until it is given.
    assert "pendapat_tim" in _view(flow, "tim").names("team-opinion")
    assert not _view(flow, "auditor").names("team-opinion")
    flow.act(5, "tim", "team_return", "team-opinion", comment="Bukti dukung belum lengkap.",
             rekomendasi="tinjau_ulang")
    check_state(flow, "submitted")  # the recorded rating stays hidden from her after a return
    assert not _view(flow, "pegawai").rating_visible
    flow.act(6, "penilai", "send_to_team", "appraiser-rating", rating_hasil_kerja="di_bawah",
             rating_perilaku_kerja="sesuai")
    flow.act(7, "tim", "team_review", "team-opinion", rekomendasi="setuju")
    check_state(flow, "reviewed")
    assert _view(flow, "pegawai").rating_visible
    flow.act(8, "pegawai", "appeal", "appeal", butir_keberatan=["rating_hasil_kerja"])
    check_state(flow, "appealed")
    flow.act(9, "atasan", "decide_appeal", "appeal-decision", keputusan="dikuatkan")
    check_state(flow, "finalized")
    # The appraiser's private note: the appraiser only, auditors and admins included.
    assert {who for who in READERS if PRIVATE[1] in _view(flow, who).names(PRIVATE[0])} == {
        "penilai"}


def test_mataram_every_role_and_state(make_flow: Any) -> None:
    """Mataram (the national flow): rating, appeal, decision; the team is a stranger here."""
    flow: Flow = make_flow("kota-mataram")
    check_state(flow, "draft")
    flow.act(2, "pegawai", "submit", "self-assessment")
    check_state(flow, "submitted")
    flow.act(3, "penilai", "review", "appraiser-rating", rating_hasil_kerja="di_bawah",
             rating_perilaku_kerja="sesuai")
    check_state(flow, "reviewed")
    flow.act(4, "pegawai", "appeal", "appeal", butir_keberatan=["rating_hasil_kerja"])
    check_state(flow, "appealed")
    flow.act(5, "atasan", "decide_appeal", "appeal-decision", keputusan="dikuatkan")
    check_state(flow, "finalized")
    assert not _view(flow, "tim").viewer.roles  # no role here: 404 (checked above)


def test_rendered_pdf_prints_what_its_snapshot_says(make_flow: Any) -> None:
    """The rendered evaluation and appeal-decision PDFs print the snapshot's fields: what the
    parity test reads from snapshots is what the reader gets on paper."""
    flow: Flow = make_flow("kota-mataram")
    flow.act(2, "pegawai", "submit", "self-assessment")
    flow.act(3, "penilai", "review", "appraiser-rating", rating_hasil_kerja="di_bawah",
             rating_perilaku_kerja="sesuai")
    flow.act(4, "pegawai", "appeal", "appeal", butir_keberatan=["rating_hasil_kerja"])
    flow.act(5, "atasan", "decide_appeal", "appeal-decision", keputusan="dikuatkan")
    view = _view(flow, "pegawai")
    snapshot = build_snapshot(flow.session, view.evaluation, NOW, view)
    rendered: set[Owner] = set()
    printed: set[Owner] = set()
    for kind in ("evaluation", "appeal-decision"):
        response = flow.clients["pegawai"].get(
            f"/evaluasi/{flow.evaluation.id}/dokumen/{kind}.pdf")
        assert response.status_code == 200, kind
        reader = PdfReader(io.BytesIO(response.data))
        text = re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in reader.pages))
        in_snapshot = flow.markers.seen(canonical_json(snapshot, kind).decode())
        assert flow.markers.seen(text) <= in_snapshot, kind
        rendered |= flow.markers.seen(text)
        printed |= in_snapshot
    assert rendered == printed
    assert PRIVATE not in printed
    assert {(s.form, s.field) for s in SLOTS} >= printed
