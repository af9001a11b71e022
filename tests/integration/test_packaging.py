"""`pip install .` gives a working app: the wheel, built from a copy of the source tree,
carries templates, static files, translations, definitions and migrations; installed into a
new virtual environment (no system site-packages, run outside the checkout), `flask --app wsgi
init-db` migrates and gunicorn serves the log-in page, in Indonesian and in English. Takes
a minute or two (pip installs from its cache)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

from tests.conftest import ROOT

IGNORED = shutil.ignore_patterns(".venv", ".git", "instance", "__pycache__", "*.egg-info",
                                 "build", "*.mo", "test-artifacts", ".*_cache")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quiet(command: list[str], cwd: Path) -> None:
    """Run a pip command; show its output only when it fails."""
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=900,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _get(url: str, **headers: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - a local http URL
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - ditto
        return response.status, response.read().decode()


def test_the_wheel_installs_into_a_new_venv_and_serves_the_log_in_page(tmp_path: Path) -> None:
    source, dist, venv, elsewhere = (tmp_path / name for name in (
        "src", "dist", "venv", "elsewhere"))
    shutil.copytree(ROOT, source, ignore=IGNORED)
    _quiet([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist),
            str(source)], cwd=tmp_path)
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for shipped in ("wsgi.py", "web/templates/auth/login.html", "web/static/app.css",
                    "web/translations/en/LC_MESSAGES/messages.mo", "reports/static/print.css",
                    "admin/templates/admin/home.html", "workflow/common-passwords.txt",
                    "web/definitions/default.yaml", "web/definitions/forms/skp.yaml",
                    "web/definitions/forms/kota-kupang/appraiser-rating.yaml",
                    "web/migrations/env.py", "web/migrations/versions/0001_initial_schema.py"):
        assert shipped in names, shipped

    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    _quiet([str(venv / "bin" / "pip"), "install", "-q", "-c", str(ROOT / "requirements.lock"),
            str(wheel)], cwd=tmp_path)
    elsewhere.mkdir()  # not the checkout: everything comes from the installed wheel
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("PYTHON", "FLASK_", "VIRTUAL_ENV"))}
    env.update({"SECRET_KEY": "x" * 32, "PUBLIC_BASE_URL": "https://kinerja.example.go.id",
                "DATABASE_URL": f"sqlite:///{elsewhere / 'penilaian.sqlite'}",
                "AUDIT_KEY": "kunci-audit-uji-paket"})
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import web; print(web.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(venv)), where.stdout
    init = subprocess.run([str(venv / "bin" / "flask"), "--app", "wsgi", "init-db"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert init.returncode == 0, init.stdout + init.stderr

    port = _free_port()
    server = subprocess.Popen([str(venv / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "wsgi:app"], cwd=elsewhere, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(100):
            try:
                status, page = _get(f"http://127.0.0.1:{port}/masuk")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[0]
                time.sleep(0.2)
        else:
            raise AssertionError("gunicorn did not answer")
        assert status == 200 and "Kata sandi" in page and 'name="csrf_token"' in page
        status, page = _get(f"http://127.0.0.1:{port}/masuk", Cookie="lang=en")
        assert status == 200 and "Password" in page and "Log in" in page  # the .mo
        status, css = _get(f"http://127.0.0.1:{port}/static/app.css")
        assert status == 200 and css.strip()
        status, health = _get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200 and '"ok"' in health  # migrated to the shipped head
    finally:
        server.terminate()
        server.communicate(timeout=30)
