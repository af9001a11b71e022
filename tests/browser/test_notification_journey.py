"""Journey (c): an employee receives the rating notification in the app and by e-mail.

A server of its own (gunicorn on a demo database) sends e-mail to a real SMTP server started
here (aiosmtpd). The appraiser rates a submitted Kota Mataram evaluation in the browser; the
employee, on a phone, sees the badge, the notification with the appeal deadline in her
agency's time (WITA), and opens the evaluation from it; the e-mail says the same.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import text

from tests.browser.conftest import LiveServer
from tests.browser.conftest import _free_port
from tests.browser.conftest import live_server_in
from tests.browser.conftest import login
from tests.browser.conftest import shot
from tests.browser.test_accessibility import problems
from tests.browser.test_journeys import as_user
from tests.browser.test_journeys import no_horizontal_scroll
from tests.browser.test_journeys import pick
from workflow.localtime import format_moment

pytestmark = pytest.mark.browser

EMAIL = "pegawai.notifikasi@mataram.example.go.id"


class Inbox:
    """The messages the SMTP server accepted."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture(name="mail_server", scope="module")
def _mail_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Inbox]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with live_server_in(tmp_path_factory.mktemp("mail"), SMTP_HOST="127.0.0.1",
                            SMTP_PORT=str(port), SMTP_STARTTLS="0",
                            SMTP_FROM="notifikasi@mataram.example.go.id") as server:
            yield server, inbox
    finally:
        controller.stop()


def test_rating_notification_in_app_and_by_email(mail_server: tuple[LiveServer, Inbox],
                                                 page: Page, phone: Page) -> None:
    server, inbox = mail_server
    cast = pick(server, "submitted")
    with server.db.begin() as conn:
        conn.execute(text("UPDATE employee SET email = :email WHERE nip = :nip"),
                     {"email": EMAIL, "nip": cast.employee})
    url = f"{server.url}/evaluasi/{cast.evaluation_id}"

    as_user(page, server, cast.appraiser)
    page.goto(url)
    page.check("input[name='rating_hasil_kerja'][value='sesuai']")
    page.check("input[name='rating_perilaku_kerja'][value='sesuai']")
    page.fill("[name='umpan_balik']", "Kinerja sesuai ekspektasi.")
    page.click("button[data-trigger='review']")
    expect(page.locator("[data-predikat]")).to_have_text("Baik")

    with server.db.connect() as conn:
        deadlines = conn.execute(text("SELECT deadlines FROM evaluation WHERE id = :id"),
                                 {"id": cast.evaluation_id}).scalar_one()
    due = (json.loads(deadlines) if isinstance(deadlines, str) else deadlines)["appeal_window"]
    expected = format_moment(datetime.fromisoformat(due), "Asia/Makassar", "id", "long")
    assert expected.endswith("WITA")

    # In the app, on her phone: the badge, the notification with the deadline in WITA.
    login(phone, server, cast.employee)
    badge = phone.locator("#notifications-badge")
    expect(badge).to_be_visible()
    expect(badge.locator(".badge")).to_be_visible()
    badge.click()
    item = phone.locator("[data-notification]").filter(
        has_text="Penilaian kinerja: Tetapkan penilaian").first
    expect(item).to_contain_text(f"Batas waktu pengajuan keberatan: {expected}")
    assert no_horizontal_scroll(phone)
    assert not problems(phone), problems(phone)  # axe: no serious or critical findings
    shot(phone, "notifications-phone")
    item.get_by_role("button", name="Buka dan tandai dibaca").click()
    expect(phone).to_have_url(url)

    # By e-mail, sent by the queue after the commit: once, with the same deadline.
    end = time.monotonic() + 20
    while not inbox.messages and time.monotonic() < end:
        time.sleep(0.2)
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == EMAIL
    assert mail["Subject"] == "Penilaian kinerja: Tetapkan penilaian"
    body = mail.get_payload(decode=True).decode()
    assert f"Batas waktu pengajuan keberatan: {expected}" in body
    assert url in body
