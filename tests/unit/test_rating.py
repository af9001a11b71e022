"""The national rating rules: the 3x3 predikat matrix, BerAKHLAK data, distribution quotas."""

import pytest

from workflow.rating import BERAKHLAK
from workflow.rating import RATING_LEVELS
from workflow.rating import CapaianOrganisasi
from workflow.rating import Predikat
from workflow.rating import cap_problems
from workflow.rating import check_distribution
from workflow.rating import predikat
from workflow.rating import quota_threshold
from workflow.rating import rating_label

# domain.md §12.6 A, cell for cell.
MATRIX_CASES = [
    ("di_atas", "di_atas", "Sangat Baik"),
    ("di_atas", "sesuai", "Baik"),
    ("di_atas", "di_bawah", "Kurang/Misconduct"),
    ("sesuai", "di_atas", "Baik"),
    ("sesuai", "sesuai", "Baik"),
    ("sesuai", "di_bawah", "Kurang/Misconduct"),
    ("di_bawah", "di_atas", "Butuh Perbaikan"),
    ("di_bawah", "sesuai", "Butuh Perbaikan"),
    ("di_bawah", "di_bawah", "Sangat Kurang"),
]


@pytest.mark.parametrize(("hasil_kerja", "perilaku_kerja", "expected"), MATRIX_CASES)
def test_matrix_cell(hasil_kerja: str, perilaku_kerja: str, expected: str) -> None:
    """Each of the nine rating pairs yields the predicate of the national matrix."""
    assert expected == predikat(hasil_kerja, perilaku_kerja).label


@pytest.mark.parametrize(("hasil_kerja", "perilaku_kerja"), [("baik", "sesuai"), ("sesuai", "")])
def test_unknown_rating_raises(hasil_kerja: str, perilaku_kerja: str) -> None:
    """A value outside di_atas/sesuai/di_bawah is rejected with a ValueError naming it."""
    with pytest.raises(ValueError, match="Rating tidak dikenal"):
        predikat(hasil_kerja, perilaku_kerja)


def test_rating_levels_and_labels() -> None:
    """The scale has three ordered levels with Indonesian and English labels."""
    assert [level.value for level in RATING_LEVELS] == ["di_atas", "sesuai", "di_bawah"]
    assert rating_label("di_bawah") == "Di bawah ekspektasi"
    assert rating_label("sesuai", "en") == "Meets expectations"


def test_predikat_values_and_labels() -> None:
    """Predicates store as their canonical upper-case names and carry official labels."""
    assert Predikat.SANGAT_BAIK.value == "SANGAT_BAIK"
    assert [
        p.label for p in Predikat
    ] == ["Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang"]
    assert Predikat.BUTUH_PERBAIKAN.label_en == "Needs improvement"


def test_berakhlak_has_seven_values_with_three_guides() -> None:
    """BerAKHLAK lists the seven core values in acronym order, each with three guides."""
    assert [value.name for value in BERAKHLAK] == [
        "Berorientasi Pelayanan", "Akuntabel", "Kompeten", "Harmonis", "Loyal", "Adaptif",
        "Kolaboratif",
    ]
    assert all(len(value.guides) == 3 and all(value.guides) for value in BERAKHLAK)
    assert BERAKHLAK[1].guides[2] == "Tidak menyalahgunakan kewenangan jabatan"


# domain.md §12.6 B.
def test_distribution_baik_passes() -> None:
    """Org Baik with 7 Baik, 2 Butuh Perbaikan and 1 Sangat Baik of 10 passes."""
    counts = {Predikat.BAIK: 7, Predikat.BUTUH_PERBAIKAN: 2, Predikat.SANGAT_BAIK: 1}
    assert check_distribution(CapaianOrganisasi.BAIK, counts) == []


def test_distribution_baik_fails_twice() -> None:
    """Org Baik with 8 Baik and 2 Sangat Baik breaks the 70% cap and lacks low predicates."""
    problems = check_distribution("BAIK", {"BAIK": 8, "SANGAT_BAIK": 2})
    assert len(problems) == 2
    assert "paling banyak 70%" in problems[0]
    assert "harus ada pegawai dengan predikat Butuh Perbaikan" in problems[1]
    assert problems[0].en == ("Organisation achievement Baik: at most 70% rated Baik "
                              "(7 of 10 employees), found 8.")
    assert "some employees must be rated Butuh Perbaikan and/or" in problems[1].en


def test_distribution_sangat_kurang_forbids_sangat_baik() -> None:
    """Org Sangat Kurang rejects any Sangat Baik even when the other quotas hold."""
    counts = {Predikat.SANGAT_KURANG: 7, Predikat.KURANG: 2, Predikat.SANGAT_BAIK: 1}
    problems = check_distribution(CapaianOrganisasi.SANGAT_KURANG, counts)
    assert len(problems) == 1
    assert "tidak boleh ada pegawai dengan predikat Sangat Baik (tercatat 1)" in problems[0]


def test_distribution_butuh_perbaikan_caps_sangat_baik() -> None:
    """Org Butuh Perbaikan with 2 Sangat Baik of 10 (20%) breaks the 10% cap only."""
    counts = {Predikat.BUTUH_PERBAIKAN: 6, Predikat.SANGAT_BAIK: 2, Predikat.BAIK: 2}
    problems = check_distribution(CapaianOrganisasi.BUTUH_PERBAIKAN, counts)
    assert len(problems) == 1
    assert "Sangat Baik paling banyak 10% (1 dari 10 pegawai), tercatat 2" in problems[0]


def test_distribution_kurang_minimums() -> None:
    """Org Kurang needs 60% Kurang/Misconduct and 10% Butuh Perbaikan."""
    problems = check_distribution("KURANG", {"KURANG": 5, "BAIK": 5})
    assert len(problems) == 2
    assert "Kurang/Misconduct paling sedikit 60%" in problems[0]
    assert "Butuh Perbaikan paling sedikit 10%" in problems[1]


@pytest.mark.parametrize(
    ("rounding", "violations"), [("floor", 1), ("exact", 1), ("ceil", 0), ("half_up", 1)]
)
def test_distribution_small_unit_rounding(rounding: str, violations: int) -> None:
    """For 3 staff under org Istimewa, 3 Sangat Baik (cap 2.1) passes only when rounding up."""
    problems = check_distribution("ISTIMEWA", {"SANGAT_BAIK": 3}, rounding=rounding)
    assert violations == len(problems)


def test_quota_threshold_exact_keeps_fraction() -> None:
    """Exact rounding keeps 70% of 3 as 2.1 while floor and ceil give 2 and 3."""
    assert (quota_threshold(70, 3, "floor"), quota_threshold(70, 3, "ceil")) == (2, 3)
    assert float(quota_threshold(70, 3, "exact")) == 2.1
    with pytest.raises(ValueError, match="pembulatan"):
        quota_threshold(70, 3, "banker")


def test_distribution_empty_and_invalid_counts() -> None:
    """No employees means no violation; negative counts and unknown predicates are errors."""
    assert check_distribution("BAIK", {}) == []
    with pytest.raises(ValueError, match="negatif"):
        check_distribution("BAIK", {"BAIK": -1})
    with pytest.raises(ValueError, match="LUAR_BIASA"):
        check_distribution("BAIK", {"LUAR_BIASA": 1})


def test_caps_are_shares_of_the_whole_unit() -> None:
    """Org Baik, 10 in the unit: the 7th Baik passes, the 8th breaks the 70% cap."""
    assert cap_problems("BAIK", {Predikat.BAIK: 7}, 10, "BAIK") == []
    [problem] = cap_problems("BAIK", {Predikat.BAIK: 8}, 10, "BAIK")
    assert "paling banyak 70% dari 10 pegawai unit kerja (7)" in problem
    assert "this rating would be number 8" in problem.en


def test_caps_only_concern_the_new_predikat() -> None:
    """Floors never block, and a cap already broken by others does not block other ratings."""
    assert cap_problems("BAIK", {Predikat.BAIK: 9, Predikat.KURANG: 1}, 10, "KURANG") == []
    assert cap_problems("KURANG", {Predikat.BAIK: 1}, 10, "BAIK") == []  # min quotas: warn only
    assert cap_problems("SANGAT_KURANG", {Predikat.SANGAT_BAIK: 1}, 10, "SANGAT_BAIK") != []
