"""Publishing a form draft keeps the official documents filled (forms.slots, forms.authoring)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from forms import authoring
from forms.store import latest_published
from tests.conftest import World
from workflow.errors import InvalidData
from workflow.models import FormVersion
from workflow.models import HistoryEvent
from workflow.service import Workflow
from workflow.texts import Text

NOW = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)


def _field(draft: FormVersion, name: str) -> dict[str, Any]:
    return dict(next(f for f in draft.spec["fields"] if f.get("name") == name))


def _published(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(HistoryEvent).where(
        HistoryEvent.trigger == "form_published")) or 0


def test_renaming_a_printed_field_is_refused_at_publish_naming_the_slot(
        session: Session, wf: Workflow, mataram: World) -> None:
    """A draft that renames catatan_rekomendasi saves, but publishing it is refused with the
    CATATAN/REKOMENDASI slot named in both languages; nothing is published."""
    admin = mataram.actor("kepala")
    draft = authoring.start_draft(session, wf.audit_key, admin, "appraiser-rating", NOW)
    renamed = {**_field(draft, "catatan_rekomendasi"), "name": "catatan_pimpinan"}
    authoring.put_field(session, wf.audit_key, admin, draft.id, renamed, NOW,
                        replace="catatan_rekomendasi")
    session.commit()
    with pytest.raises(InvalidData) as caught:
        authoring.publish(session, wf.audit_key, admin, draft.id, NOW)
    session.rollback()
    (problem,) = caught.value.errors["spec"]
    assert problem.startswith("Slot cetak 'evaluasi.catatan_rekomendasi' (Dokumen Evaluasi "
                              "Kinerja Pegawai: CATATAN/REKOMENDASI)")
    assert "'catatan_rekomendasi'" in problem
    assert isinstance(problem, Text)
    assert problem.en.startswith("Print slot 'evaluasi.catatan_rekomendasi'")
    assert session.get(FormVersion, draft.id).published_at is None
    live = latest_published(session, mataram.agency.id, "appraiser-rating")
    assert live is None  # the agency still uses the national form
    assert _published(session) == 0


def test_dropping_or_retyping_printed_fields_is_refused(session: Session, wf: Workflow,
                                                        mataram: World) -> None:
    """Removing the evidence column, or the per-value feedback group with one value turned
    into a number, is refused, each problem naming its slot; the unchanged form publishes."""
    admin = mataram.actor("kepala")
    report = authoring.start_draft(session, wf.audit_key, admin, "self-assessment", NOW)
    spec = dict(report.spec)
    rows = _field(report, "hasil_kerja")
    rows["columns"] = [c for c in rows["columns"] if c["name"] != "bukti_dukung"]
    spec["fields"] = [rows if f.get("name") == "hasil_kerja" else f for f in spec["fields"]]
    authoring.save_spec(session, wf.audit_key, admin, report.id, spec, NOW)
    with pytest.raises(InvalidData) as dropped:
        authoring.publish(session, wf.audit_key, admin, report.id, NOW)
    assert [p.split(" (")[0] for p in dropped.value.errors["spec"]] == [
        "Slot cetak 'evaluasi.hasil_kerja.bukti_dukung'"]
    session.rollback()

    rating = authoring.start_draft(session, wf.audit_key, admin, "appraiser-rating", NOW)
    spec = dict(rating.spec)
    spec["fields"] = [f for f in spec["fields"] if f.get("name_prefix") != "umpan_balik_"] + [
        {"name": "umpan_balik_loyal", "type": "integer", "label": "Loyal (angka)"}]
    authoring.save_spec(session, wf.audit_key, admin, rating.id, spec, NOW)
    with pytest.raises(InvalidData) as retyped:
        authoring.publish(session, wf.audit_key, admin, rating.id, NOW)
    group, loyal = retyped.value.errors["spec"]  # the group's six other values: one problem
    assert group.startswith("Slot cetak 'evaluasi.perilaku_kerja.*.umpan_balik'")
    assert "'name_prefix: umpan_balik_'" in group
    assert loyal.startswith("Slot cetak 'evaluasi.perilaku_kerja.loyal.umpan_balik'")
    assert "bukan integer" in loyal and "PERILAKU KERJA LOYAL" in loyal
    session.rollback()

    original = authoring.start_draft(session, wf.audit_key, admin, "appraiser-rating", NOW)
    authoring.publish(session, wf.audit_key, admin, original.id, NOW)
    assert _published(session) == 1


def test_agency_field_with_prints_publishes(session: Session, wf: Workflow,
                                            mataram: World) -> None:
    """A field the admin adds with ``prints:`` passes the check and keeps the key."""
    admin = mataram.actor("kepala")
    draft = authoring.start_draft(session, wf.audit_key, admin, "appraiser-rating", NOW)
    authoring.put_field(session, wf.audit_key, admin, draft.id, {
        "name": "rekomendasi_diklat", "type": "text", "label": "Rekomendasi Diklat",
        "prints": "evaluasi.keterangan_tambahan"}, NOW)
    published = authoring.publish(session, wf.audit_key, admin, draft.id, NOW)
    assert _field(published, "rekomendasi_diklat")["prints"] == "evaluasi.keterangan_tambahan"
    assert published.published_at is not None
