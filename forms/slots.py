"""Which form field fills which printed slot of the official documents: one table, and its check.

A *slot* is a place on an official layout (domain.md §9): the CATATAN/REKOMENDASI box of the
*Dokumen Evaluasi Kinerja Pegawai*, the EKSPEKTASI KHUSUS PIMPINAN cell of one BerAKHLAK value,
the TARGET column of the SKP's HASIL KERJA table. ``SLOTS`` names, for every slot, the form
field (or the column of a ``rows`` field) that fills it and the field types the document can
print. The PDF code (``reports.sources``) reads form data only through this table, and
``slot_problems`` refuses a form version that no longer provides a slot: publishing a draft
(``forms.authoring.publish``) and loading the shipped files (``forms.library``) both call it.

Agencies print fields of their own with ``prints: <target>`` on the field (``PRINT_TARGETS``):
the field appears in the KETERANGAN TAMBAHAN section of that document.

The table lives in ``forms`` (not ``reports``) because the check runs here and ``forms`` may
not import ``reports`` (tests/unit/test_architecture.py). Pure data; imports ``workflow.rating``
and ``workflow.texts`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY
from dataclasses import dataclass

from workflow.rating import BERAKHLAK
from workflow.texts import Text

from .spec import SCALAR_TYPES
from .spec import FieldSpec
from .spec import FormSpec

TEXT = ("text", "textarea")
TEXT_OR_CHOICE = ("text", "textarea", "choice")
TEXT_OR_NUMBER = ("text", "textarea", "integer", "decimal")

DOCUMENT_TITLES: Mapping[str, str] = {
    "evaluation": "Dokumen Evaluasi Kinerja Pegawai",
    "skp": "Sasaran Kinerja Pegawai",
    "appeal-decision": "Keputusan atas Keberatan",
}


@dataclass(frozen=True, slots=True)
class Slot:
    """One printed place of an official document and the form field that fills it."""

    name: str
    document: str
    heading: str
    form: str
    field: str
    _: KW_ONLY
    column: str | None = None
    types: tuple[str, ...] = TEXT
    required: bool = True
    values: tuple[str, ...] = ()  # the option values the document knows how to print
    group: str | None = None  # name_prefix of the BerAKHLAK group whose field fills it

    @property
    def source(self) -> str:
        """Return where the slot reads from, e.g. ``skp.rencana_hasil_kerja[].target``."""
        return f"{self.form}.{self.field}" + (f"[].{self.column}" if self.column else "")

    @property
    def where(self) -> str:
        """Return the document and printed heading, e.g. ``Sasaran Kinerja Pegawai: TARGET``."""
        return f"{DOCUMENT_TITLES[self.document]}: {self.heading}"


@dataclass(frozen=True, slots=True)
class PrintTarget:
    """A section where agencies print fields they added (``prints: <name>``)."""

    name: str
    document: str
    heading: str


def _plan_columns(prefix: str, document: str, form: str, field: str,
                  *, plan_required: bool) -> tuple[Slot, ...]:
    """Return the column slots of a HASIL KERJA table (the SKP plan's columns)."""
    rows = f"{prefix}.hasil_kerja"
    return (
        Slot(f"{rows}.jenis", document, "HASIL KERJA: A. UTAMA / B. TAMBAHAN", form, field,
             column="jenis", types=("choice",), required=plan_required,
             values=("utama", "tambahan")),
        Slot(f"{rows}.rhk_atasan", document, "RENCANA HASIL KERJA ATASAN YANG DIINTERVENSI",
             form, field, column="rhk_atasan", required=plan_required),
        Slot(f"{rows}.rencana_hasil_kerja", document, "RENCANA HASIL KERJA", form, field,
             column="rencana_hasil_kerja"),
        Slot(f"{rows}.aspek", document, "ASPEK", form, field, column="aspek",
             types=TEXT_OR_CHOICE, required=plan_required),
        Slot(f"{rows}.indikator", document, "INDIKATOR KINERJA INDIVIDU", form, field,
             column="indikator"),
        Slot(f"{rows}.target", document, "TARGET", form, field, column="target",
             types=TEXT_OR_NUMBER),
        Slot(f"{rows}.perspektif", document, "PERSPEKTIF (JPT)", form, field,
             column="perspektif", types=TEXT_OR_CHOICE, required=False),
    )


def _behaviour(prefix: str, document: str, item: str, heading: str, form: str,
               field_prefix: str) -> tuple[Slot, ...]:
    """Return one slot per BerAKHLAK value of a PERILAKU KERJA column."""
    return tuple(
        Slot(f"{prefix}.perilaku_kerja.{value.key}.{item}", document,
             f"PERILAKU KERJA {value.name.upper()}: {heading}", form, field_prefix + value.key,
             group=field_prefix)
        for value in BERAKHLAK
    )


SLOTS: tuple[Slot, ...] = (
    # Dokumen Evaluasi Kinerja Pegawai and its Evaluasi Kinerja Pegawai pages (§9.2, §9.3).
    Slot("evaluasi.hasil_kerja", "evaluation", "HASIL KERJA", "self-assessment", "hasil_kerja",
         types=("rows",)),
    *_plan_columns("evaluasi", "evaluation", "self-assessment", "hasil_kerja",
                   plan_required=False),
    Slot("evaluasi.hasil_kerja.realisasi", "evaluation", "REALISASI BERDASARKAN BUKTI DUKUNG",
         "self-assessment", "hasil_kerja", column="realisasi", types=TEXT_OR_NUMBER),
    Slot("evaluasi.hasil_kerja.bukti_dukung", "evaluation",
         "REALISASI BERDASARKAN BUKTI DUKUNG (bukti dukung)", "self-assessment", "hasil_kerja",
         column="bukti_dukung"),
    Slot("evaluasi.hasil_kerja.umpan_balik", "evaluation",
         "HASIL KERJA: UMPAN BALIK BERKELANJUTAN BERDASARKAN BUKTI DUKUNG", "appraiser-rating",
         "umpan_balik"),
    *_behaviour("evaluasi", "evaluation", "ekspektasi_khusus", "EKSPEKTASI KHUSUS PIMPINAN",
                "skp", "ekspektasi_khusus_"),
    *_behaviour("evaluasi", "evaluation", "umpan_balik",
                "UMPAN BALIK BERKELANJUTAN BERDASARKAN BUKTI DUKUNG", "appraiser-rating",
                "umpan_balik_"),
    Slot("evaluasi.catatan_rekomendasi", "evaluation", "CATATAN/REKOMENDASI", "appraiser-rating",
         "catatan_rekomendasi"),
    Slot("evaluasi.pendekatan", "evaluation", "PENDEKATAN HASIL KERJA", "skp", "pendekatan",
         types=("choice",), values=("kuantitatif", "kualitatif")),
    # Sasaran Kinerja Pegawai and its Lampiran (§9.1): the plan, never the year-end report.
    Slot("skp.hasil_kerja", "skp", "HASIL KERJA", "skp", "rencana_hasil_kerja", types=("rows",)),
    *_plan_columns("skp", "skp", "skp", "rencana_hasil_kerja", plan_required=True),
    *_behaviour("skp", "skp", "ekspektasi_khusus", "EKSPEKTASI KHUSUS PIMPINAN", "skp",
                "ekspektasi_khusus_"),
    Slot("skp.pendekatan", "skp", "PENDEKATAN HASIL KERJA", "skp", "pendekatan",
         types=("choice",), values=("kuantitatif", "kualitatif")),
    Slot("skp.lampiran.dukungan_sumber_daya", "skp", "LAMPIRAN: DUKUNGAN SUMBER DAYA", "skp",
         "dukungan_sumber_daya"),
    Slot("skp.lampiran.skema_pertanggungjawaban", "skp", "LAMPIRAN: SKEMA PERTANGGUNGJAWABAN",
         "skp", "skema_pertanggungjawaban"),
    Slot("skp.lampiran.konsekuensi", "skp", "LAMPIRAN: KONSEKUENSI", "skp", "konsekuensi"),
    # Keputusan atas Keberatan (PP 30/2019 Ps 59; domain.md §7.3).
    Slot("keberatan.butir", "appeal-decision", "HAL YANG DIKEBERATKAN", "appeal",
         "butir_keberatan", types=("multichoice",)),
    Slot("keberatan.alasan", "appeal-decision", "ALASAN KEBERATAN", "appeal", "alasan"),
    # The explanations the decider asked for (Ps 59(3); the optional hearing of the flow).
    Slot("keberatan.penjelasan_penilai", "appeal-decision",
         "PENJELASAN PEJABAT PENILAI KINERJA ATAS KEBERATAN", "appraiser-explanation",
         "penjelasan"),
    Slot("keberatan.penjelasan_pegawai", "appeal-decision",
         "PENJELASAN PEGAWAI YANG DINILAI", "employee-explanation", "penjelasan"),
    Slot("keberatan.keputusan", "appeal-decision", "KEPUTUSAN", "appeal-decision", "keputusan",
         types=("choice",), values=("dikuatkan", "diubah")),
    Slot("keberatan.pertimbangan", "appeal-decision", "PERTIMBANGAN", "appeal-decision",
         "pertimbangan"),
)

SLOTS_BY_NAME: Mapping[str, Slot] = {s.name: s for s in SLOTS}

PRINT_TARGETS: Mapping[str, PrintTarget] = {
    t.name: t for t in (
        PrintTarget("evaluasi.keterangan_tambahan", "evaluation", "KETERANGAN TAMBAHAN"),
        PrintTarget("skp.keterangan_tambahan", "skp", "KETERANGAN TAMBAHAN"),
    )
}
# A field printed in a KETERANGAN TAMBAHAN section prints as one line of text.
PRINTABLE_TYPES: tuple[str, ...] = SCALAR_TYPES


def slot(name: str) -> Slot:
    """Return the slot called ``name``; raise KeyError for an unknown one."""
    return SLOTS_BY_NAME[name]


def _find(fields: tuple[FieldSpec, ...], name: str) -> FieldSpec | None:
    return next((f for f in fields if f.name == name), None)


def _types(types: tuple[str, ...]) -> str:
    return "/".join(types)


def _missing(s: Slot, name: str) -> Text:
    return Text(
        f"Slot cetak '{s.name}' ({s.where}) diisi dari field '{name}' bertipe {_types(s.types)}"
        f"; field itu tidak ada. Tambahkan atau kembalikan field '{name}' (nama dan tipe itu) "
        f"agar dokumen tetap terisi.",
        f"Print slot '{s.name}' ({s.where}) is filled from the field '{name}' of type "
        f"{_types(s.types)}; that field is missing. Add or restore '{name}' (that name and "
        f"type) so the document stays filled.")


def _missing_group(s: Slot) -> Text:
    pattern = s.name.replace(s.name.split(".")[-2], "*")
    heading = s.where.replace(s.heading, "PERILAKU KERJA: " + s.heading.split(": ", 1)[-1])
    return Text(
        f"Slot cetak '{pattern}' ({heading}, ketujuh nilai BerAKHLAK) diisi dari grup "
        f"BerAKHLAK dengan name_prefix '{s.group}'; grup itu tidak ada. Tambahkan "
        f"'- type: berakhlak' dengan 'name_prefix: {s.group}' agar dokumen tetap terisi.",
        f"Print slot '{pattern}' ({heading}, all seven BerAKHLAK values) is filled from the "
        f"BerAKHLAK group with name_prefix '{s.group}'; that group is missing. Add "
        f"'- type: berakhlak' with 'name_prefix: {s.group}' so the document stays filled.")


def _retyped(s: Slot, name: str, actual: str) -> Text:
    return Text(
        f"Slot cetak '{s.name}' ({s.where}) memerlukan field '{name}' bertipe "
        f"{_types(s.types)}, bukan {actual}.",
        f"Print slot '{s.name}' ({s.where}) needs the field '{name}' to be of type "
        f"{_types(s.types)}, not {actual}.")


def _unknown_options(s: Slot, name: str, extra: list[str]) -> Text:
    return Text(
        f"Slot cetak '{s.name}' ({s.where}) hanya dapat mencetak pilihan "
        f"{', '.join(s.values)} dari field '{name}'; hapus pilihan {', '.join(extra)}.",
        f"Print slot '{s.name}' ({s.where}) can only print the options {', '.join(s.values)} "
        f"of the field '{name}'; remove the options {', '.join(extra)}.")


def slot_problems(spec: FormSpec) -> list[Text]:
    """Return why ``spec`` does not fill the printed slots that read from its form key.

    A required slot whose field (or row column) is missing or renamed, a field whose type the
    document cannot print, and a choice with options the document does not know are refused,
    each naming the slot. Optional slots are only checked when their field exists.
    """
    problems: list[Text] = []
    absent_groups = {s.group for s in SLOTS if s.form == spec.key and s.group} - {
        f.name[: -len(f.group_item)] for f in spec.fields if f.group_item}
    reported: set[tuple[str, str]] = set()  # (document prefix, column) of a missing group
    for s in SLOTS:
        if s.form != spec.key:
            continue
        if s.group in absent_groups and _find(spec.fields, s.field) is None:
            # A whole group is missing: one problem per column of the document, not seven.
            key = (s.name.split(".")[0], s.name.split(".")[-1])
            if key not in reported:
                reported.add(key)
                problems.append(_missing_group(s))
            continue
        field = _find(spec.fields, s.field)
        target = field
        name = s.field
        if s.column is not None:
            if field is None or field.type != "rows":
                continue  # the slot of the rows field itself reports it
            target = _find(field.columns, s.column)
            name = f"{s.field}[].{s.column}"
        if target is None:
            if s.required:
                problems.append(_missing(s, name))
            continue
        if target.type not in s.types:
            problems.append(_retyped(s, name, target.type))
        elif s.values:
            extra = [o.value for o in target.options if o.value not in s.values]
            if extra:
                problems.append(_unknown_options(s, name, extra))
    return problems


def slots_of(form_key: str) -> dict[str, list[Slot]]:
    """Return, per top-level field name of a form, the slots it (or its columns) fills."""
    found: dict[str, list[Slot]] = {}
    for s in SLOTS:
        if s.form == form_key:
            found.setdefault(s.field, []).append(s)
    return found


def printed_extras(spec: FormSpec, target: str) -> tuple[FieldSpec, ...]:
    """Return the fields of ``spec`` that an agency prints in the section ``target``."""
    return tuple(f for f in spec.fields if f.prints == target)
