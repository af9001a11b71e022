"""Who sees what of one evaluation: the one rule the page, the API, the audit timeline, the CSV
export and the documents all call.

A reader of an evaluation is described by a ``Viewer``: the roles she plays on it (the frozen
participants and the flow's group roles, ``workflow.actors.roles_of``), plus ``auditor`` for a
member of the inspectorate and ``admin`` for an agency admin, and the evaluation's current
state. A field's value is shown to her when **one** of those roles may see it in that state
(``forms.rules.may_see``: ``editable_by``, ``visible_to``, ``visible_in_states``). There is no
exception for auditors and admins: a field with ``visible_to: [appraiser]`` is shown to
auditors or admins only when the spec names ``auditor`` or ``admin`` too.

The evaluation's rating columns (``rating_hasil_kerja``, ``rating_perilaku_kerja`` and the
``predikat`` computed from them) are copies of the rating fields of the step that records the
rating (the flow's ``record_rating`` effect): the reader sees them exactly when she may see
both rating fields of that step's form (``Visibility.rating_visible``).

The history shows that a hidden field changed, with its name and a digest, never its value
(``Visibility.changes``). The digest is an HMAC with the audit key over the event's hash, the
field and the values, so a short value (a rating) cannot be guessed from it, while whoever
holds the key can check it against the stored event.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import lazyload
from sqlalchemy.orm import load_only
from sqlalchemy.orm import selectinload

from workflow.actors import Actor
from workflow.actors import base_role
from workflow.actors import roles_of
from workflow.definition import WorkflowDefinition
from workflow.definition import canonical_json
from workflow.errors import NotFound
from workflow.models import Evaluation
from workflow.models import Participant
from workflow.service import definition_of
from workflow.snapshot import EvaluationLike
from workflow.trail import Change
from workflow.trail import ChangedEvent
from workflow.trail import recorded_changes

from .rules import may_see
from .spec import FieldSpec
from .spec import FormSpec
from .store import StoredForms
from .store import spec_of

# The evaluation columns that copy the rating fields of the rating step's form.
RATING_FIELDS = ("rating_hasil_kerja", "rating_perilaku_kerja")
RATING_COLUMNS = (*RATING_FIELDS, "predikat")
# The effect that copies a step's rating fields into the evaluation's rating columns.
RATING_EFFECT = "record_rating"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who reads an evaluation: her roles on it (with ``auditor``/``admin``) and its state."""

    roles: frozenset[str]
    state: str


def viewer_of(actor: Actor, roles: Iterable[str], state: str) -> Viewer:
    """Return the viewer an actor is on an evaluation where she plays ``roles``.

    A replaced holder (``appraiser~7``, ``workflow.reassignment``) reads as the role she held:
    she sees what she did, and can no longer act (no step names her role).
    """
    roles = {base_role(r) for r in roles}
    extra = {name for name, member in (("auditor", actor.is_auditor), ("admin", actor.is_admin))
             if member}
    return Viewer(frozenset(roles) | extra, state)


def sees(field: FieldSpec, viewer: Viewer) -> bool:
    """Tell whether the viewer may see the field's value (one of her roles may): THE rule."""
    return any(may_see(field, role, viewer.state) for role in viewer.roles)


def visible_names(spec: FormSpec, viewer: Viewer) -> frozenset[str]:
    """Return the names of the spec's fields whose values the viewer may see."""
    return frozenset(f.name for f in spec.fields if sees(f, viewer))


def redact(spec: FormSpec, values: Mapping[str, Any], viewer: Viewer) -> dict[str, Any]:
    """Keep only the stored values the viewer may see (keys the spec does not know are dropped)."""
    names = visible_names(spec, viewer)
    return {k: v for k, v in values.items() if k in names}


def change_digest(key: bytes, event: ChangedEvent, name: str, old: Any, new: Any) -> str:
    """Return the keyed digest the history shows instead of a hidden field's values."""
    message = canonical_json([event.hash, name, old, new]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@dataclass(slots=True)
class ViewCache:
    """What the views of one page share: form specs by (form, version), and the fields a
    viewer (roles and state) may see of a spec."""

    specs: dict[tuple[str, int | None], FormSpec | None] = field(default_factory=dict)
    names: dict[tuple[int, Viewer], tuple[FormSpec, frozenset[str]]] = field(
        default_factory=dict)


class Visibility:
    """One reader's view of one evaluation; specs are loaded per form version and cached."""

    def __init__(self, session: Session, evaluation: EvaluationLike,
                 definition: WorkflowDefinition, viewer: Viewer,
                 cache: ViewCache | None = None) -> None:
        """Read ``evaluation`` (under its pinned ``definition``) as ``viewer``: the ORM row or
        the snapshot a transition returns (``workflow.service.Fired``); ``cache`` is shared by
        the views of one page (specs and visible fields are the same for many)."""
        self.session = session
        self.evaluation = evaluation
        self.definition = definition
        self.viewer = viewer
        self._cache = cache if cache is not None else ViewCache()
        self._specs = self._cache.specs
        self._rating: bool | None = None

    @classmethod
    def for_actor(cls, session: Session, actor: Actor, evaluation: EvaluationLike,
                  definition: WorkflowDefinition | None = None,
                  roles: frozenset[str] | None = None) -> Visibility:
        """Return the actor's view (``definition`` and ``roles`` when the caller has them)."""
        definition = definition or definition_of(session, evaluation.definition_version_id)
        if roles is None:
            roles = roles_of(actor, evaluation, definition)
        return cls(session, evaluation, definition, viewer_of(actor, roles, evaluation.status))

    @property
    def staff(self) -> bool:
        """Tell whether the reader reads as an auditor or an agency admin."""
        return bool({"auditor", "admin"} & self.viewer.roles)

    # --- form data -----------------------------------------------------------------------

    def spec(self, form_key: str, version_id: int | None = None) -> FormSpec | None:
        """Return the spec the form's answers were filled on (or the pinned one; None: none)."""
        if version_id is None:
            entry = (self.evaluation.data or {}).get(form_key)
            version_id = entry.get("form_version_id") if isinstance(entry, Mapping) else None
        if version_id is None:  # the version pinned when the period opened
            version_id = (self.evaluation.form_versions or {}).get(form_key)
        cache_key = (form_key, version_id)
        if cache_key not in self._specs:
            try:
                self._specs[cache_key] = spec_of(self.session, version_id or StoredForms(
                    ).version_for(self.session, self.evaluation, form_key))
            except NotFound:
                self._specs[cache_key] = None
        return self._specs[cache_key]

    def names(self, form_key: str, version_id: int | None = None) -> frozenset[str]:
        """Return the fields of the form whose values the reader may see."""
        spec = self.spec(form_key, version_id)
        if spec is None:
            return frozenset()
        key = (id(spec), self.viewer)
        found = self._cache.names.get(key)
        if found is None or found[0] is not spec:
            found = self._cache.names[key] = (spec, visible_names(spec, self.viewer))
        return found[1]

    def values(self, form_key: str) -> dict[str, Any]:
        """Return the stored answers of one form that the reader may see."""
        spec = self.spec(form_key)
        return {} if spec is None else redact(spec, self.evaluation.values(form_key),
                                              self.viewer)

    # --- the rating ----------------------------------------------------------------------

    @property
    def rating_visible(self) -> bool:
        """Tell whether the reader may see the evaluation's ratings and predikat.

        They are copies of the rating fields of the form of every step that records the
        rating: visible when each such field present in its (pinned) form is visible.
        """
        if self._rating is None:
            forms = {r.form for r in self.definition.transitions
                     if r.form and any(e.name == RATING_EFFECT for e in r.effects)}
            visible = True
            for key in sorted(forms):
                spec = self.spec(key)
                if spec is None:
                    continue
                present = {f.name for f in spec.fields if f.name in RATING_FIELDS}
                if not present <= visible_names(spec, self.viewer):
                    visible = False
            self._rating = visible
        return self._rating

    def rating(self) -> dict[str, str | None]:
        """Return the rating columns the reader may see (all None while they are hidden)."""
        visible = self.rating_visible
        return {c: getattr(self.evaluation, c) if visible else None for c in RATING_COLUMNS}

    # --- the history ---------------------------------------------------------------------

    def change_visible(self, event: ChangedEvent, name: str) -> bool:
        """Tell whether the reader may see the values of one recorded change of an event."""
        if name in RATING_COLUMNS:
            return self.rating_visible
        payload = event.payload or {}
        form_key = payload.get("form")
        if form_key and name.startswith(f"{form_key}."):
            return name[len(form_key) + 1:] in self.names(form_key,
                                                           payload.get("form_version_id"))
        return True

    def changes(self, event: ChangedEvent, key: bytes) -> list[Change]:
        """Return an event's changes: values the reader may see, name and digest otherwise."""
        return [Change(name, old, new) if self.change_visible(event, name)
                else Change(name, None, None, hidden=True,
                            digest=change_digest(key, event, name, old, new))
                for name, old, new in recorded_changes(event)]


# What a view reads of an evaluation: its state, flow, pinned forms, answers (their form
# versions) and who plays which role; not the employee, the period or the frozen identities.
_FOR_VISIBILITY = (
    load_only(Evaluation.id, Evaluation.agency_id, Evaluation.employee_id, Evaluation.status,
              Evaluation.definition_version_id, Evaluation.form_versions, Evaluation.data,
              Evaluation.rating_hasil_kerja, Evaluation.rating_perilaku_kerja,
              Evaluation.predikat),
    lazyload(Evaluation.employee), lazyload(Evaluation.period),
    selectinload(Evaluation.participants).load_only(Participant.role, Participant.employee_id),
)


class VisibilityBatch:
    """One reader's views of the evaluations of one page (of her agency): the pinned flows and
    form specs are immutable, so each is looked up once for the page, not once per row."""

    def __init__(self, session: Session, actor: Actor) -> None:
        """Views for ``actor``."""
        self.session = session
        self.actor = actor
        self._cache = ViewCache()

    def of(self, evaluation: Evaluation, definition: WorkflowDefinition | None = None,
           roles: frozenset[str] | None = None) -> Visibility:
        """Return the actor's view of one evaluation (its participants loaded)."""
        definition = definition or definition_of(self.session, evaluation.definition_version_id)
        if roles is None:
            roles = roles_of(self.actor, evaluation, definition)
        return Visibility(self.session, evaluation, definition,
                          viewer_of(self.actor, roles, evaluation.status), self._cache)


class HistoryReader:
    """An actor's view of the changes of any event of her agency (one ``Visibility`` per
    evaluation); events outside any evaluation show their (already masked) changes.

    ``prefetch`` loads the views of a batch of evaluations in two statements (the rows, their
    participants), so an export reads the evaluations of each batch of events at once; the
    views of earlier batches are dropped, so memory stays flat however long the export."""

    def __init__(self, session: Session, actor: Actor, key: bytes) -> None:
        """Redact for ``actor``, digests keyed with the audit ``key``."""
        self.session = session
        self.actor = actor
        self.key = key
        self._batch = VisibilityBatch(session, actor)
        self._views: dict[int, Visibility | None] = {}

    def prefetch(self, evaluation_ids: Iterable[int | None]) -> None:
        """Load the views of these evaluations at once (forgetting the ones loaded before)."""
        wanted = {i for i in evaluation_ids if i is not None}
        self._views = {}
        if not wanted:
            return
        found = self.session.scalars(
            select(Evaluation).where(Evaluation.id.in_(sorted(wanted)),
                                     Evaluation.agency_id == self.actor.agency_id)
            .options(*_FOR_VISIBILITY)).unique().all()
        self._views = dict.fromkeys(wanted)
        for evaluation in found:
            self._views[evaluation.id] = self._batch.of(evaluation)

    def view(self, evaluation_id: int) -> Visibility | None:
        """Return the actor's view of one evaluation (None: not of her agency)."""
        if evaluation_id not in self._views:
            evaluation = self.session.get(Evaluation, evaluation_id)
            self._views[evaluation_id] = (
                self._batch.of(evaluation)
                if evaluation is not None and evaluation.agency_id == self.actor.agency_id
                else None)
        return self._views[evaluation_id]

    def __call__(self, event: ChangedEvent) -> list[Change]:
        """Return the event's changes as the actor may see them."""
        if event.evaluation_id is None:
            return [Change(name, old, new) for name, old, new in recorded_changes(event)]
        view = self.view(event.evaluation_id)
        if view is None:
            return [Change(name, None, None, hidden=True,
                           digest=change_digest(self.key, event, name, old, new))
                    for name, old, new in recorded_changes(event)]
        return view.changes(event, self.key)
