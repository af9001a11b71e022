"""Layer rules: the core imports no web framework; nothing below web imports web."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "workflow": {"flask", "flask_admin", "flask_wtf", "flask_login", "flask_babel", "wtforms",
                 "jinja2", "weasyprint", "web", "admin", "forms", "reports"},
    "forms": {"flask", "flask_admin", "flask_wtf", "flask_login", "web", "admin", "reports"},
    "reports": {"flask", "flask_admin", "flask_wtf", "flask_login", "web", "admin"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", ["workflow", "forms", "reports"])
def test_package_respects_its_layer(package: str) -> None:
    """No module of the package imports what its layer forbids."""
    offenders = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module in imported_modules(path):
            if module.split(".")[0] in FORBIDDEN[package]:
                offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offenders


def test_only_engine_imports_transitions() -> None:
    """`transitions` is imported by workflow/engine.py alone."""
    users = [p.name for p in (ROOT / "workflow").glob("*.py")
             if any(m.split(".")[0] == "transitions" for m in imported_modules(p))]
    assert users == ["engine.py"]
