"""The inbox query: sections per role, group roles, deadlines, search, pagination, isolation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.conftest import SELF
from tests.conftest import World
from tests.conftest import build_world
from workflow.errors import NotFound
from workflow.inbox import Inbox
from workflow.inbox import inbox
from workflow.inbox import open_evaluation
from workflow.service import Workflow
from workflow.service import apply_transition

RATING_LOW = {"rating_hasil_kerja": "di_bawah", "rating_perilaku_kerja": "sesuai",
              "umpan_balik": "Target layanan tidak tercapai.",
              "justifikasi": "Tiga laporan terlambat dan bukti dukung tidak lengkap."}
TEAM_OK = {"pendapat_tim": "Sesuai bukti dukung.", "rekomendasi": "setuju"}
APPEAL = {"butir_keberatan": ["rating_hasil_kerja"],
          "alasan": "Keterlambatan disebabkan gangguan sistem yang sudah dilaporkan."}
FEB = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)


def at(wf: Workflow, moment: datetime) -> Workflow:
    """Return the workflow with its clock fixed."""
    return replace(wf, clock=lambda: moment)


def ids(box: Inbox, section: str) -> set[int]:
    """Return the evaluation ids listed in one section (current page)."""
    return {row.evaluation_id for row in box.sections[section].rows}


def test_employee_sees_own_evaluation_with_action_flag(session: Session, world: World) -> None:
    """My own evaluation is listed under "mine", flagged while a step of mine is possible."""
    mine = world.evaluations["pegawai"]
    box = inbox(session, world.actor("pegawai"), now=FEB)
    assert ids(box, "mine") == {mine.id}
    assert box.sections["mine"].rows[0].actionable is True
    assert box.sections["mine"].rows[0].state_label == "Draf"
    assert box.sections["to_rate"].total == 0
    assert ids(box, "visible") == {mine.id}


def test_appraiser_sees_submitted_work_only(session: Session, wf: Workflow,
                                            world: World) -> None:
    """The appraiser's "to rate" section lists submitted evaluations, not drafts."""
    ev = world.evaluations["pegawai"]
    box = inbox(session, world.actor("penilai"), now=FEB)
    assert box.sections["to_rate"].total == 0
    assert {world.evaluations["pegawai"].id, world.evaluations["pegawai2"].id} <= ids(box,
                                                                                      "visible")
    apply_transition(session, at(wf, FEB), world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    box = inbox(session, world.actor("penilai"), now=FEB)
    assert ids(box, "to_rate") == {ev.id}
    assert inbox(session, world.actor("pegawai"), now=FEB).sections["mine"].rows[0].actionable \
        is False
    # The appraiser's own superior has nothing to rate from this evaluation.
    assert inbox(session, world.actor("atasan"), now=FEB).sections["to_rate"].total == 0


def test_group_role_sees_team_review_but_not_own(session: Session, wf: Workflow,
                                                  world: World) -> None:
    """The Tim Penilai Kinerja sees evaluations in team review, except a member's own."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, FEB), world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, FEB), world.actor("penilai"), ev.id, "send_to_team",
                     data=RATING_LOW)
    own = world.evaluations["tim"]  # the team member's own evaluation, appraised by kepala
    apply_transition(session, at(wf, FEB), world.actor("tim"), own.id, "submit", data=SELF)
    apply_transition(session, at(wf, FEB), world.actor("kepala"), own.id, "send_to_team",
                     data=RATING_LOW)
    session.commit()
    box = inbox(session, world.actor("tim"), now=FEB)
    assert ids(box, "team") == {ev.id}
    assert box.sections["to_rate"].total == 0
    # A group role sees every evaluation of its flow (it may open any of them).
    assert box.sections["visible"].total == len(world.evaluations)
    assert inbox(session, world.actor("pegawai2"), now=FEB).sections["team"].total == 0


def test_appeal_reaches_the_decider_and_the_window_closes(session: Session, wf: Workflow,
                                                          world: World) -> None:
    """An appeal waits for the appraiser's superior; a closed window is marked overdue."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, FEB), world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, FEB), world.actor("penilai"), ev.id, "send_to_team",
                     data=RATING_LOW)
    apply_transition(session, at(wf, FEB), world.actor("tim"), ev.id, "team_review",
                     data=TEAM_OK)
    session.commit()
    inside = datetime(2026, 2, 20, tzinfo=UTC)
    row = inbox(session, world.actor("pegawai"), now=inside).sections["mine"].rows[0]
    assert row.actionable and row.deadline_name == "appeal_window" and not row.overdue
    assert inbox(session, world.actor("penilai"), now=inside).sections["to_rate"].total == 0

    after = datetime(2026, 3, 30, tzinfo=UTC)
    row = inbox(session, world.actor("pegawai"), now=after).sections["mine"].rows[0]
    assert row.overdue is True  # the appeal window has passed (accepting is still possible)
    # Once the window closed, finalizing waits for the appraiser.
    assert ids(inbox(session, world.actor("penilai"), now=after), "to_rate") == {ev.id}

    apply_transition(session, at(wf, inside), world.actor("pegawai"), ev.id, "appeal",
                     data=APPEAL)
    session.commit()
    assert ids(inbox(session, world.actor("atasan"), now=inside), "appeals") == {ev.id}
    assert inbox(session, world.actor("penilai"), now=inside).sections["appeals"].total == 0


def test_search_by_name_nip_and_unit(session: Session, world: World) -> None:
    """``query`` matches name, NIP and unit kerja, case-insensitively; wildcards are literal."""
    auditor = world.actor("auditor")
    assert ids(inbox(session, auditor, now=FEB, query="pegawai dua"), "visible") == {
        world.evaluations["pegawai2"].id}
    nip = world.people["pegawai"].nip
    assert ids(inbox(session, auditor, now=FEB, query=nip), "visible") == {
        world.evaluations["pegawai"].id}
    assert ids(inbox(session, auditor, now=FEB, query="bkpsdm"), "visible") == {
        world.evaluations["tim"].id}
    assert inbox(session, auditor, now=FEB, query="%").sections["visible"].total == 0


def test_pagination(session: Session, world: World) -> None:
    """Sections are paginated; a page past the end shows the last page."""
    auditor = world.actor("auditor")
    total = len(world.evaluations)
    first = inbox(session, auditor, now=FEB, per_page=4).sections["visible"]
    assert (first.total, first.pages, len(first.rows)) == (total, 2, 4)
    second = inbox(session, auditor, now=FEB, per_page=4, pages={"visible": 2}).sections[
        "visible"]
    assert len(second.rows) == total - 4
    assert not ids_of(first) & ids_of(second)
    clamped = inbox(session, auditor, now=FEB, per_page=4, pages={"visible": 99}).sections[
        "visible"]
    assert clamped.page == 2


def ids_of(section: object) -> set[int]:
    """Return the ids of a section's rows."""
    return {row.evaluation_id for row in section.rows}


def test_agency_isolation(session: Session, wf: Workflow, world: World) -> None:
    """Nobody ever sees another agency's evaluations, in the inbox or by id."""
    other = build_world(session, wf, "kota-mataram", offset=20)
    theirs = {e.id for e in other.evaluations.values()}
    for who in ("auditor", "kepala", "tim", "penilai"):
        box = inbox(session, world.actor(who), now=FEB, per_page=100)
        for section in box.sections.values():
            assert not ids_of(section) & theirs
    with pytest.raises(NotFound):
        open_evaluation(session, wf, world.actor("auditor"), other.evaluations["pegawai"].id)


def test_unrelated_employee_cannot_open(session: Session, wf: Workflow, world: World) -> None:
    """A colleague with no role on an evaluation gets NotFound, an auditor can read it."""
    ev = world.evaluations["pegawai"]
    with pytest.raises(NotFound):
        open_evaluation(session, wf, world.actor("pegawai2"), ev.id)
    page = open_evaluation(session, wf, world.actor("auditor"), ev.id)
    assert not page.available.transitions and page.events[0].trigger == "open"


def test_query_count_does_not_grow_with_rows(session: Session, world: World) -> None:
    """The inbox runs a fixed number of statements however many rows a page shows."""
    statements: list[str] = []

    def count(*_args: object) -> None:
        statements.append("x")

    inbox(session, world.actor("auditor"), now=FEB)  # warm the definition cache
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        inbox(session, world.actor("auditor"), now=FEB, per_page=1)
        small = len(statements)
        statements.clear()
        inbox(session, world.actor("auditor"), now=FEB, per_page=100)
        large = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small == large


def test_a_large_span_lists_the_same_sections(session: Session, wf: Workflow, world: World,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A person with a large span (``LARGE_SPAN`` participant rows: a Sekda reviewing every
    kepala bidang) is served by another query plan; it lists exactly what the small-span one
    does, in every section, for every person of the world."""
    from workflow import inbox as inbox_module

    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, FEB), world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, FEB), world.actor("penilai"), ev.id, "send_to_team",
                     data=RATING_LOW)
    apply_transition(session, at(wf, FEB), world.actor("tim"), ev.id, "team_review",
                     data=TEAM_OK)
    inside = datetime(2026, 2, 20, tzinfo=UTC)
    apply_transition(session, at(wf, inside), world.actor("pegawai"), ev.id, "appeal",
                     data=APPEAL)
    apply_transition(session, at(wf, FEB), world.actor("pegawai2"),
                     world.evaluations["pegawai2"].id, "submit", data=SELF)
    session.commit()

    def listed(who: str) -> dict[str, tuple[int, list[int]]]:
        box = inbox(session, world.actor(who), now=inside)
        return {k: (s.total, [r.evaluation_id for r in s.rows]) for k, s in box.sections.items()}

    small = {who: listed(who) for who in world.people}
    monkeypatch.setattr(inbox_module, "LARGE_SPAN", 1)  # everyone's span is large now
    large = {who: listed(who) for who in world.people}
    assert large == small
    assert small["atasan"]["appeals"] == (1, [ev.id])
    assert small["penilai"]["to_rate"] == (1, [world.evaluations["pegawai2"].id])


def test_a_returned_evaluation_shows_why_until_it_moves_on(session: Session, wf: Workflow,
                                                           world: World) -> None:
    """The inbox row of an evaluation sent back carries the return's comment while it waits
    where the return left it, and not once it moved on."""
    ev = world.evaluations["pegawai"]
    apply_transition(session, at(wf, FEB), world.actor("pegawai"), ev.id, "submit", data=SELF)
    apply_transition(session, at(wf, FEB), world.actor("penilai"), ev.id, "return_for_revision",
                     comment="Bukti dukung belum dilampirkan.")
    session.commit()
    row = inbox(session, world.actor("pegawai"), now=FEB).sections["mine"].rows[0]
    assert row.return_reason == "Bukti dukung belum dilampirkan."
    other = inbox(session, world.actor("pegawai2"), now=FEB).sections["mine"].rows[0]
    assert other.return_reason is None  # never returned

    apply_transition(session, at(wf, FEB), world.actor("pegawai"), ev.id, "submit", data=SELF)
    session.commit()
    row = inbox(session, world.actor("pegawai"), now=FEB).sections["mine"].rows[0]
    assert row.return_reason is None


def test_pagination_of_a_persons_own_rows(session: Session, world: World) -> None:
    """A section gathered from the person's participant rows (counted with its page in one
    read) pages like the others: totals, distinct pages, a page past the end is the last."""
    appraiser = world.actor("penilai")
    whole = inbox(session, appraiser, now=FEB).sections["visible"]
    assert whole.total >= 2 and len(whole.rows) == whole.total
    pages = [inbox(session, appraiser, now=FEB, per_page=1, pages={"visible": n}).sections[
        "visible"] for n in range(1, whole.total + 1)]
    assert [p.total for p in pages] == [whole.total] * whole.total
    assert [p.pages for p in pages] == [whole.total] * whole.total
    assert [r.evaluation_id for p in pages for r in p.rows] == [r.evaluation_id
                                                                 for r in whole.rows]
    past = inbox(session, appraiser, now=FEB, per_page=1, pages={"visible": 99}).sections[
        "visible"]
    assert (past.page, [r.evaluation_id for r in past.rows]) == (
        whole.total, [whole.rows[-1].evaluation_id])
