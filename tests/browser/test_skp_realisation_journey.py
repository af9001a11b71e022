"""Realisation and evidence through the real page on a phone (Chromium against gunicorn on the
demo year): a staff member with a set SKP records two months of realisation and uploads two
evidence files; her appraiser opens one. Screenshots and the axe check on each view."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import shot
from tests.browser.test_accessibility import problems
from tests.browser.test_skp_feedback_journey import set_staff_skp
from tests.browser.test_skp_journey import as_user
from tests.browser.test_skp_journey import no_horizontal_scroll
from tests.web.test_evidence import PDF
from tests.web.test_evidence import PNG

pytestmark = pytest.mark.browser


def test_two_months_of_realisation_with_two_files_on_a_phone(
        live_server: LiveServer, page: Page, phone: Page, tmp_path: Path) -> None:
    appraiser, employee, skp_id, _rhk_id = set_staff_skp(live_server)
    pdf, png = tmp_path / "laporan-maret.pdf", tmp_path / "foto-kegiatan.png"
    pdf.write_bytes(PDF)
    png.write_bytes(PNG)
    found: list[str] = []
    login(phone, live_server, employee)
    phone.goto(f"{live_server.url}/skp/{skp_id}")
    phone.click("[data-realisasi]")
    for month, value, upload in (("2026-03", "3", pdf), ("2026-04", "5", png)):
        phone.select_option("#masa", month)
        phone.click("form[method=get] button[type=submit]")
        indicator = phone.locator("[data-indicator]").first
        indicator.locator("input[name^='nilai-']").fill(value)
        indicator.locator("textarea[name^='teks-']").fill(f"Realisasi {month}")
        phone.locator("textarea[name^='aksi-']").first.fill("Rapat koordinasi mingguan")
        phone.click("#form-realisasi button[type=submit]")
        expect(phone.locator(".alert-success")).to_contain_text("Realisasi tersimpan")
        phone.set_input_files("#file", str(upload))
        phone.click("#form-bukti button[type=submit]")
        expect(phone.locator(".alert-success")).to_contain_text("Bukti dukung tersimpan")
        expect(phone.locator("[data-evidence]").first).to_contain_text(upload.name)
        assert no_horizontal_scroll(phone)
        found += problems(phone)
    shot(phone, "skp-realisasi-phone")

    as_user(page, live_server, appraiser)
    page.goto(f"{live_server.url}/skp/{skp_id}/realisasi?masa=2026-03")
    expect(page.locator("#form-realisasi")).to_have_count(0)
    link = page.locator("[data-evidence] a").first
    expect(link).to_contain_text("laporan-maret.pdf")
    answer = page.request.get(f"{live_server.url}{link.get_attribute('href')}")
    assert answer.status == 200 and answer.body() == PDF
    found += problems(page)
    shot(page, "skp-realisasi-appraiser")
    assert not found, found
