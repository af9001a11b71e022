"""National rating rules of PermenPANRB 6/2022: rating levels, the predikat matrix, BerAKHLAK.

Pure domain data and functions (stdlib only). Sources: domain.md §5.3 (ratings), §5.4 (the
3x3 *kuadran kinerja pegawai*), §5.5 (BerAKHLAK) and §6.2 (distribution per SE MenPANRB 3/2023).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Literal
from typing import TypeGuard

from .texts import Text

DI_ATAS = "di_atas"
SESUAI = "sesuai"
DI_BAWAH = "di_bawah"


@dataclass(frozen=True, slots=True)
class RatingLevel:
    """One level of the three-level scale used for both ratings."""

    value: str
    label: str
    label_en: str


RATING_LEVELS: tuple[RatingLevel, ...] = (
    RatingLevel(DI_ATAS, "Di atas ekspektasi", "Above expectations"),
    RatingLevel(SESUAI, "Sesuai ekspektasi", "Meets expectations"),
    RatingLevel(DI_BAWAH, "Di bawah ekspektasi", "Below expectations"),
)
RATING_VALUES: tuple[str, ...] = tuple(level.value for level in RATING_LEVELS)


class Predikat(StrEnum):
    """Employee performance predicate (*predikat kinerja pegawai*); values are stored as-is."""

    SANGAT_BAIK = "SANGAT_BAIK"
    BAIK = "BAIK"
    BUTUH_PERBAIKAN = "BUTUH_PERBAIKAN"
    KURANG = "KURANG"
    SANGAT_KURANG = "SANGAT_KURANG"

    @property
    def label(self) -> str:
        """Return the official Indonesian label."""
        return _PREDIKAT_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """Return the English label."""
        return _PREDIKAT_LABELS[self][1]


_PREDIKAT_LABELS: dict[Predikat, tuple[str, str]] = {
    Predikat.SANGAT_BAIK: ("Sangat Baik", "Very good"),
    Predikat.BAIK: ("Baik", "Good"),
    Predikat.BUTUH_PERBAIKAN: ("Butuh Perbaikan", "Needs improvement"),
    Predikat.KURANG: ("Kurang/Misconduct", "Poor/Misconduct"),
    Predikat.SANGAT_KURANG: ("Sangat Kurang", "Very poor"),
}

# MATRIX[rating_hasil_kerja][rating_perilaku_kerja], exactly the table of domain.md §5.4.
MATRIX: Mapping[str, Mapping[str, Predikat]] = {
    DI_ATAS: {
        DI_BAWAH: Predikat.KURANG,
        SESUAI: Predikat.BAIK,
        DI_ATAS: Predikat.SANGAT_BAIK,
    },
    SESUAI: {
        DI_BAWAH: Predikat.KURANG,
        SESUAI: Predikat.BAIK,
        DI_ATAS: Predikat.BAIK,
    },
    DI_BAWAH: {
        DI_BAWAH: Predikat.SANGAT_KURANG,
        SESUAI: Predikat.BUTUH_PERBAIKAN,
        DI_ATAS: Predikat.BUTUH_PERBAIKAN,
    },
}


def rating_label(value: str, lang: str = "id") -> str:
    """Return the label of a rating value; raise ValueError for an unknown value."""
    for level in RATING_LEVELS:
        if level.value == value:
            return level.label_en if lang == "en" else level.label
    raise ValueError(_unknown_rating(value))


def predikat(rating_hasil_kerja: str, rating_perilaku_kerja: str) -> Predikat:
    """Read the predicate off the national matrix; raise ValueError on an unknown level."""
    for value in (rating_hasil_kerja, rating_perilaku_kerja):
        if value not in MATRIX:
            raise ValueError(_unknown_rating(value))
    return MATRIX[rating_hasil_kerja][rating_perilaku_kerja]


def _unknown_rating(value: object) -> str:
    """Format the error for a value outside the three-level scale."""
    return f"Rating tidak dikenal: {value!r} (pilihan: {', '.join(RATING_VALUES)})."


# --- BerAKHLAK (SE MenPANRB 20/2021), domain.md §5.5 ---------------------------------------


@dataclass(frozen=True, slots=True)
class CoreValue:
    """One BerAKHLAK core value with its meaning and three official behaviour guides."""

    key: str
    name: str
    name_en: str
    meaning: str
    guides: tuple[str, str, str]


BERAKHLAK: tuple[CoreValue, ...] = (
    CoreValue(
        "berorientasi_pelayanan",
        "Berorientasi Pelayanan",
        "Service-oriented",
        "Komitmen memberikan pelayanan prima demi kepuasan masyarakat",
        (
            "Memahami dan memenuhi kebutuhan masyarakat",
            "Ramah, cekatan, solutif, dan dapat diandalkan",
            "Melakukan perbaikan tiada henti",
        ),
    ),
    CoreValue(
        "akuntabel",
        "Akuntabel",
        "Accountable",
        "Bertanggung jawab atas kepercayaan yang diberikan",
        (
            "Melaksanakan tugas dengan jujur, bertanggung jawab, cermat, disiplin dan "
            "berintegritas tinggi",
            "Menggunakan kekayaan dan barang milik negara secara bertanggung jawab, efektif, "
            "dan efisien",
            "Tidak menyalahgunakan kewenangan jabatan",
        ),
    ),
    CoreValue(
        "kompeten",
        "Kompeten",
        "Competent",
        "Terus belajar dan mengembangkan kapabilitas",
        (
            "Meningkatkan kompetensi diri untuk menjawab tantangan yang selalu berubah",
            "Membantu orang lain belajar",
            "Melaksanakan tugas dengan kualitas terbaik",
        ),
    ),
    CoreValue(
        "harmonis",
        "Harmonis",
        "Harmonious",
        "Saling peduli dan menghargai perbedaan",
        (
            "Menghargai setiap orang apapun latar belakangnya",
            "Suka menolong orang lain",
            "Membangun lingkungan kerja yang kondusif",
        ),
    ),
    CoreValue(
        "loyal",
        "Loyal",
        "Loyal",
        "Berdedikasi dan mengutamakan kepentingan Bangsa dan Negara",
        (
            "Memegang teguh ideologi Pancasila, UUD 1945, setia kepada NKRI serta pemerintahan "
            "yang sah",
            "Menjaga nama baik sesama ASN, Pimpinan, Instansi, dan Negara",
            "Menjaga rahasia jabatan dan negara",
        ),
    ),
    CoreValue(
        "adaptif",
        "Adaptif",
        "Adaptive",
        "Terus berinovasi dan antusias dalam menggerakkan serta menghadapi perubahan",
        (
            "Cepat menyesuaikan diri menghadapi perubahan",
            "Terus berinovasi dan mengembangkan kreativitas",
            "Bertindak proaktif",
        ),
    ),
    CoreValue(
        "kolaboratif",
        "Kolaboratif",
        "Collaborative",
        "Membangun kerja sama yang sinergis",
        (
            "Memberi kesempatan kepada berbagai pihak untuk berkontribusi",
            "Terbuka dalam bekerja sama untuk menghasilkan nilai tambah",
            "Menggerakkan pemanfaatan berbagai sumberdaya untuk tujuan bersama",
        ),
    ),
)


# --- Distribution of predicates (SE MenPANRB 3/2023), domain.md §6.2 -------------------------


class CapaianOrganisasi(StrEnum):
    """Organisation achievement predicate (*capaian kinerja organisasi*), five levels."""

    ISTIMEWA = "ISTIMEWA"
    BAIK = "BAIK"
    BUTUH_PERBAIKAN = "BUTUH_PERBAIKAN"
    KURANG = "KURANG"
    SANGAT_KURANG = "SANGAT_KURANG"

    @property
    def label(self) -> str:
        """Return the official Indonesian label."""
        return _CAPAIAN_LABELS[self][0]

    @property
    def label_en(self) -> str:
        """Return the English label."""
        return _CAPAIAN_LABELS[self][1]

    def label_in(self, language: str) -> str:
        """Return the label in ``language`` (``"en"``, else Indonesian)."""
        return self.label_en if language == "en" else self.label


_CAPAIAN_LABELS: dict[CapaianOrganisasi, tuple[str, str]] = {
    CapaianOrganisasi.ISTIMEWA: ("Istimewa", "Outstanding"),
    CapaianOrganisasi.BAIK: ("Baik", "Good"),
    CapaianOrganisasi.BUTUH_PERBAIKAN: ("Butuh Perbaikan", "Needs improvement"),
    CapaianOrganisasi.KURANG: ("Kurang", "Poor"),
    CapaianOrganisasi.SANGAT_KURANG: ("Sangat Kurang", "Very poor"),
}

Rounding = Literal["floor", "ceil", "half_up", "exact"]
ROUNDINGS: tuple[Rounding, ...] = ("floor", "ceil", "half_up", "exact")


def is_rounding(value: object) -> TypeGuard[Rounding]:
    """Return whether ``value`` names one of the rounding rules."""
    return value in ROUNDINGS


@dataclass(frozen=True, slots=True)
class Quota:
    """A bound on the share of employees whose predicate is one of ``predikats``."""

    predikats: tuple[Predikat, ...]
    kind: Literal["max", "min", "present"]
    percent: int = 0

    def names(self) -> tuple[str, str]:
        """Return the predicates it bounds, joined in Indonesian and in English."""
        labels = [p.label for p in self.predikats]
        return " dan/atau ".join(labels), " and/or ".join(labels)


_P = Predikat
DISTRIBUTION_RULES: Mapping[CapaianOrganisasi, tuple[Quota, ...]] = {
    CapaianOrganisasi.ISTIMEWA: (Quota((_P.SANGAT_BAIK,), "max", 70),),
    CapaianOrganisasi.BAIK: (
        Quota((_P.BAIK,), "max", 70),
        Quota((_P.BUTUH_PERBAIKAN, _P.KURANG), "present"),
    ),
    CapaianOrganisasi.BUTUH_PERBAIKAN: (
        Quota((_P.BUTUH_PERBAIKAN,), "min", 60),
        Quota((_P.SANGAT_BAIK,), "max", 10),
    ),
    CapaianOrganisasi.KURANG: (
        Quota((_P.KURANG,), "min", 60),
        Quota((_P.BUTUH_PERBAIKAN,), "min", 10),
        Quota((_P.SANGAT_BAIK,), "max", 10),
    ),
    CapaianOrganisasi.SANGAT_KURANG: (
        Quota((_P.SANGAT_KURANG,), "min", 60),
        Quota((_P.KURANG, _P.BUTUH_PERBAIKAN), "min", 10),
        Quota((_P.SANGAT_BAIK,), "max", 0),
    ),
}

_ROUND: Mapping[str, Callable[[Fraction], int]] = {
    "floor": math.floor,
    "ceil": math.ceil,
    "half_up": lambda x: math.floor(x + Fraction(1, 2)),
}


def quota_threshold(percent: int, total: int, rounding: Rounding = "floor") -> Fraction:
    """Return the head-count bound for ``percent`` of ``total`` under the rounding rule.

    ``exact`` keeps the fraction (2.1 stays 2.1); the others round it to a whole count.
    """
    if rounding not in ROUNDINGS:
        raise ValueError(f"Aturan pembulatan tidak dikenal: {rounding!r}.")
    share = Fraction(percent * total, 100)
    if rounding == "exact":
        return share
    return Fraction(_ROUND[rounding](share))


def check_distribution(
    org_predikat: CapaianOrganisasi | str,
    counts: Mapping[Predikat, int] | Mapping[str, int],
    rounding: Rounding = "floor",
) -> list[Text]:
    """List the violations of the distribution pattern for one leader's employees.

    ``counts`` maps each predicate to the number of employees holding it (missing keys count
    as zero). A ``max`` quota allows at most ``round(p% x n)`` employees, a ``min`` quota needs
    at least that many; ``rounding`` picks the rule, since the SE leaves it open. An empty
    population has no violations. Messages are ``Text`` (Indonesian, with English).
    """
    org = CapaianOrganisasi(org_predikat)
    tally: dict[Predikat, int] = dict.fromkeys(Predikat, 0)
    for key, count in counts.items():
        if count < 0:
            raise ValueError(f"Jumlah pegawai tidak boleh negatif: {key}={count}.")
        tally[Predikat(key)] += count
    total = sum(tally.values())
    if total == 0:
        return []
    problems: list[Text] = []
    for quota in DISTRIBUTION_RULES[org]:
        names, names_en = quota.names()
        have = sum(tally[p] for p in quota.predikats)
        org_id, org_en = f"Capaian organisasi {org.label}", f"Organisation achievement {org.label}"
        if quota.kind == "present":
            if have == 0:
                problems.append(Text(f"{org_id}: harus ada pegawai dengan predikat {names}.",
                                     f"{org_en}: some employees must be rated {names_en}."))
            continue
        bound = quota_threshold(quota.percent, total, rounding)
        if quota.kind == "max" and have > bound:
            if quota.percent == 0:
                problems.append(Text(
                    f"{org_id}: tidak boleh ada pegawai dengan predikat {names} "
                    f"(tercatat {have}).",
                    f"{org_en}: no employee may be rated {names_en} (found {have})."))
            else:
                problems.append(Text(
                    f"{org_id}: predikat {names} paling banyak {quota.percent}% "
                    f"({count_text(bound)} dari {total} pegawai), tercatat {have}.",
                    f"{org_en}: at most {quota.percent}% rated {names_en} "
                    f"({count_text(bound, 'en')} of {total} employees), found {have}."))
        elif quota.kind == "min" and have < bound:
            problems.append(Text(
                f"{org_id}: predikat {names} paling sedikit {quota.percent}% "
                f"({count_text(bound)} dari {total} pegawai), tercatat {have}.",
                f"{org_en}: at least {quota.percent}% rated {names_en} "
                f"({count_text(bound, 'en')} of {total} employees), found {have}."))
    return problems


def rule_lines(org_predikat: CapaianOrganisasi | str) -> list[Text]:
    """Describe the national distribution pattern for one organisation achievement."""
    lines: list[Text] = []
    for quota in DISTRIBUTION_RULES[CapaianOrganisasi(org_predikat)]:
        names, names_en = quota.names()
        if quota.kind == "present":
            lines.append(Text(f"harus ada pegawai dengan predikat {names}",
                              f"there must be employees rated {names_en}"))
        elif quota.kind == "max" and quota.percent == 0:
            lines.append(Text(f"tidak boleh ada pegawai dengan predikat {names}",
                              f"no employee may be rated {names_en}"))
        elif quota.kind == "max":
            lines.append(Text(f"predikat {names} paling banyak {quota.percent}%",
                              f"rating {names_en} at most {quota.percent}%"))
        else:
            lines.append(Text(f"predikat {names} paling sedikit {quota.percent}%",
                              f"rating {names_en} at least {quota.percent}%"))
    return lines


def cap_problems(
    org_predikat: CapaianOrganisasi | str,
    counts: Mapping[Predikat, int],
    population: int,
    predikat: Predikat | str,
    rounding: Rounding = "floor",
) -> list[Text]:
    """List the caps (``max`` quotas) that giving ``predikat`` to one more employee breaks.

    ``counts`` already include that employee's new predikat; ``population`` is every employee
    of the unit with an evaluation in the period, rated or not. A cap is a share of all of
    them, so it can be enforced rating by rating (*block* mode); the floors (``min``,
    ``present``) can only be judged once everyone is rated and stay warnings.
    """
    org, new = CapaianOrganisasi(org_predikat), Predikat(predikat)
    problems: list[Text] = []
    for quota in DISTRIBUTION_RULES[org]:
        if quota.kind != "max" or new not in quota.predikats:
            continue
        have = sum(counts.get(p, 0) for p in quota.predikats)
        bound = quota_threshold(quota.percent, population, rounding)
        if have > bound:
            names, names_en = quota.names()
            problems.append(Text(
                f"Capaian organisasi {org.label}: predikat {names} paling banyak "
                f"{quota.percent}% dari {population} pegawai unit kerja ({count_text(bound)}); "
                f"penilaian ini akan menjadi yang ke-{have}.",
                f"Organisation achievement {org.label}: at most {quota.percent}% of the "
                f"{population} employees of the work unit may be rated {names_en} "
                f"({count_text(bound, 'en')}); this rating would be number {have}."))
    return problems


def count_text(bound: Fraction, language: str = "id") -> str:
    """Format a head-count bound: whole numbers plainly, fractions with two decimals."""
    if bound.denominator == 1:
        return str(bound.numerator)
    decimal = f"{float(bound):.2f}"
    return decimal if language == "en" else decimal.replace(".", ",")
