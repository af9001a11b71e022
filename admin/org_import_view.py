"""Upload the org chart as CSV (``,`` or Excel's ``;``) or XLSX: all rows or none, with the
problems per row (``workflow.org_files`` reads the file, ``workflow.org`` imports it)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_admin import expose
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from workflow.errors import OrgImportError
from workflow.models import Agency
from workflow.org import COLUMNS
from workflow.org import import_org_csv
from workflow.org_files import org_file_text
from workflow.positions import POSITION_COLUMNS

from .security import SecureBaseView

MAX_BYTES = 5 * 1024 * 1024


class OrgImportView(SecureBaseView):
    """The import page of the org chart (CSV or XLSX)."""

    @expose("/", methods=["GET", "POST"])
    def index(self) -> Response | str:
        """Show the upload form; import on POST."""
        session = self.session
        problems: Sequence[str] = []
        if request.method == "POST":
            upload = request.files.get("file")
            raw = upload.read(MAX_BYTES + 1) if upload else b""
            if not raw:
                problems = [_("Pilih berkas CSV atau XLSX terlebih dahulu.")]
            elif len(raw) > MAX_BYTES:
                problems = [_("Berkas terlalu besar (maksimum 5 MB).")]
            else:
                actor = self.actor()
                agency = session.get_one(Agency, actor.agency_id)
                try:
                    result = import_org_csv(session, current_app.extensions["workflow"].audit_key,
                                            agency, org_file_text(raw), actor)
                except OrgImportError as exc:
                    session.rollback()
                    problems = exc.problems
                else:
                    session.commit()
                    if result.positions:  # a positions file
                        flash(_("Impor berhasil: %(positions)d jabatan, %(holders)d pemegang "
                                "jabatan.", positions=result.positions,
                                holders=result.holders), "success")
                        return redirect(url_for("employee.index_view"))
                    flash(_("Impor berhasil: %(created)d pegawai baru, %(updated)d "
                            "diperbarui.", created=result.created,
                            updated=result.updated), "success")
                    return redirect(url_for("employee.index_view"))
        return self.render("admin/org_import.html", problems=problems, columns=COLUMNS,
                           position_columns=POSITION_COLUMNS)
