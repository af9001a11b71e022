"""The variants of the official layouts (domain.md §3, §9): period line, headings, plan columns.

Which variant a document takes is decided from data the snapshot already holds: the period's
kind and number (the PERIODE line), the employee's *jenis jabatan* from the org chart (JPT, or
JA/JF), and the *pendekatan* of the SKP (kuantitatif or kualitatif). Standard library only: the
renderer uses it, and the renderer sees snapshots, never the workflow package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

JPT = "JPT"
KUANTITATIF = "KUANTITATIF"
KUALITATIF = "KUALITATIF"

POSITION_HEADINGS = {
    JPT: "BAGI PEJABAT PIMPINAN TINGGI DAN PIMPINAN UNIT KERJA MANDIRI",
    "": "BAGI PEJABAT ADMINISTRASI DAN PEJABAT FUNGSIONAL",
}


ROMAN = ("I", "II", "III", "IV")


def period_line(kind: str, number: int, months: Sequence[str]) -> str:
    """Return what follows ``PERIODE:`` on the official forms for one period.

    ``BULANAN — MARET`` for a month (``months`` are the month names, January first),
    ``TRIWULAN I`` … ``TRIWULAN IV``, ``SEMESTER I``/``II``, and ``AKHIR (TAHUNAN)`` for the
    annual (final) evaluation.
    """
    if kind == "monthly" and 1 <= number <= len(months):
        return f"BULANAN — {months[number - 1].upper()}"
    if kind in ("quarterly", "semester") and 1 <= number <= len(ROMAN):
        return f"{'TRIWULAN' if kind == 'quarterly' else 'SEMESTER'} {ROMAN[number - 1]}"
    if kind == "annual":
        return "AKHIR (TAHUNAN)"
    return kind.upper()


def position_heading(jenis_jabatan: str) -> str:
    """Return the ``BAGI …`` line: the JPT forms, or those of JA and JF (also when unknown)."""
    return POSITION_HEADINGS[JPT if jenis_jabatan == JPT else ""]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the HASIL KERJA table: its printed heading and the ``WorkResult`` field."""

    heading: str
    attr: str
    css: str = "teks"


_IKI = Column("INDIKATOR KINERJA INDIVIDU", "indikator")
_UKURAN = Column("UKURAN KEBERHASILAN / INDIKATOR KINERJA INDIVIDU", "indikator")
_RHK = Column("RENCANA HASIL KERJA", "rencana_hasil_kerja")
_RHK_ATASAN = Column("RENCANA HASIL KERJA ATASAN YANG DIINTERVENSI", "rhk_atasan")
_ASPEK = Column("ASPEK", "aspek", "aspek")
_TARGET = Column("TARGET", "target", "target")
_PERSPEKTIF = Column("PERSPEKTIF", "perspektif", "aspek")


def plan_columns(jenis_jabatan: str, pendekatan: str) -> tuple[Column, ...]:
    """Return the plan columns of the HASIL KERJA table for a position and approach.

    JA/JF quantitative: RHK atasan, RHK, aspek, IKI, target; JPT quantitative: RHK, IKI,
    target, perspektif (domain.md §9.1). The qualitative approach has no aspect (nor
    perspective) and measures each result by *ukuran keberhasilan*.
    """
    if jenis_jabatan == JPT:
        if pendekatan == KUALITATIF:
            return (_RHK, _UKURAN, _TARGET)
        return (_RHK, _IKI, _TARGET, _PERSPEKTIF)
    if pendekatan == KUALITATIF:
        return (_RHK_ATASAN, _RHK, _UKURAN, _TARGET)
    return (_RHK_ATASAN, _RHK, _ASPEK, _IKI, _TARGET)


ASPEK_LABELS = {"kuantitas": "Kuantitas", "kualitas": "Kualitas", "waktu": "Waktu",
                "biaya": "Biaya"}
PERSPEKTIF_LABELS = {"penerima_layanan": "Penerima Layanan", "proses_bisnis": "Proses Bisnis",
                     "penguatan_internal": "Penguatan Internal", "anggaran": "Anggaran"}


def label_of(labels: dict[str, str], value: str) -> str:
    """Return the printed label of a stored key (the key itself when it has none)."""
    return labels.get(value, value.replace("_", " ").capitalize() if value else "")
