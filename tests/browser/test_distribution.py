"""The organisation's achievement in the browser: the admin records it, the dashboard uses it,
and the appraiser sees the unit's pattern while rating (on a phone)."""

from __future__ import annotations

from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import shot
from tests.browser.conftest import submitted_with_appraiser

DASAR = "Keputusan Wali Kota Mataram Nomor 800/31/BKPSDM/2026"


def _nip_in_group(server: LiveServer, agency: str, group: str) -> str:
    with server.db.connect() as conn:
        return str(conn.execute(text(
            "SELECT e.nip FROM employee e JOIN group_member m ON m.employee_id = e.id "
            "JOIN agency_group g ON g.id = m.group_id JOIN agency a ON a.id = e.agency_id "
            "WHERE g.slug = :group AND a.slug = :agency ORDER BY e.id LIMIT 1"),
            {"group": group, "agency": agency}).scalar_one())


def test_admin_records_capaian_and_dashboard_checks_against_it(
        page: Page, live_server: LiveServer) -> None:
    login(page, live_server, _nip_in_group(live_server, "kota-mataram", "admin"))
    page.goto(f"{live_server.url}/admin/period/")
    page.get_by_role("link", name="Catat…").first.click()
    page.check("input[value=ISTIMEWA]")
    page.fill("#dasar", DASAR)
    shot(page, "admin-capaian-form")
    page.click("#save-capaian")
    expect(page.locator(".alert")).to_contain_text("dicatat: Istimewa")
    expect(page.locator("table")).to_contain_text("Istimewa")

    page.goto(f"{live_server.url}/dasbor/")
    expect(page.locator("#capaian-help")).to_contain_text("Istimewa")
    expect(page.locator("#capaian-help")).to_contain_text(DASAR)
    expect(page.locator("main")).to_contain_text("predikat Sangat Baik paling banyak 70%")
    shot(page, "dashboard-recorded-capaian")


def test_appraiser_sees_the_pattern_while_rating(phone: Page, live_server: LiveServer) -> None:
    nip, evaluation_id = submitted_with_appraiser(live_server, "kota-kupang")
    login(phone, live_server, nip)
    phone.goto(f"{live_server.url}/evaluasi/{evaluation_id}")
    guide = phone.locator(".distribution-guide")
    expect(guide).to_contain_text("Pola distribusi predikat unit kerja")
    expect(guide).to_contain_text("Capaian organisasi periode ini: Baik")
    expect(guide).to_contain_text("Baik: paling banyak 70%")
    guide.scroll_into_view_if_needed()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the rating page scrolls sideways on a phone ({width}px)"
    shot(phone, "phone-appraiser-distribution-guide")
