"""Drive evaluations through a flow with ``transitions``. The only module that imports it.

One ``Machine`` per definition version, built once and shared by every evaluation on that
version: rows are never bound to it (``add_model`` would reset their state and costs grow with
the number of models). A transition fires on a throw-away subject that carries only the
current state, so the persisted row is written in one place: ``service.apply_transition``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from transitions import EventData
from transitions import Machine
from transitions import MachineError

from .context import TransitionContext
from .definition import TransitionRule
from .definition import WorkflowDefinition
from .errors import GuardFailed
from .errors import InvalidData
from .errors import NotPermitted
from .errors import TransitionNotAllowed
from .guards import GUARDS


class _Subject:
    """The only object the machine ever sees: a state and nothing else."""

    __slots__ = ("status",)

    def __init__(self, status: str) -> None:
        self.status = status


Condition = Callable[[EventData], bool]


def _role_check(rule: TransitionRule) -> Callable[[TransitionContext], bool]:
    allowed = frozenset(rule.by)

    def check(ctx: TransitionContext) -> bool:
        if allowed & ctx.actor_roles:
            return True
        return ctx.fail(
            "role",
            "Anda tidak berwenang melakukan langkah ini pada evaluasi ini.",
            "You are not allowed to take this step on this evaluation.",
        )

    return check


def _comment_check(rule: TransitionRule) -> Callable[[TransitionContext], bool]:
    def check(ctx: TransitionContext) -> bool:
        if rule.comment == "required" and not (ctx.comment or "").strip():
            return ctx.fail("comment", "Catatan wajib diisi untuk langkah ini.",
                            "A comment is required for this step.")
        return True

    return check


def _requires_check(rule: TransitionRule) -> Callable[[TransitionContext], bool]:
    """Refuse when the step's data disagrees with the step (``requires``), naming the field."""

    def check(ctx: TransitionContext) -> bool:
        for requirement in rule.requires:
            if not requirement.met(ctx.data):
                return ctx.fail(
                    f"requires:{requirement.field}",
                    f"Isian ini tidak sesuai dengan langkah '{rule.label}': ubah isiannya "
                    "atau pilih langkah lain.",
                    f"This answer does not agree with the step '{rule.label_en}': change it "
                    "or choose another step.",
                )
        return True

    return check


def _guard_check(name: str, arg: str | None) -> Callable[[TransitionContext], bool]:
    fn = GUARDS[name].check

    def check(ctx: TransitionContext) -> bool:
        return fn(ctx, arg)

    return check


@dataclass(frozen=True, slots=True)
class Flow:
    """A compiled definition: the shared machine plus each transition's checks, in order."""

    definition: WorkflowDefinition
    machine: Machine
    checks: dict[str, tuple[Callable[[TransitionContext], bool], ...]]

    def fire(self, state: str, trigger: str, ctx: TransitionContext) -> TransitionRule:
        """Fire ``trigger`` from ``state``; return the rule that fired (``dest`` = new state).

        :raises TransitionNotAllowed: unknown transition, or not possible from ``state``.
        :raises NotPermitted: the actor does not play a role named in ``by``.
        :raises InvalidData: the step's form failed validation (``form_complete``).
        :raises GuardFailed: another guard refused.
        """
        rule = self.definition.transition(trigger)
        if rule is None or trigger not in self.machine.events:
            raise TransitionNotAllowed(
                f"Langkah '{trigger}' tidak dikenal dalam alur ini.",
                f"Unknown step '{trigger}' in this flow.",
            )
        subject = _Subject(state)
        try:
            ok = self.machine.events[trigger].trigger(subject, ctx=ctx)
        except MachineError as exc:
            raise TransitionNotAllowed(
                f"Langkah '{rule.label}' tidak dapat dilakukan saat status "
                f"'{self.definition.label(state)}'.",
                f"Step '{rule.label_en}' is not possible in state "
                f"'{self.definition.label(state, 'en')}'.",
            ) from exc
        if not ok:
            raise _refusal(ctx)
        return rule

    def allowed(self, state: str, ctx: TransitionContext) -> list[TransitionRule]:
        """Return the transitions the context's actor may fire now (the same checks as ``fire``).

        Form completeness is not judged here: the form is what the user is about to fill.
        """
        result = []
        for rule in self.definition.transitions_from(state):
            probe = TransitionContext(
                actor_id=ctx.actor_id, actor_roles=ctx.actor_roles, owner_id=ctx.owner_id,
                participants=ctx.participants, now=ctx.now, deadlines=ctx.deadlines,
                data=ctx.data, form_errors={}, comment="-", calendar=ctx.calendar,
                skp=ctx.skp,
                predikat=ctx.predikat, coaching_planned=ctx.coaching_planned,
            )
            if all(check(probe) for check in self.checks[rule.name]):
                result.append(rule)
        return result


def _refusal(ctx: TransitionContext) -> Exception:
    guard, message, message_en = ctx.failures[-1] if ctx.failures else ("?", "Ditolak.", "Refused.")
    if guard == "role":
        return NotPermitted(message, message_en)
    if guard == "form_complete":
        return InvalidData(dict(ctx.form_errors or {}) or {"__all__": [message]})
    if guard == "comment":
        return InvalidData({"comment": [message]}, message, message_en)
    if guard.startswith("requires:"):
        return InvalidData.of({guard.split(":", 1)[1]: (message, message_en)})
    return GuardFailed(guard, message, message_en)


def _condition(checks: tuple[Callable[[TransitionContext], bool], ...]) -> Condition:
    def condition(event: EventData) -> bool:
        ctx: TransitionContext = event.kwargs["ctx"]
        # Stop at the first refusal so the reported reason is the one that decided.
        return all(check(ctx) for check in checks)

    return condition


def compile_flow(definition: WorkflowDefinition) -> Flow:
    """Build the shared machine of a definition (use ``flow_for`` to get a cached one)."""
    checks: dict[str, tuple[Callable[[TransitionContext], bool], ...]] = {}
    config: list[dict[str, Any]] = []
    for rule in definition.transitions:
        checks[rule.name] = (
            _role_check(rule),
            _comment_check(rule),
            *(_guard_check(g.name, g.arg) for g in rule.guards),
        )
        config.append({
            "trigger": rule.name,
            "source": list(rule.sources),
            "dest": rule.dest,
            # Callables, never strings: transitions would import any dotted path it is given.
            # ``requires`` judges the data being sent: it runs when firing, never for buttons
            # (``allowed``), after the guards (form_complete reports missing answers first).
            "conditions": [_condition((*checks[rule.name], _requires_check(rule)))],
        })
    machine = Machine(
        model=None,
        states=list(definition.states),
        transitions=config,
        initial=definition.initial,
        auto_transitions=False,  # to_<state>() triggers would bypass every guard
        send_event=True,
        model_attribute="status",
    )
    return Flow(definition, machine, checks)


_FLOWS: dict[str, Flow] = {}
_LOCK = threading.Lock()


def flow_for(definition: WorkflowDefinition) -> Flow:
    """Return the shared compiled flow of a definition version (keyed by content hash)."""
    flow = _FLOWS.get(definition.content_hash)
    if flow is None:
        with _LOCK:
            flow = _FLOWS.get(definition.content_hash)
            if flow is None:
                flow = _FLOWS[definition.content_hash] = compile_flow(definition)
    return flow


def diagram(definition: WorkflowDefinition) -> str:
    """Return a mermaid ``stateDiagram-v2`` of the flow (labels in Indonesian)."""
    lines = ["stateDiagram-v2", f"    [*] --> {definition.initial}"]
    for state in definition.states:
        lines.append(f"    {state}: {definition.label(state)}")
    for rule in definition.transitions:
        who = ", ".join(rule.by)
        for source in rule.sources:
            lines.append(f"    {source} --> {rule.dest}: {rule.label} ({who})")
    for state in definition.final:
        lines.append(f"    {state} --> [*]")
    return "\n".join(lines)
