"""Build hook only (the project is described in pyproject.toml): compile the interface's
translation catalogs (``web/translations/*/LC_MESSAGES/messages.po``) into the ``.mo`` files
Flask-Babel reads, inside the built wheel. The ``.mo`` files are never committed."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    """``build_py``, then compile every catalog into the build directory."""

    def run(self) -> None:
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in Path("web/translations").glob("*/LC_MESSAGES/messages.po"):
            target = Path(self.build_lib) / po.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            with target.open("wb") as out:
                write_mo(out, catalog)


setup(cmdclass={"build_py": BuildWithCatalogs})
