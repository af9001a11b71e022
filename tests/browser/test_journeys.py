"""Journeys through the real pages, as people would click them (Chromium against gunicorn).

One Kota Mataram evaluation travels the national flow: the employee fills and submits, the
appraiser returns it once with a comment, the employee resubmits, the appraiser rates it below
expectations with a justification, the employee appeals on a phone, and the appraiser's
superior revises the rating. A second evaluation shows a late appeal being refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import login_as_someone_else
from tests.browser.conftest import shot

pytestmark = pytest.mark.browser


@dataclass
class Cast:
    """One demo evaluation and the NIPs of the people on it."""

    evaluation_id: int
    employee: str
    appraiser: str
    reviewer: str


def pick(server: LiveServer, status: str, without: str = "") -> Cast:
    """Return the newest Kota Mataram evaluation in ``status`` with a full reporting line
    (and, given ``without``, in which that NIP plays no role). A draft is one whose employee
    has no SKP yet (the demo's bidang where planning is under way), so its self-assessment
    rows are typed in full (an SKP's rows come from the SKP: tests/browser/test_skp_journey.py).
    """
    with server.db.connect() as conn:
        rows = conn.execute(text(
            "SELECT e.id, p.role, p.identity FROM evaluation e "
            "JOIN agency a ON a.id = e.agency_id "
            "JOIN evaluation_participant p ON p.evaluation_id = e.id "
            "WHERE a.slug = 'kota-mataram' AND e.status = :status AND (e.status != 'draft' "
            "OR NOT EXISTS (SELECT 1 FROM skp s WHERE s.employee_id = e.employee_id)) "
            "ORDER BY e.id DESC"),
            {"status": status}).all()
    people: dict[int, dict[str, str]] = {}
    for evaluation_id, role, identity in rows:
        data = json.loads(identity) if isinstance(identity, str) else identity
        people.setdefault(evaluation_id, {})[role] = data["nip"]
    for evaluation_id, roles in people.items():
        if {"employee", "appraiser", "appeal_reviewer"} <= set(roles) and (
                without not in roles.values()):
            return Cast(evaluation_id, roles["employee"], roles["appraiser"],
                        roles["appeal_reviewer"])
    raise AssertionError(f"no demo evaluation in state {status}")


def as_user(page: Page, server: LiveServer, nip: str) -> None:
    """Log in as someone else (a fresh session)."""
    login_as_someone_else(page, server, nip)
    expect(page.locator("h1")).to_have_text("Kotak masuk")


def no_horizontal_scroll(page: Page) -> bool:
    """Tell whether the page fits the viewport's width."""
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_rating_appeal_and_revision(live_server: LiveServer, page: Page, phone: Page) -> None:
    """Submit, return, resubmit, rate low, appeal on a phone, revise: all through the pages."""
    cast = pick(live_server, "draft")
    url = f"{live_server.url}/evaluasi/{cast.evaluation_id}"

    # The employee fills the self-assessment and submits it.
    as_user(page, live_server, cast.employee)
    shot(page, "inbox-employee")
    page.click(f"a[data-evaluation='{cast.evaluation_id}']")
    expect(page.locator("[data-state]")).to_have_text("Draf")
    page.fill("[name='hasil_kerja-0-rencana_hasil_kerja']", "Layanan administrasi sekolah")
    page.fill("[name='hasil_kerja-0-indikator']", "Persentase layanan selesai sesuai SOP")
    page.fill("[name='hasil_kerja-0-target']", "95%")
    page.fill("[name='hasil_kerja-0-realisasi']", "97%")
    page.click("[data-add-row='hasil_kerja']")  # JavaScript adds a third row
    expect(page.locator("[data-rows='hasil_kerja'] [data-row]")).to_have_count(3)
    page.fill("[name='hasil_kerja-2-rencana_hasil_kerja']", "Laporan bulanan unit")
    page.fill("[name='hasil_kerja-2-indikator']", "Laporan tepat waktu")
    page.fill("[name='hasil_kerja-2-target']", "1 laporan")
    page.fill("[name='hasil_kerja-2-realisasi']", "1 laporan")
    page.fill("[name='kendala']", "Jaringan internet sering terputus.")
    shot(page, "evaluation-employee-draft")
    page.click("button[data-trigger='submit']")
    expect(page.locator(".alert-success")).to_contain_text("Berhasil")
    expect(page.locator("[data-state]")).to_have_text("Diajukan")

    # The appraiser finds it in the inbox and returns it with a comment.
    as_user(page, live_server, cast.appraiser)
    expect(page.locator("#bagian-to_rate")).to_contain_text("Perlu saya nilai")
    shot(page, "inbox-appraiser")
    page.click(f"#bagian-to_rate a[data-evaluation='{cast.evaluation_id}']")
    expect(page.locator("[data-shown-form='self-assessment']")).to_contain_text(
        "Laporan bulanan unit")
    page.fill("#comment-langkah-return_for_revision", "Bukti dukung belum dilampirkan.")
    page.click("button[data-trigger='return_for_revision']")
    expect(page.locator("[data-state]")).to_have_text("Draf")

    # The employee reads why, adds the evidence and resubmits (answers were kept).
    as_user(page, live_server, cast.employee)
    page.goto(url)
    expect(page.locator(".timeline")).to_contain_text("Bukti dukung belum dilampirkan.")
    expect(page.locator("[name='hasil_kerja-0-target']")).to_have_value("95%")
    page.fill("[name='hasil_kerja-0-bukti_dukung']", "https://arsip.example.go.id/bukti")
    page.fill("#comment-self-assessment", "Bukti dukung sudah dilampirkan.")
    page.click("button[data-trigger='submit']")
    expect(page.locator("[data-state]")).to_have_text("Diajukan")

    # The appraiser rates below expectations; the justification is demanded, then given.
    as_user(page, live_server, cast.appraiser)
    page.goto(url)
    page.check("input[name='rating_hasil_kerja'][value='di_bawah']")
    page.check("input[name='rating_perilaku_kerja'][value='sesuai']")
    page.fill("[name='umpan_balik']", "Target utama tercapai sebagian.")
    page.fill("[name='catatan_pribadi']", "CATATAN-PRIBADI-UJI")
    page.click("button[data-trigger='review']")
    expect(page.locator("[name='justifikasi'] ~ .invalid-feedback")).to_contain_text(
        "Wajib diisi")
    page.fill("[name='justifikasi']", "Dua laporan terlambat lebih dari dua minggu.")
    shot(page, "evaluation-appraiser-rating")
    page.click("button[data-trigger='review']")
    expect(page.locator("[data-predikat]")).to_have_text("Butuh Perbaikan")

    # The employee appeals from a phone: sees the rating, why, and the days left.
    login(phone, live_server, cast.employee)
    phone.goto(url)
    expect(phone.locator("[data-predikat]")).to_have_text("Butuh Perbaikan")
    expect(phone.locator("[data-justifikasi]")).to_contain_text("Dua laporan terlambat")
    expect(phone.locator("[data-window='open']")).to_contain_text("sisa 14 hari")
    # The end in words, in the agency's own time (both demo agencies are WITA).
    expect(phone.locator("[data-window-ends]")).to_contain_text(re.compile(
        r"berakhir \w+, \d{1,2} \w+ \d{4} pukul 23\.59 WITA"))
    expect(phone.locator("body")).not_to_contain_text("CATATAN-PRIBADI-UJI")
    phone.check("input[name='butir_keberatan'][value='rating_hasil_kerja']")
    phone.fill("[name='alasan']", "Keterlambatan karena gangguan sistem yang sudah dilaporkan.")
    assert no_horizontal_scroll(phone)
    shot(phone, "appeal-phone")
    phone.click("button[data-trigger='appeal']")
    expect(phone.locator("[data-state]")).to_have_text("Keberatan diajukan")
    assert no_horizontal_scroll(phone)

    # The appraiser's superior sees both sides and revises the rating.
    as_user(page, live_server, cast.reviewer)
    expect(page.locator("#bagian-appeals")).to_contain_text("Keberatan yang harus saya putuskan")
    page.click(f"#bagian-appeals a[data-evaluation='{cast.evaluation_id}']")
    expect(page.locator("[data-shown-form='appeal']")).to_contain_text("gangguan sistem")
    expect(page.locator("[data-justifikasi]")).to_contain_text("Dua laporan terlambat")
    expect(page.locator("input[name='rating_hasil_kerja_baru']").first).to_be_hidden()
    page.select_option("[name='keputusan']", "diubah")
    page.check("input[name='rating_hasil_kerja_baru'][value='sesuai']")
    page.check("input[name='rating_perilaku_kerja_baru'][value='sesuai']")
    page.fill("[name='pertimbangan']", "Bukti tiket gangguan sistem sah.")
    shot(page, "appeal-decision")
    page.check("#konfirmasi-decide_appeal")  # deciding closes the evaluation: confirm first
    page.click("button[data-trigger='decide_appeal']")
    expect(page.locator("[data-state]")).to_have_text("Final")
    expect(page.locator("[data-original='predikat']")).to_have_text("Butuh Perbaikan")
    expect(page.locator("[data-predikat]")).to_have_text("Baik")
    shot(page, "evaluation-decided")


def test_late_appeal_is_refused(live_server: LiveServer, page: Page) -> None:
    """After the window the appeal button is gone, and a forged post is refused with 409."""
    cast = pick(live_server, "reviewed")
    with live_server.db.begin() as conn:  # test setup: the window closed on 1 November
        conn.execute(text("UPDATE evaluation SET deadlines = :d WHERE id = :id"), {
            "d": json.dumps({"appeal_window": "2026-11-01T02:00:00+00:00"}),
            "id": cast.evaluation_id})
    as_user(page, live_server, cast.employee)
    page.goto(f"{live_server.url}/evaluasi/{cast.evaluation_id}")
    expect(page.locator("[data-window='closed']")).to_contain_text("telah berakhir")
    expect(page.locator("button[data-trigger='appeal']")).to_have_count(0)
    expect(page.locator("button[data-trigger='accept']")).to_have_count(1)
    shot(page, "appeal-window-closed")
    status, body = page.evaluate("""async (id) => {
        const data = new FormData();
        data.append('csrf_token', document.querySelector('[name=csrf_token]').value);
        data.append('butir_keberatan', 'rating_hasil_kerja');
        data.append('alasan', 'Keberatan yang diajukan setelah tenggat berakhir.');
        const r = await fetch(`/evaluasi/${id}/langkah/appeal`, {method: 'POST', body: data});
        return [r.status, await r.text()];
    }""", cast.evaluation_id)
    assert status == 409
    # The window was set to end 02:00 UTC = 10:00 WITA: the refusal says so in local time.
    assert "Batas waktu telah lewat (berakhir Minggu, 1 November 2026 pukul 10.00 WITA)" in body
    page.reload()
    expect(page.locator("[data-state]")).to_have_text("Dinilai")


def test_auditor_reads_only(live_server: LiveServer, page: Page) -> None:
    """An auditor searches the inbox and opens an evaluation read-only."""
    with live_server.db.connect() as conn:
        auditor = conn.execute(text(
            "SELECT e.nip FROM employee e JOIN group_member m ON m.employee_id = e.id "
            "JOIN agency_group g ON g.id = m.group_id JOIN agency a ON a.id = e.agency_id "
            "WHERE g.slug = 'inspektorat' AND a.slug = 'kota-mataram' ORDER BY e.id "
            "LIMIT 1")).scalar_one()
    # One the auditor has no part in (the Inspektur also rates his own auditors).
    cast = pick(live_server, "appealed", without=auditor)
    as_user(page, live_server, auditor)
    page.fill("input[name=q]", cast.employee)
    page.click("form[role=search] button")
    expect(page.locator(f"#bagian-visible a[data-evaluation='{cast.evaluation_id}']")
           ).to_have_count(1)
    page.click(f"#bagian-visible a[data-evaluation='{cast.evaluation_id}']")
    expect(page.locator("main")).to_contain_text("hanya baca")
    expect(page.locator("button[data-trigger]")).to_have_count(0)
    shot(page, "evaluation-auditor")
