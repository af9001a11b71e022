"""HTTP security headers on every response (Flask-Talisman).

- Content-Security-Policy: scripts only from this app, or inline with this request's nonce
  (``nonce="{{ csp_nonce() }}"`` in templates; Flask-Admin gets the same nonce) — and the one
  inline handler Flask-Admin's filter menu has, allowed by its hash; no plugins,
  no framing, forms post only here. Inline ``style=`` attributes stay allowed (Bootstrap
  layouts use them; styles cannot run code).
- X-Frame-Options DENY, X-Content-Type-Options nosniff, Referrer-Policy same-origin (a
  verification link or an activation page never leaks its path to another site).
- Over HTTPS: Strict-Transport-Security. Redirecting http → https is left to the TLS proxy
  unless ``FORCE_HTTPS=1``.
- ``Cache-Control: no-store`` on every response the app builds (pages, API answers, PDFs,
  the audit CSV, exports): they carry personal data, and neither a shared proxy nor the
  browser of a shared office computer may keep them. Only the static files (CSS, scripts,
  fonts) are cacheable; a view that sets its own ``Cache-Control`` keeps it.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Flask
from flask import Response
from flask import request
from flask_talisman import Talisman

# Flask-Admin's filter menu has ``onclick="return false;"``: that one handler, by its hash.
_FLASK_ADMIN_HANDLER = "'sha256-" + base64.b64encode(
    hashlib.sha256(b"return false;").digest()).decode() + "'"

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": f"'self' 'unsafe-hashes' {_FLASK_ADMIN_HANDLER}",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",  # Bootstrap draws icons (navbar toggler, selects) as data: SVG
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

talisman = Talisman()


def csp_nonce() -> str:
    """Return this request's script nonce (empty outside a request)."""
    return str(getattr(request, "csp_nonce", ""))


def _static(endpoint: str | None) -> bool:
    """Return whether a request was for a static file (the app's, Bootstrap's, the admin's)."""
    return bool(endpoint) and (endpoint == "static" or str(endpoint).endswith(".static"))


def no_store(response: Response) -> Response:
    """Forbid caching of everything but static files (see the module docstring)."""
    if not _static(request.endpoint) and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


def init_security_headers(app: Flask) -> None:
    """Send the headers above on every response of ``app``."""
    app.after_request(no_store)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        frame_options="DENY",
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="same-origin",
        # Talisman would otherwise force these; the app's configuration decides.
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
    )
