"""An agency admin changes a form in the browser; the next evaluation gets it, older ones don't."""

from __future__ import annotations

from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import login_as_someone_else
from tests.browser.conftest import shot

LABEL = "Inovasi yang dilakukan"


def _kupang(server: LiveServer) -> tuple[str, str, int]:
    """Return the Kupang admin's NIP, and a staff member's NIP and draft evaluation id."""
    with server.db.connect() as conn:
        admin = conn.execute(text(
            "SELECT e.nip FROM employee e JOIN group_member m ON m.employee_id = e.id "
            "JOIN agency_group g ON g.id = m.group_id JOIN agency a ON a.id = e.agency_id "
            "WHERE g.slug = 'admin' AND a.slug = 'kota-kupang'")).scalar_one()
        nip, evaluation_id = conn.execute(text(
            "SELECT e.nip, v.id FROM evaluation v JOIN employee e ON e.id = v.employee_id "
            "JOIN agency a ON a.id = v.agency_id WHERE a.slug = 'kota-kupang' "
            "AND v.status = 'draft' ORDER BY v.id LIMIT 1")).one()
    return admin, nip, evaluation_id


def test_admin_adds_field_and_only_new_evaluations_get_it(page: Page,
                                                          live_server: LiveServer) -> None:
    """Add a field to the self-assessment, publish, open a period: new form there, old kept."""
    admin, staff, old_id = _kupang(live_server)
    login(page, live_server, admin)
    page.goto(f"{live_server.url}/admin/formulir/")
    shot(page, "admin-forms")
    page.click("[data-testid=start-self-assessment]")
    expect(page.locator("h1")).to_contain_text("Draf formulir")
    page.fill("#field-editor input[name=name]", "inovasi")
    page.select_option("#field-editor select[name=type]", "textarea")
    page.fill("#field-editor input[name=label]", LABEL)
    page.fill("#field-editor input[name=label_en]", "Innovation")
    page.click("#field-editor button[type=submit]")
    expect(page.locator("#fields")).to_contain_text(LABEL)
    shot(page, "admin-form-draft")
    page.click("#publish")
    expect(page.locator(".alert")).to_contain_text("diterbitkan")

    page.goto(f"{live_server.url}/admin/period/new/")
    page.select_option("#kind", "quarterly", force=True)
    page.fill("#year", "2026")
    page.fill("#number", "4")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/period/")
    page.get_by_role("link", name="Buka periode…").first.click()
    expect(page.locator("#would-create")).to_contain_text(staff)
    shot(page, "admin-open-period-dry-run")
    page.click("#confirm-open")
    expect(page.locator(".alert")).to_contain_text("evaluasi dibuat")

    with live_server.db.connect() as conn:
        new_id = conn.execute(text(
            "SELECT v.id FROM evaluation v JOIN employee e ON e.id = v.employee_id "
            "JOIN period p ON p.id = v.period_id WHERE e.nip = :nip AND p.kind = 'quarterly'"),
            {"nip": staff}).scalar_one()
    login_as_someone_else(page, live_server, staff)
    page.goto(f"{live_server.url}/evaluasi/{new_id}")
    expect(page.locator("main")).to_contain_text(LABEL)
    shot(page, "employee-new-form-with-field")
    page.goto(f"{live_server.url}/evaluasi/{old_id}")
    expect(page.locator("main")).to_contain_text("Kendala")
    expect(page.locator("main")).not_to_contain_text(LABEL)
