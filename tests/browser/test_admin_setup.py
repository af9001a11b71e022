"""A new agency set up in the browser (issue 16 item 7, journey a), and the admin pages on a
desktop and a phone: axe-core without serious or critical findings, nothing wider than a
phone's screen, a way back to the app and a log-out."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page
from sqlalchemy import text

from tests.browser.conftest import PASSWORD
from tests.browser.conftest import LiveServer
from tests.browser.conftest import login
from tests.browser.conftest import login_as_someone_else
from tests.browser.conftest import shot
from tests.browser.test_accessibility import problems

SUPER_NIP = "196901012000011009"
ADMIN_NIP = "198703032012012003"
ADMIN_PAGES = ("/admin/", "/admin/employee/", "/admin/employee/new/", "/admin/impor-pegawai/",
               "/admin/group/", "/admin/akses-akun/", "/admin/sesi-token/", "/admin/formulir/",
               "/admin/period/", "/admin/period/new/", "/admin/hari-libur/",
               "/admin/hari-libur/new/", "/admin/capaian-organisasi/", "/admin/definition/",
               "/admin/definition/ubah/", "/admin/evaluation/", "/admin/history/",
               "/admin/ekspor/", "/admin/rekap/", "/admin/token-integrasi/",
               "/admin/pengalihan/", "/admin/tindak-lanjut/")


def _admin_of(server: LiveServer, agency: str) -> str:
    with server.db.connect() as conn:
        return str(conn.execute(text(
            "SELECT e.nip FROM employee e JOIN group_member m ON m.employee_id = e.id "
            "JOIN agency_group g ON g.id = m.group_id JOIN agency a ON a.id = e.agency_id "
            "WHERE g.slug = 'admin' AND a.slug = :agency ORDER BY e.id LIMIT 1"),
            {"agency": agency}).scalar_one())


def _pages(server: LiveServer) -> list[str]:
    """The admin pages, with the recap of a period that has results (the widest table)."""
    with server.db.connect() as conn:
        period_id = conn.execute(text(
            "SELECT v.period_id FROM evaluation v JOIN agency a ON a.id = v.agency_id "
            "WHERE a.slug = 'kota-mataram' AND v.predikat IS NOT NULL "
            "ORDER BY v.id LIMIT 1")).scalar_one()
    return [*ADMIN_PAGES, f"/admin/rekap/?period_id={period_id}"]


def _overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the screen (0: it fits)."""
    return int(page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_admin_pages_pass_axe_on_a_desktop(page: Page, live_server: LiveServer) -> None:
    login(page, live_server, _admin_of(live_server, "kota-mataram"))
    found: list[str] = []
    for path in _pages(live_server):
        page.goto(f"{live_server.url}{path}")
        found += problems(page)
    page.goto(f"{live_server.url}/admin/employee/")
    page.locator("a[title='Lihat data']").first.click()  # a details page
    found += problems(page)
    assert not found, "\n".join(found)


def test_admin_on_a_phone(phone: Page, live_server: LiveServer) -> None:
    """Every admin page fits a phone's width, the menu opens, and it leads back to the app
    and logs out."""
    login(phone, live_server, _admin_of(live_server, "kota-mataram"))
    found: list[str] = []
    wide: dict[str, int] = {}
    for path in _pages(live_server):
        phone.goto(f"{live_server.url}{path}")
        found += problems(phone)
        if extra := _overflow(phone):
            wide[path] = extra
    shot(phone, "admin-phone-employees")
    assert not found, "\n".join(found)
    assert wide == {}
    phone.goto(f"{live_server.url}/admin/")
    phone.click("button.navbar-toggler")
    phone.locator("#kembali-ke-aplikasi").wait_for(state="visible")
    phone.click("#kembali-ke-aplikasi")
    phone.wait_for_url("**/evaluasi/")
    phone.goto(f"{live_server.url}/admin/")
    phone.click("button.navbar-toggler")
    # The menu unfolds with an animation: click the log-out button once it has come to rest.
    phone.locator("#keluar").wait_for(state="visible")
    with phone.expect_navigation(url="**/masuk**"):
        phone.locator("#keluar").click()
    phone.goto(f"{live_server.url}/admin/")
    assert "/masuk" in phone.url  # logged out: the admin sends to log in


def _org_csv() -> str:
    """~30 people in a real hierarchy, separated by ';' as Excel writes with Indonesian settings."""
    rows = ["nip;nama;jabatan;pangkat;golongan;unit_kerja;jenis_asn;nip_atasan;grup"]
    sekda = "197001011995031001"
    rows.append(f"{sekda};Sekretaris Daerah;Sekretaris Daerah;Pembina Utama Madya;IV/d;"
                "Sekretariat Daerah;PNS;;ppk")
    n = 0
    for d in range(3):
        kadis = f"19750{d + 1}012000031{d:03d}"
        rows.append(f"{kadis};Kepala Dinas {d + 1};Kepala Dinas;Pembina Utama Muda;IV/c;"
                    f"Dinas {d + 1};PNS;{sekda};")
        for b in range(2):
            kabid = f"1980{d + 1:02d}{b + 11:02d}2005031{d}{b}0"
            rows.append(f"{kabid};Kepala Bidang {d + 1}.{b + 1};Kepala Bidang;Pembina;IV/a;"
                        f"Dinas {d + 1};PNS;{kadis};")
            for _staff in range(3 if (d, b) != (0, 0) else 5):
                n += 1
                staff = f"1990{(n % 12) + 1:02d}{(n % 27) + 1:02d}2015{n:06d}"[:18]
                kind, gol = ("PPPK", "IX") if n % 4 == 0 else ("PNS", "III/a")
                rows.append(f"{staff};Staf {n} Bidang {d + 1}.{b + 1};Analis;;{gol};"
                            f"Dinas {d + 1};{kind};{kabid};")
    return "\n".join(rows) + "\n"


OVERLAY = """extends: default
agency: kab-contoh
timezone: Asia/Jayapura
states: [draft, submitted, verified, reviewed, appealed, appeal_hearing, finalized]
labels:
  verified: {id: Bukti dukung diverifikasi, en: Evidence verified}
transitions:
  - name: verify
    label: Verifikasi bukti dukung
    label_en: Verify the evidence
    from: submitted
    to: verified
    by: appraiser
  - name: review
    label: Tetapkan penilaian
    label_en: Give the rating
    from: verified
    to: reviewed
    by: appraiser
    form: appraiser-rating
    guards: [form_complete, not_own_evaluation]
    effects: [record_rating, {start_deadline: appeal_window}]
"""


def test_journey_a_new_agency_from_the_browser(page: Page, live_server: LiveServer,
                                               tmp_path: Path) -> None:
    """A super-admin creates "Kabupaten Contoh"; its admin imports ~30 people from a ';' file,
    adds one step on top of the national flow, sets WIT and a local holiday, opens a period."""
    result = live_server.flask("users", "create-superadmin", SUPER_NIP, "--name",
                               "Pengelola Instalasi", "--password", PASSWORD)
    assert result.returncode == 0, result.stderr
    login(page, live_server, SUPER_NIP)
    page.goto(f"{live_server.url}/admin/instansi-baru/")
    found = problems(page)
    page.fill("#name", "Kabupaten Contoh")
    page.fill("#slug", "kab-contoh")
    page.fill("#city", "Contoh")
    page.fill("#admin_nip", ADMIN_NIP)
    page.fill("#admin_name", "Admin Kabupaten Contoh")
    page.fill("#admin_unit_kerja", "BKPSDM")
    page.click("#create-agency")
    code = page.locator("#admin-code").inner_text().strip()
    shot(page, "agency-created")
    found += problems(page)

    # The first admin activates her account and logs in.
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/aktivasi")
    page.fill("input[name=nip]", ADMIN_NIP)
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_again]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/masuk**")
    login_as_someone_else(page, live_server, ADMIN_NIP)
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#langkah-siap").is_visible()

    # 1. The org chart from a ';'-separated file.
    org = tmp_path / "pegawai.csv"
    org.write_text(_org_csv(), encoding="utf-8")
    page.goto(f"{live_server.url}/admin/impor-pegawai/")
    page.set_input_files("#org-file", str(org))
    page.click("#import-org")
    page.wait_for_load_state("networkidle")
    assert "/admin/employee/" in page.url, page.locator("main").inner_text()
    assert "Impor berhasil: 30 pegawai baru" in page.locator("main").inner_text()

    # 2. The flow: the editor starts from the national flow; one step and WIT on top.
    page.goto(f"{live_server.url}/admin/definition/ubah/")
    assert page.input_value("#flow-source").startswith("extends: default\nagency: kab-contoh")
    page.fill("#flow-source", OVERLAY)
    page.click("#publish-flow")
    page.wait_for_url("**/admin/definition/details/**")
    assert "Asia/Jayapura (WIT)" in page.locator("main").inner_text()

    # 3. One local holiday.
    page.goto(f"{live_server.url}/admin/hari-libur/new/")
    page.fill("#day", "2027-03-18")
    page.keyboard.press("Escape")
    page.fill("#name", "Hari jadi Kabupaten Contoh")
    page.click("h4")  # closes the date picker, which covers the buttons
    page.locator("input[type=submit]").first.click()
    assert "Hari jadi Kabupaten Contoh" in page.locator("main").inner_text()

    # 4. A period, opened after its dry run.
    page.goto(f"{live_server.url}/admin/period/new/")
    page.select_option("#kind", "annual", force=True)  # select2 hides the <select>
    page.fill("#year", "2027")
    page.click("input[type=submit]")
    page.click("text=Buka periode…")
    page.wait_for_url("**/admin/buka-periode/**")
    found += problems(page)
    page.click("#confirm-open")
    page.wait_for_url("**/admin/evaluation/**")
    shot(page, "agency-period-opened")
    assert not found, "\n".join(found)

    with live_server.db.connect() as conn:
        opened, zones, steps = conn.execute(text(
            "SELECT count(v.id), min(d.source), max(d.version) FROM evaluation v "
            "JOIN agency a ON a.id = v.agency_id "
            "JOIN definition_version d ON d.id = v.definition_version_id "
            "WHERE a.slug = 'kab-contoh'")).one()
        holidays = conn.execute(text(
            "SELECT count(*) FROM agency_day_off o JOIN agency a ON a.id = o.agency_id "
            "WHERE a.slug = 'kab-contoh'")).scalar_one()
    assert opened >= 25  # everyone with an appraiser (the Sekda and the admin have none)
    assert "Asia/Jayapura" in str(zones) and '"verify"' in str(zones) and steps == 2
    assert holidays == 1
