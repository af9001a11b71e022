"""Browser tests: a real server (gunicorn, 2 workers) on a demo database, driven by Debian's
Chromium through Playwright (never ``playwright install``). Screenshots go to
``test-artifacts/screens/`` for a reviewer to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import text

from tests.conftest import CHEAP_HASH

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-artifacts" / "screens"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BIN = Path(sys.executable).parent
PASSWORD = "demo-kinerja-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A running app with demo data."""

    url: str
    env: dict[str, str]
    db: Engine

    def flask(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a ``flask --app wsgi`` command against the server's database."""
        return subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, check=False)


@pytest.fixture(name="live_server", scope="session")
def _live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server_in(tmp_path_factory.mktemp("live")) as server:
        yield server


@contextmanager
def live_server_in(folder: Path, **extra_env: str) -> Iterator[LiveServer]:
    """Seed a demo database in ``folder`` and run gunicorn on it (``extra_env`` added to its
    environment, e.g. an SMTP server), until the block ends."""
    # Cheap password hashing, as in the other tiers: the demo seeds ~56 accounts.
    port = _free_port()  # known before the app starts: production requires PUBLIC_BASE_URL
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'live.sqlite'}",
           "SECRET_KEY": "browser-test-secret", "AUDIT_KEY": "browser-test-audit",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "FLASK_PASSWORD_HASH_METHOD": CHEAP_HASH,
           "AUDIT_CHECKPOINT_DIR": str(folder / "checkpoints"),
           # No worker runs beside this server: jobs (a period opening) run in the request.
           "QUEUE_IMMEDIATE": "1", **extra_env}
    env.pop("TEST_DATABASE_URL", None)
    server = LiveServer("", env, create_engine(env["DATABASE_URL"]))
    for command in (("init-db",), ("demo", "--password", PASSWORD)):
        result = server.flask(*command)
        assert result.returncode == 0, result.stderr
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"], cwd=ROOT, env=env)
    # Ready when the app answers, not when the port is open: gunicorn binds it before its
    # workers have loaded the app (seconds on a busy machine, longer than a page's timeout).
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("gunicorn did not start: /healthz never answered 200")
    server.url = env["PUBLIC_BASE_URL"]
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # graceful stop too slow on a busy machine
        proc.kill()
        proc.wait()
    server.db.dispose()


@pytest.fixture(name="browser", scope="session")
def _browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-quic"])
        yield browser
        browser.close()


@pytest.fixture(name="page")
def _page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="id-ID", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    refused = _csp_refusals(page)
    yield page
    context.close()
    assert not refused, f"the Content-Security-Policy blocked something: {refused}"


@pytest.fixture(name="phone")
def _phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="id-ID", viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    refused = _csp_refusals(page)
    yield page
    context.close()
    assert not refused, f"the Content-Security-Policy blocked something: {refused}"


def _csp_refusals(page: Page) -> list[str]:
    """Collect what the browser refused because of the app's Content-Security-Policy."""
    refused: list[str] = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    return refused


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screens/ and return its path."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Page, server: LiveServer, nip: str, password: str = PASSWORD) -> None:
    """Log in through the form."""
    response = page.goto(f"{server.url}/masuk")
    if not page.locator("input[name=nip]").count():  # say what came instead of the form
        status = response.status if response is not None else "no response"
        pytest.fail(f"no log-in form at {page.url} (HTTP {status}): "
                    f"{page.locator('body').inner_text()[:500]!r}")
    page.fill("input[name=nip]", nip)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def login_as_someone_else(page: Page, server: LiveServer, nip: str) -> None:
    """Log in as another person in the same tab, on a fresh session.

    Log-in sessions are refreshed by every response, so a response still in flight (the
    favicon, a script) after the cookies are dropped would set the old session again: wait
    for the page's requests to finish and leave the page first.
    """
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    page.context.clear_cookies()
    login(page, server, nip)


def submitted_with_appraiser(server: LiveServer, agency: str) -> tuple[str, int]:
    """Return the appraiser's NIP and the id of the agency's first submitted evaluation."""
    with server.db.connect() as conn:
        nip, evaluation_id = conn.execute(text(
            "SELECT e.nip, v.id FROM evaluation v "
            "JOIN evaluation_participant p ON p.evaluation_id = v.id AND p.role = 'appraiser' "
            "JOIN employee e ON e.id = p.employee_id JOIN agency a ON a.id = v.agency_id "
            "WHERE a.slug = :agency AND v.status = 'submitted' ORDER BY v.id LIMIT 1"),
            {"agency": agency}).one()
    return str(nip), int(evaluation_id)

