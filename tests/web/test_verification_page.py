"""The auditor's verification page (issue 15, item 4): a summary and the broken chains, a page
at a time, never every chain; a bounded number of statements whatever the agency's size."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import World
from tests.conftest import build_world
from tests.conftest import tampering
from tests.web.test_audit import login
from tests.web.test_cli import run
from web.extensions import db
from workflow import trail
from workflow.models import Evaluation
from workflow.periods import ensure_period
from workflow.periods import open_period
from workflow.service import Workflow
from workflow.trail import verify_agency


def _break(session: Session, evaluations: list[Evaluation]) -> None:
    with tampering(session):
        for ev in evaluations:
            session.execute(text("UPDATE history_event SET comment = 'diubah' "
                                 "WHERE evaluation_id = :e AND seq = 1"), {"e": ev.id})


def _statements(client: FlaskClient, path: str) -> tuple[int, str]:
    count = [0]

    def counter(*_: object) -> None:
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        body = client.get(path).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return count[0], body


def test_only_broken_chains_are_listed_a_page_at_a_time(
        session: Session, wf: Workflow, mataram: World) -> None:
    """The result lists the broken chains only, by chain, ``per_page`` at a time; the summary
    counts every chain."""
    evaluations = sorted(mataram.evaluations.values(), key=lambda e: f"evaluation:{e.id}")
    _break(session, evaluations[:5])
    auditor = mataram.actor("auditor")
    first = verify_agency(session, wf.audit_key, auditor, page=1, per_page=2)
    session.commit()
    assert first.state.broken_total == 5 and first.pages == 3 and not first.ok
    assert first.state.chains == len(mataram.evaluations) + 1  # and the agency chain
    pages = [verify_agency(session, wf.audit_key, auditor, page=n, per_page=2).broken
             for n in (1, 2, 3)]
    listed = [r.chain for page in pages for r in page]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert listed == sorted(f"evaluation:{e.id}" for e in evaluations[:5])
    assert all(r.broken_seq == 1 and "diubah" in r.reason for page in pages for r in page)


def test_page_shows_the_summary_and_no_intact_chain(
        client: FlaskClient, session: Session, wf: Workflow, mataram: World) -> None:
    """An intact chain is counted, not listed; a broken one links to its timeline."""
    broken, intact = mataram.evaluations["pegawai"], mataram.evaluations["pegawai2"]
    _break(session, [broken])
    login(client, session, mataram, "auditor")
    page = client.get("/audit/verifikasi").get_data(as_text=True)
    assert f"/audit/evaluasi/{broken.id}" in page
    assert f"/audit/evaluasi/{intact.id}" not in page
    assert "pemeriksaan penuh" in page and "1 dari" in page


def test_large_history_is_checked_incrementally(
        client: FlaskClient, session: Session, wf: Workflow, mataram: World,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Above ``INLINE_EVENTS`` the page checks only what moved; with more than that waiting it
    checks nothing and says how many events wait for `audit verify`."""
    login(client, session, mataram, "auditor")
    monkeypatch.setattr(trail, "INLINE_EVENTS", 1)
    page = client.get("/audit/verifikasi").get_data(as_text=True)
    assert "peristiwa baru belum diverifikasi" in page and "audit verify" in page
    monkeypatch.setattr(trail, "INLINE_EVENTS", 10_000)
    assert "pemeriksaan penuh" in client.get("/audit/verifikasi").get_data(as_text=True)
    monkeypatch.setattr(trail, "INLINE_EVENTS", 1)
    page = client.get("/audit/verifikasi").get_data(as_text=True)
    assert "0 rantai baru atau berubah, 0 peristiwa" in page
    assert "OK</strong>" in page


def test_statements_do_not_grow_with_the_agency(
        client: FlaskClient, session: Session, wf: Workflow, mataram: World,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the page of a large history (checked incrementally) costs the same number of
    statements with one period of evaluations and with three (nothing new to check, as after
    the nightly run; one broken chain on the page)."""
    login(client, session, mataram, "auditor")
    _break(session, [mataram.evaluations["pegawai"]])

    def measure() -> tuple[int, str]:
        monkeypatch.setattr(trail, "INLINE_EVENTS", 20_000)
        client.get("/audit/verifikasi")  # records everything (a full check at this size)
        monkeypatch.setattr(trail, "INLINE_EVENTS", 1)
        return _statements(client, "/audit/verifikasi")

    small, body = measure()
    assert "1 dari" in body
    for year in (2027, 2028):
        period = ensure_period(session, mataram.agency, "annual", year)
        open_period(session, wf, mataram.actor("kepala"), period.id)
    session.commit()
    large, body = measure()
    assert "1 dari" in body and "rantai baru atau berubah" in body
    found = re.search(r"tercatat</dt><dd class=\"col-sm-8\">(\d+)", body)
    assert found is not None
    evaluations = session.scalar(select(func.count()).select_from(Evaluation).where(
        Evaluation.agency_id == mataram.agency.id))
    assert int(found.group(1)) == evaluations + 1 and evaluations >= 3 * 3
    assert large == small


def test_other_agencies_are_not_counted(client: FlaskClient, session: Session, wf: Workflow,
                                        mataram: World) -> None:
    """The summary and the broken list are the auditor's agency's only."""
    other = build_world(session, wf, "kota-kupang", offset=50)
    _break(session, [other.evaluations["pegawai"]])
    login(client, session, mataram, "auditor")
    page = client.get("/audit/verifikasi").get_data(as_text=True)
    assert "RUSAK</strong>" not in page
    assert f"/audit/evaluasi/{other.evaluations['pegawai'].id}" not in page


def test_large_history_shows_the_last_runs_checkpoint_check(
        app: Flask, client: FlaskClient, session: Session, wf: Workflow, mataram: World,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Replaying the checkpoint log takes seconds at scale: above ``INLINE_EVENTS`` the page
    shows what the last `audit verify` found against it instead."""
    login(client, session, mataram, "auditor")
    assert run(app, "audit", "checkpoint")[0] == 0
    assert run(app, "audit", "verify", "--agency", "kota-mataram")[0] == 0
    monkeypatch.setattr(trail, "INLINE_EVENTS", 1)
    assert "Sesuai dengan 1 checkpoint" in client.get("/audit/verifikasi").get_data(as_text=True)
    with tampering(session):
        session.execute(text("UPDATE agency SET history_seq = history_seq - 1"))
    assert "Sesuai dengan 1 checkpoint" in client.get("/audit/verifikasi").get_data(as_text=True)
    code, out = run(app, "audit", "verify", "--agency", "kota-mataram")
    assert code == 1, out
    page = client.get("/audit/verifikasi").get_data(as_text=True)
    assert "tidak sesuai dengan checkpoint" in page and f"agency:{mataram.agency.id}" in page
    assert run(app, "audit", "verify")[0] == 1  # every agency: only the count is shown
    page = client.get("/audit/verifikasi").get_data(as_text=True)
    assert "masalah pada pemeriksaan checkpoint terakhir" in page


def test_cli_incremental_and_full(app: Flask, session: Session, wf: Workflow,
                                  mataram: World) -> None:
    """`audit verify --incremental` re-checks only what moved (an older event edited in place
    is left to the full run, as documented); `audit verify` (`--full`) names it."""
    assert run(app, "audit", "verify")[0] == 0
    _break(session, [mataram.evaluations["pegawai"]])
    code, out = run(app, "audit", "verify", "--incremental")
    assert code == 0 and "incremental: 0 rantai" in out, out
    for args in (("--full",), ()):
        code, out = run(app, "audit", "verify", *args)
        assert code == 1 and f"RUSAK evaluation:{mataram.evaluations['pegawai'].id}" in out
    code, out = run(app, "audit", "verify", "--incremental")  # broken chains: every run
    assert code == 1 and "isi peristiwa telah diubah" in out, out
