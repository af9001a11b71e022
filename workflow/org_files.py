"""Read an uploaded org-chart file into the CSV text the import reads (``workflow.org``).

Accepted: CSV in UTF-8 (``,`` or Excel's ``;``, read by ``org.decode_org_csv``) and Excel
workbooks (XLSX, the first sheet, header in the first row). A workbook becomes CSV text with
the same columns, so both kinds pass through the one import and its one validator.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from datetime import datetime

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from .errors import OrgImportError
from .org import decode_org_csv
from .texts import Text

XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a ZIP archive
MAX_XLSX_ROWS = 100_000


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else (
            value.isoformat())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def xlsx_to_csv(raw: bytes) -> str:
    """Return the first sheet of an XLSX workbook as CSV text (``,``-separated).

    :raises OrgImportError: not a readable workbook, too many rows, or a NIP stored as a
        number (Excel keeps 15 digits of a number: an 18-digit NIP would be changed).
    """
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise OrgImportError([Text(
            "berkas Excel (XLSX) tidak terbaca; simpan ulang sebagai 'Excel Workbook (.xlsx)' "
            "atau 'CSV UTF-8'",
            "the Excel file (XLSX) cannot be read; save it again as 'Excel Workbook (.xlsx)' "
            "or 'CSV UTF-8'")]) from exc
    try:
        sheet = book.worksheets[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        problems: list[Text] = []
        nip_columns: set[int] = set()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_XLSX_ROWS:
                raise OrgImportError([Text(f"lebih dari {MAX_XLSX_ROWS} baris",
                                           f"more than {MAX_XLSX_ROWS} rows")])
            if number == 1:
                nip_columns = {i for i, v in enumerate(values)
                               if _cell_text(v) in ("nip", "nip_atasan")}
            elif any(isinstance(values[i], int | float) and not isinstance(values[i], bool)
                     for i in nip_columns if i < len(values)):
                problems.append(Text(
                    f"baris {number}: NIP tersimpan sebagai angka; format kolom NIP sebagai "
                    "Teks di Excel lalu ketik ulang (angka hanya menyimpan 15 digit)",
                    f"row {number}: a NIP is stored as a number; format the NIP column as "
                    "Text in Excel and type it again (a number keeps only 15 digits)"))
            cells = [_cell_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            if number > 1 and not cells:
                continue  # an empty row Excel kept
            writer.writerow(cells)
    finally:
        book.close()
    if problems:
        raise OrgImportError(problems)
    return out.getvalue()


def org_file_text(raw: bytes) -> str:
    """Return an uploaded org chart (CSV or XLSX, told by its content) as CSV text.

    :raises OrgImportError: an unreadable workbook, or a CSV that is not UTF-8.
    """
    if raw.startswith(XLSX_MAGIC):
        return xlsx_to_csv(raw)
    return decode_org_csv(raw)
