"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi …``.

The app refuses to start on an invalid definition or form file; it then prints each problem
(file and line, Indonesian and English) and exits 1, instead of a traceback.
"""

from web import create_app
from web.cli import PROBLEMS
from web.cli import describe_problems

try:
    app = create_app()
except PROBLEMS as exc:
    raise SystemExit(describe_problems(exc)) from None
