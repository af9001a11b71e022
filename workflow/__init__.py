"""The engine core: flow definitions, transitions, guards, effects, history chains, org chart,
periods, accounts, the read-side queries and the tables (see docs/architecture.md).

Imports SQLAlchemy, PyYAML, ``transitions`` (``engine.py`` only) and Werkzeug's password
hashing; never Flask, WTForms, Jinja, WeasyPrint or another package of this project. Messages
meant for people are ``texts.Text`` (Indonesian, carrying the English).
"""
