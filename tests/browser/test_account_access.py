"""Giving an employee access: the admin prints a code, the employee activates on her phone."""

from __future__ import annotations

from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.conftest import PASSWORD
from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import shot

NEW_PASSWORD = "sandi-baru-ponsel-7"


def test_admin_prints_a_code_and_the_employee_activates_on_her_phone(
        page: Page, phone: Page, live_server: LiveServer) -> None:
    with live_server.db.connect() as conn:
        # Someone no other browser test logs in as: the newest plain employee of Kupang.
        admin_nip, nip, name, unit = conn.execute(text(
            "SELECT (SELECT e2.nip FROM employee e2 JOIN group_member m ON m.employee_id = e2.id"
            " JOIN agency_group g ON g.id = m.group_id WHERE g.slug = 'admin'"
            " AND e2.agency_id = a.id ORDER BY e2.id LIMIT 1), e.nip, e.name, e.unit_kerja "
            "FROM employee e JOIN agency a ON a.id = e.agency_id WHERE a.slug = 'kota-kupang' "
            "AND NOT EXISTS (SELECT 1 FROM group_member m WHERE m.employee_id = e.id) "
            "AND NOT EXISTS (SELECT 1 FROM employee s WHERE s.superior_id = e.id) "
            "ORDER BY e.id DESC LIMIT 1")).one()
    try:
        login(page, live_server, admin_nip)
        page.goto(f"{live_server.url}/admin/akses-akun/")
        page.fill("#q", nip)
        page.click("button:has-text('Saring')")
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator("tbody")).to_contain_text("Dapat masuk")
        page.check("input[name=employee]")
        shot(page, "admin-account-access")
        page.click("#issue-codes")
        slip = page.locator(".slip")
        expect(slip).to_have_count(1)
        expect(slip).to_contain_text(name)
        expect(slip).to_contain_text(unit)
        expect(slip).to_contain_text(f"{live_server.url}/aktivasi")
        code = page.locator(f".code[data-nip='{nip}']").inner_text().strip()
        shot(page, "admin-activation-slip")

        phone.goto(f"{live_server.url}/masuk")
        phone.get_by_role("link", name="Aktifkan akun dengan kode dari admin").click()
        phone.fill("input[name=nip]", nip)
        phone.fill("input[name=code]", code.lower())
        phone.fill("input[name=password]", NEW_PASSWORD)
        phone.fill("input[name=password_again]", NEW_PASSWORD)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the activation page scrolls sideways on a phone ({width}px)"
        shot(phone, "phone-account-activation")
        phone.click("button[type=submit]")
        expect(phone.locator(".alert")).to_contain_text("Akun aktif")
        login(phone, live_server, nip, NEW_PASSWORD)
        expect(phone.locator("nav")).to_contain_text(name)

        # The code is used up; the admin's list says she can log in.
        page.goto(f"{live_server.url}/admin/akses-akun/?q={nip}")
        expect(page.locator("tbody")).to_contain_text("Dapat masuk")
        expect(page.locator("tbody")).not_to_contain_text("s.d.")
    finally:
        result = live_server.flask("users", "set-password", nip, "--password", PASSWORD)
        assert result.returncode == 0, result.stderr
