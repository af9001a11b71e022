"""The recap of a period for payroll (TPP) and SIASN: one rule for which evaluations and which
fields, used by the admin's CSV and XLSX downloads and by the API (integration token).

Which evaluations: those of the agency's period (and, if asked, one unit kerja) whose result
has been set (a *predikat* is recorded) and whose rating an agency admin may see
(``forms.visibility``, the rule of every other surface). Final or not is a column: a result
still open to an appeal is listed with ``final`` false, so payroll can wait for it.

Which fields (``RECAP_COLUMNS``): NIP / NI PPPK, name, kind of ASN, unit kerja, jabatan, period,
both ratings and the predikat, the period's *capaian kinerja organisasi*, whether the result
is final, the date it was set (``reports.finality``, the date the documents are signed on, as
a local date in the agency's zone) and the codes of the documents issued for it.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from forms.visibility import ViewCache
from forms.visibility import Viewer
from forms.visibility import Visibility
from workflow.calendars import agency_zone
from workflow.errors import NotFound
from workflow.localtime import local_date
from workflow.models import Document
from workflow.models import Employee
from workflow.models import Evaluation
from workflow.models import HistoryEvent
from workflow.models import Period
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.rating import rating_label
from workflow.service import definition_of
from workflow.spreadsheets import csv_writer
from workflow.spreadsheets import xlsx_bytes

from .finality import standing

#: The columns of every recap surface, in order (CSV/XLSX header; API keys).
RECAP_COLUMNS = ("nip", "nama", "jenis_asn", "unit_kerja", "jabatan", "periode",
                 "rating_hasil_kerja", "rating_perilaku_kerja", "predikat",
                 "capaian_organisasi", "final", "tanggal_ditetapkan", "kode_dokumen")
#: Who the recap is read as: the agency's staff (an admin, or the agency's integration).
RECAP_VIEWER_ROLES = frozenset({"admin"})


@dataclass(frozen=True, slots=True)
class RecapRow:
    """One employee's result in the recap (codes, not labels: each surface labels them)."""

    evaluation_id: int
    nip: str
    name: str
    asn_type: str
    unit_kerja: str
    jabatan: str
    period: str
    rating_hasil_kerja: str | None
    rating_perilaku_kerja: str | None
    predikat: str | None
    capaian_organisasi: str | None
    final: bool
    result_set_on: date | None
    document_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Recap:
    """The recap of one period (and unit kerja, "" = all)."""

    period: Period
    unit_kerja: str
    rows: list[RecapRow]


def recap_periods(session: Session, agency_id: int) -> list[Period]:
    """Return the agency's periods, newest first (what a recap can be asked for)."""
    return list(session.scalars(select(Period).where(Period.agency_id == agency_id)
                                .order_by(Period.starts_on.desc(), Period.id.desc())))


def recap_of(session: Session, agency_id: int, period_id: int, unit_kerja: str = "") -> Recap:
    """Return the recap of one period of the agency (one unit kerja when given), by unit and
    name. :raises NotFound: the period is not the agency's (another agency's: not found)."""
    period = session.get(Period, period_id)
    if period is None or period.agency_id != agency_id:
        raise NotFound("Periode tidak ditemukan.", "Period not found.")
    query = (select(Evaluation).join(Evaluation.employee)
             .where(Evaluation.agency_id == agency_id, Evaluation.period_id == period.id,
                    Evaluation.predikat.is_not(None))
             .order_by(Employee.unit_kerja, Employee.name, Evaluation.id))
    if unit_kerja:
        query = query.where(Employee.unit_kerja == unit_kerja)
    evaluations = list(session.scalars(query))
    ids = [e.id for e in evaluations]
    events: dict[int, list[HistoryEvent]] = defaultdict(list)
    codes: dict[int, list[str]] = defaultdict(list)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for event in session.scalars(select(HistoryEvent).where(
                HistoryEvent.evaluation_id.in_(chunk), HistoryEvent.kind == "transition")
                .order_by(HistoryEvent.evaluation_id, HistoryEvent.seq)):
            assert event.evaluation_id is not None
            events[event.evaluation_id].append(event)
        for evaluation_id, code in session.execute(select(
                Document.evaluation_id, Document.code).where(
                Document.evaluation_id.in_(chunk)).order_by(Document.id)):
            if evaluation_id is not None:  # an SKP's document has none (never in the chunk)
                codes[evaluation_id].append(code)
    zone = agency_zone(session, agency_id)
    cache = ViewCache()
    rows: list[RecapRow] = []
    for ev in evaluations:
        definition = definition_of(session, ev.definition_version_id)
        view = Visibility(session, ev, definition, Viewer(RECAP_VIEWER_ROLES, ev.status), cache)
        if not view.rating_visible:
            continue
        result = standing(definition, ev.status, ev.deadlines, events[ev.id])
        person = ev.employee
        rows.append(RecapRow(
            evaluation_id=ev.id, nip=person.nip, name=person.name, asn_type=person.asn_type,
            unit_kerja=person.unit_kerja, jabatan=person.jabatan, period=period.label,
            rating_hasil_kerja=ev.rating_hasil_kerja,
            rating_perilaku_kerja=ev.rating_perilaku_kerja, predikat=ev.predikat,
            capaian_organisasi=period.capaian_organisasi, final=result.final,
            result_set_on=(local_date(result.result_set_at, zone)
                           if result.result_set_at else None),
            document_codes=tuple(codes[ev.id])))
    return Recap(period, unit_kerja, rows)


def _rating_text(value: str | None, lang: str) -> str:
    if value is None:
        return ""
    try:
        return rating_label(value, lang)
    except ValueError:
        return value


def _predikat_text(value: str | None, lang: str) -> str:
    if value is None:
        return ""
    try:
        p = Predikat(value)
    except ValueError:
        return value
    return p.label_en if lang == "en" else p.label


def _capaian_text(value: str | None, lang: str) -> str:
    return CapaianOrganisasi(value).label_in(lang) if value else ""


def recap_cells(row: RecapRow, lang: str = "id") -> list[str]:
    """Return a row's cells for a spreadsheet, in ``RECAP_COLUMNS`` order (labels in ``lang``)."""
    return [row.nip, row.name, row.asn_type, row.unit_kerja, row.jabatan, row.period,
            _rating_text(row.rating_hasil_kerja, lang),
            _rating_text(row.rating_perilaku_kerja, lang),
            _predikat_text(row.predikat, lang), _capaian_text(row.capaian_organisasi, lang),
            ("ya" if lang == "id" else "yes") if row.final else (
                "tidak" if lang == "id" else "no"),
            row.result_set_on.isoformat() if row.result_set_on else "",
            " ".join(row.document_codes)]


def recap_csv(rows: Sequence[RecapRow], lang: str = "id") -> str:
    """Return the recap as CSV text (the product's one CSV writer: formulas neutralised)."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(RECAP_COLUMNS)
    writer.writerows(recap_cells(r, lang) for r in rows)
    return out.getvalue()


def recap_xlsx(rows: Sequence[RecapRow], lang: str = "id") -> bytes:
    """Return the recap as an XLSX workbook (every cell text: nothing runs as a formula)."""
    return xlsx_bytes("Rekap", RECAP_COLUMNS, [recap_cells(r, lang) for r in rows])


def recap_json(row: RecapRow, lang: str = "id") -> dict[str, object]:
    """Return a row for the API: codes with their labels in ``lang``."""
    def coded(value: str | None, text: str) -> dict[str, str] | None:
        return None if value is None else {"value": value, "label": text}
    return {
        "evaluation_id": row.evaluation_id, "nip": row.nip, "nama": row.name,
        "jenis_asn": row.asn_type, "unit_kerja": row.unit_kerja, "jabatan": row.jabatan,
        "periode": row.period,
        "rating_hasil_kerja": coded(row.rating_hasil_kerja,
                                    _rating_text(row.rating_hasil_kerja, lang)),
        "rating_perilaku_kerja": coded(row.rating_perilaku_kerja,
                                       _rating_text(row.rating_perilaku_kerja, lang)),
        "predikat": coded(row.predikat, _predikat_text(row.predikat, lang)),
        "capaian_organisasi": coded(row.capaian_organisasi,
                                    _capaian_text(row.capaian_organisasi, lang)),
        "final": row.final,
        "tanggal_ditetapkan": row.result_set_on.isoformat() if row.result_set_on else None,
        "kode_dokumen": list(row.document_codes),
    }
