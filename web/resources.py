"""Where the files shipped with the code are: the flow and form definitions and the schema
migrations.

In a source checkout they are top-level folders beside the packages (``definitions/``,
``migrations/``); an installed wheel carries them inside this package (``web/definitions``,
``web/migrations``: pyproject.toml maps them there), so ``pip install .`` gives an app that
starts and migrates without the checkout.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

HERE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """Return the folder ``name`` (``definitions`` or ``migrations``) of this installation."""
    inside = HERE / name
    return inside if inside.is_dir() else HERE.parent / name


def alembic_config() -> Config:
    """The Alembic configuration of the shipped migrations (no ``alembic.ini`` needed)."""
    config = Config()
    config.set_main_option("script_location", str(shipped("migrations")))
    return config
