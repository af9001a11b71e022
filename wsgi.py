"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``.

The app refuses to start on an invalid definition or form file, or without a setting it needs
(SECRET_KEY, PUBLIC_BASE_URL in production); it then prints each problem (file and line,
Indonesian and English) or the missing setting and exits 1, instead of a traceback.
"""

from web import create_app
from web.cli import PROBLEMS
from web.cli import describe_problems
from web.config import ConfigurationError

try:
    app = create_app()
except PROBLEMS as exc:
    raise SystemExit(describe_problems(exc)) from None
except ConfigurationError as exc:
    raise SystemExit(str(exc)) from None
