"""The pages employees, appraisers and auditors use pass axe-core without serious problems.

axe-core (through axe-playwright-python) checks each page as the browser shows it: contrast,
labels, landmarks, names of controls, language. Serious and critical findings fail the test
with the rule and an example element. The admin pages get the same check, on a desktop and a
phone, in ``test_admin_setup.py``.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page
from sqlalchemy import text

from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import submitted_with_appraiser

AXE = Axe()
SERIOUS = {"serious", "critical"}


def problems(page: Page) -> list[str]:
    """Return the serious and critical axe findings of the page as shown now."""
    found = AXE.run(page).response["violations"]
    return [f"{page.url} [{v['impact']}] {v['id']}: {v['help']} — e.g. "
            f"{v['nodes'][0]['html'][:160]}" for v in found if v["impact"] in SERIOUS]


def _people(server: LiveServer) -> tuple[str, int, str]:
    with server.db.connect() as conn:
        employee, evaluation_id = conn.execute(text(
            "SELECT e.nip, v.id FROM evaluation v JOIN employee e ON e.id = v.employee_id "
            "JOIN agency a ON a.id = v.agency_id WHERE a.slug = 'kota-mataram' "
            "AND v.status = 'reviewed' ORDER BY v.id LIMIT 1")).one()
        auditor = conn.execute(text(
            "SELECT e.nip FROM employee e JOIN group_member m ON m.employee_id = e.id "
            "JOIN agency_group g ON g.id = m.group_id JOIN agency a ON a.id = e.agency_id "
            "WHERE g.slug = 'inspektorat' AND a.slug = 'kota-mataram' LIMIT 1")).scalar_one()
    return employee, evaluation_id, auditor


def test_public_and_employee_pages_on_a_phone(phone: Page, live_server: LiveServer) -> None:
    employee, evaluation_id, _ = _people(live_server)
    found: list[str] = []
    for path in ("/masuk", "/aktivasi"):
        phone.goto(f"{live_server.url}{path}")
        found += problems(phone)
    login(phone, live_server, employee)
    for path in ("/evaluasi/", f"/evaluasi/{evaluation_id}", "/akun/kata-sandi"):
        phone.goto(f"{live_server.url}{path}")
        found += problems(phone)
    assert not found, "\n".join(found)


def test_auditor_pages_on_a_desktop(page: Page, live_server: LiveServer) -> None:
    _, evaluation_id, auditor = _people(live_server)
    login(page, live_server, auditor)
    found: list[str] = []
    for path in ("/audit/", f"/audit/evaluasi/{evaluation_id}", "/dasbor/"):
        page.goto(f"{live_server.url}{path}")
        found += problems(page)
    assert not found, "\n".join(found)


def test_appraiser_rating_page(page: Page, live_server: LiveServer) -> None:
    nip, evaluation_id = submitted_with_appraiser(live_server, "kota-kupang")
    login(page, live_server, nip)
    page.goto(f"{live_server.url}/evaluasi/{evaluation_id}")
    assert page.locator("form").count() > 0  # the rating form is on the page being checked
    found = problems(page)
    assert not found, "\n".join(found)
