"""Reading an uploaded org chart (workflow/org_files.py): an XLSX becomes the CSV text the one
import reads; a CSV passes through the UTF-8 check."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook

from workflow.errors import OrgImportError
from workflow.org_files import org_file_text
from workflow.spreadsheets import xlsx_bytes


def _book(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_sheet_becomes_the_import_csv() -> None:
    raw = _book([["nip", "nama", "golongan", "grup", "catatan"],
                 ["198001012005011004", "Ani; \"Budi\"", 3.0, "admin;inspektorat",
                  date(2026, 1, 2)],
                 [None, None, None, None, None],
                 ["198001012005011005", "Citra", None, None, None]])
    rows = list(csv.reader(io.StringIO(org_file_text(raw))))
    assert rows == [["nip", "nama", "golongan", "grup", "catatan"],
                    ["198001012005011004", "Ani; \"Budi\"", "3", "admin;inspektorat",
                     "2026-01-02"],
                    ["198001012005011005", "Citra"]]


def test_a_nip_typed_as_a_number_is_refused_naming_the_row() -> None:
    raw = _book([["nama", "nip"], ["Ani", 198001012005011004]])
    with pytest.raises(OrgImportError) as caught:
        org_file_text(raw)
    assert "baris 2" in str(caught.value.problems[0])


def test_csv_and_broken_workbooks() -> None:
    assert org_file_text("\ufeffnip;nama\n1;A\n".encode()) == "nip;nama\n1;A\n"
    with pytest.raises(OrgImportError):
        org_file_text(b"PK\x03\x04broken")
    with pytest.raises(OrgImportError):
        org_file_text("nip,nama\n1,Ç\n".encode("cp1252"))


def test_the_xlsx_writer_keeps_formulas_as_text() -> None:
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(xlsx_bytes("R", ["a", "b"], [["=1+1", "@x"]])))
    cells = next(iter(book.worksheets[0].iter_rows(min_row=2, values_only=False)))
    assert [(c.value, c.data_type) for c in cells] == [("=1+1", "s"), ("@x", "s")]
