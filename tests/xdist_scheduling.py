"""How ``make test`` shares the suite among pytest-xdist workers (``-n``).

Tests go out one by one to whichever worker is free, except those that share something
costly to set up per worker: the browser tier (a gunicorn server with a seeded demo database
and a Chromium, session fixtures) goes to one worker as a single unit, and so does each
module listed in ``WHOLE_UNITS`` (module-scoped fixtures worth sharing).

The scheduler is chosen by the ``pytest_xdist_make_scheduler`` hook in ``tests/conftest.py``.
xdist's own ``--dist loadgroup`` would do this with marks, but it does not group with
pytest ≥ 9.2 (it rewrites node ids, which pytest no longer reads).
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

# Units kept whole: a prefix of the node id (a folder or a module) names the unit.
WHOLE_UNITS = (
    "tests/browser/",  # one live server and one Chromium for the tier
    "tests/integration/test_report_pdfs.py",  # each document rendered once (``rendered``)
)


class SuiteScheduling(LoadScopeScheduling):
    """Load scheduling by single test, with ``WHOLE_UNITS`` each kept on one worker."""

    def _split_scope(self, nodeid: str) -> str:
        """Return the unit a test belongs to: its ``WHOLE_UNITS`` prefix, else itself."""
        return next((unit for unit in WHOLE_UNITS if nodeid.startswith(unit)), nodeid)
