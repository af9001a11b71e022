"""The shape shared by the pages reached from a row of the period list."""

from __future__ import annotations

from flask import abort
from flask import redirect
from flask import url_for
from flask_admin import expose
from werkzeug.wrappers import Response

from workflow.models import Period

from .security import SecureBaseView


class PeriodPage(SecureBaseView):
    """A page about one period of the admin's agency, linked from the period list."""

    def is_visible(self) -> bool:
        """Stay out of the menu: it is reached from a link in the period list."""
        return False

    @expose("/")
    def index(self) -> Response:
        """Go to the list of periods."""
        return redirect(url_for("period.index_view"))

    def own_period(self, period_id: int) -> Period:
        """Return the period if it belongs to the admin's agency, else answer 404."""
        period = self.session.get(Period, period_id)
        if period is None or period.agency_id != self.actor().agency_id:
            abort(404)
        return period
