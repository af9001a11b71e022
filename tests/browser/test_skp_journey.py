"""Planning through the real pages (Chromium against gunicorn on the demo year).

In Kota Kupang the demo leaves one bidang where planning is under way: its head's SKP is set
(cascading from the Kepala Dinas and the Sekda), her staff have none. She shares two of her
results on the Matriks Peran Hasil; one subordinate refines hers on a phone and submits; the
head returns it once with a comment, then sets it; the cascade tree shows the chain from the
Sekda down to the subordinate; and the subordinate's self-assessment lists the set RHK and
targets without retyping. The axe check runs on every new page.
"""

from __future__ import annotations

from dataclasses import dataclass

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

YEAR = 2026


@dataclass
class Planning:
    """The head whose staff have no SKP yet, her SKP and two of her staff."""

    leader: str
    leader_skp: int
    first: str
    first_id: int
    second: str
    second_id: int
    evaluation_id: int


def planning_under_way(server: LiveServer, agency: str = "kota-kupang") -> Planning:
    """Return the demo's leader with a set SKP whose direct staff have no SKP of the year, and
    two of them (the first with a draft evaluation)."""
    with server.db.connect() as conn:
        leader, leader_id, skp_id = conn.execute(text(
            "SELECT e.nip, e.id, s.id FROM employee e JOIN agency a ON a.id = e.agency_id "
            "JOIN skp s ON s.employee_id = e.id AND s.year = :year AND s.status = 'ditetapkan' "
            "WHERE a.slug = :agency AND EXISTS (SELECT 1 FROM employee x WHERE "
            "x.superior_id = e.id) AND NOT EXISTS (SELECT 1 FROM employee x JOIN skp y ON "
            "y.employee_id = x.id WHERE x.superior_id = e.id) ORDER BY e.id LIMIT 1"),
            {"agency": agency, "year": YEAR}).one()
        # Their evaluation of the demo's period (another test may open a period too).
        staff = conn.execute(text(
            "SELECT e.nip, e.id, v.id, v.status FROM employee e "
            "JOIN evaluation v ON v.employee_id = e.id AND v.period_id = "
            "(SELECT min(p.id) FROM period p WHERE p.agency_id = e.agency_id) "
            "WHERE e.superior_id = :leader ORDER BY (v.status = 'draft') DESC, e.id"),
            {"leader": leader_id}).all()
    assert len(staff) >= 2 and staff[0][3] == "draft", staff
    return Planning(leader, skp_id, staff[0][0], staff[0][1], staff[1][0], staff[1][1],
                    staff[0][2])


def as_user(page: Page, server: LiveServer, nip: str) -> None:
    """Log in as someone else (a fresh session)."""
    login_as_someone_else(page, server, nip)
    expect(page.locator("h1")).to_have_text("Kotak masuk")


def no_horizontal_scroll(page: Page) -> bool:
    """Tell whether the page fits the viewport's width."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_cascade_return_set_and_report(live_server: LiveServer, page: Page,
                                       phone: Page) -> None:
    """Matriks Peran Hasil → refine and submit → return with a comment → set → tree →
    self-assessment reading the set SKP."""
    plan = planning_under_way(live_server)
    found: list[str] = []

    # The leader's SKP is set; on the matrix she shares two results with two subordinates.
    as_user(page, live_server, plan.leader)
    page.click("a[data-nav='skp']")
    expect(page.locator(f"[data-skp='{plan.leader_skp}'] [data-skp-state]")).to_have_text(
        "Ditetapkan")
    found += problems(page)
    page.goto(f"{live_server.url}/skp/{plan.leader_skp}")
    found += problems(page)
    page.click("a[data-matrix]")
    expect(page.locator("h1")).to_have_text("Matriks Peran Hasil")
    rows = page.locator("[data-leader-rhk]")
    first_rhk = rows.nth(0).get_attribute("data-leader-rhk")
    second_rhk = rows.nth(1).get_attribute("data-leader-rhk")
    first_text = rows.nth(0).locator("th").inner_text().splitlines()[0].strip()
    page.click(f"[data-assign='{first_rhk}-{plan.first_id}']")
    expect(page.locator(".alert-success")).to_contain_text("dibagikan")
    page.click(f"[data-assign='{second_rhk}-{plan.second_id}']")
    expect(page.locator(f"[data-cell='{first_rhk}-{plan.first_id}'] [data-child-rhk]")
           ).to_have_count(1)
    expect(page.locator(f"[data-cell='{second_rhk}-{plan.second_id}'] [data-child-rhk]")
           ).to_have_count(1)
    found += problems(page)
    shot(page, "skp-matrix")

    # The first subordinate refines the assigned result on a phone and submits.
    login(phone, live_server, plan.first)
    phone.goto(f"{live_server.url}/skp/")
    phone.click("#daftar-skp a")
    expect(phone.locator("[data-skp-state]").first).to_have_text("Draf")
    expect(phone.locator("[data-parent]").first).to_have_text(first_text)
    phone.fill("[name='rhk-0-text']", "Terselesaikannya akta pencatatan sipil sesuai SOP")
    phone.fill("[name='rhk-0-ind-0-text']", "Jumlah akta yang diterbitkan")
    phone.fill("[name='rhk-0-ind-0-target_min']", "300")
    phone.fill("[name='rhk-0-ind-0-target_max']", "350")
    phone.fill("[name='rhk-0-ind-0-satuan']", "akta")
    phone.fill("[name='lampiran-dukungan_sumber_daya']", "Printer blanko akta")
    assert no_horizontal_scroll(phone)
    found += problems(phone)
    shot(phone, "skp-refine-phone")
    phone.click("button[data-action='save']")
    expect(phone.locator(".alert-success")).to_contain_text("SKP tersimpan")
    expect(phone.locator("[data-target]").first).to_contain_text("300 – 350 akta")
    phone.click("button[data-trigger='ajukan']")
    expect(phone.locator("[data-skp-state]").first).to_have_text("Diajukan")
    skp_url = phone.url

    # The appraiser returns it once with a comment...
    as_user(page, live_server, plan.leader)
    page.click("a[data-nav='skp-bawahan']")
    found += problems(page)
    page.click(f"#skp-bawahan a[href='{skp_url.removeprefix(live_server.url)}']")
    page.fill("#comment-kembalikan", "Tambahkan indikator kualitas untuk akta.")
    shot(page, "skp-return")
    page.click("button[data-trigger='kembalikan']")
    expect(page.locator("[data-skp-state]").first).to_contain_text("Dikembalikan")

    # ...the subordinate reads why, adds the indicator and submits again...
    phone.reload()
    expect(phone.locator("[data-returned]")).to_contain_text(
        "Tambahkan indikator kualitas untuk akta.")
    phone.select_option("[name='rhk-0-ind-1-aspek']", "kualitas")
    phone.fill("[name='rhk-0-ind-1-text']", "Persentase akta tanpa kesalahan")
    phone.fill("[name='rhk-0-ind-1-target_min']", "98")
    phone.fill("[name='rhk-0-ind-1-satuan']", "%")
    phone.click("button[data-action='save']")
    phone.click("button[data-trigger='ajukan']")
    expect(phone.locator("[data-skp-state]").first).to_have_text("Diajukan")
    assert no_horizontal_scroll(phone)

    # ...and the appraiser writes her expectations and sets it.
    page.goto(skp_url)
    page.fill("#ekspektasi-berorientasi_pelayanan", "Melayani pemohon akta dengan ramah.")
    page.click("button[data-action='expectations']")
    page.click("button[data-trigger='tetapkan']")
    expect(page.locator("[data-skp-state]").first).to_have_text("Ditetapkan")
    found += problems(page)
    shot(page, "skp-set")
    pdf = page.request.get(f"{skp_url}/pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"

    # The cascade tree, from the top of the agency, shows the chain down to her result.
    with live_server.db.connect() as conn:
        root = conn.execute(text(
            "WITH RECURSIVE up(id, parent_id) AS (SELECT r.id, r.parent_id FROM skp_rhk r "
            "JOIN skp s ON s.id = r.skp_id WHERE s.employee_id = :who AND s.year = :year "
            "AND r.parent_id IS NOT NULL UNION ALL SELECT r.id, r.parent_id FROM skp_rhk r "
            "JOIN up ON up.parent_id = r.id) SELECT id FROM up WHERE parent_id IS NULL"),
            {"who": plan.first_id, "year": YEAR}).scalar_one()
        auditor = conn.execute(text(
            "SELECT e.nip FROM employee e JOIN group_member m ON m.employee_id = e.id "
            "JOIN agency_group g ON g.id = m.group_id JOIN agency a ON a.id = e.agency_id "
            "WHERE g.slug = 'inspektorat' AND a.slug = 'kota-kupang' ORDER BY e.id "
            "LIMIT 1")).scalar_one()
    # The head sees her result carried by her subordinate...
    page.goto(f"{live_server.url}/skp/{plan.leader_skp}/matriks")
    page.click(f"[data-leader-rhk='{first_rhk}'] a")
    expect(page.locator("#pohon [data-node]")).to_have_count(2)
    expect(page.locator("#pohon")).to_contain_text(
        "Terselesaikannya akta pencatatan sipil sesuai SOP")
    # ...and an auditor follows the Sekda's result down through every level to it.
    as_user(page, live_server, auditor)
    page.goto(f"{live_server.url}/skp/rhk/{root}/pohon")
    chain = page.locator("#pohon li:has(li[data-node] li[data-node] li[data-node] "
                         "[data-node-text]:text('Terselesaikannya akta pencatatan sipil'))")
    expect(chain.first).to_be_visible()  # Sekda → Kepala Dinas → Kepala Bidang → staff
    found += problems(page)
    shot(page, "skp-tree")

    # Her self-assessment lists the set RHK and targets; she only reports the realisation.
    as_user(page, live_server, plan.first)
    page.goto(f"{live_server.url}/evaluasi/{plan.evaluation_id}")
    expect(page.locator("[data-from-skp]")).to_be_visible()
    expect(page.locator("[data-planned='rencana_hasil_kerja']").first).to_have_text(
        "Terselesaikannya akta pencatatan sipil sesuai SOP")
    expect(page.locator("[data-planned='target']").first).to_have_text("300 – 350 akta")
    page.fill("[name='hasil_kerja-0-realisasi']", "320 akta")
    page.fill("[name='hasil_kerja-1-realisasi']", "99%")
    shot(page, "skp-self-assessment")
    page.click("button[data-draft]")
    expect(page.locator("[name='hasil_kerja-0-realisasi']")).to_have_value("320 akta")
    assert not found, "\n".join(found)


def test_skp_pages_on_a_phone_pass_axe(live_server: LiveServer, phone: Page) -> None:
    """SKP saya, a set SKP, its Matriks Peran Hasil, the tree of one of its results and SKP
    bawahan, on a phone: no serious axe finding, nothing wider than the screen."""
    plan = planning_under_way(live_server, "kota-mataram")
    with live_server.db.connect() as conn:
        rhk = conn.execute(text("SELECT min(id) FROM skp_rhk WHERE skp_id = :skp"),
                           {"skp": plan.leader_skp}).scalar_one()
    login(phone, live_server, plan.leader)
    found: list[str] = []
    for path in ("/skp/", f"/skp/{plan.leader_skp}", f"/skp/{plan.leader_skp}/matriks",
                 f"/skp/rhk/{rhk}/pohon", "/skp/bawahan"):
        phone.goto(f"{live_server.url}{path}")
        found += problems(phone)
        assert no_horizontal_scroll(phone), path
    shot(phone, "skp-phone")
    assert not found, "\n".join(found)
