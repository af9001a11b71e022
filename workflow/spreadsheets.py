"""CSV (and XLSX) files the product writes, safe to open in a spreadsheet (CSV/formula injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice: an imported name such as ``=HYPERLINK("http://…","klik")`` would become
a live link, or worse, in the file an admin opens. Every CSV writer of the product (the audit
export, the activation-code file) goes through ``csv_writer``, which prefixes such cells with
an apostrophe — the spreadsheet then shows the text as typed. Reading a file back (the org
import) is not affected: it reads what people wrote. XLSX files (``xlsx_bytes``) store
every text cell as text, so nothing in them runs as a formula either.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from collections.abc import Sequence
from typing import IO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` as a spreadsheet will show it as text (strings only are changed)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell passes through ``safe_cell``."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row."""
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write many rows."""
        for row in rows:
            self.writerow(row)


def csv_writer(handle: IO[str]) -> SafeWriter:
    """Return the writer every CSV of the product is written with."""
    return SafeWriter(handle)


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """Return an XLSX workbook of one sheet. Every text cell is stored as text (never a
    formula, whatever it starts with), so the file shows what the database holds."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # openpyxl would store "=…" as a formula
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
