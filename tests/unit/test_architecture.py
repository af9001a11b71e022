"""Layer rules: the import-linter contracts hold, and every package imports on its own.

The contracts live in pyproject.toml ``[tool.importlinter]`` (see docs/architecture.md); this
test runs them, so a broken layer fails the suite as well as ``make lint-imports``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("workflow", "forms", "reports", "l10n", "admin", "demo", "web")


def test_import_contracts_are_kept() -> None:
    """lint-imports finds every contract of pyproject.toml kept."""
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_on_its_own(package: str) -> None:
    """``import <package>`` succeeds in a fresh interpreter (no import cycle needs web first)."""
    result = subprocess.run([sys.executable, "-c", f"import {package}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
