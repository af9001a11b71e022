"""Demo data for ``flask demo`` / ``make run`` and the browser tests (seed, never production).

Two agencies, their org charts and evaluations in every state, made by running the real use
cases of ``workflow`` with a clock set in the past. Imports ``workflow`` only: seeding is
neither the engine's job nor the web's (see docs/architecture.md).
"""
