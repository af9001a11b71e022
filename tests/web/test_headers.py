"""Security headers on every response: CSP with a per-request nonce, no framing, no sniffing."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import World
from tests.web.conftest import login


def csp(response: object) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in
            (p.strip() for p in header.split(";")) if " " in part}


def test_pages_send_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/masuk")
    policy = csp(response)
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["form-action"] == "'self'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert re.search(r"'nonce-[\w-]{16,}'", policy["script-src"])
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain http here
    secure = client.get("/masuk", base_url="https://localhost")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]
    # A new nonce for every response.
    assert csp(client.get("/masuk"))["script-src"] != policy["script-src"]


def test_admin_scripts_carry_the_response_nonce(app: Flask, two: tuple[World, World]) -> None:
    """Flask-Admin's script tags and our inline ones get this response's nonce."""
    a, _ = two
    client = app.test_client()
    login(client, a.people["kepala"])
    for path in ("/admin/akses-akun/", "/admin/employee/"):
        response = client.get(path)
        assert response.status_code == 200
        nonce = re.search(r"'nonce-([\w-]+)'", csp(response)["script-src"])
        assert nonce is not None
        tags = re.findall(r"<script\b([^>]*)>", response.get_data(as_text=True))
        assert tags, path
        assert all(f'nonce="{nonce.group(1)}"' in attrs for attrs in tags), (path, tags)
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", client.get(
        "/admin/akses-akun/").get_data(as_text=True))
    assert len(inline) == 2  # the admin frame's (delete/bulk confirmations) and the select-all box


def test_the_session_cookie_follows_the_configuration(client: FlaskClient,
                                                      two: tuple[World, World]) -> None:
    a, _ = two
    login(client, a.people["pegawai"])
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and not cookie.secure
