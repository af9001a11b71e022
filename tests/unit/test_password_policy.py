"""Password rules (workflow/accounts.py, NIST SP 800-63B): at least 12 characters, not a common
password (the shipped list), however dressed up; passphrases welcome; applied at activation,
password change and when an administrator sets one (the CLI)."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD as WEB_PASSWORD
from workflow.accounts import common_passwords
from workflow.accounts import password_problem
from workflow.accounts import set_password
from workflow.models import Employee

NIP = "198001012005011004"
CHEAP = "scrypt:1024:8:1"


def problem(password: str) -> str | None:
    found = password_problem(Employee(nip=NIP), password)
    return found[1] if found else None


def test_the_list_is_shipped() -> None:
    """The common-password list ships with the app and is read case-folded."""
    common = common_passwords()
    assert len(common) > 9000
    assert {"password", "123456", "iloveyou", "qwertyuiop"} <= common


@pytest.mark.parametrize("weak", [
    "12345678", "password", " " * 8, " " * 12, "1234567", "x" * 11,
], ids=["digits-8", "password", "8-spaces", "12-spaces", "digits-7", "short"])
def test_short_or_blank_passwords_are_refused(weak: str) -> None:
    """Anything shorter than 12 characters, and blanks of any length."""
    assert problem(weak) is not None


@pytest.mark.parametrize("weak", [
    "password1234", "Password2024!", "PASSWORD!!!!!!", "iloveyou1234", "  iloveyou2024  ",
    "monkeymonkey", "qwertyqwerty", "qwertyuiop123", "123456789012", "2024-01-01-2024",
    "aaaaaaaaaaaa", "abababababab", "sebastian12345",
])
def test_common_passwords_are_refused_however_dressed(weak: str) -> None:
    """Listed passwords in any case, with digits or symbols around them or repeated; digits
    only; a few characters over and over."""
    assert problem(weak) == ("This password is too common or easy to guess; choose a phrase "
                             "of a few words only you know.")


@pytest.mark.parametrize("good", [
    "kuda makan rumput", "correct horse battery staple", "rahasia-kinerja-2026",
    "Sungai Mahakam pagi", "bukan-12345678-ini", WEB_PASSWORD,
    "demo-kinerja-2026", "sandi-baru-ponsel-7", "kata-sandi-baru-1", "password-lama-1",
    "x" * 4 + "qwerty-bukan-umum",
])
def test_passphrases_and_the_fixtures_pass(good: str) -> None:
    """Phrases of a few words pass; so do the passwords the tests and the demo use."""
    assert problem(good) is None


def test_the_nip_is_refused() -> None:
    assert problem(f"kata-{NIP}-sandi") == "A password must not contain the NIP."


def test_setting_a_weak_password_raises() -> None:
    """``set_password`` (every path that stores one) applies the rules."""
    employee = Employee(nip=NIP)
    with pytest.raises(ValueError, match="terlalu umum"):
        set_password(employee, "Password2024!", hash_method=CHEAP)
    assert employee.password_hash is None
    set_password(employee, "kuda makan rumput", hash_method=CHEAP)
    assert employee.password_hash
