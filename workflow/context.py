"""The facts a guard or effect may look at when a transition fires.

Built by ``service.py`` from the database; guards and effects never query anything themselves,
so they stay pure functions that unit tests can call with a hand-made context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from .workcalendar import WorkCalendar


@dataclass(frozen=True, slots=True)
class SkpFacts:
    """What the SKP guards look at, read by ``workflow.skp`` before a step fires."""

    jenis_jabatan: str
    # Whether the SKP has a Pejabat Penilai Kinerja (False: the top of the agency).
    has_appraiser: bool
    # Status of the appraiser's SKP in force for the same year (None: she has none).
    appraiser_skp_status: str | None = None
    # Positions (1-based) of the utama RHK that name no parent RHK.
    utama_without_parent: tuple[int, ...] = ()
    utama_count: int = 0
    # Positions of RHK without an indicator, and of indicators without a target.
    rhk_without_indicator: tuple[int, ...] = ()
    indicators_without_target: tuple[str, ...] = ()


@dataclass(slots=True)
class TransitionContext:
    """Who acts on which evaluation, when, with what data; collects guard failures."""

    actor_id: int | None
    actor_roles: frozenset[str]
    owner_id: int
    participants: Mapping[str, int]
    now: datetime
    deadlines: Mapping[str, datetime] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    form_errors: Mapping[str, list[str]] | None = None
    comment: str | None = None
    # The agency's zone and days off: when a window opened now ends, how a due time reads.
    # The service reads it for steps whose guards or effects take a deadline (the only ones
    # that use it); other steps get the national default.
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    # Set on SKP steps only (``workflow.skp``): what the SKP guards check.
    skp: SkpFacts | None = None
    # The result so far and whether a coaching plan (``follow_up``) exists: read by the service
    # only for steps whose guards name ``coaching_plan_if_low``.
    predikat: str | None = None
    coaching_planned: bool = False

    @property
    def is_system(self) -> bool:
        """Return whether the scheduler/CLI (no person) is acting."""
        return self.actor_id is None

    def fail(self, guard: str, message: str, message_en: str) -> bool:
        """Record why ``guard`` refused; return False so guards can ``return ctx.fail(...)``."""
        self.failures.append((guard, message, message_en))
        return False
