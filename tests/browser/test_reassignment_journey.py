"""Journey (b) of issue 16: an appraiser is deactivated with open evaluations, the admin
reassigns them in bulk, the new appraiser rates one, and the history shows both."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import login_as_someone_else
from tests.browser.conftest import shot
from tests.browser.test_accessibility import problems

pytestmark = pytest.mark.browser


def _cast(server: LiveServer) -> tuple[int, str, str, int, str]:
    """Return (appraiser id, name, the admin's NIP, a submitted evaluation she rates, the
    NIP of an active colleague with no role on any of her open evaluations)."""
    with server.db.connect() as conn:
        holder, name, evaluation_id = conn.execute(text(
            "SELECT e.id, e.name, v.id FROM evaluation v "
            "JOIN evaluation_participant p ON p.evaluation_id = v.id AND p.role = 'appraiser' "
            "JOIN employee e ON e.id = p.employee_id JOIN agency a ON a.id = v.agency_id "
            "WHERE a.slug = 'kota-mataram' AND v.status = 'submitted' AND e.active "
            "AND (SELECT count(*) FROM evaluation_participant q JOIN evaluation w "
            "     ON w.id = q.evaluation_id WHERE q.employee_id = e.id "
            "     AND q.role = 'appraiser' AND w.status != 'finalized') >= 2 "
            "ORDER BY v.id LIMIT 1")).one()
        admin = conn.execute(text(
            "SELECT e.nip FROM employee e JOIN group_member m ON m.employee_id = e.id "
            "JOIN agency_group g ON g.id = m.group_id JOIN agency a ON a.id = e.agency_id "
            "WHERE g.slug = 'admin' AND a.slug = 'kota-mataram' ORDER BY e.id LIMIT 1"
        )).scalar_one()
        colleague = conn.execute(text(
            "SELECT e.nip FROM employee e JOIN agency a ON a.id = e.agency_id "
            "WHERE a.slug = 'kota-mataram' AND e.active AND e.id != :holder "
            "AND e.password_hash IS NOT NULL AND e.id NOT IN ("
            "  SELECT q.employee_id FROM evaluation_participant q WHERE q.evaluation_id IN ("
            "    SELECT p.evaluation_id FROM evaluation_participant p "
            "    WHERE p.employee_id = :holder)) "
            "AND e.id NOT IN (SELECT m.employee_id FROM group_member m) "
            "ORDER BY e.id LIMIT 1"), {"holder": holder}).scalar_one()
    return int(holder), str(name), str(admin), int(evaluation_id), str(colleague)


def test_deactivated_appraiser_reassigned_in_bulk(live_server: LiveServer, page: Page) -> None:
    holder, name, admin, evaluation_id, colleague = _cast(live_server)
    login(page, live_server, admin)
    page.goto(f"{live_server.url}/admin/employee/edit/?id={holder}")
    page.uncheck("#active")
    page.locator("form input[type=submit]").first.click()
    offer = page.locator("#offer-reassignment")
    expect(offer).to_be_visible()
    expect(page.locator(".alert-warning")).to_contain_text(f"{name} masih memegang")
    offer.click()
    rows = page.locator("#holdings tbody tr")
    assert rows.count() >= 2
    expect(page.locator("#holdings")).to_contain_text("appraiser")
    assert problems(page) == []
    option = page.locator(f"#ke option:has-text('{colleague}')")
    page.select_option("#ke", value=option.get_attribute("value"))
    page.fill("#alasan", "Pindah tugas ke Dinas Kesehatan")
    shot(page, "admin-reassignment")
    page.click("#confirm-reassign")
    expect(page.locator(".alert-success")).to_contain_text("peran dialihkan")
    expect(page.locator("#no-holdings")).to_be_visible()

    # The new appraiser finds it in her inbox and rates it.
    login_as_someone_else(page, live_server, colleague)
    page.goto(f"{live_server.url}/evaluasi/{evaluation_id}")
    page.check("input[name='rating_hasil_kerja'][value='sesuai']")
    page.check("input[name='rating_perilaku_kerja'][value='sesuai']")
    page.fill("[name='umpan_balik']", "Target tercapai.")
    page.click("button[data-trigger='review']")
    expect(page.locator("[data-predikat]")).to_have_text("Baik")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("Pejabat Penilai Kinerja dialihkan")
    expect(timeline).to_contain_text("Pindah tugas ke Dinas Kesehatan")
    expect(timeline).to_contain_text("Tetapkan penilaian")
    expect(page.locator("[data-participant^='appraiser~']")).to_contain_text(name)
    shot(page, "evaluation-after-reassignment")


def test_bulk_actions_page_passes_axe_and_fits_a_phone(live_server: LiveServer, page: Page,
                                                       phone: Page) -> None:
    """The appraiser's bulk page (issue 16 item 8), with a step chosen, on both screens."""
    with live_server.db.connect() as conn:
        nip = conn.execute(text(
            "SELECT e.nip FROM evaluation v JOIN evaluation_participant p "
            "ON p.evaluation_id = v.id AND p.role = 'appraiser' JOIN employee e "
            "ON e.id = p.employee_id JOIN agency a ON a.id = v.agency_id "
            "WHERE a.slug = 'kota-mataram' AND v.status = 'submitted' AND e.active "
            "ORDER BY v.id LIMIT 1")).scalar_one()
    for screen in (page, phone):
        login(screen, live_server, str(nip))
        screen.goto(f"{live_server.url}/evaluasi-massal/?status=submitted")
        expect(screen.locator("#queue tbody tr").first).to_be_visible()
        assert problems(screen) == []
    assert page.locator("#bulk-fire").count() == 1
    page.goto(f"{live_server.url}/pengalihan/")  # her staff's open roles (a superior's page)
    assert problems(page) == []
    assert phone.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1")
