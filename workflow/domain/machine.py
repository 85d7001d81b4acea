"""The two `transitions` machines built once from the tables in definition.py.

A machine is shared; each action adds its Context with the loaded state, fires, and removes it
(transitions 0.9.3: `add_model(initial=...)` or the loaded state is overwritten; `remove_model`
after use). Triggers run synchronously with no await in between, so two coroutines never share a
model mid-transition.
"""
from __future__ import annotations

from transitions import Machine, MachineError

from workflow.domain.definition import ACTIONS, ASSIGNMENT_STATES, ASSIGNMENT_TRANSITIONS, PROPOSAL_TRANSITIONS, STATES
from workflow.domain.rules import Context


def _machine(states, transitions) -> Machine:
    return Machine(
        model=None, states=list(states), transitions=transitions, initial=None,
        auto_transitions=False, ignore_invalid_triggers=False, model_attribute="state",
    )


PROPOSAL_MACHINE = _machine(STATES, PROPOSAL_TRANSITIONS)
ASSIGNMENT_MACHINE = _machine(ASSIGNMENT_STATES, ASSIGNMENT_TRANSITIONS)

_PROPOSAL_SOURCES: dict[str, set[str]] = {}
for row in PROPOSAL_TRANSITIONS:
    sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
    _PROPOSAL_SOURCES.setdefault(row["trigger"], set()).update(sources)
_ASSIGNMENT_SOURCES: dict[str, set[str]] = {}
for row in ASSIGNMENT_TRANSITIONS:
    sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
    _ASSIGNMENT_SOURCES.setdefault(row["trigger"], set()).update(sources)


def proposal_action_possible(action: str, state: str) -> bool:
    """Whether the table has a row for `action` from `state` (before guards and actors)."""
    return state in _PROPOSAL_SOURCES.get(action, ())


def assignment_action_possible(action: str, state: str) -> bool:
    return state in _ASSIGNMENT_SOURCES.get(action, ())


def sources_of(action: str) -> frozenset[str]:
    """The proposal states from which the table has a row for `action`."""
    return frozenset(_PROPOSAL_SOURCES.get(action, ()))


def actions_from(state: str) -> list[str]:
    return [a for a in ACTIONS if proposal_action_possible(a, state)]


class _AssignmentModel:
    """Adapter so the assignment machine reads and writes `Assignment.state` through a Context."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.state = ctx.assignment.state

    def assignment_was_signed(self) -> bool:
        return self.ctx.assignment_was_signed()


def fire_assignment(ctx: Context, trigger: str) -> tuple[str, str]:
    """Run `trigger` on ctx.assignment; returns (from, to)."""
    model = _AssignmentModel(ctx)
    before = model.state
    ASSIGNMENT_MACHINE.add_model(model, initial=before)
    try:
        if not model.trigger(trigger):
            raise MachineError(f"{trigger} did not run from {before}")
    finally:
        ASSIGNMENT_MACHINE.remove_model(model)
    ctx.assignment.state = model.state
    return before, model.state


def fire_proposal(ctx: Context, trigger: str) -> tuple[str, str]:
    """Run `trigger` on ctx.proposal; the table's conditions pick the destination. Returns (from, to)."""
    before = ctx.proposal.state
    ctx.state = before
    PROPOSAL_MACHINE.add_model(ctx, initial=before)
    try:
        if not ctx.trigger(trigger):
            raise MachineError(f"{trigger} did not run from {before}")
    finally:
        PROPOSAL_MACHINE.remove_model(ctx)
    ctx.proposal.state = ctx.state
    return before, ctx.state


# ---------------------------------------------------------------- records with machines of their own
def fire_record(machine: Machine, record, trigger: str) -> tuple[str, str]:
    """Run `trigger` on a record's `state` (a citizen's opinion, an opinion's referral) with its table's
    machine (workflow/domain/opinions.py); returns (from, to). MachineError if the table has no row."""
    model = _StateOnly(record.state)
    before = model.state
    machine.add_model(model, initial=before)
    try:
        if not model.trigger(trigger):
            raise MachineError(f"{trigger} did not run from {before}")
    finally:
        machine.remove_model(model)
    record.state = model.state
    return before, model.state


class _StateOnly:
    def __init__(self, state: str):
        self.state = state
