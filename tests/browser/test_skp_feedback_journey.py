"""Continuous feedback and dialog kinerja through the real pages (Chromium against gunicorn on
the demo year): the appraiser comments on an RHK and on a BerAKHLAK value of a set SKP on a
desktop; the employee sees both on a phone, replies and records a dialog; the appraiser reads
the reply. Screenshots and the axe check on each view."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import shot
from tests.browser.test_accessibility import problems
from tests.browser.test_skp_journey import as_user
from tests.browser.test_skp_journey import no_horizontal_scroll

pytestmark = pytest.mark.browser


def set_staff_skp(server: LiveServer) -> tuple[str, str, int, int]:
    """Return (appraiser NIP, employee NIP, SKP id, first RHK id) of a set staff SKP in Kota
    Mataram (someone nobody reports to)."""
    with server.db.connect() as conn:
        row = conn.execute(text(
            "SELECT a.nip, e.nip, s.id, (SELECT min(r.id) FROM skp_rhk r WHERE r.skp_id = s.id) "
            "FROM skp s JOIN employee e ON e.id = s.employee_id "
            "JOIN employee a ON a.id = s.appraiser_id JOIN agency g ON g.id = s.agency_id "
            "WHERE g.slug = 'kota-mataram' AND s.status = 'ditetapkan' AND NOT EXISTS "
            "(SELECT 1 FROM employee x WHERE x.superior_id = e.id) "
            "ORDER BY s.id DESC LIMIT 1")).one()
    return row[0], row[1], row[2], row[3]


def test_feedback_reply_and_dialog(live_server: LiveServer, page: Page, phone: Page) -> None:
    """Appraiser comments (RHK, value) → employee replies and records a dialog on a phone →
    the appraiser sees the reply and the dialog."""
    appraiser, employee, skp_id, rhk_id = set_staff_skp(live_server)
    found: list[str] = []

    as_user(page, live_server, appraiser)
    page.goto(f"{live_server.url}/skp/{skp_id}#umpan-balik")
    page.click(f"[data-open-comment='rhk-{rhk_id}']")
    form = page.locator(f"[data-comment-form='rhk-{rhk_id}']")
    form.locator("textarea[name='text']").fill("Progres Maret baik; lengkapi bukti dukung.")
    form.locator("button[data-action='comment']").click()
    expect(page.locator(".alert-success")).to_contain_text("Umpan balik terkirim")
    page.click("[data-open-comment='val-kolaboratif']")
    value = page.locator("[data-comment-form='val-kolaboratif']")
    value.locator("textarea[name='text']").fill("Libatkan rekan seksi lain saat verifikasi.")
    value.locator("button[data-action='comment']").click()
    expect(page.locator("[data-feedback-value='kolaboratif'] [data-feedback-text]")
           ).to_have_text("Libatkan rekan seksi lain saat verifikasi.")
    found += problems(page)
    shot(page, "skp-feedback-appraiser")

    login(phone, live_server, employee)
    phone.goto(f"{live_server.url}/skp/{skp_id}")
    thread = phone.locator(f"[data-feedback-rhk='{rhk_id}'] [data-thread]").first
    expect(thread.locator("[data-feedback-text]")).to_have_text(
        "Progres Maret baik; lengkapi bukti dukung.")
    expect(phone.locator("[data-comment-form]")).to_have_count(0)
    thread.locator("textarea[name='text']").fill("Siap, bukti dukung saya unggah minggu ini.")
    thread.locator("button[data-action='reply']").click()
    expect(phone.locator(".alert-success")).to_contain_text("Balasan terkirim")
    phone.fill("#dialog-tanggal", "2026-04-02")
    phone.fill("#dialog-topik", "Capaian triwulan I dan bukti dukung")
    phone.fill("#dialog-tindak", "Bukti dukung diunggah paling lambat 10 April.")
    phone.click("button[data-action='dialog']")
    expect(phone.locator("[data-dialog]").first).to_contain_text("10 April")
    assert no_horizontal_scroll(phone)
    found += problems(phone)
    shot(phone, "skp-feedback-phone")

    page.goto(f"{live_server.url}/skp/{skp_id}")
    expect(page.locator(f"[data-feedback-rhk='{rhk_id}'] [data-reply]").first).to_contain_text(
        "Siap, bukti dukung saya unggah minggu ini.")
    expect(page.locator("[data-dialog]").first).to_contain_text("Capaian triwulan I")
    assert not found, "\n".join(found)
